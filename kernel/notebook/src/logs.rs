//! Logs as a data source (`sourcelab::logs`): log files parsed into tables in the library. Every reader gives a
//! [`Parsed`]: `rows` (`line`, `time`, `level`, `source`, `message`, then the format's fields) and `unparsed`
//! (the lines that did not fit, with their numbers).

use std::fmt;

use serde_json::Value;

use crate::client;
use crate::error::Result;
use crate::frame::Table;

pub use crate::declared::logs::*;

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

impl client::FromReply for Parsed {
    fn from_reply(v: Value) -> Result<Parsed> {
        Ok(Parsed {
            rows: Table::from_reply(v["rows"].clone())?,
            unparsed: Table::from_reply(v["unparsed"].clone())?,
            text: client::text(&v["text"]),
        })
    }
}

impl Parsed {
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
