//! The course: lab 3's files, lab 4's scenario, lab 5's tables and the exercise checks (`sourcelab::course` in the
//! library).

/// Exercise checks: each prints `✓ …` when the work is right, or fails with what was expected and a hint.
pub mod check {
    use serde_json::json;

    use crate::client::call;
    use crate::dynamo::{Dynamo, Response};
    use crate::error::Result;
    use crate::frame::{BatchReport, Passed, Shown, Table};
    use crate::iam::{Credentials, Iam};
    use crate::kinesis::Kinesis;
    use crate::lab4::Lab4;
    use crate::net::Cidr;
    use crate::s3::S3;
    use crate::sql::{Db, Session};
    use crate::sqs::{Messages, Sqs};

    fn passed(reply: Result<serde_json::Value>) -> Result<Passed> {
        reply.map(Shown::from_reply)
    }

    /// Exercise 1: `category_copy` exists with `category_id` (integer), `name` (VARCHAR(25)), `last_update` (TIMESTAMP).
    pub fn lab1_ex1(db: &Db) -> Result<Passed> {
        passed(call("check.lab1_ex1", json!({"db": db.arg()})))
    }

    /// Exercise 2: title, length and release year of 4 films.
    pub fn lab1_ex2(df: &Table) -> Result<Passed> {
        passed(call("check.lab1_ex2", json!({"df": df.arg()})))
    }

    /// Exercise 3: every column of `store`.
    pub fn lab1_ex3(df: &Table) -> Result<Passed> {
        passed(call("check.lab1_ex3", json!({"df": df.arg()})))
    }

    /// Exercise 4: name and email of the active staff.
    pub fn lab1_ex4(df: &Table) -> Result<Passed> {
        passed(call("check.lab1_ex4", json!({"df": df.arg()})))
    }

    /// Exercise 5: three rows inserted into `category_copy`.
    pub fn lab1_ex5(db: &Db, inserted: &[u64]) -> Result<Passed> {
        passed(call("check.lab1_ex5", json!({"db": db.arg(), "inserted": json!(inserted)})))
    }

    /// Exercise 6: the three UPDATEs (3, 1 and 1 rows), as the SQL cell kept them (`%%sql updated <<`).
    pub fn lab1_ex6(db: &Db, updated: &Table) -> Result<Passed> {
        passed(call("check.lab1_ex6", json!({"db": db.arg(), "updated": updated.arg()})))
    }

    /// Exercise 7: the row with `category_id` 20 deleted, as the SQL cell kept it (`%%sql deleted <<`).
    pub fn lab1_ex7(db: &Db, deleted: &Table) -> Result<Passed> {
        passed(call("check.lab1_ex7", json!({"db": db.arg(), "deleted": deleted.arg()})))
    }

    /// Exercise 8: aliases `film_title`, `film_length`, `film_release_year`, 10 rows.
    pub fn lab1_ex8(df: &Table) -> Result<Passed> {
        passed(call("check.lab1_ex8", json!({"df": df.arg()})))
    }

    /// Exercise 9: city, address and district of 5 addresses (a join of address and city).
    pub fn lab1_ex9(df: &Table) -> Result<Passed> {
        passed(call("check.lab1_ex9", json!({"df": df.arg()})))
    }

    /// Exercise 10: country, city and address of the active staff (three joins).
    pub fn lab1_ex10(df: &Table) -> Result<Passed> {
        passed(call("check.lab1_ex10", json!({"df": df.arg()})))
    }

    /// Exercise 11: films per rating: 5 ratings, 1000 films in all.
    pub fn lab1_ex11(df: &Table) -> Result<Passed> {
        passed(call("check.lab1_ex11", json!({"df": df.arg()})))
    }

    /// Exercise 12: films per category, ascending: 16 categories, 1000 films.
    pub fn lab1_ex12(df: &Table) -> Result<Passed> {
        passed(call("check.lab1_ex12", json!({"df": df.arg()})))
    }

    /// Exercise 1: the four tables exist, ACTIVE, with the lab's keys.
    pub fn lab2_ex1(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
        passed(call("check.lab2_ex1", json!({"ddb": ddb.arg(), "prefix": json!(prefix)})))
    }

