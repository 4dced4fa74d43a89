//! Lab 4 — a database you cannot reach, and why: the course's troubleshooting assignment with real failures.
//!
//! On AWS the lab gives you an RDS PostgreSQL instance in a VPC and a client (an EC2 "bastion host") that cannot
//! reach it. You work down the layers one at a time:
//!
//! 1. the client sits in **another VPC** — the connection hangs and times out;
//! 2. the database's **security group** has no inbound rule for TCP 5432 — it still times out;
//! 3. the **password** DevOps gave you was changed — `password authentication failed`;
//! 4. the data file in S3 is blocked by a **bucket policy** that denies GetObject — `403 Forbidden`.
//!
//! [`Lab4::setup`] builds the same situation locally. In moto's EC2 API: the lab VPC (`de-c2w1a1`, 10.0.0.0/16,
//! two public subnets behind an internet gateway), a second VPC for the external bastion, a bastion instance in
//! each, and the database's network interface with a security group that only admits its own members. In moto's
//! RDS API: the instance `de-c2w1a1-rds`, whose endpoint port is the local gateway's. In PostgreSQL: the master
//! user with a password that is not the one first given. In S3: the data bucket with the ratings CSV under `csv/`
//! and a Deny policy. The gateway (`crate::local::gateway`) stands where the RDS endpoint would: it reads the
//! EC2 network every half second and lets the chosen client through only when AWS would — so every failure is
//! real (a TCP timeout, PostgreSQL's own authentication error, S3's 403) and every fix is an API call.
//!
//! Where this differs from AWS: moto's RDS endpoint name (`….rds.amazonaws.com`) does not resolve here, so
//! [`Lab4::database`] connects to 127.0.0.1 on the endpoint's port; "switching to the other bastion" is
//! [`Lab4::use_client`] (on AWS you would log in to that machine); and moto evaluates bucket-policy conditions
//! loosely (an `aws:SourceIp` condition is not checked against your address).

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, ResourceType, Tag, TagSpecification, UserIdGroupPair};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::{DbConfig, Engine, EnvFile, Secret, Service};
use crate::doctor::{Diagnosis, Step};
use crate::error::{Error, ErrorKind, Result};
use crate::local::Stack;
use crate::local::gateway::{Scene, SceneSource};
use crate::vpc::{Block, Network};

// The names a cell also uses live in the notebook crate, once for both sides.
pub use sourcelab_notebook::lab4::{
    BASTION, BASTION_GROUP, DATA_KEY, DATABASE_GROUP, DATABASE_ID, EXTERNAL_BASTION, EXTERNAL_GROUP, EXTERNAL_VPC,
    LAB_VPC,
};
/// The database's master user.
pub const MASTER_USER: &str = "dbadmin";
/// The database the lab loads.
pub const DATABASE_NAME: &str = "ratings";
/// The password DevOps first gives you (no longer valid).
pub const GIVEN_PASSWORD: &str = "devops-said-this-one";
/// PostgreSQL's port as the security groups see it.
pub const POSTGRES_PORT: u16 = 5432;
/// The table's DDL (`DROP TABLE IF EXISTS` + `CREATE TABLE ratings_training`).
pub fn ddl_path() -> PathBuf {
    crate::home().join("data").join("postgres").join("ratings_table.sql")
}

/// Every EC2 and RDS resource the scenario makes carries this tag (key, value), so `reset` and
/// `sourcelab aws cleanup` find them.
const TAG: (&str, &str) = (crate::course::account::LAB_TAG, "4");
/// The data bucket.
pub const BUCKET: &str = "de-c2w1a1-sourcelab-us-east-1-data";

/// What the scenario keeps between processes (`.sourcelab/lab4.json`, private): the chosen client and the real
/// password.
#[derive(Clone, Serialize, Deserialize)]
struct Saved {
    client: String,
    password: String,
    bucket: String,
}

