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

use ipnet::Ipv4Net;

use crate::error::{Error, ErrorKind, Result};

/// An IPv4 block: a network address and a prefix length (0–32).
///
/// The arithmetic is the `ipnet` crate's (`Ipv4Net`); this type adds what a learner needs on top: it refuses a
/// block with host bits set (`10.0.0.1/16`) instead of keeping it, says which network was meant, and counts
/// addresses the way the AWS console does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr(Ipv4Net);

impl Cidr {
    /// The block of `addr`/`prefix`; `addr` must be the network's first address (no host bits set).
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Result<Cidr> {
        let text = format!("{addr}/{prefix}");
        let net = Ipv4Net::new(addr, prefix).map_err(|_| bad(&text, "the prefix length is 0 to 32"))?;
        if net.trunc() != net {
            return Err(bad(&text, &format!("host bits are set; the network address is {}", net.trunc())));
        }
        Ok(Cidr(net))
    }

    /// The first address.
    pub fn network(&self) -> Ipv4Addr {
        self.0.network()
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.0.prefix_len()
    }

    /// The netmask as an address, `255.255.255.0` for a `/24`.
    pub fn netmask(&self) -> Ipv4Addr {
        self.0.netmask()
    }

    /// The last address.
    pub fn last(&self) -> Ipv4Addr {
        self.0.broadcast()
    }

    /// How many addresses the block holds (AWS keeps 5 of each subnet for itself).
    pub fn size(&self) -> u64 {
        1u64 << (32 - self.prefix())
    }

    /// Whether `addr` lies in the block.
    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        self.0.contains(&addr)
    }

    /// Whether `other` lies entirely inside this block.
    pub fn covers(&self, other: &Cidr) -> bool {
        self.0.contains(&other.0)
    }

    /// The block split into blocks of prefix length `prefix`, in order.
    pub fn subnets(&self, prefix: u8) -> Result<Vec<Cidr>> {
        let count = 1u64.checked_shl(u32::from(prefix.saturating_sub(self.prefix()))).unwrap_or(u64::MAX);
        if count > 65_536 && prefix <= 32 {
            return Err(bad(&self.to_string(), &format!("/{prefix} would make {count} blocks; split in steps")));
        }
        let blocks = self.0.subnets(prefix).map_err(|_| {
            bad(&self.to_string(), &format!("cannot split it into /{prefix} blocks; pick {} to 32", self.prefix()))
        })?;
        Ok(blocks.map(Cidr).collect())
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
        write!(f, "{}/{}", self.network(), self.prefix())
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