    /// Exercise 2: ProductCatalog and Thread loaded item by item (8 and 3 items).
    pub fn lab2_ex2(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
        passed(call("check.lab2_ex2", json!({"ddb": ddb.arg(), "prefix": json!(prefix)})))
    }

    /// Exercise 3: Reply and Forum loaded as batches (4 and 2 items), nothing left unprocessed.
    pub fn lab2_ex3(ddb: &Dynamo, prefix: &str, reports: &[BatchReport]) -> Result<Passed> {
        passed(call(
            "check.lab2_ex3",
            json!({"ddb": ddb.arg(), "prefix": json!(prefix), "reports": reports.iter().map(|r| r.data().clone()).collect::<Vec<_>>()}),
        ))
    }

    /// Exercise 4: a full scan of ProductCatalog.
    pub fn lab2_ex4(r: &Response) -> Result<Passed> {
        passed(call("check.lab2_ex4", json!({"r": r.arg()})))
    }

    /// Exercise 5: the product with Id 101.
    pub fn lab2_ex5(r: &Response) -> Result<Passed> {
        passed(call("check.lab2_ex5", json!({"r": r.arg()})))
    }

    /// Exercise 6: only the first reply to thread 1 (`Limit` 1, ascending).
    pub fn lab2_ex6(r: &Response) -> Result<Passed> {
        passed(call("check.lab2_ex6", json!({"r": r.arg()})))
    }

    /// Exercise 7: only the latest reply to thread 1 (`Limit` 1, descending).
    pub fn lab2_ex7(r: &Response) -> Result<Passed> {
        passed(call("check.lab2_ex7", json!({"r": r.arg()})))
    }

    /// Exercise 8: two colours appended to bike 201.
    pub fn lab2_ex8(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
        passed(call("check.lab2_ex8", json!({"ddb": ddb.arg(), "prefix": json!(prefix)})))
    }

    /// Exercise 9: the two colours removed again.
    pub fn lab2_ex9(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
        passed(call("check.lab2_ex9", json!({"ddb": ddb.arg(), "prefix": json!(prefix)})))
    }

    /// Exercise 10: the new reply deleted.
    pub fn lab2_ex10(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
        passed(call("check.lab2_ex10", json!({"ddb": ddb.arg(), "prefix": json!(prefix)})))
    }

    /// Exercise 11: the transaction added the reply and counted it (Messages 5).
    pub fn lab2_ex11(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
        passed(call("check.lab2_ex11", json!({"ddb": ddb.arg(), "prefix": json!(prefix)})))
    }

    /// Exercise 1: the bucket exists.
    pub fn lab3_ex1(s3: &S3, bucket: &str) -> Result<Passed> {
        passed(call("check.lab3_ex1", json!({"s3": s3.arg(), "bucket": json!(bucket)})))
    }

    /// Exercise 2: the JSON record uploaded under `json/`.
    pub fn lab3_ex2(s3: &S3, bucket: &str) -> Result<Passed> {
        passed(call("check.lab3_ex2", json!({"s3": s3.arg(), "bucket": json!(bucket)})))
    }

    /// Exercise 3: the listing of the `json/` prefix.
    pub fn lab3_ex3(listing: &Table) -> Result<Passed> {
        passed(call("check.lab3_ex3", json!({"listing": listing.arg()})))
    }

    /// Exercise 4: the first image uploaded to `images/logo.png`.
    pub fn lab3_ex4(s3: &S3, bucket: &str) -> Result<Passed> {
        passed(call("check.lab3_ex4", json!({"s3": s3.arg(), "bucket": json!(bucket)})))
    }

    /// Lab 5, exercise 1: 30 moved from alice to bob in one transaction.
    pub fn lab5_ex1(db: &Db) -> Result<Passed> {
        passed(call("check.lab5_ex1", json!({"db": db.arg()})))
    }

    /// Lab 5, exercise 2: the `purchase` table refuses a quantity below 1.
    pub fn lab5_ex2(db: &Db) -> Result<Passed> {
        passed(call("check.lab5_ex2", json!({"db": db.arg()})))
    }

