//! Whether a client can open a TCP connection to a database inside a VPC, decided the way AWS decides it.
//!
//! A packet from a client instance to a database crosses these checks, in this order — the same order as the
//! troubleshooting checklist of lab 4:
//!
//! 1. **Instance placement.** Client and database must be in the same VPC, or in two VPCs joined by an active
//!    peering connection. A VPC is a private network: nothing outside it can reach a private address inside it.
//! 2. **Route tables.** The client's subnet uses the route table associated with it (or the VPC's main table). The
//!    most specific route covering the database's address must lead there: `local` inside a VPC, the peering
//!    connection between two VPCs. The way back needs the same from the database's subnet.
//! 3. **Security groups** (stateful, on each network interface). The database's groups need an inbound rule for
//!    TCP on its port whose source is the client's address block or one of the client's groups; the client's groups
//!    need an outbound rule to the database. Replies to an allowed connection are always let back.
//! 4. **Network ACLs** (stateless, on each subnet; only between two different subnets). Rules are read in rule-number
//!    order and the first that matches decides; nothing matching means deny. Both directions need a rule: the
//!    request (to the database's port) and the reply (to the client's ephemeral port, 1024–65535).
//!
//! AWS never tells a client which check dropped its packet: the connection just times out. [`Network::connect`]
//! names the first check that fails, with the rule (or the missing rule) and the API call that fixes it.
//!
//! The lab-4 scenario (`sourcelab::lab4`) builds such a network in moto's EC2 API; the local gateway in front of
//! the database reads it back every second and lets a connection through only when [`Network::connect`] allows it.

use std::fmt;
use std::net::Ipv4Addr;

use crate::error::{Error, ErrorKind, Result};
use crate::net::Cidr;

/// A VPC: a private network with its own address block.
#[derive(Debug, Clone, PartialEq)]
pub struct Vpc {
    /// `vpc-…`
    pub id: String,
    /// Its `Name` tag, or the id.
    pub name: String,
    /// Its address block, e.g. `10.0.0.0/16`.
    pub cidr: Cidr,
}

/// A subnet: part of a VPC's address block, in one availability zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Subnet {
    /// `subnet-…`
    pub id: String,
    /// Its `Name` tag, or the id.
    pub name: String,
    /// The VPC it belongs to.
    pub vpc_id: String,
    /// Its address block, inside the VPC's.
    pub cidr: Cidr,
}

/// A route table and the subnets it serves.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteTable {
    /// `rtb-…`
    pub id: String,
    /// The VPC it belongs to.
    pub vpc_id: String,
    /// Whether it is the VPC's main table (used by every subnet without an association of its own).
    pub main: bool,
    /// Subnets explicitly associated with it.
    pub subnet_ids: Vec<String>,
    /// Its routes.
    pub routes: Vec<Route>,
}

/// One route: where traffic for a block of addresses goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// The destination block (`0.0.0.0/0` is everything).
    pub destination: Cidr,
    /// `local`, `igw-…`, `nat-…`, `pcx-…` (a peering connection), …
    pub target: String,
}

/// A security group: stateful allow rules attached to network interfaces.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityGroup {
    /// `sg-…`
    pub id: String,
    /// Its group name.
    pub name: String,
    /// The VPC it belongs to.
    pub vpc_id: String,
    /// Inbound rules.
    pub ingress: Vec<Permission>,
    /// Outbound rules.
    pub egress: Vec<Permission>,
}

/// One security-group rule: a protocol and port range, from (or to) address blocks or other groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    /// `-1` (all), `tcp`, `udp`, `icmp` or a protocol number.
    pub protocol: String,
    /// The port range; ignored when the protocol is `-1`.
    pub ports: (u16, u16),
    /// Address blocks it allows.
    pub cidrs: Vec<Cidr>,
    /// Security groups it allows (every interface that carries one of them).
    pub group_ids: Vec<String>,
}

/// A network ACL: stateless, numbered allow/deny rules for the subnets associated with it.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkAcl {
    /// `acl-…`
    pub id: String,
    /// The VPC it belongs to.
    pub vpc_id: String,
    /// Whether it is the VPC's default ACL (used by every subnet without an association of its own).
    pub default: bool,
    /// Subnets associated with it.
    pub subnet_ids: Vec<String>,
    /// Its rules, both directions.
    pub entries: Vec<AclEntry>,
}

/// One network-ACL rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AclEntry {
    /// The rule number: lower numbers are read first.
    pub rule: i32,
    /// Outbound (true) or inbound (false).
    pub egress: bool,
    /// `-1` (all), `tcp`, `udp`, `icmp` or a protocol number.
    pub protocol: String,
    /// The port range, when the rule has one (all ports when `None`).
    pub ports: Option<(u16, u16)>,
    /// The address block on the other side.
    pub cidr: Cidr,
    /// Allow (true) or deny (false).
    pub allow: bool,
}

