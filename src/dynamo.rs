//! DynamoDB, a key-value and document store: tables of items, each found by its key.
//!
//! A table has a **partition key** (HASH) and optionally a **sort key** (RANGE); together they identify an item.
//! Everything else in an item is free-form: two items of one table can have different attributes. Reads come in
//! four prices: [`Dynamo::get_item`] (one item by its full key, the cheapest), [`Dynamo::query`] (the items of one
//! partition key, optionally narrowed by the sort key), and [`Dynamo::scan`] (every item, the most expensive),
//! each optionally filtered *after* reading — which is why a filtered read reports `Count` (returned) and
//! `ScannedCount` (read and paid for) separately.
//!
//! The helpers take the same parameters as the course's boto3 calls, spelled the same way, as a JSON object:
//!
//! ```no_run
//! # use sourcelab::prelude::*;
//! # fn demo(env: &EnvFile) -> sourcelab::Result<()> {
//! let ddb = dynamo::Dynamo::connect(env)?;
//! let r = ddb.query("de-c2w1-dynamodb-Reply", &json!({
//!     "KeyConditionExpression": "Id = :Id",
//!     "ExpressionAttributeValues": {":Id": {"S": "Amazon DynamoDB#DynamoDB Thread 1"}},
//!     "ReturnConsumedCapacity": "TOTAL"
//! }))?;
//! println!("{r}");            // Count, ScannedCount, ConsumedCapacity and the items
//! let df = r.frame()?;        // one column per attribute
//! # Ok(()) }
//! ```
//!
//! Items and keys are DynamoDB ("marshal") JSON, as in the course; [`crate::marshal`] converts to and from plain
//! JSON. Unknown parameter names are refused with the list of the ones each call takes.
//!
//! Clients come from the env file: with `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_DYNAMODB`) set they talk to that
//! endpoint, otherwise to real DynamoDB in `AWS_REGION`. Every call runs on the library's runtime, so a client made
//! in one notebook cell keeps working in the next.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, CancellationReason, ConsumedCapacity, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, ProvisionedThroughput, Put, PutRequest,
    ReturnConsumedCapacity, ReturnValue, ScalarAttributeType, TableStatus, Tag, TransactWriteItem, Update,
    WriteRequest,
};
use polars::prelude::{Column, DataFrame};
use serde_json::{Map, Value};

use crate::config::{EnvFile, Service};
use crate::error::{Error, ErrorKind, Result};
use crate::marshal::{self, Format, Item};

/// The most requests one BatchWriteItem call may carry.
pub const BATCH_SIZE: usize = 25;

/// A DynamoDB client for the env file's settings.
pub async fn client(env: &EnvFile) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&env.aws().sdk_config(Service::DynamoDb).await)
}

/// The names of every table, following pagination to the end.
pub fn list_tables(env: &EnvFile) -> Result<Vec<String>> {
    Dynamo::connect(env)?.list_tables()
}

/// An attribute name and its type letter.
type KeyAttr = (String, String);

/// A table to create: name, keys and their types, an optional global secondary index and capacity.
///
/// ```
/// use sourcelab::dynamo::TableSpec;
/// let reply = TableSpec::new("de-c2w1-dynamodb-Reply").hash("Id", "S").range("ReplyDateTime", "S").capacity(10, 5);
/// ```
#[derive(Debug, Clone)]
pub struct TableSpec {
    name: String,
    hash: KeyAttr,
    range: Option<KeyAttr>,
    /// Index name, partition key, optional sort key.
    gsi: Option<(String, KeyAttr, Option<KeyAttr>)>,
    capacity: Option<(i64, i64)>,
}

impl TableSpec {
    /// A table named `name`; give it a partition key with [`TableSpec::hash`].
    pub fn new(name: &str) -> Self {
        TableSpec { name: name.into(), hash: (String::new(), String::new()), range: None, gsi: None, capacity: None }
    }
    /// The partition (HASH) key and its type: `"S"`, `"N"` or `"B"`.
    pub fn hash(mut self, attribute: &str, ty: &str) -> Self {
        self.hash = (attribute.into(), ty.into());
        self
    }
    /// The sort (RANGE) key and its type.
    pub fn range(mut self, attribute: &str, ty: &str) -> Self {
        self.range = Some((attribute.into(), ty.into()));
        self
    }
    /// A global secondary index (projecting all attributes) on `hash` (and `range`, when given).
    pub fn gsi(mut self, index: &str, hash: (&str, &str), range: Option<(&str, &str)>) -> Self {
        let pair = |(a, t): (&str, &str)| (a.to_string(), t.to_string());
        self.gsi = Some((index.into(), pair(hash), range.map(pair)));
        self
    }
    /// Provisioned capacity (read and write units per second); without it the table is billed per request.
    pub fn capacity(mut self, read: i64, write: i64) -> Self {
        self.capacity = Some((read, write));
        self
    }
    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// What a DynamoDB call gave back: items, counts, the key to continue from, consumed capacity.
#[derive(Debug, Clone, Default)]
pub struct Response {
    operation: String,
    table: String,
    /// The items read (scan, query; get_item gives 0 or 1).
    pub items: Vec<Item>,
    /// The attributes `ReturnValues` asked for (update, put, delete).
    pub attributes: Option<Item>,
    /// How many items came back (after the filter); scan and query only.
    pub count: Option<i64>,
    /// How many items were read (before the filter) — what you pay for; scan and query only.
    pub scanned_count: Option<i64>,
    /// Where the next page starts, when there may be more (pass it as `ExclusiveStartKey`).
    pub last_evaluated_key: Option<Item>,
    /// Capacity units consumed, per table, when `ReturnConsumedCapacity` asked for them.
    pub consumed_capacity: Vec<(String, f64)>,
    /// How many pages [`Dynamo::scan_all`] / [`Dynamo::query_all`] read.
    pub pages: usize,
    key_names: Vec<String>,
}

impl Response {
    fn new(operation: &str, table: &str, key_names: Vec<String>) -> Self {
        Response { operation: operation.into(), table: table.into(), key_names, ..Default::default() }
    }

    /// How many items came back.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no item came back.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items as plain JSON (an array), numbers exact.
    pub fn plain(&self) -> Result<Value> {
        self.items.iter().map(marshal::item_to_plain).collect()
    }

    /// The items as DynamoDB (marshal) JSON (an array), as boto3 prints them.
    pub fn marshal(&self) -> Result<Value> {
        self.items.iter().map(marshal::item_to_marshal).collect()
    }

    /// The first item as plain JSON, or `null` when nothing came back.
    pub fn item(&self) -> Result<Value> {
        self.items.first().map(marshal::item_to_plain).unwrap_or(Ok(Value::Null))
    }

    /// The returned attributes (`ReturnValues`) as plain JSON, or `null`.
    pub fn attributes(&self) -> Result<Value> {
        self.attributes.as_ref().map(marshal::item_to_plain).unwrap_or(Ok(Value::Null))
    }

    /// `LastEvaluatedKey` as marshal JSON (what `ExclusiveStartKey` takes), or `null` on the last page.
    pub fn last_key(&self) -> Result<Value> {
        self.last_evaluated_key.as_ref().map(marshal::item_to_marshal).unwrap_or(Ok(Value::Null))
    }