    /// Lab 5, exercise 3: `read` makes a read-modify-write safe: no lost update.
    pub fn lab5_ex3(db: &Db, read: &str) -> Result<Passed> {
        passed(call("check.lab5_ex3", json!({"db": db.arg(), "read": read})))
    }

    /// Lab 5, exercise 4: `take_one` gives the last copy to exactly one of two racing buyers.
    pub fn lab5_ex4(db: &Db, take_one: &str) -> Result<Passed> {
        passed(call("check.lab5_ex4", json!({"db": db.arg(), "take_one": take_one})))
    }

    /// Lab 5, exercise 5: the weakest isolation level without dirty or non-repeatable reads.
    pub fn lab5_ex5(session: &Session) -> Result<Passed> {
        passed(call("check.lab5_ex5", json!({"session": session.arg()})))
    }

    /// Lab 5, exercise 6: 30 moved from alice to bob in one DynamoDB transaction.
    pub fn lab5_ex6(ddb: &Dynamo) -> Result<Passed> {
        passed(call("check.lab5_ex6", json!({"ddb": ddb.arg()})))
    }

    /// Lab 6, exercise 1: `keys` belong to the analyst, and work.
    pub fn lab6_ex1(iam: &Iam, keys: &Credentials) -> Result<Passed> {
        passed(call("check.lab6_ex1", json!({"iam": iam.arg(), "keys": keys.arg()})))
    }

    /// Lab 6, exercise 2: the analyst reads through the group, and writes nothing.
    pub fn lab6_ex2(iam: &Iam, keys: &Credentials) -> Result<Passed> {
        passed(call("check.lab6_ex2", json!({"iam": iam.arg(), "keys": keys.arg()})))
    }

    /// Lab 6, exercise 3: the analyst writes under `uploads/` only.
    pub fn lab6_ex3(iam: &Iam, keys: &Credentials) -> Result<Passed> {
        passed(call("check.lab6_ex3", json!({"iam": iam.arg(), "keys": keys.arg()})))
    }

    /// Lab 6, exercise 4: an explicit deny keeps the analyst out of `secret/`.
    pub fn lab6_ex4(iam: &Iam, keys: &Credentials) -> Result<Passed> {
        passed(call("check.lab6_ex4", json!({"iam": iam.arg(), "keys": keys.arg()})))
    }

    /// Lab 6, exercise 5: `document` lets a pipeline read `raw/2024/` and nothing else.
    pub fn lab6_ex5(iam: &Iam, document: &serde_json::Value) -> Result<Passed> {
        passed(call("check.lab6_ex5", json!({"iam": iam.arg(), "document": document})))
    }

    /// Lab 6, exercise 6: `keys` are a session of the pipeline role.
    pub fn lab6_ex6(iam: &Iam, keys: &Credentials) -> Result<Passed> {
        passed(call("check.lab6_ex6", json!({"iam": iam.arg(), "keys": keys.arg()})))
    }

    /// Lab 7, exercise 1: the queue `lab7::ORDERS` (visibility timeout 2 s) holds three orders.
    pub fn lab7_ex1(sqs: &Sqs) -> Result<Passed> {
        passed(call("check.lab7_ex1", json!({"sqs": sqs.arg()})))
    }

    /// Lab 7, exercise 2: the three orders received and deleted; the queue is empty.
    pub fn lab7_ex2(sqs: &Sqs, processed: &Messages) -> Result<Passed> {
        passed(call("check.lab7_ex2", json!({"sqs": sqs.arg(), "processed": processed.arg()})))
    }

    /// Lab 7, exercise 3: `lab7::ORDERS_DLQ` is the dead-letter queue of `lab7::ORDERS`, after 2 receives.
    pub fn lab7_ex3(sqs: &Sqs) -> Result<Passed> {
        passed(call("check.lab7_ex3", json!({"sqs": sqs.arg()})))
    }

    /// Lab 7, exercise 4: the payments came out of the FIFO queue once each, in order.
    pub fn lab7_ex4(received: &Messages) -> Result<Passed> {
        passed(call("check.lab7_ex4", json!({"received": received.arg()})))
    }