fn saved_path(stack: &Stack) -> PathBuf {
    stack.state_dir().join("lab4.json")
}

fn load_saved(stack: &Stack) -> Result<Saved> {
    let path = saved_path(stack);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::io("read", &path, e)
            .hint("set the lab up first: `sourcelab lab4 setup` or, in a cell, `let lab = Lab4::setup()?;`")
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Error::new(ErrorKind::Config, format!("read {}", path.display()), e.to_string())
            .hint("run `sourcelab lab4 reset` to build the scenario again")
    })
}

fn save(stack: &Stack, saved: &Saved) -> Result<()> {
    let text = serde_json::to_string_pretty(saved)
        .map_err(|e| Error::new(ErrorKind::Io, "encode the lab 4 state", e.to_string()))?;
    crate::local::write_private(&saved_path(stack), &text)
}

/// Lab 4's scenario, set up and running.
#[derive(Clone)]
pub struct Lab4 {
    stack: Stack,
    env: EnvFile,
    bucket: String,
    gateway_port: u16,
}

impl std::fmt::Debug for Lab4 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab4").field("bucket", &self.bucket).field("gateway_port", &self.gateway_port).finish()
    }
}

async fn ec2_client(env: &EnvFile) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&env.aws().sdk_config(Service::Ec2).await)
}

async fn rds_client(env: &EnvFile) -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::new(&env.aws().sdk_config(Service::Rds).await)
}

fn tags(resource: ResourceType, name: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource)
        .tags(Tag::builder().key("Name").value(name).build())
        .tags(Tag::builder().key(TAG.0).value(TAG.1).build())
        .build()
}

fn rds_tag() -> aws_sdk_rds::types::Tag {
    aws_sdk_rds::types::Tag::builder().key(TAG.0).value(TAG.1).build()
}

fn ours() -> Filter {
    Filter::builder().name(format!("tag:{}", TAG.0)).values(TAG.1).build()
}

impl Lab4 {
    /// Builds the scenario from scratch (removing an earlier one): PostgreSQL user and database, the EC2 network,
    /// the RDS instance, the data bucket, and the gateway. You start on the external bastion.
    pub fn setup() -> Result<Lab4> {
        let stack = Stack::new();
        let env = stack.local_env().map_err(|e| e.hint("start the local stack first: `sourcelab up`"))?;
        let pg = stack.postgres()?;
        let password = crate::local::process::random_password()?;
        let gateway_port = stack.ensure_gateway()?;
        let env2 = env.clone();
        let pw = password.clone();
        let bucket = crate::wait(async move {
            teardown(&env2).await?;
            make_database(&pg, &pw).await?;
            build_network(&env2, gateway_port, &pw).await?;
            make_bucket(&env2).await
        })?;
        save(&stack, &Saved { client: EXTERNAL_BASTION.into(), password, bucket: bucket.clone() })?;
        // A gateway left open by an earlier run closes on its next read: wait for it.
        settle(&stack)?;
        Ok(Lab4 { stack, env, bucket, gateway_port })
    }

    /// The scenario set up earlier (by `sourcelab lab4 setup` or [`Lab4::setup`]); starts the gateway if it stopped.
    pub fn open() -> Result<Lab4> {
        let stack = Stack::new();
        let env = stack.local_env().map_err(|e| e.hint("start the local stack first: `sourcelab up`"))?;
        let saved = load_saved(&stack)?;
        let gateway_port = stack.ensure_gateway()?;
        Ok(Lab4 { stack, env, bucket: saved.bucket, gateway_port })
    }

    /// The env file the scenario uses (the local stack's).
    pub fn env(&self) -> &EnvFile {
        &self.env
    }

    /// The data bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The client you are working from now.
    pub fn client(&self) -> Result<String> {
        Ok(load_saved(&self.stack)?.client)
    }