    /// `Count` and `ScannedCount` (scan and query), `null` where the call gives none.
    pub fn counts(&self) -> Value {
        serde_json::json!({"Count": self.count, "ScannedCount": self.scanned_count})
    }

    /// Total capacity units consumed (0 when not asked for).
    pub fn capacity_units(&self) -> f64 {
        self.consumed_capacity.iter().map(|(_, u)| u).sum()
    }

    /// The items into your own Rust type, through serde_dynamo (numbers parse into the field's type).
    pub fn items_as<T: serde::de::DeserializeOwned>(&self) -> Result<Vec<T>> {
        serde_dynamo::from_items(self.items.clone()).map_err(|e| {
            Error::new(ErrorKind::Input, format!("read the items of {} as a Rust type", self.table), e.to_string())
                .hint("check that the struct's fields and types match the items' attributes")
        })
    }

    /// The items as a DataFrame: one row per item, one column per attribute (key attributes first).
    ///
    /// Strings, booleans and whole numbers get their own column types; other numbers stay exact decimal text;
    /// lists, maps, sets and binary show as plain JSON text; an attribute an item lacks is null.
    pub fn frame(&self) -> Result<DataFrame> {
        items_frame(&self.items, &self.key_names)
    }

    fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = self.count {
            parts.push(format!("Count {c}"));
        }
        if let Some(c) = self.scanned_count {
            parts.push(format!("ScannedCount {c}"));
        }
        for (table, units) in &self.consumed_capacity {
            parts.push(format!("ConsumedCapacity {units} ({table})"));
        }
        if self.pages > 1 {
            parts.push(format!("{} pages", self.pages));
        }
        let mut s = format!("{} {}", self.operation, self.table);
        if !parts.is_empty() {
            s.push_str(": ");
            s.push_str(&parts.join(", "));
        }
        s
    }

    fn detail_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(k) = &self.last_evaluated_key {
            lines.push(format!("LastEvaluatedKey {}", json_line(k)));
        }
        if let Some(a) = &self.attributes {
            lines.push(format!("Attributes {}", json_line(a)));
        }
        lines
    }
}

/// The summary, then the items as an HTML table.
impl crate::frame::Show for Response {
    fn mime(&self) -> Vec<(String, String)> {
        let mut html = format!("<p><b>{}</b></p>", crate::frame::escape_html(&self.summary()));
        for l in self.detail_lines() {
            html.push_str(&format!("<p><code>{}</code></p>", crate::frame::escape_html(&l)));
        }
        if !self.items.is_empty()
            && let Ok(df) = self.frame()
        {
            html.push_str(&crate::frame::to_html(&df));
        }
        vec![("text/html".into(), html), ("text/plain".into(), self.to_string())]
    }
}

fn json_line(item: &Item) -> String {
    marshal::item_to_plain(item).map(|v| v.to_string()).unwrap_or_else(|e| e.to_string())
}

/// The summary line, `LastEvaluatedKey` and returned attributes, then one plain-JSON line per item.
impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary())?;
        for l in self.detail_lines() {
            writeln!(f, "{l}")?;
        }
        for item in &self.items {
            writeln!(f, "{}", json_line(item))?;
        }
        Ok(())
    }
}

/// Items → DataFrame; `keys` are put first, the other attributes follow sorted by name.
pub fn items_frame(items: &[Item], keys: &[String]) -> Result<DataFrame> {
    let mut names: Vec<String> = keys.iter().filter(|k| items.iter().any(|i| i.contains_key(*k))).cloned().collect();
    let mut rest: Vec<&String> = items.iter().flat_map(|i| i.keys()).filter(|k| !keys.contains(k)).collect();
    rest.sort_unstable();
    rest.dedup();
    names.extend(rest.into_iter().cloned());
    let mut columns = Vec::with_capacity(names.len());
    for name in &names {
        let values: Vec<Option<&AttributeValue>> = items.iter().map(|i| i.get(name)).collect();
        columns.push(frame_column(name, &values)?);
    }
    DataFrame::new_infer_height(columns)
        .map_err(|e| Error::new(ErrorKind::Input, "build a DataFrame from the items", e.to_string()))
}

fn frame_column(name: &str, values: &[Option<&AttributeValue>]) -> Result<Column> {
    let present = || values.iter().flatten();
    if present().all(|v| matches!(v, AttributeValue::N(n) if n.parse::<i64>().is_ok())) {
        let ints: Vec<Option<i64>> = values.iter().map(|v| v.and_then(|v| v.as_n().ok()?.parse().ok())).collect();
        return Ok(Column::new(name.into(), ints));
    }
    if present().all(|v| matches!(v, AttributeValue::Bool(_))) {
        let b: Vec<Option<bool>> = values.iter().map(|v| v.and_then(|v| v.as_bool().ok().copied())).collect();
        return Ok(Column::new(name.into(), b));
    }
    let mut text: Vec<Option<String>> = Vec::with_capacity(values.len());
    for v in values {
        text.push(match v {
            None | Some(AttributeValue::Null(_)) => None,
            Some(AttributeValue::S(s)) => Some(s.clone()),
            Some(AttributeValue::N(n)) => Some(n.clone()),
            Some(other) => Some(marshal::value_to_plain(other)?.to_string()),
        });
    }
    Ok(Column::new(name.into(), text))
}

pub use crate::Progress;

/// What a batch write did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatchReport {
    /// Items written per table, in the order the tables came.
    pub written: Vec<(String, usize)>,
    /// BatchWriteItem calls made, retries included.
    pub calls: usize,
    /// Requests DynamoDB handed back as UnprocessedItems and that were sent again.
    pub retried: usize,
    /// Calls that failed with a retryable error (5xx, throttling, network) and were repeated.
    pub errors_retried: usize,
}

impl BatchReport {
    /// All items written.
    pub fn total(&self) -> usize {
        self.written.iter().map(|(_, n)| n).sum()
    }
}

/// Shows its text when it ends a notebook cell.
impl crate::frame::Show for BatchReport {}

impl fmt::Display for BatchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per: Vec<String> = self.written.iter().map(|(t, n)| format!("{t}: {n}")).collect();
        write!(
            f,
            "wrote {} items ({}) in {} BatchWriteItem calls; {} sent again from UnprocessedItems, {} calls repeated after errors; UnprocessedItems: {{}}",
            self.total(),
            per.join(", "),
            self.calls,
            self.retried,
            self.errors_retried
        )
    }
}

/// What one chunk of a batch write took.
#[derive(Debug, Default)]
struct ChunkReport {
    written: Vec<(String, usize)>,
    calls: usize,
    retried: usize,
    errors_retried: usize,
}

/// Rounds in a row without progress before a batch write gives up.
const MAX_STALLED: u32 = 10;

/// A DynamoDB connection: its SDK client and what it learned about tables' keys. Cheap to clone (clones share the
/// client and its connections).
#[derive(Clone)]
pub struct Dynamo {
    client: aws_sdk_dynamodb::Client,
    endpoint: Option<String>,
    keys: Arc<Mutex<HashMap<String, Vec<String>>>>,
    backoff: Duration,
    concurrency: usize,
}