    /// Lab 7, exercise 5: the stream `lab7::STREAM` exists with two shards.
    pub fn lab7_ex5(kinesis: &Kinesis) -> Result<Passed> {
        passed(call("check.lab7_ex5", json!({"kinesis": kinesis.arg()})))
    }

    /// Lab 7, exercise 6: `replay` is every record of one shard after sequence number `after`.
    pub fn lab7_ex6(kinesis: &Kinesis, replay: &Table, after: &str) -> Result<Passed> {
        passed(call("check.lab7_ex6", json!({"kinesis": kinesis.arg(), "replay": replay.arg(), "after": after})))
    }

    /// Lab 7, exercise 7: clicks per page over `clicks` (`page`, `clicks`), the most visited first.
    pub fn lab7_ex7(clicks: &Table, per_page: &Table) -> Result<Passed> {
        passed(call("check.lab7_ex7", json!({"clicks": clicks.arg(), "per_page": per_page.arg()})))
    }

    /// Lab 8, exercise 1: every statement MariaDB ran (`Query` or `Execute`) that mentions `film`: `thread`, `argument`, in log order.
    pub fn lab8_ex1(general: &Table, answer: &Table) -> Result<Passed> {
        passed(call("check.lab8_ex1", json!({"source": general.arg(), "answer": answer.arg()})))
    }

    /// Lab 8, exercise 2: PostgreSQL's refused passwords per user: `user`, `failures`, the most first.
    pub fn lab8_ex2(postgres: &Table, answer: &Table) -> Result<Passed> {
        passed(call("check.lab8_ex2", json!({"source": postgres.arg(), "answer": answer.arg()})))
    }

    /// Lab 8, exercise 3: the shop's requests per status code: `status`, `requests`, by status.
    pub fn lab8_ex3(access: &Table, answer: &Table) -> Result<Passed> {
        passed(call("check.lab8_ex3", json!({"source": access.arg(), "answer": answer.arg()})))
    }

    /// Lab 8, exercise 4: failed logins per client in the shop's security log: `client`, `failures`, the most first.
    pub fn lab8_ex4(auth: &Table, answer: &Table) -> Result<Passed> {
        passed(call("check.lab8_ex4", json!({"source": auth.arg(), "answer": answer.arg()})))
    }

    /// Lab 8, exercise 5: every log's entries per level: `level`, `lines`, the most first.
    pub fn lab8_ex5(all: &Table, answer: &Table) -> Result<Passed> {
        passed(call("check.lab8_ex5", json!({"source": all.arg(), "answer": answer.arg()})))
    }

    /// Exercise 1: the /24 block of the lab VPC that holds the database's address.
    pub fn lab4_ex1(block: &Cidr) -> Result<Passed> {
        passed(call("check.lab4_ex1", json!({"block": json!(block.to_string())})))
    }

    /// Exercise 2: working from the bastion in the database's VPC.
    pub fn lab4_ex2(lab: &Lab4) -> Result<Passed> {
        passed(call("check.lab4_ex2", json!({"lab": lab.arg()})))
    }

    /// Exercise 3: the database's security group admits the bastion's group on 5432 (and not the whole internet).
    pub fn lab4_ex3(lab: &Lab4) -> Result<Passed> {
        passed(call("check.lab4_ex3", json!({"lab": lab.arg()})))
    }

    /// Exercise 4: connected as the master user.
    pub fn lab4_ex4(db: &Db) -> Result<Passed> {
        passed(call("check.lab4_ex4", json!({"db": db.arg()})))
    }

    /// Exercise 5: the bucket policy lets the CSV be read (a download succeeds).
    pub fn lab4_ex5(s3: &S3, bucket: &str) -> Result<Passed> {
        passed(call("check.lab4_ex5", json!({"s3": s3.arg(), "bucket": json!(bucket)})))
    }

    /// Exercise 6: every row of the CSV loaded.
    pub fn lab4_ex6(db: &Db) -> Result<Passed> {
        passed(call("check.lab4_ex6", json!({"db": db.arg()})))
    }
}