    /// Work from another client instance (on AWS: log in to that machine). The gateway follows at once.
    pub fn use_client(&self, name: &str) -> Result<()> {
        let net = self.network()?;
        if net.host(name).is_none_or(|h| h.name == DATABASE_ID) {
            let clients: Vec<&str> = net.hosts.iter().map(|h| h.name.as_str()).filter(|n| *n != DATABASE_ID).collect();
            return Err(Error::new(ErrorKind::NotFound, format!("use client {name:?}"), "no such instance")
                .hint(format!("pick one of: {}", clients.join(", "))));
        }
        let mut saved = load_saved(&self.stack)?;
        saved.client = name.to_string();
        save(&self.stack, &saved)?;
        settle(&self.stack)
    }

    /// The password DevOps first gave you.
    pub fn given_password(&self) -> Secret {
        Secret::new(GIVEN_PASSWORD)
    }

    /// Asks DevOps again: the password they changed it to.
    pub fn ask_devops(&self) -> Result<Secret> {
        Ok(Secret::new(load_saved(&self.stack)?.password))
    }

    /// The RDS instance's endpoint as `describe_db_instances` reports it: (address, port).
    pub fn rds_endpoint(&self) -> Result<(String, u16)> {
        let env = self.env.clone();
        crate::wait(async move {
            let rds = rds_client(&env).await;
            let out = rds.describe_db_instances().db_instance_identifier(DATABASE_ID).send().await.map_err(|e| {
                crate::error::aws(
                    format!("describe RDS instance {DATABASE_ID}"),
                    env.aws().endpoint(Service::Rds).as_deref(),
                    e,
                )
            })?;
            let ep = out.db_instances().first().and_then(|d| d.endpoint()).ok_or_else(|| {
                Error::new(ErrorKind::NotFound, format!("describe RDS instance {DATABASE_ID}"), "it has no endpoint")
                    .hint("run `sourcelab lab4 reset`")
            })?;
            Ok((ep.address().unwrap_or_default().to_string(), ep.port().unwrap_or(0).clamp(0, 65535) as u16))
        })
    }

    /// Connection settings for the database with `password`: the RDS endpoint's port on 127.0.0.1 (the endpoint's
    /// name does not resolve outside AWS), the master user, the lab database.
    pub fn database(&self, password: &Secret) -> Result<DbConfig> {
        let (_, port) = self.rds_endpoint()?;
        Ok(DbConfig {
            engine: Engine::Postgres,
            host: "127.0.0.1".into(),
            port,
            database: DATABASE_NAME.into(),
            user: MASTER_USER.into(),
            password: password.clone(),
        })
    }

    /// The lab's two VPCs as the EC2 API describes them now (moto's default VPC left out).
    pub fn network(&self) -> Result<Network> {
        let env = self.env.clone();
        let net = crate::wait(async move {
            Network::read(&ec2_client(&env).await, env.aws().endpoint(Service::Ec2).as_deref()).await
        })?;
        Ok(net.only(&[LAB_VPC, EXTERNAL_VPC]))
    }

    /// What the gateway decides from: the network, the chosen client, the database.
    pub fn scene(&self) -> Result<Scene> {
        crate::wait(read_scene(&self.stack, &self.env))
    }

    /// Whether the chosen client can reach the database according to the EC2 network, and if not the first
    /// place that blocks it (what AWS never tells you).
    pub fn reachability(&self) -> Result<std::result::Result<(), Block>> {
        Ok(self.scene()?.verdict(crate::local::gateway::TYPICAL_CLIENT_PORT))
    }