impl fmt::Debug for Dynamo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dynamo({})", self.endpoint.as_deref().unwrap_or("AWS"))
    }
}

/// The parameters a call takes, from the JSON object a cell passes.
struct Params<'a> {
    op: &'static str,
    map: Option<&'a Map<String, Value>>,
}

impl<'a> Params<'a> {
    fn new(op: &'static str, v: &'a Value, allowed: &[&str]) -> Result<Self> {
        let map = match v {
            Value::Null => None,
            Value::Object(m) => Some(m),
            other => {
                return Err(Error::new(
                    ErrorKind::Input,
                    format!("{op}: read the parameters"),
                    format!("expected a JSON object, got {other}"),
                )
                .hint("pass parameters as json!({\"Limit\": 1, ...}), or json!({}) for none"));
            }
        };
        for k in map.into_iter().flat_map(|m| m.keys()) {
            if !allowed.contains(&k.as_str()) {
                return Err(Error::new(
                    ErrorKind::Input,
                    format!("{op}: read the parameters"),
                    format!("unknown parameter {k:?}"),
                )
                .hint(format!("{op} takes: {}", allowed.join(", "))));
            }
        }
        Ok(Params { op, map })
    }

    fn get(&self, k: &str) -> Option<&'a Value> {
        self.map.and_then(|m| m.get(k))
    }

    fn wrong(&self, k: &str, want: &str) -> Error {
        Error::new(ErrorKind::Input, format!("{}: read parameter {k}", self.op), format!("expected {want}"))
    }

    fn string(&self, k: &str) -> Result<Option<String>> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong(k, "a string")),
        }
    }

    fn boolean(&self, k: &str) -> Result<Option<bool>> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong(k, "true or false")),
        }
    }

    fn limit(&self) -> Result<Option<i32>> {
        match self.get("Limit") {
            None => Ok(None),
            Some(v) => match v.as_i64().and_then(|n| i32::try_from(n).ok()).filter(|n| *n > 0) {
                Some(n) => Ok(Some(n)),
                None => Err(self.wrong("Limit", "a whole number of at least 1")),
            },
        }
    }

    fn names(&self) -> Result<Option<HashMap<String, String>>> {
        match self.get("ExpressionAttributeNames") {
            None => Ok(None),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(self.wrong("ExpressionAttributeNames", "an object of strings, like {\"#V\": \"Views\"}")),
                })
                .collect::<Result<_>>()
                .map(Some),
            Some(_) => Err(self.wrong("ExpressionAttributeNames", "an object, like {\"#V\": \"Views\"}")),
        }
    }

    /// A marshal-JSON map parameter (ExpressionAttributeValues, ExclusiveStartKey, Key, Item).
    fn item(&self, k: &str) -> Result<Option<Item>> {
        self.get(k).map(|v| item_param(self.op, k, v)).transpose()
    }

    fn capacity(&self) -> Result<Option<ReturnConsumedCapacity>> {
        Ok(match self.string("ReturnConsumedCapacity")?.as_deref() {
            None => None,
            Some("TOTAL") => Some(ReturnConsumedCapacity::Total),
            Some("INDEXES") => Some(ReturnConsumedCapacity::Indexes),
            Some("NONE") => Some(ReturnConsumedCapacity::None),
            Some(_) => return Err(self.wrong("ReturnConsumedCapacity", "\"TOTAL\", \"INDEXES\" or \"NONE\"")),
        })
    }

    fn return_values(&self) -> Result<Option<ReturnValue>> {
        Ok(match self.string("ReturnValues")?.as_deref() {
            None => None,
            Some("NONE") => Some(ReturnValue::None),
            Some("ALL_OLD") => Some(ReturnValue::AllOld),
            Some("UPDATED_OLD") => Some(ReturnValue::UpdatedOld),
            Some("ALL_NEW") => Some(ReturnValue::AllNew),
            Some("UPDATED_NEW") => Some(ReturnValue::UpdatedNew),
            Some(_) => {
                return Err(self.wrong("ReturnValues", "NONE, ALL_OLD, UPDATED_OLD, ALL_NEW or UPDATED_NEW"));
            }
        })
    }
}

fn item_param(op: &str, name: &str, v: &Value) -> Result<Item> {
    marshal::item_from_json(v, Format::Marshal).map_err(|e| {
        Error::new(ErrorKind::Input, format!("{op}: read {name}"), e.cause().to_string())
            .hint("items, keys and values are DynamoDB JSON here: {\"Id\": {\"N\": \"101\"}}; marshal::to_marshal converts plain JSON")
    })
}

const READ: &[&str] = &[
    "ProjectionExpression",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
    "FilterExpression",
    "Limit",
    "ConsistentRead",
    "ReturnConsumedCapacity",
    "ExclusiveStartKey",
    "IndexName",
];
const QUERY: &[&str] = &[
    "KeyConditionExpression",
    "ScanIndexForward",
    "ProjectionExpression",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
    "FilterExpression",
    "Limit",
    "ConsistentRead",
    "ReturnConsumedCapacity",
    "ExclusiveStartKey",
    "IndexName",
];
const GET: &[&str] = &["ProjectionExpression", "ExpressionAttributeNames", "ConsistentRead", "ReturnConsumedCapacity"];
const WRITE: &[&str] = &[
    "ConditionExpression",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
    "ReturnValues",
    "ReturnConsumedCapacity",
];
const UPDATE: &[&str] = &[
    "UpdateExpression",
    "ConditionExpression",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
    "ReturnValues",
    "ReturnConsumedCapacity",
];

fn capacity_list(c: Option<&ConsumedCapacity>) -> Vec<(String, f64)> {
    c.map(|c| vec![(c.table_name().unwrap_or_default().to_string(), c.capacity_units().unwrap_or(0.0))])
        .unwrap_or_default()
}

/// Is this error worth sending the same request again (5xx, throttling, network)?
fn retryable<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    match e {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or_default();
            code.contains("InternalServerError")
                || code.contains("ServiceUnavailable")
                || code.contains("Throttling")
                || code.contains("ProvisionedThroughputExceeded")
                || code.contains("RequestLimitExceeded")
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        _ => false,
    }
}

impl Dynamo {
    /// A client for the env file's DynamoDB (the local stack's moto, or AWS).
    pub fn connect(env: &EnvFile) -> Result<Dynamo> {
        let env = env.clone();
        crate::wait(async move {
            let endpoint = env.aws().endpoint(Service::DynamoDb);
            let client = client(&env).await;
            Ok(Dynamo { client, endpoint, keys: Arc::default(), backoff: Duration::from_millis(50), concurrency: 4 })
        })
    }

    /// The same connection with another first backoff for batch retries (it doubles each time, up to 5 s).
    pub fn with_backoff(mut self, first: Duration) -> Self {
        self.backoff = first;
        self
    }

    /// The same connection with another number of BatchWriteItem calls in flight at once (default 4).
    pub fn with_concurrency(mut self, calls: usize) -> Self {
        self.concurrency = calls.max(1);
        self
    }

    /// The SDK client, for calls these helpers do not cover (use it in the cell that asked for it).
    pub fn sdk(&self) -> Result<aws_sdk_dynamodb::Client> {
        Ok(self.client.clone())
    }

    fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    fn aws_error<E, R>(&self, what: String, e: SdkError<E, R>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        let code = e.code().unwrap_or_default().to_string();
        let err = crate::error::aws(what, self.endpoint.as_deref(), e);
        match code.as_str() {
            "ResourceNotFoundException" => {
                err.hint("the table does not exist (yet): check the name with list_tables(), or create it first")
            }
            "ConditionalCheckFailedException" => {
                err.hint("the ConditionExpression was false for the item as stored; read the item to see its values")
            }
            "ValidationException" => err.hint("DynamoDB refused the request as written; the message names the part"),
            "ResourceInUseException" => err.hint(
                "the table exists already with other keys (or is being deleted); delete_table it first or use another name",
            ),
            _ => err,
        }
    }

    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(Dynamo) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T>> + Send>>,
    ) -> Result<T> {
        crate::wait(f(self.clone()))
    }

    /// Every table name, following pagination to the end.
    pub fn list_tables(&self) -> Result<Vec<String>> {
        self.run(|d| {
            Box::pin(async move {
                let mut names = Vec::new();
                let mut start: Option<String> = None;
                loop {
                    let out = d
                        .client()
                        .list_tables()
                        .set_exclusive_start_table_name(start.take())
                        .send()
                        .await
                        .map_err(|e| d.aws_error("list DynamoDB tables".into(), e))?;
                    names.extend(out.table_names().iter().cloned());
                    match out.last_evaluated_table_name() {
                        Some(last) => start = Some(last.to_string()),
                        None => return Ok(names),
                    }
                }
            })
        })
    }

    /// Creates the table and waits (up to 5 minutes) until it is ACTIVE; returns its description as JSON. A lab's
    /// table is tagged `sourcelab:lab` with the lab's number ([`crate::course::account`]).
    pub fn create_table(&self, spec: &TableSpec) -> Result<Value> {
        let spec = spec.clone();
        self.run(|d| Box::pin(async move { d.create_table_here(&spec).await }))
    }

    async fn create_table_here(&self, spec: &TableSpec) -> Result<Value> {
        let what = format!("create DynamoDB table {}", spec.name);
        let input = |cause: String| Error::new(ErrorKind::Input, what.clone(), cause);
        let ty = |t: &str| match t {
            "S" => Ok(ScalarAttributeType::S),
            "N" => Ok(ScalarAttributeType::N),
            "B" => Ok(ScalarAttributeType::B),
            other => Err(input(format!("key type {other:?} is not S, N or B"))
                .hint("key attributes are strings (S), numbers (N) or binary (B)")),
        };
        if spec.hash.0.is_empty() {
            return Err(input("no partition key".into()).hint("add .hash(\"Id\", \"N\") to the TableSpec"));
        }
        let element = |name: &str, kind: KeyType| {
            KeySchemaElement::builder().attribute_name(name).key_type(kind).build().map_err(|e| input(e.to_string()))
        };
        let mut schema = vec![element(&spec.hash.0, KeyType::Hash)?];
        if let Some((r, _)) = &spec.range {
            schema.push(element(r, KeyType::Range)?);
        }
        let mut defs: Vec<(String, String)> = vec![spec.hash.clone()];
        defs.extend(spec.range.clone());
        let mut req = self.client().create_table().table_name(&spec.name).set_key_schema(Some(schema));
        let throughput = |(r, w): (i64, i64)| {
            ProvisionedThroughput::builder()
                .read_capacity_units(r)
                .write_capacity_units(w)
                .build()
                .map_err(|e| input(e.to_string()))
        };
        if let Some((index, h, r)) = &spec.gsi {
            let mut ks = vec![element(&h.0, KeyType::Hash)?];
            defs.push(h.clone());
            if let Some(r) = r {
                ks.push(element(&r.0, KeyType::Range)?);
                defs.push(r.clone());
            }
            let mut g = GlobalSecondaryIndex::builder()
                .index_name(index)
                .set_key_schema(Some(ks))
                .projection(Projection::builder().projection_type(ProjectionType::All).build());
            if let Some(c) = spec.capacity {
                g = g.provisioned_throughput(throughput(c)?);
            }
            req = req.global_secondary_indexes(g.build().map_err(|e| input(e.to_string()))?);
        }
        defs.sort();
        defs.dedup_by(|a, b| a.0 == b.0);
        for (name, t) in &defs {
            req = req.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(ty(t)?)
                    .build()
                    .map_err(|e| input(e.to_string()))?,
            );
        }
        req = match spec.capacity {
            Some(c) => req.provisioned_throughput(throughput(c)?),
            None => req.billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest),
        };
        if let Some(lab) = crate::course::account::lab_of(&spec.name) {
            let tag = Tag::builder().key(crate::course::account::LAB_TAG).value(lab.to_string()).build();
            req = req.tags(tag.map_err(|e| input(e.to_string()))?);
        }
        match req.send().await {
            Ok(_) => {}
            // An earlier run made it (a rerun, or a creation that timed out): use it when its keys are the spec's.
            Err(e) if e.code() == Some("ResourceInUseException") => {
                let wanted: Vec<&str> =
                    std::iter::once(spec.hash.0.as_str()).chain(spec.range.as_ref().map(|r| r.0.as_str())).collect();
                let keys = self.key_names(&spec.name).await?;
                if keys != wanted {
                    return Err(self.aws_error(what.clone(), e));
                }
                crate::runtime::progress(&format!(
                    "table {} exists already (an earlier run made it): using it",
                    spec.name
                ));
            }
            Err(e) => return Err(self.aws_error(what.clone(), e)),
        }
        self.wait_for(&spec.name, true).await
    }

    /// Polls DescribeTable until the table is ACTIVE (`exists`) or gone (`!exists`): up to 5 minutes (the AWS
    /// SDKs' `TableExists` waiter allows about 8), saying every 10 seconds that it still waits.
    async fn wait_for(&self, table: &str, exists: bool) -> Result<Value> {
        let started = std::time::Instant::now();
        let deadline = started + Duration::from_secs(300);
        let mut said = 0;
        loop {
            let out = self.client().describe_table().table_name(table).send().await;
            match out {
                Ok(o) => {
                    let t = o.table();
                    let status = t.and_then(|t| t.table_status()).cloned();
                    if exists && status == Some(TableStatus::Active) {
                        if let Some(t) = t {
                            self.remember_keys(table, t.key_schema());
                        }
                        return Ok(describe_json(t));
                    }
                }
                Err(e) if !exists && e.code() == Some("ResourceNotFoundException") => return Ok(Value::Null),
                Err(e) => return Err(self.aws_error(format!("describe DynamoDB table {table}"), e)),
            }
            let goal = if exists { "ACTIVE" } else { "deleted" };
            if std::time::Instant::now() > deadline {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("wait for DynamoDB table {table}"),
                    format!("not {goal} after 5 minutes"),
                )
                .hint("look at the table in the console or with describe_table"));
            }
            let waited = started.elapsed().as_secs();
            if waited / 10 > said {
                said = waited / 10;
                crate::runtime::progress(&format!(
                    "table {table}: not {goal} yet after {waited} s; waiting up to 5 minutes"
                ));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    fn remember_keys(&self, table: &str, schema: &[KeySchemaElement]) {
        let mut names: Vec<(bool, String)> =
            schema.iter().map(|k| (k.key_type() == &KeyType::Range, k.attribute_name().to_string())).collect();
        names.sort();
        if let Ok(mut keys) = self.keys.lock() {
            keys.insert(table.to_string(), names.into_iter().map(|(_, n)| n).collect());
        }
    }

    /// The table's key attribute names (partition key first), asked once per table and remembered.
    async fn key_names(&self, table: &str) -> Result<Vec<String>> {
        if let Some(k) = self.keys.lock().ok().and_then(|k| k.get(table).cloned()) {
            return Ok(k);
        }
        let out = self
            .client()
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| self.aws_error(format!("describe DynamoDB table {table}"), e))?;
        if let Some(t) = out.table() {
            self.remember_keys(table, t.key_schema());
        }
        Ok(self.keys.lock().ok().and_then(|k| k.get(table).cloned()).unwrap_or_default())
    }

    /// The table's description (status, keys, item count, ARN) as JSON.
    pub fn describe_table(&self, table: &str) -> Result<Value> {
        let table = table.to_string();
        self.run(|d| {
            Box::pin(async move {
                let out = d
                    .client()
                    .describe_table()
                    .table_name(&table)
                    .send()
                    .await
                    .map_err(|e| d.aws_error(format!("describe DynamoDB table {table}"), e))?;
                Ok(describe_json(out.table()))
            })
        })
    }

    /// Writes one item (DynamoDB JSON). Takes `ConditionExpression`, `ExpressionAttributeNames`/`Values`,
    /// `ReturnValues` and `ReturnConsumedCapacity`.
    pub fn put_item(&self, table: &str, item: &Value, params: &Value) -> Result<Response> {
        let (table, item, params) = (table.to_string(), item.clone(), params.clone());
        self.run(|d| Box::pin(async move { d.put_item_here(&table, &item, &params).await }))
    }

    async fn put_item_here(&self, table: &str, item: &Value, params: &Value) -> Result<Response> {
        let p = Params::new("put_item", params, WRITE)?;
        let item = item_param("put_item", "the item", item)?;
        let keys = self.key_names(table).await?;
        marshal::check_key_attributes(&item, &keys.iter().map(String::as_str).collect::<Vec<_>>())
            .map_err(|e| Error::new(ErrorKind::Input, format!("put an item into {table}"), e.cause().to_string()))?;
        let out = self
            .client()
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .set_condition_expression(p.string("ConditionExpression")?)
            .set_expression_attribute_names(p.names()?)
            .set_expression_attribute_values(p.item("ExpressionAttributeValues")?)
            .set_return_values(p.return_values()?)
            .set_return_consumed_capacity(p.capacity()?)
            .send()
            .await
            .map_err(|e| self.aws_error(format!("put an item into {table}"), e))?;
        let mut r = Response::new("put_item", table, keys);
        r.attributes = out.attributes().cloned().filter(|a| !a.is_empty());
        r.consumed_capacity = capacity_list(out.consumed_capacity());
        Ok(r)
    }

    /// Reads one item by its full key (DynamoDB JSON). Takes `ProjectionExpression`, `ExpressionAttributeNames`,
    /// `ConsistentRead` and `ReturnConsumedCapacity`. No item is not an error: the response has no items.
    pub fn get_item(&self, table: &str, key: &Value, params: &Value) -> Result<Response> {
        let (table, key, params) = (table.to_string(), key.clone(), params.clone());
        self.run(|d| {
            Box::pin(async move {
                let p = Params::new("get_item", &params, GET)?;
                let key = item_param("get_item", "the key", &key)?;
                let out = d
                    .client()
                    .get_item()
                    .table_name(&table)
                    .set_key(Some(key))
                    .set_projection_expression(p.string("ProjectionExpression")?)
                    .set_expression_attribute_names(p.names()?)
                    .set_consistent_read(p.boolean("ConsistentRead")?)
                    .set_return_consumed_capacity(p.capacity()?)
                    .send()
                    .await
                    .map_err(|e| d.aws_error(format!("get an item from {table}"), e))?;
                let mut r = Response::new("get_item", &table, d.key_names(&table).await?);
                r.items.extend(out.item().cloned());
                r.consumed_capacity = capacity_list(out.consumed_capacity());
                Ok(r)
            })
        })
    }

    /// One page of a scan: every item (up to 1 MB or `Limit` items), optionally filtered after reading.
    pub fn scan(&self, table: &str, params: &Value) -> Result<Response> {
        self.read("scan", table, params, false)
    }

    /// Every page of a scan, following `LastEvaluatedKey` to the end; counts and capacity are summed.
    pub fn scan_all(&self, table: &str, params: &Value) -> Result<Response> {
        self.read("scan", table, params, true)
    }

    /// One page of a query: the items of one partition key (`KeyConditionExpression`), in sort-key order
    /// (`ScanIndexForward: false` reverses it).
    pub fn query(&self, table: &str, params: &Value) -> Result<Response> {
        self.read("query", table, params, false)
    }

    /// Every page of a query, following `LastEvaluatedKey` to the end.
    pub fn query_all(&self, table: &str, params: &Value) -> Result<Response> {
        self.read("query", table, params, true)
    }

    fn read(&self, op: &'static str, table: &str, params: &Value, all: bool) -> Result<Response> {
        let (table, params) = (table.to_string(), params.clone());
        self.run(move |d| Box::pin(async move { d.read_here(op, &table, &params, all).await }))
    }

    async fn read_here(&self, op: &'static str, table: &str, params: &Value, all: bool) -> Result<Response> {
        let p = Params::new(op, params, if op == "query" { QUERY } else { READ })?;
        let mut r = Response::new(op, table, self.key_names(table).await?);
        let mut start = p.item("ExclusiveStartKey")?;
        let what = format!("{op} {table}");
        loop {
            let (items, count, scanned, last, cap) = if op == "query" {
                let o = self
                    .client()
                    .query()
                    .table_name(table)
                    .set_key_condition_expression(p.string("KeyConditionExpression")?)
                    .set_scan_index_forward(p.boolean("ScanIndexForward")?)
                    .set_projection_expression(p.string("ProjectionExpression")?)
                    .set_filter_expression(p.string("FilterExpression")?)
                    .set_expression_attribute_names(p.names()?)
                    .set_expression_attribute_values(p.item("ExpressionAttributeValues")?)
                    .set_limit(p.limit()?)
                    .set_consistent_read(p.boolean("ConsistentRead")?)
                    .set_return_consumed_capacity(p.capacity()?)
                    .set_index_name(p.string("IndexName")?)
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(|e| self.aws_error(what.clone(), e))?;
                (o.items, o.count, o.scanned_count, o.last_evaluated_key, o.consumed_capacity)
            } else {
                let o = self
                    .client()
                    .scan()
                    .table_name(table)
                    .set_projection_expression(p.string("ProjectionExpression")?)
                    .set_filter_expression(p.string("FilterExpression")?)
                    .set_expression_attribute_names(p.names()?)
                    .set_expression_attribute_values(p.item("ExpressionAttributeValues")?)
                    .set_limit(p.limit()?)
                    .set_consistent_read(p.boolean("ConsistentRead")?)
                    .set_return_consumed_capacity(p.capacity()?)
                    .set_index_name(p.string("IndexName")?)
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(|e| self.aws_error(what.clone(), e))?;
                (o.items, o.count, o.scanned_count, o.last_evaluated_key, o.consumed_capacity)
            };
            r.pages += 1;
            r.items.extend(items.unwrap_or_default());
            *r.count.get_or_insert(0) += i64::from(count);
            *r.scanned_count.get_or_insert(0) += i64::from(scanned);
            for (t, u) in capacity_list(cap.as_ref()) {
                match r.consumed_capacity.iter_mut().find(|(name, _)| *name == t) {
                    Some(c) => c.1 += u,
                    None => r.consumed_capacity.push((t, u)),
                }
            }
            r.last_evaluated_key = last.filter(|k| !k.is_empty());
            match (&r.last_evaluated_key, all) {
                (Some(k), true) => start = Some(k.clone()),
                _ => return Ok(r),
            }
        }
    }

    /// Updates one item by its key: `UpdateExpression` (SET, REMOVE, ADD, DELETE, `list_append`), optional
    /// `ConditionExpression`, `ExpressionAttributeNames`/`Values`, `ReturnValues`, `ReturnConsumedCapacity`.
    pub fn update_item(&self, table: &str, key: &Value, params: &Value) -> Result<Response> {
        let (table, key, params) = (table.to_string(), key.clone(), params.clone());
        self.run(|d| {
            Box::pin(async move {
                let p = Params::new("update_item", &params, UPDATE)?;
                let key = item_param("update_item", "the key", &key)?;
                let out = d
                    .client()
                    .update_item()
                    .table_name(&table)
                    .set_key(Some(key))
                    .set_update_expression(p.string("UpdateExpression")?)
                    .set_condition_expression(p.string("ConditionExpression")?)
                    .set_expression_attribute_names(p.names()?)
                    .set_expression_attribute_values(p.item("ExpressionAttributeValues")?)
                    .set_return_values(p.return_values()?)
                    .set_return_consumed_capacity(p.capacity()?)
                    .send()
                    .await
                    .map_err(|e| d.aws_error(format!("update an item of {table}"), e))?;
                let mut r = Response::new("update_item", &table, d.key_names(&table).await?);
                r.attributes = out.attributes().cloned().filter(|a| !a.is_empty());
                r.consumed_capacity = capacity_list(out.consumed_capacity());
                Ok(r)
            })
        })
    }

    /// Deletes one item by its full key; deleting a missing item succeeds too. Takes the same parameters as put.
    pub fn delete_item(&self, table: &str, key: &Value, params: &Value) -> Result<Response> {
        let (table, key, params) = (table.to_string(), key.clone(), params.clone());
        self.run(|d| {
            Box::pin(async move {
                let p = Params::new("delete_item", &params, WRITE)?;
                let key = item_param("delete_item", "the key", &key)?;
                let out = d
                    .client()
                    .delete_item()
                    .table_name(&table)
                    .set_key(Some(key))
                    .set_condition_expression(p.string("ConditionExpression")?)
                    .set_expression_attribute_names(p.names()?)
                    .set_expression_attribute_values(p.item("ExpressionAttributeValues")?)
                    .set_return_values(p.return_values()?)
                    .set_return_consumed_capacity(p.capacity()?)
                    .send()
                    .await
                    .map_err(|e| d.aws_error(format!("delete an item of {table}"), e))?;
                let mut r = Response::new("delete_item", &table, d.key_names(&table).await?);
                r.attributes = out.attributes().cloned().filter(|a| !a.is_empty());
                r.consumed_capacity = capacity_list(out.consumed_capacity());
                Ok(r)
            })
        })
    }

    /// Runs up to 100 writes as one all-or-nothing transaction. `actions` is the course's `TransactItems` list:
    /// `[{"Put": {"TableName": …, "Item": …}}, {"Update": {"TableName": …, "Key": …, "UpdateExpression": …}},
    /// {"Delete": {"TableName": …, "Key": …}}]`. The same `token` within 10 minutes does not apply it twice.
    pub fn transact_write(&self, actions: &Value, token: &str) -> Result<Response> {
        let (actions, token) = (actions.clone(), token.to_string());
        self.run(|d| {
            Box::pin(async move {
                let items = transact_items(&actions)?;
                let out = d
                    .client()
                    .transact_write_items()
                    .set_transact_items(Some(items))
                    .client_request_token(&token)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await
                    .map_err(|e| {
                        let reasons = match e.as_service_error() {
                            Some(TransactWriteItemsError::TransactionCanceledException(c)) => {
                                Some(c.cancellation_reasons().to_vec())
                            }
                            _ => None,
                        };
                        let err = d.aws_error(format!("run transaction {token}"), e);
                        match reasons {
                            Some(reasons) => cancelled(err, &actions, &reasons),
                            None => err,
                        }
                    })?;
                let mut r = Response::new("transact_write_items", &token, Vec::new());
                r.consumed_capacity = out.consumed_capacity().iter().flat_map(|c| capacity_list(Some(c))).collect();
                Ok(r)
            })
        })
    }

    /// Deletes the table and waits until it is gone.
    pub fn delete_table(&self, table: &str) -> Result<Value> {
        let table = table.to_string();
        self.run(|d| {
            Box::pin(async move {
                let out = d
                    .client()
                    .delete_table()
                    .table_name(&table)
                    .send()
                    .await
                    .map_err(|e| d.aws_error(format!("delete DynamoDB table {table}"), e))?;
                if let Ok(mut keys) = d.keys.lock() {
                    keys.remove(&table);
                }
                d.wait_for(&table, false).await?;
                Ok(describe_json(out.table_description()))
            })
        })
    }

    /// Deletes every table whose name starts with `prefix` (so a lab can start clean); returns their names.
    pub fn delete_tables_starting_with(&self, prefix: &str) -> Result<Vec<String>> {
        let doomed: Vec<String> = self.list_tables()?.into_iter().filter(|t| t.starts_with(prefix)).collect();
        for t in &doomed {
            self.delete_table(t)?;
        }
        Ok(doomed)
    }

    /// Loads a batch-write file (`{"Table": [{"PutRequest": {"Item": …}}, …]}`, DynamoDB JSON) with
    /// [`Dynamo::batch_write`].
    pub fn batch_write_file(&self, path: impl AsRef<std::path::Path>, progress: Progress) -> Result<BatchReport> {
        let path = path.as_ref().to_path_buf();
        let doc = marshal::read_json(&path)?;
        let requests = batch_requests(&doc).map_err(|e| {
            Error::new(ErrorKind::Input, format!("read batch-write file {}", path.display()), e.cause().to_string())
                .hint(e.hint_text().unwrap_or("the file is {\"TableName\": [{\"PutRequest\": {\"Item\": {…}}}, …]}"))
        })?;
        self.batch_write(requests, progress)
    }

    /// Writes every request, 25 per BatchWriteItem call and 4 calls in flight, until none is left: requests
    /// DynamoDB hands back as `UnprocessedItems` are sent again, and calls that fail with a retryable error (5xx,
    /// throttling, network) are repeated, each time after a backoff that doubles (50 ms … 5 s). It gives up only
    /// after 10 rounds in a row without progress, and then says how many items are still unwritten.
    pub fn batch_write(&self, requests: Vec<(String, WriteRequest)>, progress: Progress) -> Result<BatchReport> {
        self.run(move |d| Box::pin(async move { d.batch_write_here(requests, progress).await }))
    }

    async fn batch_write_here(&self, requests: Vec<(String, WriteRequest)>, progress: Progress) -> Result<BatchReport> {
        use futures_util::StreamExt as _;
        let mut report = BatchReport::default();
        let mut totals: Vec<(String, usize)> = Vec::new();
        for (t, _) in &requests {
            match totals.iter_mut().find(|(n, _)| n == t) {
                Some(e) => e.1 += 1,
                None => totals.push((t.clone(), 1)),
            }
        }
        report.written = totals.iter().map(|(t, _)| (t.clone(), 0)).collect();
        let all = requests.len();
        let chunks: Vec<Vec<(String, WriteRequest)>> = requests.chunks(BATCH_SIZE).map(<[_]>::to_vec).collect();
        let mut done = futures_util::stream::iter(chunks.into_iter().map(|c| self.write_chunk(c)))
            .buffer_unordered(self.concurrency);
        while let Some(chunk) = done.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let unwritten = all - report.total();
                    let err =
                        Error::new(e.kind(), format!("{} ({unwritten} items still unwritten)", e.what()), e.cause());
                    return Err(match e.hint_text() {
                        Some(h) => err.hint(h),
                        None => err,
                    });
                }
            };
            report.calls += chunk.calls;
            report.retried += chunk.retried;
            report.errors_retried += chunk.errors_retried;
            for (t, n) in chunk.written {
                let Some(w) = report.written.iter_mut().find(|(name, _)| *name == t) else { continue };
                let before = w.1;
                w.1 += n;
                let total = totals.iter().find(|(name, _)| *name == t).map_or(0, |(_, n)| *n);
                let step = (total / 10).max(1);
                if progress == Progress::Print && (w.1 / step != before / step || w.1 == total) {
                    crate::runtime::progress(&format!("{t}: {}/{total} items written", w.1));
                }
            }
        }
        Ok(report)
    }

    /// Writes one chunk (at most 25 requests) until DynamoDB has taken every request of it.
    async fn write_chunk(&self, chunk: Vec<(String, WriteRequest)>) -> Result<ChunkReport> {
        let mut out = ChunkReport::default();
        let mut pending = chunk;
        let mut stalled = 0u32;
        loop {
            let mut by_table: HashMap<String, Vec<WriteRequest>> = HashMap::new();
            for (t, r) in &pending {
                by_table.entry(t.clone()).or_default().push(r.clone());
            }
            out.calls += 1;
            let left: Vec<(String, WriteRequest)> = match self
                .client()
                .batch_write_item()
                .set_request_items(Some(by_table))
                .send()
                .await
            {
                Ok(o) => o
                    .unprocessed_items
                    .unwrap_or_default()
                    .into_iter()
                    .flat_map(|(t, reqs)| reqs.into_iter().map(move |r| (t.clone(), r)))
                    .collect(),
                Err(e) if retryable(&e) && stalled < MAX_STALLED => {
                    out.errors_retried += 1;
                    stalled += 1;
                    tokio::time::sleep(self.backoff_for(stalled)).await;
                    continue;
                }
                Err(e) => {
                    let tables: std::collections::BTreeSet<&str> = pending.iter().map(|(t, _)| t.as_str()).collect();
                    let what = format!("batch write to {}", tables.into_iter().collect::<Vec<_>>().join(", "));
                    let hint = if retryable(&e) {
                        "the service kept failing; what was written stays written: run the load again to finish (puts are idempotent)"
                    } else {
                        "DynamoDB refused the batch as written; the message names the part"
                    };
                    return Err(self.aws_error(what, e).hint(hint));
                }
            };
            for (t, _) in &pending {
                let w = match out.written.iter_mut().find(|(name, _)| name == t) {
                    Some(w) => w,
                    None => {
                        out.written.push((t.clone(), 0));
                        out.written.last_mut().expect("just pushed")
                    }
                };
                w.1 += 1;
            }
            for (t, _) in &left {
                if let Some(w) = out.written.iter_mut().find(|(name, _)| name == t) {
                    w.1 -= 1;
                }
            }
            if left.is_empty() {
                return Ok(out);
            }
            out.retried += left.len();
            stalled = if left.len() < pending.len() { 0 } else { stalled + 1 };
            if stalled >= MAX_STALLED {
                return Err(Error::new(
                    ErrorKind::Service,
                    "batch write",
                    format!("DynamoDB handed the same {} requests back {MAX_STALLED} times in a row", left.len()),
                )
                .hint(
                    "the table is throttled; raise its write capacity or load more slowly, then run the load again",
                ));
            }
            pending = left;
            tokio::time::sleep(self.backoff_for(stalled.max(1))).await;
        }
    }

    fn backoff_for(&self, round: u32) -> Duration {
        self.backoff.saturating_mul(1 << round.min(16).saturating_sub(1)).min(Duration::from_secs(5))
    }
}

