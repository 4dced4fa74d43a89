//! IPv4 networks in CIDR notation, for the networking primer of lab 4.
//!
//! `10.0.0.0/16` names a block of addresses: the first 16 bits are the network, the other 16 bits number the
//! hosts inside it (65,536 addresses). A VPC gets one such block; its subnets are smaller blocks inside it, for
//! example the 256 blocks `10.0.0.0/24` … `10.0.255.0/24`. A route table entry `0.0.0.0/0` (prefix length 0)
//! matches every address, which is why it sends "everything else" to an internet or NAT gateway; a security group
//! rule for `203.0.113.7/32` matches exactly one address.
//!
//! ```
//! use sourcelab_notebook::net::Cidr;
//! let vpc: Cidr = "10.0.0.0/16".parse().unwrap();
//! let subnets = vpc.subnets(24).unwrap();
//! assert_eq!(subnets.len(), 256);
//! assert_eq!(subnets[1].to_string(), "10.0.1.0/24");
//! assert!(vpc.contains("10.0.1.17".parse().unwrap()));
//! assert_eq!(vpc.size(), 65_536);
//! ```

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, Result};

/// An IPv4 block: a network address and a prefix length (0–32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    network: Ipv4Addr,
    prefix: u8,
}

impl Cidr {
    /// The block of `addr`/`prefix`; `addr` must be the network's first address (no host bits set).
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Result<Cidr> {
        let text = format!("{addr}/{prefix}");
        if prefix > 32 {
            return Err(bad(&text, "the prefix length is 0 to 32"));
        }
        let cidr = Cidr { network: addr, prefix };
        if u32::from(addr) & !cidr.mask() != 0 {
            let fixed = Ipv4Addr::from(u32::from(addr) & cidr.mask());
            return Err(bad(&text, &format!("host bits are set; the network address is {fixed}/{prefix}")));
        }
        Ok(cidr)
    }

    /// The network mask: `/24` → 255.255.255.0.
    fn mask(&self) -> u32 {
        if self.prefix == 0 { 0 } else { u32::MAX << (32 - self.prefix) }
    }

    /// The first address.
    pub fn network(&self) -> Ipv4Addr {
        self.network
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The netmask as an address, `255.255.255.0` for a `/24`.
    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.mask())
    }

    /// The last address.
    pub fn last(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) | !self.mask())
    }

    /// How many addresses the block holds (AWS keeps 5 of each subnet for itself).
    pub fn size(&self) -> u64 {
        1u64 << (32 - self.prefix)
    }

    /// Whether `addr` lies in the block.
    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        u32::from(addr) & self.mask() == u32::from(self.network)
    }

    /// Whether `other` lies entirely inside this block.
    pub fn covers(&self, other: &Cidr) -> bool {
        other.prefix >= self.prefix && self.contains(other.network)
    }

    /// The block split into blocks of prefix length `prefix`, in order.
    pub fn subnets(&self, prefix: u8) -> Result<Vec<Cidr>> {
        if prefix < self.prefix || prefix > 32 {
            return Err(bad(
                &self.to_string(),
                &format!("cannot split it into /{prefix} blocks; pick {} to 32", self.prefix),
            ));
        }
        let count = 1u64 << (prefix - self.prefix);
        if count > 65_536 {
            return Err(bad(&self.to_string(), &format!("/{prefix} would make {count} blocks; split in steps")));
        }
        let step = 1u64 << (32 - prefix);
        Ok((0..count)
            .map(|i| Cidr { network: Ipv4Addr::from((u64::from(u32::from(self.network)) + i * step) as u32), prefix })
            .collect())
    }
}

fn bad(text: &str, why: &str) -> Error {
    Error::new(ErrorKind::Input, format!("read CIDR block {text:?}"), why.to_string())
        .hint("write an address, a slash and a prefix length: 10.0.0.0/16")
}

impl FromStr for Cidr {
    type Err = Error;

    fn from_str(s: &str) -> Result<Cidr> {
        let (addr, prefix) = s.trim().split_once('/').ok_or_else(|| bad(s, "no /prefix"))?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| bad(s, "not an IPv4 address before the /"))?;
        let prefix: u8 = prefix.parse().map_err(|_| bad(s, "the prefix length is a number from 0 to 32"))?;
        Cidr::new(addr, prefix)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_split_and_contain() {
        let vpc: Cidr = "10.0.0.0/16".parse().unwrap();
        assert_eq!(
            (vpc.size(), vpc.last().to_string(), vpc.netmask().to_string()),
            (65_536, "10.0.255.255".into(), "255.255.0.0".into())
        );
        let subnets = vpc.subnets(24).unwrap();
        assert_eq!(subnets.last().unwrap().to_string(), "10.0.255.0/24");
        assert!(subnets.iter().all(|s| vpc.covers(s) && s.size() == 256));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.7".parse().unwrap()) && all.covers(&vpc));
        let one: Cidr = "203.0.113.7/32".parse().unwrap();
        assert!(one.contains("203.0.113.7".parse().unwrap()) && !one.contains("203.0.113.8".parse().unwrap()));
        assert_eq!(one.subnets(32).unwrap(), vec![one]);
    }

    #[test]
    fn bad_blocks_say_what_is_wrong() {
        for (text, want) in [
            ("10.0.0.1/16", "network address is 10.0.0.0/16"),
            ("10.0.0.0/33", "0 to 32"),
            ("10.0.0.0", "no /prefix"),
            ("10.0.300.0/24", "not an IPv4 address"),
        ] {
            let e = text.parse::<Cidr>().unwrap_err().to_string();
            assert!(e.contains(want) && e.contains(text), "{text}: {e}");
        }
        let vpc: Cidr = "10.0.0.0/16".parse().unwrap();
        assert!(vpc.subnets(8).unwrap_err().to_string().contains("16 to 32"));
    }
}
