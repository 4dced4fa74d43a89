//! The course: lab 3's files, lab 4's scenario, lab 5's tables and the exercise checks (`sourcelab::course` in the
//! library).

/// Exercise checks (`sourcelab::check`): each lab's check cells call one function here. A check returns a passed
/// tick or an error that says what was expected, what came back, and a hint.
pub mod check {
    pub use crate::declared::check::*;
}

/// Lab 3's generated files: the ratings CSV, one JSON record, two versions of an image.
pub mod ratings {
    pub use crate::declared::ratings::*;

    /// The ratings CSV, relative to `data/s3/`.
    pub const CSV_PATH: &str = "csv/ratings_ml_training_dataset.csv";
    /// The JSON record.
    pub const JSON_PATH: &str = "json/delivery-stream-one-record.json";
    /// The first version of the image.
    pub const IMAGE_V1_PATH: &str = "images/v1/logo.png";
    /// The second version of the image.
    pub const IMAGE_V2_PATH: &str = "images/v2/logo.png";
}

/// Lab 4: troubleshooting database connectivity — the EC2 network, the RDS instance, the data bucket.
pub mod lab4 {
    use std::fmt;

    use serde_json::{Value, json};

    use crate::client::{self, FromReply, Shared, id};
    use crate::config::EnvFile;
    use crate::error::Result;
    use crate::net::Cidr;
    use crate::values::Secret;

    pub use crate::declared::lab4::*;

    /// The RDS instance's identifier.
    pub const DATABASE_ID: &str = "de-c2w1a1-rds";
    /// The lab VPC, where the database lives.
    pub const LAB_VPC: &str = "de-c2w1a1";
    /// The other VPC.
    pub const EXTERNAL_VPC: &str = "de-c2w1a1-external-bastion-host-vpc";
    /// The client in the lab VPC.
    pub const BASTION: &str = "de-c2w1a1-bastion-host";
    /// The client in the other VPC — the one you start on.
    pub const EXTERNAL_BASTION: &str = "de-c2w1a1-external-bastion-host";
    /// The database's security group.
    pub const DATABASE_GROUP: &str = "de-c2w1a1-rds-sg";
    /// The bastion's security group in the lab VPC.
    pub const BASTION_GROUP: &str = "de-c2w1a1-bastion-host-sg";
    /// The external bastion's security group.
    pub const EXTERNAL_GROUP: &str = "de-c2w1a1-external-bastion-host-sg";
    /// Where the data file sits in the bucket.
    pub const DATA_KEY: &str = "csv/ratings_ml_training_dataset.csv";

    /// Lab 4's scenario, set up and running (kept in the library).
    #[derive(Clone)]
    pub struct Lab4 {
        h: Shared,
        env: EnvFile,
        bucket: String,
        given: Secret,
    }

    impl FromReply for Lab4 {
        fn from_reply(v: Value) -> Result<Lab4> {
            Ok(Lab4 {
                h: client::handle(&v)?,
                env: FromReply::from_reply(v["env"].clone())?,
                bucket: client::text(&v["bucket"]),
                given: FromReply::from_reply(v["given_password"].clone())?,
            })
        }
    }

    impl Lab4 {
        pub(crate) fn arg(&self) -> Value {
            json!(id(&self.h))
        }

        /// The env file the scenario uses (the local stack's).
        pub fn env(&self) -> &EnvFile {
            &self.env
        }

        /// The data bucket.
        pub fn bucket(&self) -> &str {
            &self.bucket
        }

        /// The password DevOps first gave you.
        pub fn given_password(&self) -> Secret {
            self.given.clone()
        }
    }