/// A VPC peering connection between two VPCs.
#[derive(Debug, Clone, PartialEq)]
pub struct Peering {
    /// `pcx-…`
    pub id: String,
    /// One VPC.
    pub requester_vpc_id: String,
    /// The other VPC.
    pub accepter_vpc_id: String,
    /// Whether it is active (accepted).
    pub active: bool,
}

/// Something with a private address in a subnet: an EC2 instance or a database's network interface.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    /// What to call it (an instance's `Name` tag, the database's identifier).
    pub name: String,
    /// Its private address.
    pub ip: Ipv4Addr,
    /// Its subnet.
    pub subnet_id: String,
    /// Its security groups.
    pub group_ids: Vec<String>,
}

/// A VPC network as the EC2 API describes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Network {
    /// VPCs.
    pub vpcs: Vec<Vpc>,
    /// Subnets.
    pub subnets: Vec<Subnet>,
    /// Route tables.
    pub route_tables: Vec<RouteTable>,
    /// Security groups.
    pub security_groups: Vec<SecurityGroup>,
    /// Network ACLs.
    pub network_acls: Vec<NetworkAcl>,
    /// VPC peering connections.
    pub peerings: Vec<Peering>,
    /// Instances and database interfaces.
    pub hosts: Vec<Host>,
}

/// Which place of the troubleshooting checklist stops a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Client and database are in different VPCs (and not peered), or a subnet is unknown.
    InstancePlacement,
    /// A subnet's route table has no route to the other side.
    RouteTables,
    /// A subnet has no route table at all (no association and no main table).
    RouteTableAssociations,
    /// No security-group rule allows the connection.
    SecurityGroups,
    /// A network-ACL rule denies the request or the reply.
    NetworkAcls,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Place::InstancePlacement => "instance placement",
            Place::RouteTables => "route tables",
            Place::RouteTableAssociations => "route-table associations",
            Place::SecurityGroups => "security groups",
            Place::NetworkAcls => "network ACLs",
        })
    }
}

/// Why a connection cannot be made: the place, what blocks it, and the fix.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The checklist place.
    pub place: Place,
    /// What blocks it, naming the resource and rule.
    pub reason: String,
    /// The API call (or choice) that fixes it.
    pub fix: String,
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}\n  fix: {}", self.place, self.reason, self.fix)
    }
}

fn protocol_is_tcp(protocol: &str) -> bool {
    matches!(protocol, "-1" | "tcp" | "6" | "all")
}

impl Permission {
    fn allows_tcp(&self, port: u16) -> bool {
        protocol_is_tcp(&self.protocol) && (self.protocol == "-1" || (self.ports.0..=self.ports.1).contains(&port))
    }
}

impl AclEntry {
    fn matches(&self, egress: bool, port: u16, remote: Ipv4Addr) -> bool {
        self.egress == egress
            && protocol_is_tcp(&self.protocol)
            && self.ports.is_none_or(|(lo, hi)| self.protocol == "-1" || (lo..=hi).contains(&port))
            && self.cidr.contains(remote)
    }

    fn describe(&self) -> String {
        let ports = match self.ports {
            Some((lo, hi)) if self.protocol != "-1" && lo == hi => format!(" port {lo}"),
            Some((lo, hi)) if self.protocol != "-1" => format!(" ports {lo}-{hi}"),
            _ => String::new(),
        };
        let proto = if self.protocol == "-1" { "all traffic".to_string() } else { self.protocol.clone() };
        let action = if self.allow { "allow" } else { "deny" };
        let dir = if self.egress { "to" } else { "from" };
        format!("rule {} ({action} {proto}{ports} {dir} {})", self.rule, self.cidr)
    }
}

impl Network {
    /// The VPC whose Name is `name`.
    pub fn vpc(&self, name: &str) -> Option<&Vpc> {
        self.vpcs.iter().find(|v| v.name == name)
    }

    /// The host (instance or database interface) called `name`.
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    fn subnet(&self, id: &str) -> Option<&Subnet> {
        self.subnets.iter().find(|s| s.id == id)
    }

    fn vpc_name(&self, id: &str) -> String {
        self.vpcs.iter().find(|v| v.id == id).map(|v| format!("{} ({id})", v.name)).unwrap_or_else(|| id.to_string())
    }

    fn group_name(&self, id: &str) -> String {
        self.security_groups.iter().find(|g| g.id == id).map(|g| format!("{} ({id})", g.name)).unwrap_or(id.into())
    }

