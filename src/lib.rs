//! # sourcelab — source systems from Rust notebooks
//!
//! A teaching kit for data engineers: the labs of the DeepLearning.AI Data Engineering course (Course 2, Week 1),
//! in Rust, against real local services instead of an AWS account. The crate has three layers.
//!
//! **The helpers users copy**, one module per source system:
//!
//! | module | what it teaches |
//! |---|---|
//! | [`config`] | env files, connection URLs, secrets that never print |
//! | [`sql`] | relational databases (MariaDB / MySQL, PostgreSQL): results as DataFrames, sessions, transactions |
//! | [`dynamo`] | DynamoDB, a key-value / document store |
//! | [`marshal`] | DynamoDB JSON ↔ plain JSON, exact numbers |
//! | [`s3`] | S3, object storage |
//! | [`sqs`] | SQS, a message queue: visibility timeouts, at-least-once delivery, dead-letter and FIFO queues |
//! | [`kinesis`] | Kinesis, an event stream: shards, partition keys, consumers that each read every record |
//! | [`logs`] | log files (web access, application, security, MariaDB, PostgreSQL) as tables; levels |
//! | [`iam`] | who may do what: users, groups, roles, policies; why a request was allowed or denied |
//! | [`doctor`] | why a database or an S3 object cannot be reached, one layer at a time |
//! | [`net`], [`vpc`] | IPv4 CIDR blocks; whether a client reaches a database through VPCs, routes and firewalls |
//! | [`frame`] | what values show in a notebook: DataFrames as HTML tables, SQL over a DataFrame |
//! | [`plot`] | bar and line charts of a table's columns, as SVG |
//! | [`error`] | the one error type: what failed, why, what to do |
//!
//! **The course** ([`course`]): each lab's data ([`rentio`], [`sakila`], [`ratings`]), lab 4's scenario
//! ([`lab4`]), lab 5's ACID scenario ([`acid`]), lab 6's bucket and names ([`lab6`]), lab 7's click events
//! ([`lab7`]), lab 8's web shop and its logs ([`lab8`]), the exercise checks
//! ([`check`]), the learner copies ([`exercises`]), what the labs made in an AWS account and its price ([`account`]),
//! resetting labs ([`course::reset`]) and grading ([`course::grade`]).
//!
//! **The machinery**: the local stack of real services ([`local`]), the Rust kernel and the notebook boundary
//! ([`kernel`]) through which notebook cells call this library.
//!
//! Every helper is a plain blocking call that returns an owned, concrete value: the async work (sqlx, the AWS
//! SDKs) runs on the library's own runtime. A notebook cell is one line that ends in `?`, and the same line works
//! in a script's `main` (see `examples/`). Notebook cells compile against the thin crate `sourcelab-notebook`,
//! which offers these calls with the same names and runs them here, in one copy of this library per kernel.
//!
//! ```no_run
//! use sourcelab::prelude::*;
//! # fn demo() -> sourcelab::Result<()> {
//! let env = load_env()?;                         // .env, written by `sourcelab up`
//! let db = Db::connect_mysql(&env)?;             // MariaDB from the local stack
//! let versions = db.query("SELECT VERSION() AS version")?;
//! println!("{versions}");
//! # Ok(()) }
//! ```

// The helpers users copy, one module per source system.
pub mod config;
pub mod doctor;
pub mod dynamo;
pub mod error;
pub mod frame;
pub mod iam;
pub mod kinesis;
pub mod logs;
pub mod marshal;
pub mod net;
pub mod plot;
pub mod s3;
pub mod sql;
pub mod sqs;
pub mod vpc;

// The course: lab data, scenarios, checks, exercises.
pub mod course;
pub use course::{account, acid, check, exercises, lab4, lab6, lab7, lab8, ratings, rentio, sakila};

// The machinery: the local stack, the kernel and the notebook boundary, the runtime every call runs on, a class.
pub mod class;
pub mod kernel;
pub mod local;
pub mod runtime;
pub(crate) use runtime::{block_on, wait};

pub use error::{Error, ErrorKind, Result};
pub use sql::SqlValue;
pub use sql::script::sql_cell;

/// What notebooks import: `use sourcelab::prelude::*;` (the kernel does it for you).
pub mod prelude {
    pub use crate::Progress;
    pub use crate::check;
    pub use crate::config::{DbConfig, EnvFile, Secret, load as load_env};
    pub use crate::dynamo::{Dynamo, TableSpec};
    pub use crate::error::{Error, ErrorKind, Result};
    pub use crate::frame::{DataFrame, Png, Show, TableExt};
    /// A query result, a scan, a listing: what a notebook calls `Table` is polars' `DataFrame` in a script.
    pub type Table = DataFrame;
    pub use crate::iam::{Credentials, Iam};
    pub use crate::kinesis::{Kinesis, Reader, StartAt};
    pub use crate::lab4::Lab4;
    pub use crate::net::Cidr;
    pub use crate::s3::S3;
    pub use crate::sql::{Db, Session, SqlValue};
    pub use crate::sqs::{Messages, Sqs};
    pub use crate::{
        account, acid, doctor, dynamo, iam, kinesis, lab4, lab6, lab7, lab8, logs, marshal, plot, ratings, s3, sqs,
    };
    pub use serde_json::{Value as Json, json};
    pub use std::time::Duration;
}

pub use sourcelab_notebook::values::Progress;

/// The top of the sourcelab checkout: `$SOURCELAB_HOME`; else the checkout that holds the current folder (one
/// binary in a shared build folder can serve several clones); else the folder this crate was built from.
pub fn home() -> std::path::PathBuf {
    if let Some(h) = std::env::var_os("SOURCELAB_HOME").filter(|h| !h.is_empty()) {
        return h.into();
    }
    let is_checkout =
        |d: &std::path::Path| d.join("kernel").join("init.evcxr").is_file() && d.join("Cargo.toml").is_file();
    std::env::current_dir()
        .ok()
        .and_then(|cwd| cwd.ancestors().find(|d| is_checkout(d)).map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}

/// The cache outside the checkout (the kernel, its compile cache, build output), shared by every clone:
/// `$SOURCELAB_CACHE`, else `$XDG_CACHE_HOME/sourcelab`, else `~/.cache/sourcelab`.
pub fn cache_dir() -> std::path::PathBuf {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
    var("SOURCELAB_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("sourcelab")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("sourcelab")))
        .unwrap_or_else(|| std::env::temp_dir().join("sourcelab-cache"))
}

/// A stable 32-bit FNV-1a hash, for short unique names derived from paths.
pub(crate) fn short_hash(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}
