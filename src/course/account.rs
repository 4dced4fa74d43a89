//! What the labs made in an AWS account, what it costs while it stays there, and removing it:
//! `sourcelab aws inventory [LAB]`, `sourcelab aws cleanup [LAB]`, and the last cells of the labs that make things
//! AWS bills by the hour.
//!
//! On AWS a table with provisioned capacity, a Kinesis shard, an instance or stored bytes cost money every hour they
//! exist, used or not. The course asks you to delete what a lab made when you are done; here you can see it first,
//! with its price. Every lab names what it makes with its own prefix ([`lab_of`]), and where the service takes
//! tags our helpers also tag it `sourcelab:lab` = the lab's number ([`LAB_TAG`]) — activate that key as a cost
//! allocation tag in the Billing console and the bill splits by lab. [`inventory`] finds a lab's things by those
//! names; [`cleanup`] removes exactly them. Nothing else in the account is touched: a bucket, table, queue or
//! stream of yours whose name does not start with a lab's prefix is never listed or removed.
//!
//! | lab | what it makes in AWS | billed while it exists |
//! |---|---|---|
//! | 2 | DynamoDB tables `de-c2w1-dynamodb…` | provisioned read and write capacity, storage |
//! | 3 | the bucket `de-c2w1lab3-ACCOUNT-REGION`, with versions | storage (every version counts) |
//! | 4 | two VPCs, two t3.small instances, an RDS PostgreSQL db.t3.micro with 20 GB, a bucket (`de-c2w1a1…`) | instance hours, volumes, storage |
//! | 5 | DynamoDB tables `acid-…` | provisioned capacity, storage |
//! | 6 | IAM users, groups, roles and policies `lab6-…` (free), the bucket `lab6-data-ACCOUNT-REGION` | storage |
//! | 7 | SQS queues and Kinesis streams `lab7-…` | shard hours (a queue costs per request only) |
//!
//! Labs 1 and 8 make nothing in AWS: lab 1's database is the one your env file names, lab 8 reads log files.
//!
//! Prices are AWS's published us-east-1 on-demand list prices as of [`PRICES_AS_OF`], for the settings the labs
//! use; a month is 730 hours, as AWS counts it. Free tiers are not subtracted and requests are not counted (the labs
//! make a few thousand), so the figures are what the things cost by existing. A setting we have no price for is
//! shown without one, never as free.

use aws_sdk_dynamodb::types::BillingMode;
use polars::prelude::{Column, DataFrame};

use crate::config::{EnvFile, Service};
use crate::course::reset::{LAB2_PREFIX, LAB3_PREFIX, LABS};
use crate::dynamo::Dynamo;
use crate::error::{Error, ErrorKind, Result, aws_fn};
use crate::iam::Iam;
use crate::kinesis::Kinesis;
use crate::s3::S3;
use crate::sqs::Sqs;

/// The tag key our helpers put on what a lab makes (the value is the lab's number), where the service takes tags.
pub const LAB_TAG: &str = "sourcelab:lab";

/// When the prices below were taken from AWS's pricing pages (us-east-1, on demand).
pub const PRICES_AS_OF: &str = "2025-06";

/// Hours in a month, as AWS bills them.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// DynamoDB, provisioned capacity (standard table class): one read capacity unit for an hour.
const DYNAMO_RCU_HOUR: f64 = 0.000_13;
/// DynamoDB, provisioned capacity: one write capacity unit for an hour.
const DYNAMO_WCU_HOUR: f64 = 0.000_65;
/// DynamoDB storage (standard table class), per GB-month.
const DYNAMO_GB_MONTH: f64 = 0.25;
/// S3 Standard storage (first 50 TB), per GB-month.
const S3_GB_MONTH: f64 = 0.023;
/// Kinesis Data Streams, provisioned mode: one shard for an hour.
const KINESIS_SHARD_HOUR: f64 = 0.015;
/// Kinesis Data Streams, on-demand mode: one stream for an hour.
const KINESIS_STREAM_HOUR: f64 = 0.04;
/// EC2 Linux instances, per hour, by type.
const EC2_HOUR: [(&str, f64); 4] =
    [("t2.micro", 0.0116), ("t3.micro", 0.0104), ("t3.small", 0.0208), ("t3.medium", 0.0416)];
