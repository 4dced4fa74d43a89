//! DynamoDB (`sourcelab::dynamo`): tables, items, queries and scans, batch loads, transactions. A [`Dynamo`] is
//! the library's client; every read comes back as a [`Response`] kept in the library.
//!
//! Items, keys and parameters are JSON as in boto3: marshal JSON (`{"Id": {"N": "101"}}`) for items and keys, and
//! the API's own parameter names (`"KeyConditionExpression"`, `"Limit"`, …).

use std::fmt;

use serde_json::{Value, json};

use crate::client::{self, FromReply, Shared, id};
use crate::error::Result;

pub use crate::declared::dynamo::*;

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

    /// How many items came back.
    pub fn len(&self) -> usize {
        self.items
    }

    /// Whether no item came back.
    pub fn is_empty(&self) -> bool {
        self.items == 0
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
