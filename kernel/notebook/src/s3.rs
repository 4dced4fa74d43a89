//! S3 (`sourcelab::s3`): buckets, objects, multipart transfers, listings, versions, policies, presigned URLs and
//! SQL over CSV objects. An [`S3`] is the library's client; listings come back as [`Table`]s.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::client::{self, FromReply, Shared, call, id};
use crate::config::EnvFile;
use crate::error::Result;
use crate::frame::Table;

/// Every bucket of the env file's account (`name`, `created`).
pub fn list_buckets(env: &EnvFile) -> Result<Table> {
    Table::from_reply(call("s3.list_buckets_env", json!({"env": env.arg()}))?)
}

/// The path of one of lab 3's files (`ratings::CSV_PATH` → `data/s3/csv/…`).
pub fn data_file(path: &str) -> PathBuf {
    client::or_report(call("s3.data_file", json!({"path": path})).map(|p| client::text(&p).into()), path.into())
}

/// Reads a local CSV file (with a header) into a table.
pub fn read_csv_file(path: impl AsRef<Path>) -> Result<Table> {
    Table::from_reply(call("s3.read_csv_file", json!({"path": path.as_ref().to_string_lossy()}))?)
}

/// SQL over a table, which the query calls `s3object` (as S3 Select did). The table is borrowed: a cell that
/// moved a variable into a call would make evcxr show the answer as text instead of a table.
pub fn query_frame(table: &Table, sql: &str) -> Result<Table> {
    Table::from_reply(call("s3.query_frame", json!({"frame": table.arg(), "sql": sql}))?)
}

/// An S3 connection (the library's SDK client and transfer settings). Cheap to clone.
#[derive(Clone)]
pub struct S3 {
    h: Shared,
    text: String,
    region: String,
}

impl FromReply for S3 {
    fn from_reply(v: Value) -> Result<S3> {
        Ok(S3 { h: client::handle(&v)?, text: client::text(&v["text"]), region: client::text(&v["region"]) })
    }
}

impl S3 {
    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    /// The region buckets are created in.
    pub fn region(&self) -> &str {
        &self.region
    }
}

impl fmt::Debug for S3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