/// EBS volumes, per GB-month, by type.
const EBS_GB_MONTH: [(&str, f64); 3] = [("gp2", 0.10), ("gp3", 0.08), ("standard", 0.05)];
/// RDS single-AZ instances, per hour, by engine and class.
const RDS_HOUR: [(&str, &str, f64); 4] = [
    ("postgres", "db.t3.micro", 0.018),
    ("postgres", "db.t4g.micro", 0.016),
    ("mysql", "db.t3.micro", 0.017),
    ("mysql", "db.t4g.micro", 0.016),
];
/// RDS storage, per GB-month, by type (single-AZ).
const RDS_GB_MONTH: [(&str, f64); 2] = [("gp2", 0.115), ("gp3", 0.115)];

/// The names each lab gives what it makes in AWS: (lab, prefix).
const PREFIXES: [(u8, &str); 6] = [
    (2, LAB2_PREFIX),
    (3, "de-c2w1lab3-"),
    (4, crate::lab4::LAB_VPC),
    (5, crate::acid::DYNAMO_PREFIX),
    (6, crate::lab6::PREFIX),
    (7, crate::lab7::PREFIX),
];

/// The lab whose prefix `name` starts with (`de-c2w1-dynamodb-orders` → 2, `lab7-clicks` → 7), if any: what our
/// helpers tag `sourcelab:lab` when they create a table, bucket, queue, stream, user, role or policy.
pub fn lab_of(name: &str) -> Option<u8> {
    PREFIXES.iter().find(|(_, prefix)| name.starts_with(prefix)).map(|(lab, _)| *lab)
}

/// One thing a lab made in the account, with what it costs while it exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Made {
    /// The lab that made it.
    pub lab: u8,
    /// What it is: `DynamoDB table`, `S3 bucket`, `Kinesis stream`, `EC2 instance`, …
    pub kind: &'static str,
    /// Its name (or id).
    pub name: String,
    /// The settings it is billed by, and how much it holds.
    pub detail: String,
    /// US dollars per hour while it exists; `None` when we have no price for its settings.
    pub per_hour: Option<f64>,
}

impl Made {
    /// US dollars for a month (730 hours) of it.
    pub fn per_month(&self) -> Option<f64> {
        self.per_hour.map(|h| h * HOURS_PER_MONTH)
    }
}

impl std::fmt::Display for Made {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.kind, self.name, self.detail)
    }
}

/// `$0.0039` below ten cents, `$0.80` and `$2.85` from there up, `under $0.0001` for a few stored bytes.
pub fn dollars(usd: f64) -> String {
    if usd == 0.0 {
        "$0".into()
    } else if usd < 0.000_05 {
        "under $0.0001".into()
    } else if usd < 0.1 {
        format!("${usd:.4}")
    } else {
        format!("${usd:.2}")
    }
}

/// What lab `lab` made that is in the account `env` points at now, with prices (empty for labs 1 and 8).
pub fn inventory(env: &EnvFile, lab: u8) -> Result<Vec<Made>> {
    check_lab(lab)?;
    match lab {
        2 => tables(env, 2, LAB2_PREFIX),
        3 => buckets(&S3::connect(env)?, 3, &format!("{LAB3_PREFIX}-")),
        4 => lab4_things(env),
        5 => tables(env, 5, crate::acid::DYNAMO_PREFIX),
        6 => {
            let iam = Iam::connect(env)?;
            let mut made: Vec<Made> = iam
                .named(crate::lab6::PREFIX)?
                .into_iter()
                .map(|(kind, name, _)| Made { lab: 6, kind, name, detail: "IAM is free".into(), per_hour: Some(0.0) })
                .collect();
            made.extend(buckets(&S3::connect(&iam.env()?)?, 6, &format!("{}-", crate::lab6::BUCKET_PREFIX))?);
            Ok(made)
        }
        7 => {
            let sqs = Sqs::connect(env)?;
            let mut made: Vec<Made> = sqs
                .list_queues(crate::lab7::PREFIX)?
                .into_iter()
                .map(|name| Made {
                    lab: 7,
                    kind: "SQS queue",
                    name,
                    detail: "billed per request only".into(),
                    per_hour: Some(0.0),
                })
                .collect();
            let kinesis = Kinesis::connect(env)?;
            for name in kinesis.list_streams()?.into_iter().filter(|s| s.starts_with(crate::lab7::PREFIX)) {
                let (shards, on_demand) = kinesis.capacity(&name)?;
                let (detail, per_hour) = if on_demand {
                    (format!("on demand, {shards} open shards"), KINESIS_STREAM_HOUR)
                } else {
                    (format!("{shards} open shards"), f64::from(shards) * KINESIS_SHARD_HOUR)
                };
                made.push(Made { lab: 7, kind: "Kinesis stream", name, detail, per_hour: Some(per_hour) });
            }
            Ok(made)
        }
        _ => Ok(Vec::new()),
    }
}