    /// The doctor for this database, plus — when the TCP connection times out — the rule in the EC2 network that
    /// drops it.
    pub fn doctor(&self, cfg: &DbConfig, timeout: Duration) -> Result<Diagnosis> {
        let mut d = crate::doctor::database(cfg, timeout);
        let timed_out = d.failed().is_some_and(|s| s.name == "TCP connect" && s.kind == Some(ErrorKind::Timeout));
        if timed_out {
            let t = std::time::Instant::now();
            let step = match self.reachability()? {
                Err(b) => Step {
                    name: "EC2 network",
                    ok: false,
                    elapsed: t.elapsed(),
                    detail: format!("{}: {}", b.place, b.reason),
                    next: vec![b.fix],
                    kind: Some(ErrorKind::Connect),
                },
                Ok(()) => Step {
                    name: "EC2 network",
                    ok: true,
                    elapsed: t.elapsed(),
                    detail: "the network allows it; look at the database server itself".into(),
                    next: Vec::new(),
                    kind: None,
                },
            };
            d.steps.push(step);
        }
        Ok(d)
    }

    /// Adds an inbound rule to security group `group` (name or id) for TCP `port` from `source`: another security
    /// group (name or id) or a CIDR block such as `10.0.1.0/24`. This is the console's "Edit inbound rules".
    pub fn allow_tcp(&self, group: &str, port: u16, source: &str) -> Result<()> {
        let (env, group, source) = (self.env.clone(), group.to_string(), source.to_string());
        crate::wait(async move {
            let net = Network::read(&ec2_client(&env).await, env.aws().endpoint(Service::Ec2).as_deref()).await?;
            let find = |g: &str| {
                net.security_groups.iter().find(|s| s.id == g || s.name == g).map(|s| s.id.clone()).ok_or_else(|| {
                    let names: Vec<&str> = net.security_groups.iter().map(|s| s.name.as_str()).collect();
                    Error::new(ErrorKind::NotFound, format!("find security group {g:?}"), "no such group")
                        .hint(format!("the groups are: {}", names.join(", ")))
                })
            };
            let target = find(&group)?;
            let mut perm =
                IpPermission::builder().ip_protocol("tcp").from_port(i32::from(port)).to_port(i32::from(port));
            perm = match source.parse::<crate::net::Cidr>() {
                Ok(c) => perm.ip_ranges(IpRange::builder().cidr_ip(c.to_string()).build()),
                Err(_) => perm.user_id_group_pairs(UserIdGroupPair::builder().group_id(find(&source)?).build()),
            };
            ec2_client(&env)
                .await
                .authorize_security_group_ingress()
                .group_id(&target)
                .ip_permissions(perm.build())
                .send()
                .await
                .map_err(|e| {
                    crate::error::aws(
                        format!("allow TCP {port} into {group} from {source}"),
                        env.aws().endpoint(Service::Ec2).as_deref(),
                        e,
                    )
                })?;
            Ok(())
        })?;
        settle(&self.stack)
    }

    /// Puts the lab back to its starting point (same as [`Lab4::setup`]).
    pub fn reset(&self) -> Result<Lab4> {
        Lab4::setup()
    }
}

/// Tells the gateway the network changed and waits until it has surely read it again, so the next cell sees
/// the change.
fn settle(stack: &Stack) -> Result<()> {
    let path = poke_path(stack);
    std::fs::write(&path, b"").map_err(|e| Error::io("tell the gateway the network changed", &path, e))?;
    std::thread::sleep(crate::local::gateway::REFRESH * 3);
    Ok(())
}

/// The file lab 4's helpers touch after changing the network: its modification time is the gateway's stamp.
fn poke_path(stack: &Stack) -> std::path::PathBuf {
    stack.state_dir().join("lab4.changed")
}

/// Reads the scene: the network from EC2, the chosen client from the saved state.
async fn read_scene(stack: &Stack, env: &EnvFile) -> Result<Scene> {
    let client = load_saved(stack)?.client;
    let network = Network::read(&ec2_client(env).await, env.aws().endpoint(Service::Ec2).as_deref()).await?;
    Ok(Scene { network, client, database: DATABASE_ID.into(), port: POSTGRES_PORT })
}