    /// The active peering connection between two VPCs, if any.
    fn peering(&self, a: &str, b: &str) -> Option<&Peering> {
        self.peerings.iter().find(|p| {
            p.active
                && ((p.requester_vpc_id == a && p.accepter_vpc_id == b)
                    || (p.requester_vpc_id == b && p.accepter_vpc_id == a))
        })
    }

    /// The route table a subnet uses: its own association, else the VPC's main table.
    fn route_table(&self, subnet: &Subnet) -> Option<&RouteTable> {
        let in_vpc = || self.route_tables.iter().filter(|t| t.vpc_id == subnet.vpc_id);
        in_vpc().find(|t| t.subnet_ids.contains(&subnet.id)).or_else(|| in_vpc().find(|t| t.main))
    }

    /// The network ACL a subnet uses: its own association, else the VPC's default ACL.
    fn acl(&self, subnet: &Subnet) -> Option<&NetworkAcl> {
        let in_vpc = || self.network_acls.iter().filter(|a| a.vpc_id == subnet.vpc_id);
        in_vpc().find(|a| a.subnet_ids.contains(&subnet.id)).or_else(|| in_vpc().find(|a| a.default))
    }

    /// Checks that `from`'s subnet routes traffic for `to` where it must go (`local`, or the peering connection).
    fn route(&self, from: &Subnet, to: Ipv4Addr, via: &str) -> Result<(), Block> {
        let Some(table) = self.route_table(from) else {
            return Err(Block {
                place: Place::RouteTableAssociations,
                reason: format!("subnet {} has no route table: no association and no main table", from.name),
                fix: format!("associate_route_table with subnet {}", from.id),
            });
        };
        let best = table.routes.iter().filter(|r| r.destination.contains(to)).max_by_key(|r| r.destination.prefix());
        match best {
            Some(r) if r.target == via => Ok(()),
            Some(r) => Err(Block {
                place: Place::RouteTables,
                reason: format!(
                    "route table {} (subnet {}) sends {to} to {} via {}, not {via}",
                    table.id, from.name, r.destination, r.target
                ),
                fix: format!("create_route in {} for {to}'s block to {via}", table.id),
            }),
            None => Err(Block {
                place: Place::RouteTables,
                reason: format!("route table {} (subnet {}) has no route covering {to}", table.id, from.name),
                fix: format!("create_route in {} for {to}'s block to {via}", table.id),
            }),
        }
    }

    /// The first ACL rule (by number) that matches decides; none matching is a deny.
    fn acl_allows(&self, subnet: &Subnet, egress: bool, port: u16, remote: Ipv4Addr) -> Result<(), Block> {
        let Some(acl) = self.acl(subnet) else { return Ok(()) };
        let mut entries: Vec<&AclEntry> = acl.entries.iter().collect();
        entries.sort_by_key(|e| e.rule);
        let dir = if egress { "outbound" } else { "inbound" };
        let what = format!("{dir} TCP port {port} {} {remote}", if egress { "to" } else { "from" });
        match entries.into_iter().find(|e| e.matches(egress, port, remote)) {
            Some(e) if e.allow => Ok(()),
            Some(e) => Err(Block {
                place: Place::NetworkAcls,
                reason: format!("network ACL {} (subnet {}) denies {what} by {}", acl.id, subnet.name, e.describe()),
                fix: format!(
                    "create_network_acl_entry in {} with a lower rule number than {} that allows it, or delete_network_acl_entry {}",
                    acl.id, e.rule, e.rule
                ),
            }),
            None => Err(Block {
                place: Place::NetworkAcls,
                reason: format!("network ACL {} (subnet {}) has no rule allowing {what}", acl.id, subnet.name),
                fix: format!("create_network_acl_entry in {} allowing it", acl.id),
            }),
        }
    }

    fn groups_allow(&self, groups: &[String], inbound: bool, port: u16, peer: &Host) -> bool {
        self.security_groups.iter().filter(|g| groups.contains(&g.id)).any(|g| {
            let rules = if inbound { &g.ingress } else { &g.egress };
            rules.iter().any(|p| {
                p.allows_tcp(port)
                    && (p.cidrs.iter().any(|c| c.contains(peer.ip))
                        || p.group_ids.iter().any(|id| peer.group_ids.contains(id)))
            })
        })
    }