/// Removes what lab `lab` made in the account `env` points at; what it removed. On AWS some of it goes in the
/// background after the call (a queue within 60 s, a table, stream or instance in seconds to minutes), so an
/// inventory right after may still list it. Lab 4's local parts (its gateway, PostgreSQL's user) stay:
/// `sourcelab reset connectivity` rebuilds the scenario.
pub fn cleanup(env: &EnvFile, lab: u8) -> Result<Vec<String>> {
    let before = inventory(env, lab)?;
    if before.is_empty() {
        return Ok(Vec::new());
    }
    match lab {
        2 => drop(Dynamo::connect(env)?.delete_tables_starting_with(LAB2_PREFIX)?),
        3 => {
            let s3 = S3::connect(env)?;
            for bucket in s3.buckets_starting_with(&format!("{LAB3_PREFIX}-"))? {
                s3.remove_bucket_if_exists(&bucket)?;
            }
        }
        4 => crate::lab4::remove(env)?,
        5 => drop(Dynamo::connect(env)?.delete_tables_starting_with(crate::acid::DYNAMO_PREFIX)?),
        6 => drop(crate::lab6::reset(env)?),
        _ => drop(crate::lab7::reset(env)?),
    }
    Ok(before.iter().map(Made::to_string).collect())
}

/// Lab `lab`'s things as a table for a notebook — `kind`, `name`, `detail`, `per_hour`, `per_month` (in US
/// dollars, as text: `$0.0046`, `$3.32`) — with a last row `total`: what leaving them for a month would cost.
pub fn costs(env: &EnvFile, lab: u8) -> Result<DataFrame> {
    frame(&inventory(env, lab)?)
}

/// [`Made`] rows as a table, with a `total` row.
pub fn frame(made: &[Made]) -> Result<DataFrame> {
    let price = |usd: Option<f64>| usd.map_or_else(|| "no price".to_string(), dollars);
    let mut kind: Vec<String> = made.iter().map(|m| m.kind.to_string()).collect();
    let mut name: Vec<String> = made.iter().map(|m| m.name.clone()).collect();
    let mut detail: Vec<String> = made.iter().map(|m| m.detail.clone()).collect();
    let mut hour: Vec<String> = made.iter().map(|m| price(m.per_hour)).collect();
    let mut month: Vec<String> = made.iter().map(|m| price(m.per_month())).collect();
    let (h, m) = total(made);
    kind.push("total".into());
    name.push(format!("{} made by the lab", made.len()));
    detail.push(format!("left for a month: {} (us-east-1 prices of {PRICES_AS_OF})", dollars(m)));
    hour.push(dollars(h));
    month.push(dollars(m));
    DataFrame::new_infer_height(vec![
        Column::new("kind".into(), kind),
        Column::new("name".into(), name),
        Column::new("detail".into(), detail),
        Column::new("per_hour".into(), hour),
        Column::new("per_month".into(), month),
    ])
    .map_err(|e| Error::new(ErrorKind::Input, "list what the labs made", e.to_string()))
}

/// The priced things' cost per hour and per month.
pub fn total(made: &[Made]) -> (f64, f64) {
    let h: f64 = made.iter().filter_map(|m| m.per_hour).sum();
    (h, h * HOURS_PER_MONTH)
}

fn check_lab(lab: u8) -> Result<()> {
    if LABS.iter().any(|(n, ..)| *n == lab) {
        return Ok(());
    }
    Err(Error::new(ErrorKind::Input, format!("list what lab {lab} made"), "there is no such lab")
        .hint("the labs are numbered 1 to 8"))
}

fn gib(bytes: i64) -> f64 {
    bytes as f64 / f64::from(1u32 << 30)
}

/// `1.2 kB`, `3.4 MB`: a size for a person.
fn size_text(bytes: i64) -> String {
    let b = bytes as f64;
    match bytes {
        ..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", b / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", b / 1e6),
        _ => format!("{:.2} GB", b / 1e9),
    }
}

/// The price in `table` of `key`, if we have one.
fn price<const N: usize>(table: &[(&str, f64); N], key: &str) -> Option<f64> {
    table.iter().find(|(k, _)| *k == key).map(|(_, p)| *p)
}

