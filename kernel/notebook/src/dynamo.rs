//! DynamoDB (`sourcelab::dynamo`): tables, items, queries and scans, batch loads, transactions. A [`Dynamo`] is
//! the library's client; every read comes back as a [`Response`] kept in the library.
//!
//! Items, keys and parameters are JSON as in boto3: marshal JSON (`{"Id": {"N": "101"}}`) for items and keys, and
//! the API's own parameter names (`"KeyConditionExpression"`, `"Limit"`, …).

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::client::{self, FromReply, Shared, call, id};
use crate::config::EnvFile;
use crate::error::Result;
use crate::frame::Table;

/// The names of every table of the env file's DynamoDB.
pub fn list_tables(env: &EnvFile) -> Result<Vec<String>> {
    Ok(client::strings(&call("dynamo.list_tables_env", json!({"env": env.arg()}))?))
}

/// The path of one of our lab 2 data files (`"Reply"` → `data/dynamodb/Reply.json`).
pub fn data_file(name: &str) -> PathBuf {
    client::or_report(call("dynamo.data_file", json!({"name": name})).map(|p| client::text(&p).into()), name.into())
}

/// The items of a batch-write file, as (table, marshal JSON item) pairs.
pub fn file_items(path: impl AsRef<Path>) -> Result<Vec<(String, Value)>> {
    let v = call("dynamo.file_items", json!({"path": path.as_ref().to_string_lossy()}))?;
    Ok(v.as_array().map(|a| a.iter().map(|p| (client::text(&p[0]), p[1].clone())).collect()).unwrap_or_default())
}

/// A table to create: its name, keys, an optional index and capacity (`sourcelab::dynamo::TableSpec`).
///
/// ```no_run
/// # use sourcelab_notebook::prelude::*;
/// let spec = TableSpec::new("Thread").hash("ForumName", "S").range("Subject", "S").capacity(10, 5);
/// ```
#[derive(Debug, Clone)]
pub struct TableSpec {
    name: String,
    steps: Vec<Value>,
}

impl TableSpec {
    /// A table called `name` (give it a partition key with [`TableSpec::hash`]).
    pub fn new(name: &str) -> Self {
        TableSpec { name: name.into(), steps: Vec::new() }
    }

    /// The partition key: attribute name and type (`"S"`, `"N"` or `"B"`).
    pub fn hash(mut self, attribute: &str, ty: &str) -> Self {
        self.steps.push(json!(["hash", attribute, ty]));
        self
    }

    /// The sort key: attribute name and type.
    pub fn range(mut self, attribute: &str, ty: &str) -> Self {
        self.steps.push(json!(["range", attribute, ty]));
        self
    }

    /// A global secondary index with its own keys (projecting all attributes).
    pub fn gsi(mut self, index: &str, hash: (&str, &str), range: Option<(&str, &str)>) -> Self {
        self.steps.push(json!(["gsi", index, [hash.0, hash.1], range.map(|r| [r.0, r.1])]));
        self
    }

    /// Provisioned capacity (read and write units); without it the table is on-demand.
    pub fn capacity(mut self, read: i64, write: i64) -> Self {
        self.steps.push(json!(["capacity", read, write]));
        self
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({"name": self.name, "steps": self.steps})
    }
}

/// What a DynamoDB call gave back: items, counts, the key to continue from, consumed capacity. It shows as a
/// summary line and the items as a table.
#[derive(Clone)]
pub struct Response {
    h: Shared,
    items: usize,
}

impl FromReply for Response {
    fn from_reply(v: Value) -> Result<Response> {
        match v["items"].as_u64() {
            Some(items) => Ok(Response { h: client::handle(&v)?, items: items as usize }),
            None => Err(client::unexpected("a DynamoDB response", &v)),
        }
    }
}

impl Response {
    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    fn get(&self, what: &str) -> Result<Value> {
        call("dynamo.response", json!({"response": self.arg(), "get": what}))
    }

    /// How many items came back.
    pub fn len(&self) -> usize {
        self.items
    }

    /// Whether no item came back.
    pub fn is_empty(&self) -> bool {
        self.items == 0
    }

    /// The items as plain JSON (an array), numbers exact.
    pub fn plain(&self) -> Result<Value> {
        self.get("plain")
    }

    /// The items as DynamoDB (marshal) JSON (an array), as boto3 prints them.
    pub fn marshal(&self) -> Result<Value> {
        self.get("marshal")
    }

    /// The first item as plain JSON, or `null` when nothing came back.
    pub fn item(&self) -> Result<Value> {
        self.get("item")
    }

    /// The returned attributes (`ReturnValues`) as plain JSON, or `null`.
    pub fn attributes(&self) -> Result<Value> {
        self.get("attributes")
    }

    /// `LastEvaluatedKey` as marshal JSON (what `ExclusiveStartKey` takes), or `null` on the last page.
    pub fn last_key(&self) -> Result<Value> {
        self.get("last_key")
    }

    /// `Count` and `ScannedCount` (scan and query), `null` where the call gives none.
    pub fn counts(&self) -> Result<Value> {
        self.get("counts")
    }

    /// Total capacity units consumed (0 when not asked for).
    pub fn capacity_units(&self) -> f64 {
        self.get("capacity_units").ok().and_then(|v| v.as_f64()).unwrap_or(0.0)
    }

    /// The items as a table: one row per item, one column per attribute (key attributes first).
    pub fn frame(&self) -> Result<Table> {
        Table::from_reply(self.get("frame")?)
    }

    /// Prints the summary, then the items as an HTML table.
    pub fn evcxr_display(&self) {
        crate::frame::show(&self.h)
    }
}

/// The summary line, then one plain-JSON line per item.
impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::frame::write_text(&self.h, f)
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::frame::write_text(&self.h, f)
    }
}

/// A DynamoDB connection (the library's SDK client). Cheap to clone.
#[derive(Clone)]
pub struct Dynamo {
    h: Shared,
    text: String,
}

impl FromReply for Dynamo {
    fn from_reply(v: Value) -> Result<Dynamo> {
        Ok(Dynamo { h: client::handle(&v)?, text: client::text(&v["text"]) })
    }
}

impl Dynamo {
    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }
}

impl fmt::Debug for Dynamo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