    /// Whether `client` can open TCP to `server` on `port`, with the client using `client_port` for its side;
    /// else the first place that blocks it.
    pub fn connect(&self, client: &Host, server: &Host, port: u16, client_port: u16) -> Result<(), Block> {
        let unknown = |h: &Host| Block {
            place: Place::InstancePlacement,
            reason: format!("{}'s subnet {} is not in this VPC model", h.name, h.subnet_id),
            fix: "read the model again (the subnet may have been deleted)".into(),
        };
        let cs = self.subnet(&client.subnet_id).ok_or_else(|| unknown(client))?;
        let ss = self.subnet(&server.subnet_id).ok_or_else(|| unknown(server))?;

        // 1. Placement: same VPC, or an active peering.
        let via = if cs.vpc_id == ss.vpc_id {
            "local".to_string()
        } else if let Some(p) = self.peering(&cs.vpc_id, &ss.vpc_id) {
            p.id.clone()
        } else {
            let same_vpc: Vec<&str> = self
                .hosts
                .iter()
                .filter(|h| h.name != server.name && self.subnet(&h.subnet_id).is_some_and(|s| s.vpc_id == ss.vpc_id))
                .map(|h| h.name.as_str())
                .collect();
            return Err(Block {
                place: Place::InstancePlacement,
                reason: format!(
                    "{} is in VPC {} and {} in VPC {}: different private networks, no peering",
                    client.name,
                    self.vpc_name(&cs.vpc_id),
                    server.name,
                    self.vpc_name(&ss.vpc_id)
                ),
                fix: if same_vpc.is_empty() {
                    format!("launch a client in VPC {} (or peer the two VPCs)", ss.vpc_id)
                } else {
                    format!("connect from a client in the database's VPC: {}", same_vpc.join(", "))
                },
            });
        };

        // 2. Routes, both ways.
        self.route(cs, server.ip, &via)?;
        self.route(ss, client.ip, &via)?;

        // 3. Security groups (stateful: replies need no rule).
        if !self.groups_allow(&server.group_ids, true, port, client) {
            let names: Vec<String> = server.group_ids.iter().map(|g| self.group_name(g)).collect();
            return Err(Block {
                place: Place::SecurityGroups,
                reason: format!(
                    "{}'s security group {} has no inbound rule for TCP {port} from {} ({} or its groups)",
                    server.name,
                    names.join(", "),
                    client.name,
                    client.ip
                ),
                fix: format!(
                    "authorize_security_group_ingress on {} for TCP {port} from the client's group {}",
                    server.group_ids.first().map(String::as_str).unwrap_or("the database's group"),
                    client.group_ids.first().map(String::as_str).unwrap_or("(none)")
                ),
            });
        }
        if !self.groups_allow(&client.group_ids, false, port, server) {
            let names: Vec<String> = client.group_ids.iter().map(|g| self.group_name(g)).collect();
            return Err(Block {
                place: Place::SecurityGroups,
                reason: format!(
                    "{}'s security group {} has no outbound rule for TCP {port} to {}",
                    client.name,
                    names.join(", "),
                    server.ip
                ),
                fix: format!(
                    "authorize_security_group_egress on {} for TCP {port}",
                    client.group_ids.first().map(String::as_str).unwrap_or("the client's group")
                ),
            });
        }

        // 4. Network ACLs, only between two subnets; stateless, so the reply needs its own rules.
        if cs.id != ss.id {
            self.acl_allows(cs, true, port, server.ip)?;
            self.acl_allows(ss, false, port, client.ip)?;
            self.acl_allows(ss, true, client_port, client.ip)?;
            self.acl_allows(cs, false, client_port, server.ip)?;
        }
        Ok(())
    }
}

impl Permission {
    fn describe(&self, net: &Network, dir: &str) -> String {
        let what = match (self.protocol.as_str(), self.ports) {
            ("-1", _) => "all traffic".to_string(),
            (p, (lo, hi)) if lo == hi => format!("{p} {lo}"),
            (p, (lo, hi)) => format!("{p} {lo}-{hi}"),
        };
        let mut peers: Vec<String> = self.cidrs.iter().map(Cidr::to_string).collect();
        peers.extend(self.group_ids.iter().map(|g| format!("group {}", net.group_name(g))));
        format!("{what} {dir} {}", peers.join(", "))
    }
}

/// Shows its text when it ends a notebook cell.
impl crate::frame::Show for Network {}