/// A new idempotency token for [`Dynamo::transact_write`]: `label` (its first 12 characters) and a part that is new
/// on every call, within the 36 characters DynamoDB allows. DynamoDB applies a transaction once per token for ten
/// minutes and answers success for the same token again without writing; so a cell that makes its token with this
/// writes each time it runs, while the SDK's own retries of one call keep the token and stay safe.
pub fn new_token(label: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let label: String = label.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(12).collect();
    // Nanoseconds since 1970 (15 hex digits until 2106), the process and a counter: unique across kernels.
    format!("{label}-{:015x}{:04x}{:04x}", nanos & 0xfff_ffff_ffff_ffff, std::process::id() & 0xffff, n & 0xffff)
}

/// One of the lab's data files: `data/dynamodb/<name>.json` in the checkout (`"Reply"`, `"Forum"`, …).
pub fn data_file(name: &str) -> std::path::PathBuf {
    crate::home().join("data").join("dynamodb").join(format!("{name}.json"))
}

/// The items a batch-write file puts, as (table, item in DynamoDB JSON) pairs — for loading item by item.
pub fn file_items(path: impl AsRef<std::path::Path>) -> Result<Vec<(String, Value)>> {
    let path = path.as_ref();
    let doc = marshal::read_json(path)?;
    if !marshal::is_batch(&doc) {
        return Err(Error::new(
            ErrorKind::Input,
            format!("read batch-write file {}", path.display()),
            "not a batch-write file",
        )
        .hint("the file is {\"TableName\": [{\"PutRequest\": {\"Item\": {…}}}, …]}"));
    }
    let mut out = Vec::new();
    for (table, reqs) in doc.as_object().into_iter().flatten() {
        for r in reqs.as_array().into_iter().flatten() {
            if let Some(item) = r.get("PutRequest").and_then(|p| p.get("Item")) {
                out.push((table.clone(), item.clone()));
            }
        }
    }
    Ok(out)
}