/// The DynamoDB tables whose names start with `prefix`: capacity (with the indexes'), items, size.
fn tables(env: &EnvFile, lab: u8, prefix: &str) -> Result<Vec<Made>> {
    let dynamo = Dynamo::connect(env)?;
    let names: Vec<String> = dynamo.list_tables()?.into_iter().filter(|t| t.starts_with(prefix)).collect();
    let client = dynamo.sdk()?;
    let endpoint = env.aws().endpoint(Service::DynamoDb);
    let mut made = Vec::new();
    for name in names {
        let what = format!("describe DynamoDB table {name}");
        let req = client.describe_table().table_name(&name).send();
        let out = crate::block_on(req)?.map_err(aws_fn(what, endpoint.as_deref()))?;
        let Some(t) = out.table() else { continue };
        let on_demand = t.billing_mode_summary().and_then(|b| b.billing_mode()) == Some(&BillingMode::PayPerRequest);
        let mut units = [t.provisioned_throughput()]
            .into_iter()
            .chain(t.global_secondary_indexes().iter().map(|g| g.provisioned_throughput()));
        let (mut read, mut write) = (0, 0);
        for p in units.by_ref().flatten() {
            read += p.read_capacity_units().unwrap_or(0);
            write += p.write_capacity_units().unwrap_or(0);
        }
        let bytes = t.table_size_bytes().unwrap_or(0);
        let storage = gib(bytes) * DYNAMO_GB_MONTH / HOURS_PER_MONTH;
        let items = format!("{} items, {}", t.item_count().unwrap_or(0), size_text(bytes));
        let (detail, capacity) = if on_demand {
            (format!("on demand (billed per request); {items}"), 0.0)
        } else {
            let hourly = read as f64 * DYNAMO_RCU_HOUR + write as f64 * DYNAMO_WCU_HOUR;
            (format!("provisioned {read} RCU, {write} WCU; {items}"), hourly)
        };
        made.push(Made { lab, kind: "DynamoDB table", name, detail, per_hour: Some(capacity + storage) });
    }
    Ok(made)
}

/// The buckets whose names start with `prefix`: every version of every object counts toward their storage.
fn buckets(s3: &S3, lab: u8, prefix: &str) -> Result<Vec<Made>> {
    let mut made = Vec::new();
    for name in s3.buckets_starting_with(prefix)? {
        let (versions, markers, bytes) = s3.stored(&name)?;
        made.push(Made {
            lab,
            kind: "S3 bucket",
            name,
            detail: format!("{versions} object versions, {markers} delete markers, {}", size_text(bytes)),
            per_hour: Some(gib(bytes) * S3_GB_MONTH / HOURS_PER_MONTH),
        });
    }
    Ok(made)
}

