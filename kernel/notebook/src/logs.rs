//! Logs as a data source (`sourcelab::logs`): log files parsed into tables in the library. Every reader gives a
//! [`Parsed`]: `rows` (`line`, `time`, `level`, `source`, `message`, then the format's fields) and `unparsed`
//! (the lines that did not fit, with their numbers).

use std::fmt;
use std::path::Path;

use serde_json::{Value, json};

use crate::client::{self, call};
use crate::error::Result;
use crate::frame::Table;

/// The levels, from the least to the most severe.
pub const LEVELS: [&str; 5] = ["debug", "info", "warn", "error", "fatal"];

/// A log file read into tables (`sourcelab::logs::Parsed`).
#[derive(Clone)]
pub struct Parsed {
    /// One row per entry.
    pub rows: Table,
    /// The lines that did not fit the format: `line`, `text`.
    pub unparsed: Table,
    text: String,
}

impl Parsed {
    fn from_reply(v: Value) -> Result<Parsed> {
        Ok(Parsed {
            rows: Table::from_reply(v["rows"].clone())?,
            unparsed: Table::from_reply(v["unparsed"].clone())?,
            text: client::text(&v["text"]),
        })
    }

    /// Prints the summary line and the table of entries for evcxr.
    pub fn evcxr_display(&self) {
        println!("{}", self.text);
        self.rows.evcxr_display();
    }
}

impl fmt::Display for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn read(name: &str, path: &Path) -> Result<Parsed> {
    Parsed::from_reply(call(name, json!({"path": path.to_string_lossy()}))?)
}

/// A web server's access log, Combined Log Format: `client`, `user`, `method`, `path`, `protocol`, `status`,
/// `bytes`, `referer`, `agent`.
pub fn read_access(path: impl AsRef<Path>) -> Result<Parsed> {
    read("logs.read_access", path.as_ref())
}

/// An application's log, `time LEVEL component: message`: `component`.
pub fn read_app(path: impl AsRef<Path>) -> Result<Parsed> {
    read("logs.read_app", path.as_ref())
}

/// A security log in sshd's words: `host`, `process`, `pid`, `outcome`, `user`, `client`, `port`.
pub fn read_auth(path: impl AsRef<Path>) -> Result<Parsed> {
    read("logs.read_auth", path.as_ref())
}

/// MariaDB's general query log: `thread`, `command`, `argument`.
pub fn read_mariadb_general(path: impl AsRef<Path>) -> Result<Parsed> {
    read("logs.read_mariadb_general", path.as_ref())
}

/// PostgreSQL's server log: `pid`, `client`, `client_port`, `user`, `database`, `severity`.
pub fn read_postgres(path: impl AsRef<Path>) -> Result<Parsed> {
    read("logs.read_postgres", path.as_ref())
}

/// The common columns (`time`, `level`, `source`, `message`) of several logs' rows in one table, in time order.
pub fn combine(logs: &[&Table]) -> Result<Table> {
    let ids: Vec<Value> = logs.iter().map(|t| t.arg()).collect();
    Table::from_reply(call("logs.combine", json!({"frames": ids}))?)
}
