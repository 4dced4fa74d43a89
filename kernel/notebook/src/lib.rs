//! # sourcelab-notebook — what a notebook cell compiles against
//!
//! evcxr compiles every cell into a small shared library and links it against the whole dependency graph of every
//! crate the cell can see. With the `sourcelab` library itself in view (polars, sqlx, the AWS SDKs: ~380 crates)
//! that link alone took 2–3 s a cell. So cells see only this crate, whose graph is serde_json, base64 and
//! ipnet, and a cell compiles and links in a fraction of a second.
//!
//! The work happens in the library, built by the same `cargo build` as the `sourcelab` command and linked into the
//! kernel itself: one tokio runtime, one pool per database, one SDK client per endpoint, alive across cells. Cells
//! reach it over a Unix socket ([`client`]). Each function here is a plain blocking call with the same name and
//! arguments as the library's helper, so a cell copied into a script's `main` works against `sourcelab` unchanged:
//!
//! ```no_run
//! use sourcelab_notebook::prelude::*;
//! # fn main() -> Result<()> {
//! let env = load_env()?;
//! let db = Db::connect_mysql(&env)?;
//! let films = db.query("SELECT title, length FROM film LIMIT 4")?;
//! assert_eq!(films.height(), 4);
//! # Ok(()) }
//! ```
//!
//! Results stay where the data is: a query result, a scan or a listing is held by the library and the cell gets a
//! handle ([`Table`], [`Response`]) that shows as the library renders it (an HTML table) and answers what
//! notebooks and checks ask (height, columns, a value, rows as JSON). Dropping a handle frees the value.
//!
//! Errors are the library's own [`Error`] — kind, what failed, why and what to do — and a panic in the library
//! comes back as an error naming the call, never as a crash of the kernel. A cell that returns an error with `?`
//! hands it to the kernel, which shows it as the cell's error and stops Run All there.
//!
//! Some small values are plain Rust on both sides and live here, so a cell uses them without a call: [`Secret`],
//! [`SqlValue`], [`Progress`], [`Engine`], [`net::Cidr`] and the [`Error`] type itself.

pub mod client;
mod config;
mod course;
mod declared;
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
mod sql;
pub mod sqs;
pub mod values;
pub mod wire;

pub use config::{DbConfig, EnvFile, load_env};
pub use course::{account, acid, check, lab4, lab6, lab7, lab8, ratings};
pub use dynamo::{Dynamo, Response, TableSpec};
pub use error::{Error, ErrorKind, Result};
pub use frame::{Png, Shown, Table};
pub use iam::{Credentials, Iam};
pub use kinesis::{Kinesis, Reader, StartAt};
pub use lab4::Lab4;
pub use s3::S3;
pub use sql::{Db, Session, cell as sql_cell};
pub use sqs::{Messages, Sqs};
pub use values::{Engine, Progress, Secret, SqlParam, SqlValue};

/// Connects to the library in the kernel and checks it matches this crate; the kernel calls it while it starts
/// (and after the engine restarts), so the first cell finds everything ready. It also routes panics to the kernel,
/// which shows them as the cell's error. `false` when the library cannot be reached (the first call of a notebook
/// then says why).
pub fn ready() -> bool {
    if client::in_engine() {
        std::panic::set_hook(Box::new(|info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
            let thread = std::thread::current().name().unwrap_or("").to_string();
            let reported =
                client::call("cell.panic", serde_json::json!({"message": message, "at": at, "thread": thread}));
            if reported.is_err() {
                eprintln!("panicked: {message}");
            }
        }));
    }
    client::call("hello", serde_json::json!({})).is_ok()
}

/// What the kernel imports into every notebook: `use sourcelab_notebook::prelude::*;`.
pub mod prelude {
    pub use crate::frame::{BatchReport, Diagnosis, Emptied, Passed, Transfer};
    pub use crate::lab4::Network;
    pub use crate::net::Cidr;
    pub use crate::{
        Credentials, Db, DbConfig, Dynamo, Engine, EnvFile, Error, ErrorKind, Iam, Kinesis, Lab4, Messages, Png,
        Progress, Reader, Response, Result, S3, Secret, Session, Shown, SqlValue, Sqs, StartAt, Table, TableSpec,
        load_env,
    };
    pub use crate::{
        account, acid, check, doctor, dynamo, iam, kinesis, lab4, lab6, lab7, lab8, logs, marshal, plot, ratings, s3,
        sqs,
    };
    pub use serde_json::{Value as Json, json};
    pub use std::time::Duration;
}