/// Lab 4's scenario: the instances with their volumes, the VPCs (free: subnets, route tables, gateways, security
/// groups and the database's network interface go with them), the RDS instance, the data bucket.
fn lab4_things(env: &EnvFile) -> Result<Vec<Made>> {
    let aws = env.aws();
    let (ec2_end, rds_end) = (aws.endpoint(Service::Ec2), aws.endpoint(Service::Rds));
    let made = crate::block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&aws.sdk_config(Service::Ec2).await);
        let rds = aws_sdk_rds::Client::new(&aws.sdk_config(Service::Rds).await);
        let ours = aws_sdk_ec2::types::Filter::builder().name(format!("tag:{LAB_TAG}")).values("4").build();
        let name_of = |tags: &[aws_sdk_ec2::types::Tag], id: &str| {
            tags.iter().find(|t| t.key() == Some("Name")).and_then(|t| t.value()).unwrap_or(id).to_string()
        };
        let mut made = Vec::new();
        let out = ec2.describe_instances().filters(ours.clone()).send().await;
        let out = out.map_err(aws_fn("list lab 4's EC2 instances".into(), ec2_end.as_deref()))?;
        let mut ids = Vec::new();
        for i in out.reservations().iter().flat_map(|r| r.instances()) {
            let state = i.state().and_then(|s| s.name()).map_or("unknown", |s| s.as_str()).to_string();
            if state == "terminated" || state == "shutting-down" {
                continue;
            }
            let id = i.instance_id().unwrap_or_default().to_string();
            let ty = i.instance_type().map_or("unknown", |t| t.as_str()).to_string();
            // A stopped instance costs nothing; its volume still does.
            let per_hour = if state == "running" || state == "pending" { price(&EC2_HOUR, &ty) } else { Some(0.0) };
            let name = name_of(i.tags(), &id);
            made.push(Made { lab: 4, kind: "EC2 instance", name, detail: format!("{ty}, {state}, {id}"), per_hour });
            ids.push(id);
        }
        if !ids.is_empty() {
            let attached = aws_sdk_ec2::types::Filter::builder().name("attachment.instance-id").set_values(Some(ids));
            let out = ec2.describe_volumes().filters(attached.build()).send().await;
            let out = out.map_err(aws_fn("list the instances' volumes".into(), ec2_end.as_deref()))?;
            for v in out.volumes() {
                let gb = v.size().unwrap_or(0);
                let ty = v.volume_type().map_or("unknown", |t| t.as_str()).to_string();
                let per_hour = price(&EBS_GB_MONTH, &ty).map(|p| f64::from(gb) * p / HOURS_PER_MONTH);
                let on = v.attachments().first().and_then(|a| a.instance_id()).unwrap_or_default();
                let name = v.volume_id().unwrap_or_default().to_string();
                made.push(Made {
                    lab: 4,
                    kind: "EBS volume",
                    name,
                    detail: format!("{gb} GB {ty}, on {on}"),
                    per_hour,
                });
            }
        }
        let out = ec2.describe_vpcs().filters(ours).send().await;
        let out = out.map_err(aws_fn("list lab 4's VPCs".into(), ec2_end.as_deref()))?;
        for v in out.vpcs() {
            let id = v.vpc_id().unwrap_or_default();
            made.push(Made {
                lab: 4,
                kind: "VPC",
                name: name_of(v.tags(), id),
                detail: format!(
                    "{} {id}, with its subnets, routes, gateway and security groups",
                    v.cidr_block().unwrap_or_default()
                ),
                per_hour: Some(0.0),
            });
        }
        let out = rds.describe_db_instances().db_instance_identifier(crate::lab4::DATABASE_ID).send().await;
        match out {
            Ok(out) => {
                for d in out.db_instances() {
                    let class = d.db_instance_class().unwrap_or_default();
                    let engine = d.engine().unwrap_or_default();
                    let gb = d.allocated_storage().unwrap_or(0);
                    let storage = d.storage_type().unwrap_or("gp2");
                    let hourly = RDS_HOUR.iter().find(|(e, c, _)| *e == engine && *c == class).map(|(.., p)| *p);
                    let stored = price(&RDS_GB_MONTH, storage).map(|p| f64::from(gb) * p / HOURS_PER_MONTH);
                    made.push(Made {
                        lab: 4,
                        kind: "RDS instance",
                        name: d.db_instance_identifier().unwrap_or_default().to_string(),
                        detail: format!("{engine} {class}, {gb} GB {storage}, single-AZ"),
                        per_hour: hourly.zip(stored).map(|(h, s)| h + s),
                    });
                }
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_db_instance_not_found_fault()) => {}
            Err(e) => return Err(aws_fn("describe lab 4's RDS instance".into(), rds_end.as_deref())(e)),
        }
        Ok::<_, Error>(made)
    })??;
    let mut made = made;
    made.extend(buckets(&S3::connect(env)?, 4, crate::lab4::BUCKET)?);
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_belong_to_their_lab_and_nothing_else_does() {
        assert_eq!(lab_of("de-c2w1-dynamodb-ProductCatalog"), Some(2));
        assert_eq!(lab_of("de-c2w1lab3-123456789012-us-east-1"), Some(3));
        assert_eq!(lab_of("de-c2w1a1-rds"), Some(4));
        assert_eq!(lab_of("acid-accounts"), Some(5));
        assert_eq!(lab_of("lab6-analyst"), Some(6));
        assert_eq!(lab_of("lab7-orders.fifo"), Some(7));
        for theirs in ["orders", "my-lab7-queue", "de-c2w1lab3", "lab6"] {
            assert_eq!(lab_of(theirs), None, "{theirs}");
        }
    }

    #[test]
    fn a_month_is_730_hours_and_small_amounts_keep_their_cents() {
        let m =
            Made { lab: 2, kind: "DynamoDB table", name: "t".into(), detail: String::new(), per_hour: Some(0.0039) };
        assert!((m.per_month().unwrap() - 2.847).abs() < 1e-9);
        assert_eq!(dollars(0.0039), "$0.0039");
        assert_eq!(dollars(2.847), "$2.85");
        assert_eq!(dollars(0.8), "$0.80");
        assert_eq!(dollars(0.0), "$0");
        assert_eq!(dollars(2.9e-11), "under $0.0001");
        let unpriced = Made { per_hour: None, ..m.clone() };
        assert_eq!(total(&[m, unpriced]), (0.0039, 0.0039 * 730.0));
    }
}