/// The gateway's view of the lab: the scene read from moto's EC2 API and the saved client choice.
pub struct LabScene {
    stack: Stack,
    env: EnvFile,
}

impl LabScene {
    /// The scene source of the checkout's stack.
    pub fn new(stack: Stack) -> Result<LabScene> {
        let env = stack.local_env()?;
        Ok(LabScene { stack, env })
    }
}

impl SceneSource for LabScene {
    async fn read(&self) -> Result<Scene> {
        read_scene(&self.stack, &self.env).await
    }

    /// When lab 4's helpers last changed the network (the poke file's modification time, in nanoseconds).
    fn stamp(&self) -> Option<u64> {
        let modified = std::fs::metadata(poke_path(&self.stack)).and_then(|m| m.modified()).ok();
        let nanos = modified.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_nanos());
        Some(nanos.map_or(0, |n| n as u64))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Building and removing the scenario
// ---------------------------------------------------------------------------------------------------------------

/// The master user and the lab database, with the real (changed) password.
async fn make_database(pg: &crate::local::Service, password: &str) -> Result<()> {
    use sqlx::{ConnectOptions, Executor};
    let step = "create lab 4's master user and database in PostgreSQL";
    let fail = |e: sqlx::Error| Error::new(ErrorKind::Setup, step, e.to_string());
    let mut conn = crate::local::postgres::admin_options(pg).connect().await.map_err(fail)?;
    conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{DATABASE_NAME}\" WITH (FORCE)")))
        .await
        .map_err(fail)?;
    // The password is ours (random_password: nothing that needs quoting), so it can go into the statement.
    crate::local::postgres::login_role(&mut conn, MASTER_USER, password, "").await.map_err(fail)?;
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{DATABASE_NAME}\" OWNER \"{MASTER_USER}\"")))
        .await
        .map_err(fail)?;
    Ok(())
}

fn aws_err<E, R>(env: &EnvFile, what: &str) -> impl FnOnce(aws_sdk_ec2::error::SdkError<E, R>) -> Error + use<E, R>
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    crate::error::aws_fn(format!("lab 4 setup: {what}"), env.aws().endpoint(Service::Ec2).as_deref())
}

/// One VPC with an internet gateway, a public route table and its subnets; returns the subnet ids.
async fn make_vpc(
    ec2: &aws_sdk_ec2::Client,
    env: &EnvFile,
    name: &str,
    block: &str,
    subnets: &[(&str, &str, &str)],
) -> Result<(String, Vec<String>)> {
    let vpc = ec2
        .create_vpc()
        .cidr_block(block)
        .tag_specifications(tags(ResourceType::Vpc, name))
        .send()
        .await
        .map_err(aws_err(env, "create_vpc"))?;
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap_or_default().to_string();
    let igw = ec2
        .create_internet_gateway()
        .tag_specifications(tags(ResourceType::InternetGateway, &format!("{name}-igw")))
        .send()
        .await
        .map_err(aws_err(env, "create_internet_gateway"))?;
    let igw_id = igw.internet_gateway().and_then(|g| g.internet_gateway_id()).unwrap_or_default().to_string();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw_id)
        .vpc_id(&vpc_id)
        .send()
        .await
        .map_err(aws_err(env, "attach_internet_gateway"))?;
    let table = ec2
        .create_route_table()
        .vpc_id(&vpc_id)
        .tag_specifications(tags(ResourceType::RouteTable, &format!("{name}-public-rt")))
        .send()
        .await
        .map_err(aws_err(env, "create_route_table"))?;
    let table_id = table.route_table().and_then(|t| t.route_table_id()).unwrap_or_default().to_string();
    ec2.create_route()
        .route_table_id(&table_id)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw_id)
        .send()
        .await
        .map_err(aws_err(env, "create_route"))?;
    let mut ids = Vec::new();
    for (subnet_name, subnet_block, zone) in subnets {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(*subnet_block)
            .availability_zone(*zone)
            .tag_specifications(tags(ResourceType::Subnet, subnet_name))
            .send()
            .await
            .map_err(aws_err(env, "create_subnet"))?;
        let id = s.subnet().and_then(|s| s.subnet_id()).unwrap_or_default().to_string();
        ec2.associate_route_table()
            .route_table_id(&table_id)
            .subnet_id(&id)
            .send()
            .await
            .map_err(aws_err(env, "associate_route_table"))?;
        ids.push(id);
    }
    Ok((vpc_id, ids))
}