    impl fmt::Debug for Lab4 {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Lab4").field("bucket", &self.bucket).finish()
        }
    }

    /// A VPC: its id, its `Name` tag and its address block.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Vpc {
        /// `vpc-…`
        pub id: String,
        /// Its `Name` tag, or the id.
        pub name: String,
        /// Its address block, e.g. `10.0.0.0/16`.
        pub cidr: Cidr,
    }

    /// The EC2 network as read from the API (kept in the library); shows as tables of VPCs, subnets, routes,
    /// security groups and network ACLs.
    #[derive(Clone)]
    pub struct Network {
        h: Shared,
        /// The VPCs.
        pub vpcs: Vec<Vpc>,
    }

    impl FromReply for Network {
        fn from_reply(v: Value) -> Result<Network> {
            let mut vpcs = Vec::new();
            for x in v["vpcs"].as_array().into_iter().flatten() {
                let cidr = client::text(&x["cidr"]).parse()?;
                vpcs.push(Vpc { id: client::text(&x["id"]), name: client::text(&x["name"]), cidr });
            }
            Ok(Network { h: client::handle(&v)?, vpcs })
        }
    }

    impl Network {
        /// The VPC whose Name is `name`.
        pub fn vpc(&self, name: &str) -> Option<&Vpc> {
            self.vpcs.iter().find(|v| v.name == name)
        }

        /// Prints the network for evcxr.
        pub fn evcxr_display(&self) {
            crate::frame::show(&self.h)
        }
    }

    impl fmt::Display for Network {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            crate::frame::write_text(&self.h, f)
        }
    }

    impl fmt::Debug for Network {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            crate::frame::write_text(&self.h, f)
        }
    }
}

/// Lab 5's tables and its real crash (`sourcelab::acid`): a shop and a bank of our own in the database `acid`.
pub mod acid {
    use crate::frame::Shown;

    pub use crate::declared::acid::*;

    /// The lab's database, next to lab 1's.
    pub const DATABASE: &str = "acid";
    /// The lab's DynamoDB table (accounts keyed by `owner`).
    pub const DYNAMO_TABLE: &str = "acid-accounts";
    /// What every DynamoDB table of the lab starts with.
    pub const DYNAMO_PREFIX: &str = "acid-";

    /// What a crash of the lab's MariaDB did (`sourcelab::local::Crash`).
    pub type Crash = Shown;
}

/// Lab 6's names and its data bucket on the IAM lab's moto (`sourcelab::lab6`).
/// What a lab made in the AWS account your env file points at, with its price by the hour and the month, and
/// removing it: the last cells of the labs that make things AWS bills by the hour (`sourcelab aws inventory` and
/// `sourcelab aws cleanup` in a terminal).
pub mod account {
    pub use crate::declared::account::*;
}

pub mod lab6 {
    pub use crate::declared::lab6::*;

    /// What everything lab 6 makes is called by.
    pub const PREFIX: &str = crate::iam::PREFIX;
    /// The data bucket's name starts with this; `lab6::data_bucket(&iam)?` adds your account id and region.
    pub const BUCKET_PREFIX: &str = "lab6-data";
    /// Its objects.
    pub const OBJECTS: [&str; 4] =
        ["raw/2024/orders.csv", "raw/2023/orders.csv", "curated/daily_sales.csv", "secret/salaries.csv"];
    /// The user: a data analyst.
    pub const ANALYST: &str = "lab6-analyst";
    /// The analyst's team.
    pub const READERS: &str = "lab6-readers";
    /// The managed policy that lets the team read the data.
    pub const READ_POLICY: &str = "lab6-read-data";
    /// The role a nightly pipeline assumes.
    pub const PIPELINE_ROLE: &str = "lab6-pipeline";
}

/// Lab 7's names, its click events and payments (`sourcelab::lab7`).
pub mod lab7 {
    pub use crate::declared::lab7::*;