/// Lab 3's generated files: the ratings CSV, one JSON record, two versions of an image.
pub mod ratings {
    use serde_json::json;

    use crate::client::{self, call};
    use crate::wire::bytes_from_json;

    /// The ratings CSV, relative to `data/s3/`.
    pub const CSV_PATH: &str = "csv/ratings_ml_training_dataset.csv";
    /// The JSON record.
    pub const JSON_PATH: &str = "json/delivery-stream-one-record.json";
    /// The first version of the image.
    pub const IMAGE_V1_PATH: &str = "images/v1/logo.png";
    /// The second version of the image.
    pub const IMAGE_V2_PATH: &str = "images/v2/logo.png";

    /// Every file with its bytes, generated by the library (the same bytes as `data/s3/`).
    pub fn files() -> Vec<(String, Vec<u8>)> {
        let files = call("ratings.files", json!({})).and_then(|v| {
            let list = v.as_array().into_iter().flatten();
            list.map(|f| Ok((client::text(&f[0]), bytes_from_json(&f[1])?))).collect::<crate::Result<Vec<_>>>()
        });
        client::or_report(files, Vec::new())
    }
}

/// Lab 4: troubleshooting database connectivity — the EC2 network, the RDS instance, the data bucket.
pub mod lab4 {
    use std::fmt;
    use std::path::PathBuf;
    use std::time::Duration;

    use serde_json::{Value, json};

    use crate::client::{self, Shared, call, id};
    use crate::config::{DbConfig, EnvFile};
    use crate::error::Result;
    use crate::frame::{Diagnosis, Shown};
    use crate::net::Cidr;
    use crate::values::Secret;

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

    /// The table's DDL (`DROP TABLE IF EXISTS` + `CREATE TABLE ratings_training`).
    pub fn ddl_path() -> PathBuf {
        client::or_report(call("lab4.ddl_path", json!({})).map(|p| client::text(&p).into()), PathBuf::new())
    }

    /// Lab 4's scenario, set up and running (kept in the library).
    #[derive(Clone)]
    pub struct Lab4 {
        h: Shared,
        env: EnvFile,
        bucket: String,
        given: Secret,
    }

    impl Lab4 {
        fn from_reply(v: Value) -> Result<Lab4> {
            Ok(Lab4 {
                h: client::handle(&v)?,
                env: EnvFile::from_reply(v["env"].clone())?,
                bucket: client::text(&v["bucket"]),
                given: Secret::new(client::text(&v["given_password"])),
            })
        }

        pub(crate) fn arg(&self) -> Value {
            json!(id(&self.h))
        }

        fn call(&self, name: &str, mut args: Value) -> Result<Value> {
            args["lab"] = self.arg();
            call(name, args)
        }

        /// Builds the scenario from scratch: the PostgreSQL user and database, the EC2 network, the RDS instance,
        /// the data bucket and the gateway. You start on the external bastion.
        pub fn setup() -> Result<Lab4> {
            Lab4::from_reply(call("lab4.setup", json!({}))?)
        }

        /// The scenario set up earlier (by `sourcelab lab4 setup` or [`Lab4::setup`]).
        pub fn open() -> Result<Lab4> {
            Lab4::from_reply(call("lab4.open", json!({}))?)
        }

        /// Puts the lab back to its starting point (same as [`Lab4::setup`]).
        pub fn reset(&self) -> Result<Lab4> {
            Lab4::from_reply(self.call("lab4.reset", json!({}))?)
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
            Ok(client::text(&self.call("lab4.client", json!({}))?))
        }

        /// Work from another client instance (on AWS: log in to that machine).
        pub fn use_client(&self, name: &str) -> Result<()> {
            self.call("lab4.use_client", json!({"name": name})).map(drop)
        }

        /// The password DevOps first gave you.
        pub fn given_password(&self) -> Secret {
            self.given.clone()
        }

        /// Asks DevOps again: the password they changed it to.
        pub fn ask_devops(&self) -> Result<Secret> {
            Ok(Secret::new(client::text(&self.call("lab4.ask_devops", json!({}))?)))
        }