async fn make_group(ec2: &aws_sdk_ec2::Client, env: &EnvFile, vpc_id: &str, name: &str, what: &str) -> Result<String> {
    let g = ec2
        .create_security_group()
        .vpc_id(vpc_id)
        .group_name(name)
        .description(what)
        .tag_specifications(tags(ResourceType::SecurityGroup, name))
        .send()
        .await
        .map_err(aws_err(env, "create_security_group"))?;
    Ok(g.group_id().unwrap_or_default().to_string())
}

async fn make_instance(
    ec2: &aws_sdk_ec2::Client,
    env: &EnvFile,
    name: &str,
    subnet: &str,
    group: &str,
    ip: &str,
) -> Result<()> {
    ec2.run_instances()
        .image_id("ami-12c6146b")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Small)
        .min_count(1)
        .max_count(1)
        .subnet_id(subnet)
        .security_group_ids(group)
        .private_ip_address(ip)
        .tag_specifications(tags(ResourceType::Instance, name))
        .send()
        .await
        .map_err(aws_err(env, "run_instances"))?;
    Ok(())
}

/// The EC2 network, the database's network interface and the RDS instance.
async fn build_network(env: &EnvFile, gateway_port: u16, password: &str) -> Result<()> {
    let ec2 = ec2_client(env).await;
    let (lab_vpc, lab_subnets) = make_vpc(
        &ec2,
        env,
        LAB_VPC,
        "10.0.0.0/16",
        &[
            ("de-c2w1a1-public-subnet-a", "10.0.1.0/24", "us-east-1a"),
            ("de-c2w1a1-public-subnet-b", "10.0.2.0/24", "us-east-1b"),
        ],
    )
    .await?;
    let (ext_vpc, ext_subnets) = make_vpc(
        &ec2,
        env,
        EXTERNAL_VPC,
        "192.168.0.0/16",
        &[("de-c2w1a1-external-subnet", "192.168.1.0/24", "us-east-1a")],
    )
    .await?;
    let ssh = |g: &str| {
        ec2.authorize_security_group_ingress().group_id(g).ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
    };
    let bastion_sg = make_group(&ec2, env, &lab_vpc, BASTION_GROUP, "SSH into the bastion host").await?;
    ssh(&bastion_sg).send().await.map_err(aws_err(env, "authorize_security_group_ingress"))?;
    let ext_sg = make_group(&ec2, env, &ext_vpc, EXTERNAL_GROUP, "SSH into the external bastion host").await?;
    ssh(&ext_sg).send().await.map_err(aws_err(env, "authorize_security_group_ingress"))?;
    // The database's group starts like a VPC's default group: all traffic, but only from its own members.
    let db_sg = make_group(&ec2, env, &lab_vpc, DATABASE_GROUP, "The RDS instance").await?;
    ec2.authorize_security_group_ingress()
        .group_id(&db_sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("-1")
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&db_sg).build())
                .build(),
        )
        .send()
        .await
        .map_err(aws_err(env, "authorize_security_group_ingress"))?;
    make_instance(&ec2, env, BASTION, &lab_subnets[0], &bastion_sg, "10.0.1.10").await?;
    make_instance(&ec2, env, EXTERNAL_BASTION, &ext_subnets[0], &ext_sg, "192.168.1.10").await?;
    // Where RDS puts the database in the VPC: a network interface with the database's group.
    ec2.create_network_interface()
        .subnet_id(&lab_subnets[1])
        .private_ip_address("10.0.2.10")
        .groups(&db_sg)
        .description("RDSNetworkInterface")
        .tag_specifications(tags(ResourceType::NetworkInterface, DATABASE_ID))
        .send()
        .await
        .map_err(aws_err(env, "create_network_interface"))?;
    let rds = rds_client(env).await;
    rds.create_db_subnet_group()
        .db_subnet_group_name("de-c2w1a1-db-subnets")
        .db_subnet_group_description("The lab VPC's subnets")
        .set_subnet_ids(Some(lab_subnets.clone()))
        .tags(rds_tag())
        .send()
        .await
        .map_err(aws_err(env, "create_db_subnet_group"))?;
    rds.create_db_instance()
        .db_instance_identifier(DATABASE_ID)
        .engine("postgres")
        .engine_version("15")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username(MASTER_USER)
        .master_user_password(password)
        .db_name(DATABASE_NAME)
        .port(i32::from(gateway_port))
        .db_subnet_group_name("de-c2w1a1-db-subnets")
        .vpc_security_group_ids(&db_sg)
        .publicly_accessible(false)
        .tags(rds_tag())
        .send()
        .await
        .map_err(aws_err(env, "create_db_instance"))?;
    Ok(())
}