impl fmt::Display for Network {
    /// The network as a learner reads it in the console: VPCs with their subnets (route table, network ACL,
    /// hosts), then the security groups with their rules.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for v in &self.vpcs {
            writeln!(f, "VPC {} {}", self.vpc_name(&v.id), v.cidr)?;
            for s in self.subnets.iter().filter(|s| s.vpc_id == v.id) {
                writeln!(f, "  subnet {} {}", s.name, s.cidr)?;
                if let Some(t) = self.route_table(s) {
                    let routes: Vec<String> =
                        t.routes.iter().map(|r| format!("{} → {}", r.destination, r.target)).collect();
                    writeln!(f, "    route table {}: {}", t.id, routes.join(", "))?;
                }
                if let Some(a) = self.acl(s) {
                    let mut entries: Vec<&AclEntry> = a.entries.iter().collect();
                    entries.sort_by_key(|e| (e.egress, e.rule));
                    let rules: Vec<String> = entries
                        .iter()
                        .map(|e| format!("{} {}", if e.egress { "out" } else { "in" }, e.describe()))
                        .collect();
                    writeln!(f, "    network ACL {}: {}", a.id, rules.join("; "))?;
                }
                for h in self.hosts.iter().filter(|h| h.subnet_id == s.id) {
                    let groups: Vec<String> = h.group_ids.iter().map(|g| self.group_name(g)).collect();
                    writeln!(f, "    host {} {} groups {}", h.name, h.ip, groups.join(", "))?;
                }
            }
        }
        for g in &self.security_groups {
            writeln!(f, "security group {} in {}", self.group_name(&g.id), self.vpc_name(&g.vpc_id))?;
            for p in &g.ingress {
                writeln!(f, "  in:  {}", p.describe(self, "from"))?;
            }
            for p in &g.egress {
                writeln!(f, "  out: {}", p.describe(self, "to"))?;
            }
        }
        Ok(())
    }
}