    /// What every queue and stream of lab 7 is called by.
    pub const PREFIX: &str = "lab7-";
    /// The click events as a queue.
    pub const CLICKS_QUEUE: &str = "lab7-clicks";
    /// The click events as a stream (two shards).
    pub const STREAM: &str = "lab7-clicks";
    /// Orders, each to be processed once.
    pub const ORDERS: &str = "lab7-orders";
    /// Where orders that keep failing end up.
    pub const ORDERS_DLQ: &str = "lab7-orders-dlq";
    /// Payments, in order and without duplicates: a FIFO queue.
    pub const PAYMENTS: &str = "lab7-payments.fifo";
    /// The pages of the shop, from the most visited to the least.
    pub const PAGES: [&str; 5] = ["/home", "/search", "/product", "/cart", "/checkout"];
    /// When the first click happened.
    pub const START: &str = "2024-05-06T09:00:00Z";
    /// One customer's payments, in order: (payment id, message body).
    pub const PAYMENT_EVENTS: [(&str, &str); 5] = [
        ("pay-1", r#"{"payment_id": "pay-1", "customer": "customer-42", "amount": "12.50"}"#),
        ("pay-2", r#"{"payment_id": "pay-2", "customer": "customer-42", "amount": "7.25"}"#),
        ("pay-3", r#"{"payment_id": "pay-3", "customer": "customer-42", "amount": "99.00"}"#),
        ("pay-4", r#"{"payment_id": "pay-4", "customer": "customer-42", "amount": "-7.25"}"#),
        ("pay-5", r#"{"payment_id": "pay-5", "customer": "customer-42", "amount": "30.00"}"#),
    ];
}

/// Lab 8's log files, its web shop and its traffic (`sourcelab::lab8`).
pub mod lab8 {
    use std::path::PathBuf;

    use serde_json::{Value, json};

    use crate::client::{self, FromReply};
    use crate::error::Result;
    use crate::frame::Shown;

    pub use crate::declared::lab8::*;

    /// The web shop's access log (in the stack's logs folder).
    pub const ACCESS_LOG: &str = "shop-access.log";
    /// The web shop's own log, with levels.
    pub const APP_LOG: &str = "shop-app.log";
    /// The web shop's security log: every login.
    pub const AUTH_LOG: &str = "shop-auth.log";
    /// How many shoppers the traffic has (addresses 127.0.0.2 and up).
    pub const SHOPPERS: u32 = 8;
    /// Where the burst of password guesses comes from.
    pub const ATTACKER: &str = "127.0.0.66";

    /// The files lab 8 reads, and the web shop's URL.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct LogFiles {
        /// MariaDB's general query log.
        pub mariadb: PathBuf,
        /// PostgreSQL's server log.
        pub postgres: PathBuf,
        /// The web shop's access log.
        pub access: PathBuf,
        /// The web shop's own log.
        pub app: PathBuf,
        /// The web shop's security log.
        pub auth: PathBuf,
        /// The web shop: `http://127.0.0.1:PORT`.
        pub shop: String,
    }

    impl LogFiles {
        /// As JSON (the boundary's form).
        pub fn to_json(&self) -> Value {
            let p = |p: &PathBuf| p.to_string_lossy().to_string();
            json!({"mariadb": p(&self.mariadb), "postgres": p(&self.postgres), "access": p(&self.access),
                   "app": p(&self.app), "auth": p(&self.auth), "shop": self.shop})
        }
    }

    impl FromReply for LogFiles {
        fn from_reply(v: Value) -> Result<LogFiles> {
            if !v["shop"].is_string() {
                return Err(client::unexpected("lab 8's log files", &v));
            }
            let p = |k: &str| PathBuf::from(client::text(&v[k]));
            Ok(LogFiles {
                mariadb: p("mariadb"),
                postgres: p("postgres"),
                access: p("access"),
                app: p("app"),
                auth: p("auth"),
                shop: client::text(&v["shop"]),
            })
        }
    }

    /// What the traffic sent (`sourcelab::lab8::Traffic`); `data()` has `requests`, `by_status`, `guesses`.
    pub type Traffic = Shown;
}