/// The data bucket with the ratings CSV under `csv/` and a policy that denies reading it.
async fn make_bucket(env: &EnvFile) -> Result<String> {
    let s3 = crate::s3::S3::connect(env)?.with_progress(crate::Progress::Quiet);
    let bucket = BUCKET.to_string();
    s3.remove_bucket_if_exists(&bucket)?;
    s3.create_bucket(&bucket)?;
    s3.upload_file(crate::s3::data_file("csv/ratings_ml_training_dataset.csv"), &bucket, DATA_KEY)?;
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyDownloads", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/*")
        }]
    });
    s3.put_policy(&bucket, &policy)?;
    Ok(bucket)
}

/// Removes the scenario from the account `env` points at: the EC2 network and instances, the RDS instance, the
/// data bucket. The gateway and PostgreSQL's lab user stay (they are local; [`Lab4::setup`] rebuilds everything).
pub(crate) fn remove(env: &EnvFile) -> Result<()> {
    let env2 = env.clone();
    crate::wait(async move { teardown(&env2).await })?;
    crate::s3::S3::connect(env)?.with_progress(crate::Progress::Quiet).remove_bucket_if_exists(BUCKET)?;
    Ok(())
}

/// Removes what an earlier setup made, in dependency order (instances and interfaces before groups and subnets,
/// gateways detached before VPCs are deleted). Quiet about things already gone.
async fn teardown(env: &EnvFile) -> Result<()> {
    let rds = rds_client(env).await;
    let _ = rds.delete_db_instance().db_instance_identifier(DATABASE_ID).skip_final_snapshot(true).send().await;
    let _ = rds.delete_db_subnet_group().db_subnet_group_name("de-c2w1a1-db-subnets").send().await;
    let ec2 = ec2_client(env).await;
    let instances =
        ec2.describe_instances().filters(ours()).send().await.map_err(aws_err(env, "describe_instances"))?;
    let ids: Vec<String> = instances
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect();
    if !ids.is_empty() {
        ec2.terminate_instances()
            .set_instance_ids(Some(ids))
            .send()
            .await
            .map_err(aws_err(env, "terminate_instances"))?;
    }
    let enis = ec2
        .describe_network_interfaces()
        .filters(ours())
        .send()
        .await
        .map_err(aws_err(env, "describe_network_interfaces"))?;
    for n in enis.network_interfaces() {
        if let Some(id) = n.network_interface_id() {
            ec2.delete_network_interface()
                .network_interface_id(id)
                .send()
                .await
                .map_err(aws_err(env, "delete_network_interface"))?;
        }
    }
    let vpcs = ec2.describe_vpcs().filters(ours()).send().await.map_err(aws_err(env, "describe_vpcs"))?;
    for vpc in vpcs.vpcs().iter().filter_map(|v| v.vpc_id()) {
        let in_vpc = || Filter::builder().name("vpc-id").values(vpc).build();
        let groups = ec2
            .describe_security_groups()
            .filters(in_vpc())
            .send()
            .await
            .map_err(aws_err(env, "describe_security_groups"))?;
        for g in groups.security_groups().iter().filter(|g| g.group_name() != Some("default")) {
            ec2.delete_security_group()
                .set_group_id(g.group_id().map(str::to_string))
                .send()
                .await
                .map_err(aws_err(env, "delete_security_group"))?;
        }
        let subnets =
            ec2.describe_subnets().filters(in_vpc()).send().await.map_err(aws_err(env, "describe_subnets"))?;
        let tables = ec2
            .describe_route_tables()
            .filters(in_vpc())
            .send()
            .await
            .map_err(aws_err(env, "describe_route_tables"))?;
        for t in tables.route_tables() {
            for a in t.associations().iter().filter(|a| a.main() != Some(true)) {
                ec2.disassociate_route_table()
                    .set_association_id(a.route_table_association_id().map(str::to_string))
                    .send()
                    .await
                    .map_err(aws_err(env, "disassociate_route_table"))?;
            }
            if !t.associations().iter().any(|a| a.main() == Some(true)) {
                ec2.delete_route_table()
                    .set_route_table_id(t.route_table_id().map(str::to_string))
                    .send()
                    .await
                    .map_err(aws_err(env, "delete_route_table"))?;
            }
        }
        for s in subnets.subnets() {
            ec2.delete_subnet()
                .set_subnet_id(s.subnet_id().map(str::to_string))
                .send()
                .await
                .map_err(aws_err(env, "delete_subnet"))?;
        }
        let attached = Filter::builder().name("attachment.vpc-id").values(vpc).build();
        let igws = ec2
            .describe_internet_gateways()
            .filters(attached)
            .send()
            .await
            .map_err(aws_err(env, "describe_internet_gateways"))?;
        for g in igws.internet_gateways().iter().filter_map(|g| g.internet_gateway_id()) {
            ec2.detach_internet_gateway()
                .internet_gateway_id(g)
                .vpc_id(vpc)
                .send()
                .await
                .map_err(aws_err(env, "detach_internet_gateway"))?;
            ec2.delete_internet_gateway()
                .internet_gateway_id(g)
                .send()
                .await
                .map_err(aws_err(env, "delete_internet_gateway"))?;
        }
        let acls = ec2
            .describe_network_acls()
            .filters(in_vpc())
            .send()
            .await
            .map_err(aws_err(env, "describe_network_acls"))?;
        for a in acls.network_acls().iter().filter(|a| a.is_default() != Some(true)) {
            ec2.delete_network_acl()
                .set_network_acl_id(a.network_acl_id().map(str::to_string))
                .send()
                .await
                .map_err(aws_err(env, "delete_network_acl"))?;
        }
        let peerings = ec2
            .describe_vpc_peering_connections()
            .send()
            .await
            .map_err(aws_err(env, "describe_vpc_peering_connections"))?;
        for p in peerings.vpc_peering_connections() {
            let touches =
                [p.requester_vpc_info(), p.accepter_vpc_info()].iter().any(|i| i.and_then(|i| i.vpc_id()) == Some(vpc));
            if touches {
                let _ = ec2
                    .delete_vpc_peering_connection()
                    .set_vpc_peering_connection_id(p.vpc_peering_connection_id().map(str::to_string))
                    .send()
                    .await;
            }
        }
        ec2.delete_vpc().vpc_id(vpc).send().await.map_err(aws_err(env, "delete_vpc"))?;
    }
    Ok(())
}