impl Network {
    /// Only the VPCs named (Name tag) in `names`, with what belongs to them: hides the default VPC and others.
    pub fn only(mut self, names: &[&str]) -> Network {
        let ids: Vec<String> =
            self.vpcs.iter().filter(|v| names.contains(&v.name.as_str())).map(|v| v.id.clone()).collect();
        let keep = |id: &String| ids.contains(id);
        self.vpcs.retain(|v| keep(&v.id));
        self.subnets.retain(|s| keep(&s.vpc_id));
        self.route_tables.retain(|t| keep(&t.vpc_id));
        self.security_groups.retain(|g| keep(&g.vpc_id));
        self.network_acls.retain(|a| keep(&a.vpc_id));
        self.peerings.retain(|p| keep(&p.requester_vpc_id) || keep(&p.accepter_vpc_id));
        let subnets: Vec<String> = self.subnets.iter().map(|s| s.id.clone()).collect();
        self.hosts.retain(|h| subnets.contains(&h.subnet_id));
        self
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the network from the EC2 API
// ---------------------------------------------------------------------------------------------------------------

fn name_tag(tags: &[aws_sdk_ec2::types::Tag]) -> Option<String> {
    tags.iter().find(|t| t.key() == Some("Name")).and_then(|t| t.value()).map(str::to_string)
}

fn cidr_of(text: Option<&str>, what: &str) -> Result<Cidr> {
    let text = text.unwrap_or_default();
    text.parse().map_err(|e: Error| Error::new(ErrorKind::Service, format!("read {what} from EC2"), e.to_string()))
}

fn permissions(list: &[aws_sdk_ec2::types::IpPermission]) -> Vec<Permission> {
    list.iter()
        .map(|p| Permission {
            protocol: p.ip_protocol().unwrap_or("-1").to_string(),
            ports: (
                p.from_port().unwrap_or(0).clamp(0, 65535) as u16,
                p.to_port().unwrap_or(65535).clamp(0, 65535) as u16,
            ),
            cidrs: p.ip_ranges().iter().filter_map(|r| r.cidr_ip()?.parse().ok()).collect(),
            group_ids: p.user_id_group_pairs().iter().filter_map(|g| g.group_id().map(str::to_string)).collect(),
        })
        .collect()
}

impl Network {
    /// Reads the whole network (IPv4 only) from the EC2 API: VPCs, subnets, route tables, security groups,
    /// network ACLs, active peerings, running instances and the named network interfaces (a database's).
    pub async fn read(ec2: &aws_sdk_ec2::Client, endpoint: Option<&str>) -> Result<Network> {
        let at = |call: &str| format!("read the VPC network ({call})");
        let mut net = Network::default();
        for v in ec2.describe_vpcs().send().await.map_err(crate::error::aws_fn(at("describe_vpcs"), endpoint))?.vpcs() {
            let id = v.vpc_id().unwrap_or_default().to_string();
            net.vpcs.push(Vpc {
                name: name_tag(v.tags()).unwrap_or_else(|| id.clone()),
                cidr: cidr_of(v.cidr_block(), &id)?,
                id,
            });
        }
        for s in ec2
            .describe_subnets()
            .send()
            .await
            .map_err(crate::error::aws_fn(at("describe_subnets"), endpoint))?
            .subnets()
        {
            let id = s.subnet_id().unwrap_or_default().to_string();
            net.subnets.push(Subnet {
                name: name_tag(s.tags()).unwrap_or_else(|| id.clone()),
                vpc_id: s.vpc_id().unwrap_or_default().to_string(),
                cidr: cidr_of(s.cidr_block(), &id)?,
                id,
            });
        }
        for t in ec2
            .describe_route_tables()
            .send()
            .await
            .map_err(crate::error::aws_fn(at("describe_route_tables"), endpoint))?
            .route_tables()
        {
            let routes = t
                .routes()
                .iter()
                .filter_map(|r| {
                    let destination = r.destination_cidr_block()?.parse().ok()?;
                    let target = r
                        .gateway_id()
                        .or(r.vpc_peering_connection_id())
                        .or(r.nat_gateway_id())
                        .or(r.network_interface_id())
                        .or(r.transit_gateway_id())
                        .unwrap_or("blackhole");
                    Some(Route { destination, target: target.to_string() })
                })
                .collect();
            net.route_tables.push(RouteTable {
                id: t.route_table_id().unwrap_or_default().to_string(),
                vpc_id: t.vpc_id().unwrap_or_default().to_string(),
                main: t.associations().iter().any(|a| a.main() == Some(true)),
                subnet_ids: t.associations().iter().filter_map(|a| a.subnet_id().map(str::to_string)).collect(),
                routes,
            });
        }
        let groups = ec2
            .describe_security_groups()
            .send()
            .await
            .map_err(crate::error::aws_fn(at("describe_security_groups"), endpoint))?;
        for g in groups.security_groups() {
            net.security_groups.push(SecurityGroup {
                id: g.group_id().unwrap_or_default().to_string(),
                name: g.group_name().unwrap_or_default().to_string(),
                vpc_id: g.vpc_id().unwrap_or_default().to_string(),
                ingress: permissions(g.ip_permissions()),
                egress: permissions(g.ip_permissions_egress()),
            });
        }
        for a in ec2
            .describe_network_acls()
            .send()
            .await
            .map_err(crate::error::aws_fn(at("describe_network_acls"), endpoint))?
            .network_acls()
        {
            let entries = a
                .entries()
                .iter()
                .filter_map(|e| {
                    Some(AclEntry {
                        rule: e.rule_number()?,
                        egress: e.egress().unwrap_or(false),
                        protocol: e.protocol().unwrap_or("-1").to_string(),
                        ports: e.port_range().map(|p| {
                            (
                                p.from().unwrap_or(0).clamp(0, 65535) as u16,
                                p.to().unwrap_or(65535).clamp(0, 65535) as u16,
                            )
                        }),
                        cidr: e.cidr_block()?.parse().ok()?,
                        allow: e.rule_action() == Some(&aws_sdk_ec2::types::RuleAction::Allow),
                    })
                })
                .collect();
            net.network_acls.push(NetworkAcl {
                id: a.network_acl_id().unwrap_or_default().to_string(),
                vpc_id: a.vpc_id().unwrap_or_default().to_string(),
                default: a.is_default() == Some(true),
                subnet_ids: a.associations().iter().filter_map(|s| s.subnet_id().map(str::to_string)).collect(),
                entries,
            });
        }
        let peerings = ec2
            .describe_vpc_peering_connections()
            .send()
            .await
            .map_err(crate::error::aws_fn(at("describe_vpc_peering_connections"), endpoint))?;
        for p in peerings.vpc_peering_connections() {
            use aws_sdk_ec2::types::VpcPeeringConnectionStateReasonCode as Code;
            net.peerings.push(Peering {
                id: p.vpc_peering_connection_id().unwrap_or_default().to_string(),
                requester_vpc_id: p.requester_vpc_info().and_then(|v| v.vpc_id()).unwrap_or_default().to_string(),
                accepter_vpc_id: p.accepter_vpc_info().and_then(|v| v.vpc_id()).unwrap_or_default().to_string(),
                active: p.status().and_then(|s| s.code()) == Some(&Code::Active),
            });
        }
        let mut pages = ec2.describe_instances().into_paginator().send();
        while let Some(page) = pages.next().await {
            for r in page.map_err(crate::error::aws_fn(at("describe_instances"), endpoint))?.reservations() {
                for i in r.instances() {
                    use aws_sdk_ec2::types::InstanceStateName as State;
                    let gone =
                        matches!(i.state().and_then(|s| s.name()), Some(State::Terminated | State::ShuttingDown));
                    let (Some(name), Some(ip), Some(subnet), false) =
                        (name_tag(i.tags()), i.private_ip_address().and_then(|a| a.parse().ok()), i.subnet_id(), gone)
                    else {
                        continue;
                    };
                    let group_ids =
                        i.security_groups().iter().filter_map(|g| g.group_id().map(str::to_string)).collect();
                    net.hosts.push(Host { name, ip, subnet_id: subnet.to_string(), group_ids });
                }
            }
        }
        let enis = ec2
            .describe_network_interfaces()
            .send()
            .await
            .map_err(crate::error::aws_fn(at("describe_network_interfaces"), endpoint))?;
        for n in enis.network_interfaces() {
            let (Some(name), Some(ip), Some(subnet)) =
                (name_tag(n.tag_set()), n.private_ip_address().and_then(|a| a.parse().ok()), n.subnet_id())
            else {
                continue;
            };
            let group_ids = n.groups().iter().filter_map(|g| g.group_id().map(str::to_string)).collect();
            net.hosts.push(Host { name, ip, subnet_id: subnet.to_string(), group_ids });
        }
        Ok(net)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    fn allow_all(egress: bool) -> AclEntry {
        AclEntry { rule: 100, egress, protocol: "-1".into(), ports: None, cidr: cidr("0.0.0.0/0"), allow: true }
    }

    /// Lab 4, version B: the database and a bastion in the lab VPC (two subnets), an external bastion elsewhere.
    fn lab() -> Network {
        let vpc = |id: &str, block: &str| Vpc { id: id.into(), name: id.into(), cidr: cidr(block) };
        let subnet = |id: &str, vpc: &str, block: &str| Subnet {
            id: id.into(),
            name: id.into(),
            vpc_id: vpc.into(),
            cidr: cidr(block),
        };
        let table = |id: &str, vpc: &str, block: &str| RouteTable {
            id: id.into(),
            vpc_id: vpc.into(),
            main: true,
            subnet_ids: vec![],
            routes: vec![
                Route { destination: cidr(block), target: "local".into() },
                Route { destination: cidr("0.0.0.0/0"), target: "igw-1".into() },
            ],
        };
        let acl = |id: &str, vpc: &str| NetworkAcl {
            id: id.into(),
            vpc_id: vpc.into(),
            default: true,
            subnet_ids: vec![],
            entries: vec![allow_all(false), allow_all(true)],
        };
        let everything_out =
            Permission { protocol: "-1".into(), ports: (0, 0), cidrs: vec![cidr("0.0.0.0/0")], group_ids: vec![] };
        let group = |id: &str, vpc: &str| SecurityGroup {
            id: id.into(),
            name: id.into(),
            vpc_id: vpc.into(),
            ingress: vec![Permission {
                protocol: "-1".into(),
                ports: (0, 0),
                cidrs: vec![],
                group_ids: vec![id.into()],
            }],
            egress: vec![everything_out.clone()],
        };
        let host = |name: &str, ip: &str, subnet: &str, sg: &str| Host {
            name: name.into(),
            ip: ip.parse().unwrap(),
            subnet_id: subnet.into(),
            group_ids: vec![sg.into()],
        };
        Network {
            vpcs: vec![vpc("vpc-lab", "10.0.0.0/16"), vpc("vpc-ext", "10.1.0.0/16")],
            subnets: vec![
                subnet("subnet-a", "vpc-lab", "10.0.1.0/24"),
                subnet("subnet-b", "vpc-lab", "10.0.2.0/24"),
                subnet("subnet-x", "vpc-ext", "10.1.1.0/24"),
            ],
            route_tables: vec![table("rtb-lab", "vpc-lab", "10.0.0.0/16"), table("rtb-ext", "vpc-ext", "10.1.0.0/16")],
            security_groups: vec![
                group("sg-db", "vpc-lab"),
                group("sg-bastion", "vpc-lab"),
                group("sg-ext", "vpc-ext"),
            ],
            network_acls: vec![acl("acl-lab", "vpc-lab"), acl("acl-ext", "vpc-ext")],
            peerings: vec![],
            hosts: vec![
                host("db", "10.0.2.10", "subnet-b", "sg-db"),
                host("bastion", "10.0.1.10", "subnet-a", "sg-bastion"),
                host("external", "10.1.1.10", "subnet-x", "sg-ext"),
            ],
        }
    }

    fn check(net: &Network, client: &str) -> Result<(), Block> {
        net.connect(net.host(client).unwrap(), net.host("db").unwrap(), 5432, 50000)
    }

    fn allow_5432_from(net: &mut Network, source: Permission) {
        net.security_groups.iter_mut().find(|g| g.id == "sg-db").unwrap().ingress.push(source);
    }

    fn tcp_5432() -> Permission {
        Permission { protocol: "tcp".into(), ports: (5432, 5432), cidrs: vec![], group_ids: vec![] }
    }

    #[test]
    fn the_labs_problems_in_order() {
        let mut net = lab();
        let e = check(&net, "external").unwrap_err();
        assert_eq!(e.place, Place::InstancePlacement);
        assert!(e.fix.contains("bastion"), "{e}");
        // Right VPC, but the database's group only lets its own members in.
        let e = check(&net, "bastion").unwrap_err();
        assert_eq!(e.place, Place::SecurityGroups);
        assert!(e.reason.contains("sg-db") && e.fix.contains("sg-bastion"), "{e}");
        allow_5432_from(&mut net, Permission { group_ids: vec!["sg-bastion".into()], ..tcp_5432() });
        assert_eq!(check(&net, "bastion"), Ok(()));
        // A rule for another port or another group does not help.
        let mut other = lab();
        allow_5432_from(
            &mut other,
            Permission { ports: (3306, 3306), group_ids: vec!["sg-bastion".into()], ..tcp_5432() },
        );
        allow_5432_from(&mut other, Permission { group_ids: vec!["sg-ext".into()], ..tcp_5432() });
        assert_eq!(check(&other, "bastion").unwrap_err().place, Place::SecurityGroups);
        // A CIDR source works too.
        let mut by_block = lab();
        allow_5432_from(&mut by_block, Permission { cidrs: vec![cidr("10.0.1.0/24")], ..tcp_5432() });
        assert_eq!(check(&by_block, "bastion"), Ok(()));
    }

    #[test]
    fn acls_are_ordered_and_stateless() {
        let mut net = lab();
        allow_5432_from(&mut net, Permission { cidrs: vec![cidr("0.0.0.0/0")], ..tcp_5432() });
        fn acl(net: &mut Network) -> &mut NetworkAcl {
            &mut net.network_acls[0]
        }
        // A deny numbered before the allow wins.
        acl(&mut net).entries.push(AclEntry {
            rule: 50,
            egress: false,
            protocol: "tcp".into(),
            ports: Some((5432, 5432)),
            cidr: cidr("10.0.1.0/24"),
            allow: false,
        });
        let e = check(&net, "bastion").unwrap_err();
        assert_eq!(e.place, Place::NetworkAcls);
        assert!(e.reason.contains("rule 50"), "{e}");
        // Allow requests in but let no replies out: still blocked (stateless).
        acl(&mut net).entries = vec![
            allow_all(false),
            AclEntry {
                rule: 100,
                egress: true,
                protocol: "tcp".into(),
                ports: Some((5432, 5432)),
                cidr: cidr("0.0.0.0/0"),
                allow: true,
            },
        ];
        let e = check(&net, "bastion").unwrap_err();
        assert!(e.reason.contains("outbound TCP port 50000"), "{e}");
        // Ephemeral ports out: open.
        acl(&mut net).entries.push(AclEntry {
            rule: 110,
            egress: true,
            protocol: "tcp".into(),
            ports: Some((1024, 65535)),
            cidr: cidr("10.0.0.0/16"),
            allow: true,
        });
        assert_eq!(check(&net, "bastion"), Ok(()));
        // Within one subnet ACLs do not apply.
        let mut same = net.clone();
        same.network_acls[0].entries.clear();
        same.hosts[1].subnet_id = "subnet-b".into();
        same.hosts[1].ip = "10.0.2.11".parse().unwrap();
        assert_eq!(check(&same, "bastion"), Ok(()));
    }

    #[test]
    fn routes_and_peering() {
        let mut net = lab();
        allow_5432_from(&mut net, Permission { cidrs: vec![cidr("10.1.0.0/16")], ..tcp_5432() });
        net.peerings.push(Peering {
            id: "pcx-1".into(),
            requester_vpc_id: "vpc-ext".into(),
            accepter_vpc_id: "vpc-lab".into(),
            active: true,
        });
        // Peered, but the external VPC's table sends 10.0.2.10 to the internet gateway.
        let e = check(&net, "external").unwrap_err();
        assert_eq!(e.place, Place::RouteTables);
        assert!(e.reason.contains("rtb-ext") && e.reason.contains("igw-1"), "{e}");
        net.route_tables[1].routes.push(Route { destination: cidr("10.0.0.0/16"), target: "pcx-1".into() });
        assert!(check(&net, "external").unwrap_err().reason.contains("rtb-lab"));
        net.route_tables[0].routes.push(Route { destination: cidr("10.1.0.0/16"), target: "pcx-1".into() });
        assert_eq!(check(&net, "external"), Ok(()));
        // A subnet without any table.
        net.route_tables[0].main = false;
        assert_eq!(check(&net, "external").unwrap_err().place, Place::RouteTableAssociations);
    }
}