/// A batch-write document (DynamoDB JSON) → (table, request) pairs in file order, each item checked.
pub fn batch_requests(doc: &Value) -> Result<Vec<(String, WriteRequest)>> {
    if !marshal::is_batch(doc) {
        return Err(Error::new(
            ErrorKind::Input,
            "read a batch-write document",
            "expected {\"TableName\": [{\"PutRequest\": {\"Item\": {…}}} or {\"DeleteRequest\": {\"Key\": {…}}}, …]}",
        ));
    }
    let mut out = Vec::new();
    for (table, reqs) in doc.as_object().into_iter().flatten() {
        for (i, r) in reqs.as_array().into_iter().flatten().enumerate() {
            let (op, field) = marshal::batch_request(r).unwrap_or(("PutRequest", "Item"));
            let item = marshal::item_from_marshal(&r[op][field]).map_err(|e| {
                let cause = e.cause().replacen("at $", &format!("at $[{table:?}][{i}].{op}.{field}"), 1);
                Error::new(ErrorKind::Input, "read a batch-write document", cause)
            })?;
            let req = if op == "PutRequest" {
                WriteRequest::builder()
                    .put_request(PutRequest::builder().set_item(Some(item)).build().map_err(sdk_build)?)
            } else {
                WriteRequest::builder().delete_request(
                    aws_sdk_dynamodb::types::DeleteRequest::builder().set_key(Some(item)).build().map_err(sdk_build)?,
                )
            };
            out.push((table.clone(), req.build()));
        }
    }
    Ok(out)
}