        /// The RDS instance's endpoint as `describe_db_instances` reports it: (address, port).
        pub fn rds_endpoint(&self) -> Result<(String, u16)> {
            let v = self.call("lab4.rds_endpoint", json!({}))?;
            Ok((client::text(&v[0]), v[1].as_u64().and_then(|p| u16::try_from(p).ok()).unwrap_or(0)))
        }

        /// Connection settings for the database with `password`.
        pub fn database(&self, password: &Secret) -> Result<DbConfig> {
            DbConfig::from_json(&self.call("lab4.database", json!({"password": password.expose()}))?)
        }

        /// The lab's two VPCs as the EC2 API describes them now.
        pub fn network(&self) -> Result<Network> {
            Network::from_reply(self.call("lab4.network", json!({}))?)
        }

        /// The doctor for this database, plus — when TCP times out — the rule in the EC2 network that drops it.
        pub fn doctor(&self, cfg: &DbConfig, timeout: Duration) -> Result<Diagnosis> {
            let args = json!({"config": cfg.to_json(), "timeout_ms": timeout.as_millis() as u64});
            Ok(Shown::from_reply(self.call("lab4.doctor", args)?))
        }

        /// Adds an inbound rule to security group `group` for TCP `port` from `source` (a group or a CIDR block).
        pub fn allow_tcp(&self, group: &str, port: u16, source: &str) -> Result<()> {
            self.call("lab4.allow_tcp", json!({"group": group, "port": port, "source": source})).map(drop)
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

    impl Network {
        fn from_reply(v: Value) -> Result<Network> {
            let mut vpcs = Vec::new();
            for x in v["vpcs"].as_array().into_iter().flatten() {
                let cidr = client::text(&x["cidr"]).parse()?;
                vpcs.push(Vpc { id: client::text(&x["id"]), name: client::text(&x["name"]), cidr });
            }
            Ok(Network { h: client::handle(&v)?, vpcs })
        }

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
    use serde_json::json;

    use crate::client::{self, call};
    use crate::config::EnvFile;
    use crate::error::Result;
    use crate::frame::Shown;
    use crate::sql::Db;

    /// The lab's database, next to lab 1's.
    pub const DATABASE: &str = "acid";
    /// The lab's DynamoDB table (accounts keyed by `owner`).
    pub const DYNAMO_TABLE: &str = "acid-accounts";
    /// What every DynamoDB table of the lab starts with.
    pub const DYNAMO_PREFIX: &str = "acid-";

    /// What a crash of the lab's MariaDB did (`sourcelab::local::Crash`).
    pub type Crash = Shown;

    /// The lab database on the MariaDB the env file names, created when missing.
    pub fn connect(env: &EnvFile) -> Result<Db> {
        Db::from_reply(call("acid.connect", json!({"env": env.arg()}))?)
    }

    /// Puts the lab's tables back at their start (alice 100, bob 50; three products, the last with one copy)
    /// and returns the lab database.
    pub fn setup(env: &EnvFile) -> Result<Db> {
        Db::from_reply(call("acid.setup", json!({"env": env.arg()}))?)
    }

    /// The lab's tables back at their start, between two experiments.
    pub fn restock(db: &Db) -> Result<()> {
        call("acid.restock", json!({"db": db.arg()})).map(drop)
    }

    /// Kills the lab's MariaDB with SIGKILL (only the private one `sourcelab up` started), starts it again on
    /// the same data and says what its log reports about recovery.
    pub fn crash(db: &Db) -> Result<Crash> {
        call("acid.crash", json!({"db": db.arg()})).map(Shown::from_reply)
    }

    /// Removes the `acid` database and the lab's DynamoDB tables; what it removed.
    pub fn reset(env: &EnvFile) -> Result<Vec<String>> {
        Ok(client::strings(&call("acid.reset", json!({"env": env.arg()}))?))
    }
}

/// Lab 6's names and its data bucket on the IAM lab's moto (`sourcelab::lab6`).
pub mod lab6 {
    use serde_json::json;

    use crate::client::{self, call};
    use crate::config::EnvFile;
    use crate::error::Result;
    use crate::iam::Iam;

    /// What everything lab 6 makes is called by.
    pub const PREFIX: &str = crate::iam::PREFIX;
    /// The data bucket.
    pub const BUCKET: &str = "lab6-data";
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

    /// Removes what lab 6 made before and creates the data bucket again; the administrator's connection.
    pub fn setup(env: &EnvFile) -> Result<Iam> {
        Iam::from_reply(call("lab6.setup", json!({"env": env.arg()}))?)
    }

    /// Removes everything lab 6 made; what it removed.
    pub fn reset(env: &EnvFile) -> Result<Vec<String>> {
        Ok(client::strings(&call("lab6.reset", json!({"env": env.arg()}))?))
    }
}

/// Lab 7's names, its click events and payments (`sourcelab::lab7`).
pub mod lab7 {
    use serde_json::json;

    use crate::client::{self, call};
    use crate::config::EnvFile;
    use crate::error::Result;
    use crate::frame::Table;

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

    /// `n` click events as JSON text, in time order: `event_id`, `user`, `page`, `at` — the same every run.
    pub fn clicks(n: usize) -> Vec<String> {
        client::or_report(call("lab7.clicks", json!({"n": n})).map(|v| client::strings(&v)), Vec::new())
    }

    /// The click events of a table with a `data` column (what a stream reader read) as typed columns:
    /// `event_id`, `user`, `page`, `at` (a datetime) and `minute` (`HH:MM`).
    pub fn clicks_table(records: &Table) -> Result<Table> {
        Table::from_reply(call("lab7.clicks_table", json!({"records": records.arg()}))?)
    }

    /// Removes every queue and stream lab 7 made; what it removed.
    pub fn reset(env: &EnvFile) -> Result<Vec<String>> {
        Ok(client::strings(&call("lab7.reset", json!({"env": env.arg()}))?))
    }
}

/// Lab 8's log files, its web shop and its traffic (`sourcelab::lab8`).
pub mod lab8 {
    use std::path::PathBuf;

    use serde_json::{Value, json};

    use crate::client::{self, call};
    use crate::config::EnvFile;
    use crate::error::Result;
    use crate::frame::Shown;
    use crate::values::Progress;

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

        /// Reads [`LogFiles::to_json`]'s form.
        pub fn from_json(v: &Value) -> LogFiles {
            let p = |k: &str| PathBuf::from(client::text(&v[k]));
            LogFiles {
                mariadb: p("mariadb"),
                postgres: p("postgres"),
                access: p("access"),
                app: p("app"),
                auth: p("auth"),
                shop: client::text(&v["shop"]),
            }
        }
    }

    /// What the traffic sent (`sourcelab::lab8::Traffic`); `data()` has `requests`, `by_status`, `guesses`.
    pub type Traffic = Shown;

    /// Starts the web shop (once per kernel), makes sure MariaDB's general log is on; the log files.
    pub fn setup(env: &EnvFile) -> Result<LogFiles> {
        Ok(LogFiles::from_json(&call("lab8.setup", json!({"env": env.arg()}))?))
    }

    /// Sends `seconds` of seeded traffic to the shop: shoppers, probes, and a burst of password guesses.
    pub fn traffic(url: &str, seconds: u32, progress: Progress) -> Result<Traffic> {
        let args = json!({"url": url, "seconds": seconds, "progress": progress == Progress::Print});
        Ok(Shown::from_reply(call("lab8.traffic", args)?))
    }

    /// A copy of the log file `path` with a line of binary noise in the middle and its last line cut in half, as
    /// a crash or a full disk leaves one; its path.
    pub fn damaged_copy(path: &std::path::Path) -> Result<PathBuf> {
        Ok(client::text(&call("lab8.damaged_copy", json!({"path": path.to_string_lossy()}))?).into())
    }

    /// Logs in `n` times to MariaDB and to PostgreSQL with a wrong password; how many attempts were refused.
    pub fn failed_logins(env: &EnvFile, n: u32) -> Result<u64> {
        Ok(call("lab8.failed_logins", json!({"env": env.arg(), "n": n}))?.as_u64().unwrap_or(0))
    }
}