fn sdk_build(e: aws_sdk_dynamodb::error::BuildError) -> Error {
    Error::new(ErrorKind::Input, "build a DynamoDB request", e.to_string())
}

/// The course's `TransactItems` JSON → the SDK's transaction items.
/// A cancelled transaction: DynamoDB's reason for each action, in order ("None" for an action that would have
/// gone through), so the learner sees which condition failed. Nothing of the transaction was written.
fn cancelled(err: Error, actions: &Value, reasons: &[CancellationReason]) -> Error {
    let per_action: Vec<String> = reasons
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let action = actions.get(i).and_then(Value::as_object).and_then(|o| o.iter().next());
            let what = action
                .map(|(kind, body)| format!("{kind} on {}", body["TableName"].as_str().unwrap_or("?")))
                .unwrap_or_else(|| "?".into());
            let code = r.code().unwrap_or("None");
            match r.message() {
                Some(m) if code != "None" => format!("[{i}] {what}: {code} ({m})"),
                _ if code == "None" => format!("[{i}] {what}: None (it would have gone through)"),
                _ => format!("[{i}] {what}: {code}"),
            }
        })
        .collect();
    Error::new(err.kind(), err.what(), format!("{}; per action: {}", err.cause(), per_action.join("; ")))
        .hint("nothing of the transaction was written: fix the action whose reason is not None and run it again")
}

fn transact_items(actions: &Value) -> Result<Vec<TransactWriteItem>> {
    let what = "read the transaction's actions";
    let list = actions.as_array().ok_or_else(|| {
        Error::new(ErrorKind::Input, what, "expected a JSON array of {\"Put\"|\"Update\"|\"Delete\": {…}}")
    })?;
    let mut out = Vec::with_capacity(list.len());
    for (i, a) in list.iter().enumerate() {
        let at = |cause: String| Error::new(ErrorKind::Input, what, format!("action [{i}]: {cause}"));
        let obj =
            a.as_object().filter(|o| o.len() == 1).ok_or_else(|| at("expected one of Put, Update, Delete".into()))?;
        let (kind, body) = obj.iter().next().expect("one entry");
        let allowed: &[&str] = match kind.as_str() {
            "Put" => {
                &["TableName", "Item", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues"]
            }
            "Update" => &[
                "TableName",
                "Key",
                "UpdateExpression",
                "ConditionExpression",
                "ExpressionAttributeNames",
                "ExpressionAttributeValues",
            ],
            "Delete" => {
                &["TableName", "Key", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues"]
            }
            other => return Err(at(format!("unknown action {other:?}; use Put, Update or Delete"))),
        };
        let p = Params::new("transact_write", body, allowed).map_err(|e| at(e.to_string()))?;
        let table = p.string("TableName")?.ok_or_else(|| at("TableName is missing".into()))?;
        let build = |e: aws_sdk_dynamodb::error::BuildError| at(e.to_string());
        let item = match kind.as_str() {
            "Put" => TransactWriteItem::builder().put(
                Put::builder()
                    .table_name(table)
                    .set_item(p.item("Item")?)
                    .set_condition_expression(p.string("ConditionExpression")?)
                    .set_expression_attribute_names(p.names()?)
                    .set_expression_attribute_values(p.item("ExpressionAttributeValues")?)
                    .build()
                    .map_err(build)?,
            ),
            "Update" => TransactWriteItem::builder().update(
                Update::builder()
                    .table_name(table)
                    .set_key(p.item("Key")?)
                    .set_update_expression(p.string("UpdateExpression")?)
                    .set_condition_expression(p.string("ConditionExpression")?)
                    .set_expression_attribute_names(p.names()?)
                    .set_expression_attribute_values(p.item("ExpressionAttributeValues")?)
                    .build()
                    .map_err(build)?,
            ),
            _ => TransactWriteItem::builder().delete(
                Delete::builder()
                    .table_name(table)
                    .set_key(p.item("Key")?)
                    .set_condition_expression(p.string("ConditionExpression")?)
                    .set_expression_attribute_names(p.names()?)
                    .set_expression_attribute_values(p.item("ExpressionAttributeValues")?)
                    .build()
                    .map_err(build)?,
            ),
        };
        out.push(item.build());
    }
    Ok(out)
}

/// A table description as the course prints it: the fields a learner looks at.
fn describe_json(t: Option<&aws_sdk_dynamodb::types::TableDescription>) -> Value {
    let Some(t) = t else { return Value::Null };
    let keys: Vec<Value> = t
        .key_schema()
        .iter()
        .map(|k| serde_json::json!({"AttributeName": k.attribute_name(), "KeyType": k.key_type().as_str()}))
        .collect();
    let defs: Vec<Value> = t
        .attribute_definitions()
        .iter()
        .map(|a| serde_json::json!({"AttributeName": a.attribute_name(), "AttributeType": a.attribute_type().as_str()}))
        .collect();
    let mut v = serde_json::json!({
        "TableName": t.table_name(),
        "TableStatus": t.table_status().map(|s| s.as_str()),
        "KeySchema": keys,
        "AttributeDefinitions": defs,
        "ItemCount": t.item_count(),
        "TableArn": t.table_arn(),
    });
    if let Some(p) = t.provisioned_throughput() {
        v["ProvisionedThroughput"] = serde_json::json!({
            "ReadCapacityUnits": p.read_capacity_units(),
            "WriteCapacityUnits": p.write_capacity_units(),
        });
    }
    let gsis: Vec<&str> = t.global_secondary_indexes().iter().filter_map(|g| g.index_name()).collect();
    if !gsis.is_empty() {
        v["GlobalSecondaryIndexes"] = serde_json::json!(gsis);
    }
    v
}
