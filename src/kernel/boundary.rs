//! The notebook boundary, library side: the calls the notebook crate makes, and the values that stay here
//! between cells.
//!
//! Cells compile against the thin crate `sourcelab-notebook` (`kernel/notebook/`), never against this library:
//! its dependency graph (polars, sqlx, the AWS SDKs) would be linked into every cell. The library lives in the
//! kernel's own process; cells reach it over a Unix socket ([`super::serve`]), and each call runs one helper
//! ([`super::calls`]) through [`answer`].
//!
//! Values a cell keeps (a pool, a client, a query result) are registered here and cross as a handle number; the
//! notebook crate frees them when the cell's value is dropped. Because the kernel has one copy of this library,
//! it has one runtime, one pool per database and one SDK client per connection, shared by every cell and by the
//! kernel's own SQL cells.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value, json};

use crate::config::{DbConfig, EnvFile};
use crate::dynamo::{BatchReport, Dynamo, Response};
use crate::error::{Error, ErrorKind, Result};
use crate::frame::{DataFrame, Show};
use crate::iam::{Credentials, Iam};
use crate::kinesis::{Kinesis, Reader};
use crate::lab4::Lab4;
use crate::net::Cidr;
use crate::s3::S3;
use crate::sql::{Db, Session};
use crate::sqs::{Messages, Sqs};
use crate::vpc::Network;

/// A value kept for a cell.
#[derive(Clone)]
pub(crate) enum Object {
    Env(Arc<EnvFile>),
    Db(Db),
    Session(Session),
    Iam(Iam),
    Credentials(Arc<Credentials>),
    Dynamo(Dynamo),
    S3(S3),
    Sqs(Sqs),
    Messages(Arc<Messages>),
    Kinesis(Kinesis),
    Reader(Reader),
    Lab4(Lab4),
    Frame(DataFrame),
    Response(Arc<Response>),
    Network(Arc<Network>),
}

impl Object {
    fn name(&self) -> &'static str {
        match self {
            Object::Env(_) => "an env file",
            Object::Db(_) => "a database connection",
            Object::Session(_) => "a database session",
            Object::Iam(_) => "an IAM connection",
            Object::Credentials(_) => "access keys",
            Object::Dynamo(_) => "a DynamoDB connection",
            Object::S3(_) => "an S3 connection",
            Object::Sqs(_) => "an SQS connection",
            Object::Messages(_) => "received messages",
            Object::Kinesis(_) => "a Kinesis connection",
            Object::Reader(_) => "a stream reader",
            Object::Lab4(_) => "lab 4's scenario",
            Object::Frame(_) => "a table",
            Object::Response(_) => "a DynamoDB response",
            Object::Network(_) => "a network",
        }
    }

    /// What `Display` writes (for the types without one, their redacting `Debug`).
    pub(crate) fn text(&self) -> String {
        match self {
            Object::Env(e) => format!("{e:?}"),
            Object::Db(d) => d.to_string(),
            Object::Session(s) => s.to_string(),
            Object::Iam(i) => format!("{i:?}"),
            Object::Credentials(c) => c.to_string(),
            Object::Dynamo(d) => format!("{d:?}"),
            Object::S3(s) => format!("{s:?}"),
            Object::Sqs(s) => format!("{s:?}"),
            Object::Messages(m) => m.to_string(),
            Object::Kinesis(k) => format!("{k:?}"),
            Object::Reader(r) => r.to_string(),
            Object::Lab4(l) => format!("{l:?}"),
            Object::Frame(f) => f.to_string(),
            Object::Response(r) => r.to_string(),
            Object::Network(n) => n.to_string(),
        }
    }

    /// What a notebook shows.
    pub(crate) fn mime(&self) -> Vec<(String, String)> {
        match self {
            Object::Frame(f) => f.mime(),
            Object::Response(r) => r.mime(),
            Object::Messages(m) => m.mime(),
            Object::Network(n) => n.mime(),
            other => vec![("text/plain".into(), other.text())],
        }
    }
}

fn objects() -> &'static Mutex<(u64, HashMap<u64, Object>)> {
    static OBJECTS: OnceLock<Mutex<(u64, HashMap<u64, Object>)>> = OnceLock::new();
    OBJECTS.get_or_init(Default::default)
}

fn lost_registry() -> Error {
    Error::new(ErrorKind::Setup, "reach the values of earlier cells", "a call panicked while holding them")
        .hint("restart the kernel (Kernel → Restart) and run the notebook again")
}

/// Keeps `object` and returns its handle number.
pub(crate) fn keep(object: Object) -> Result<u64> {
    let mut guard = objects().lock().map_err(|_| lost_registry())?;
    guard.0 += 1;
    let id = guard.0;
    guard.1.insert(id, object);
    Ok(id)
}

/// The object behind handle `id`.
pub(crate) fn get(id: u64) -> Result<Object> {
    let guard = objects().lock().map_err(|_| lost_registry())?;
    guard.1.get(&id).cloned().ok_or_else(|| {
        Error::new(ErrorKind::NotFound, format!("find value #{id} of an earlier cell"), "it was freed")
            .hint("run the cell that made it again")
    })
}

/// Frees handle `id` (nothing when it is gone already).
pub(crate) fn free(id: u64) -> Result<()> {
    objects().lock().map_err(|_| lost_registry())?.1.remove(&id);
    Ok(())
}

/// Frees every value (the engine process that held their handles is gone).
pub(crate) fn free_all() {
    if let Ok(mut guard) = objects().lock() {
        guard.1.clear();
    }
}

/// How many values the cells hold now.
pub(crate) fn live() -> usize {
    objects().lock().map(|g| g.1.len()).unwrap_or(0)
}

/// The arguments of one call, with typed accessors whose errors name the call and the argument.
pub(crate) struct Args<'a> {
    pub call: &'a str,
    pub v: &'a Value,
}

impl<'a> Args<'a> {
    fn bad(&self, key: &str, expected: &str) -> Error {
        Error::new(ErrorKind::Input, format!("call {}", self.call), format!("argument `{key}` is not {expected}"))
            .hint("the notebook crate and the library disagree: run `sourcelab kernel install` and restart the kernel")
    }

    /// The argument `key` as sent; an error when the call lacks it.
    pub fn json(&self, key: &str) -> Result<&'a Value> {
        self.v.get(key).ok_or_else(|| {
            Error::new(ErrorKind::Input, format!("call {}", self.call), format!("argument `{key}` is missing")).hint(
                "the notebook crate and the library disagree: run `sourcelab kernel install` and restart the kernel",
            )
        })
    }

    /// Bytes sent as base64 text.
    pub fn bytes(&self, key: &str) -> Result<Vec<u8>> {
        sourcelab_notebook::wire::bytes_from_json(self.json(key)?)
            .map_err(|e| self.bad(key, "bytes as base64 text").hint(e.cause().to_string()))
    }

    /// The argument `key` when the call gives one (absent or `null`: `None`).
    pub fn optional(&self, key: &str) -> Option<&'a Value> {
        self.v.get(key).filter(|v| !v.is_null())
    }

    /// The argument `key` read as `T` (serde); an error names the call, the argument and what it must be.
    pub fn get<T: serde::de::DeserializeOwned>(&self, key: &str, expected: &str) -> Result<T> {
        T::deserialize(self.json(key)?).map_err(|e| self.bad(key, expected).hint(format!("{e}")))
    }

    /// Whether to print progress: `true` is [`crate::Progress::Print`].
    pub fn progress(&self, key: &str) -> Result<crate::Progress> {
        Ok(if self.bool(key)? { crate::Progress::Print } else { crate::Progress::Quiet })
    }

    /// Where a stream reader starts (`StartAt`'s JSON form).
    pub fn start_at(&self, key: &str) -> Result<crate::kinesis::StartAt> {
        crate::kinesis::StartAt::from_json(self.json(key)?).map_err(|_| {
            self.bad(key, "a stream position")
                .hint("use StartAt::TrimHorizon, Latest, AtSequence(seq) or AfterSequence(seq)")
        })
    }

    pub fn u32(&self, key: &str) -> Result<u32> {
        self.get(key, "a whole number from 0 to 4294967295")
    }

    pub fn str(&self, key: &str) -> Result<&'a str> {
        self.v[key].as_str().ok_or_else(|| self.bad(key, "a string"))
    }

    pub fn path(&self, key: &str) -> Result<PathBuf> {
        self.str(key).map(PathBuf::from)
    }

    pub fn u64(&self, key: &str) -> Result<u64> {
        self.v[key].as_u64().ok_or_else(|| self.bad(key, "a whole number"))
    }

    pub fn bool(&self, key: &str) -> Result<bool> {
        self.v[key].as_bool().ok_or_else(|| self.bad(key, "true or false"))
    }

    pub fn strings(&self, key: &str) -> Result<Vec<&'a str>> {
        let list = self.v[key].as_array().ok_or_else(|| self.bad(key, "a list of strings"))?;
        list.iter().map(|s| s.as_str().ok_or_else(|| self.bad(key, "a list of strings"))).collect()
    }

    pub fn counts(&self, key: &str) -> Result<Vec<u64>> {
        let list = self.v[key].as_array().ok_or_else(|| self.bad(key, "a list of counts"))?;
        list.iter().map(|n| n.as_u64().ok_or_else(|| self.bad(key, "a list of counts"))).collect()
    }

    pub fn duration(&self, key: &str) -> Result<std::time::Duration> {
        self.u64(key).map(std::time::Duration::from_millis)
    }

    pub fn config(&self, key: &str) -> Result<DbConfig> {
        let c = sourcelab_notebook::DbConfig::from_json(self.json(key)?)
            .map_err(|e| self.bad(key, "database settings (a DbConfig)").hint(e.to_string()))?;
        Ok(DbConfig {
            engine: c.engine,
            host: c.host,
            port: c.port,
            database: c.database,
            user: c.user,
            password: c.password,
        })
    }

    pub fn cidr(&self, key: &str) -> Result<Cidr> {
        self.str(key)?.parse().map_err(|e: Error| self.bad(key, "an IPv4 block such as 10.0.1.0/24").hint(e.cause()))
    }

    /// A table's keys, capacity and indexes, as the notebook's `TableSpec` sends them.
    pub fn table_spec(&self, key: &str) -> Result<crate::dynamo::TableSpec> {
        let bad = |what: String| {
            Error::new(ErrorKind::Input, format!("call {}", self.call), format!("argument `{key}`: {what}"))
                .hint("build the table with TableSpec::new(name).hash(…).range(…).capacity(…).gsi(…)")
        };
        let v = self.json(key)?;
        let text = |s: &Value, i: usize| {
            s[i].as_str().map(str::to_string).ok_or_else(|| bad(format!("{s} needs a text at {i}")))
        };
        let number = |s: &Value, i: usize| s[i].as_i64().ok_or_else(|| bad(format!("{s} needs a number at {i}")));
        let name = v["name"].as_str().ok_or_else(|| bad("no table name".into()))?;
        let mut spec = crate::dynamo::TableSpec::new(name);
        for step in v["steps"].as_array().ok_or_else(|| bad("no `steps` list".into()))? {
            spec = match step[0].as_str() {
                Some("hash") => spec.hash(&text(step, 1)?, &text(step, 2)?),
                Some("range") => spec.range(&text(step, 1)?, &text(step, 2)?),
                Some("capacity") => spec.capacity(number(step, 1)?, number(step, 2)?),
                Some("gsi") => {
                    let (h0, h1) = (text(&step[2], 0)?, text(&step[2], 1)?);
                    let range = match &step[3] {
                        Value::Null => None,
                        r => Some((text(r, 0)?, text(r, 1)?)),
                    };
                    spec.gsi(&text(step, 1)?, (&h0, &h1), range.as_ref().map(|(a, b)| (a.as_str(), b.as_str())))
                }
                _ => return Err(bad(format!("unknown step {step}"))),
            };
        }
        Ok(spec)
    }

    /// Rows of SQL values (`[[1, "a"], …]`).
    pub fn sql_rows(&self, key: &str) -> Result<Vec<Vec<crate::sql::SqlValue>>> {
        let rows: Vec<Vec<Value>> = self.get(key, "a list of rows (lists of values)")?;
        Ok(rows.iter().map(|r| r.iter().map(crate::sql::SqlValue::from_json).collect()).collect())
    }

    /// Column and value pairs (`[["name", "x"], …]`).
    pub fn sql_pairs(&self, key: &str) -> Result<Vec<(String, crate::sql::SqlValue)>> {
        let pairs: Vec<(String, Value)> = self.get(key, "a list of [column, value] pairs")?;
        Ok(pairs.into_iter().map(|(c, v)| (c, crate::sql::SqlValue::from_json(&v))).collect())
    }

    /// Access keys, or nothing (the argument `null` or absent).
    pub fn optional_credentials(&self, key: &str) -> Result<Option<Arc<Credentials>>> {
        match self.optional(key) {
            Some(v) if !v.is_null() => self.credentials(key).map(Some),
            _ => Ok(None),
        }
    }

    /// A list of three texts each (`[["s3:GetObject", "bucket", "key"], …]`).
    pub fn text_triples(&self, key: &str) -> Result<Vec<(String, String, String)>> {
        self.get(key, "a list of [text, text, text]")
    }

    pub fn batch_reports(&self, key: &str) -> Result<Vec<BatchReport>> {
        self.get(key, "a list of batch reports")
    }

    /// A list of kept tables (`[handle, …]`).
    pub fn frames(&self, key: &str) -> Result<Vec<DataFrame>> {
        let ids = self.json(key)?.as_array().ok_or_else(|| self.bad(key, "a list of tables"))?;
        ids.iter()
            .map(|id| match id.as_u64().map(get).transpose()? {
                Some(Object::Frame(f)) => Ok(f),
                Some(other) => Err(self.wrong(key, "a table", &other)),
                None => Err(self.bad(key, "a list of tables")),
            })
            .collect()
    }

    /// A list of kept sessions (`[handle, …]`).
    pub fn sessions(&self, key: &str) -> Result<Vec<Session>> {
        let ids = self.json(key)?.as_array().ok_or_else(|| self.bad(key, "a list of sessions"))?;
        ids.iter()
            .map(|id| match id.as_u64().map(get).transpose()? {
                Some(Object::Session(s)) => Ok(s),
                Some(other) => Err(self.wrong(key, "a database session (Session)", &other)),
                None => Err(self.bad(key, "a list of sessions")),
            })
            .collect()
    }

    fn object(&self, key: &str) -> Result<Object> {
        get(self.u64(key)?)
    }

    fn wrong(&self, key: &str, expected: &str, got: &Object) -> Error {
        self.bad(key, expected).hint(format!("it is {}; pass {expected}", got.name()))
    }
}

/// One accessor per kind of kept value: `args.db("db")?` and so on.
macro_rules! kept {
    ($($fn:ident: $variant:ident => $ty:ty, $what:literal;)*) => {
        impl Args<'_> {
            $(pub fn $fn(&self, key: &str) -> Result<$ty> {
                match self.object(key)? {
                    Object::$variant(x) => Ok(x.into()),
                    other => Err(self.wrong(key, $what, &other)),
                }
            })*
        }
    };
}

kept! {
    env: Env => Arc<EnvFile>, "an env file";
    db: Db => Db, "a database connection (Db)";
    session: Session => Session, "a database session (Session)";
    iam: Iam => Iam, "an IAM connection (Iam)";
    credentials: Credentials => Arc<Credentials>, "access keys (Credentials)";
    dynamo: Dynamo => Dynamo, "a DynamoDB connection (Dynamo)";
    s3: S3 => S3, "an S3 connection (S3)";
    sqs: Sqs => Sqs, "an SQS connection (Sqs)";
    messages: Messages => Arc<Messages>, "received messages (Messages)";
    kinesis: Kinesis => Kinesis, "a Kinesis connection (Kinesis)";
    reader: Reader => Reader, "a stream reader (Reader)";
    lab4: Lab4 => Lab4, "lab 4's scenario (Lab4)";
    frame: Frame => DataFrame, "a table";
    response: Response => Arc<Response>, "a DynamoDB response";
}

/// A kept DataFrame as the notebook crate's `Table` expects it: handle, shape, names and types.
pub(crate) fn table(df: DataFrame) -> Result<Value> {
    use crate::frame::TableExt;
    let (columns, dtypes) = (df.column_names(), df.column_types());
    let height = df.height();
    Ok(json!({"handle": keep(Object::Frame(df))?, "height": height, "columns": columns, "dtypes": dtypes}))
}

/// A value that crosses as what it shows (the notebook crate's `Shown`).
pub(crate) fn shown(v: &impl Show) -> Value {
    json!({"text": v.to_string(), "mime": sourcelab_notebook::wire::mime_to_json(&v.mime()), "data": null})
}

/// [`shown`] with the value's fields as `data`.
pub(crate) fn shown_with(v: &(impl Show + serde::Serialize)) -> Value {
    let mut out = shown(v);
    out["data"] = serde_json::to_value(v).unwrap_or(Value::Null);
    out
}

/// A kept value, with its text.
pub(crate) fn handle(object: Object) -> Result<Value> {
    let text = object.text();
    Ok(json!({"handle": keep(object)?, "text": text}))
}

/// What a call answers for a result of this type: plain data as JSON, a kept value as its handle (and what the
/// notebook type shows without asking again). The notebook side reads it back with `FromReply`.
pub(crate) trait Reply {
    fn reply(self) -> Result<Value>;
}

macro_rules! reply_as_json {
    ($($ty:ty),*) => {$(
        impl Reply for $ty {
            fn reply(self) -> Result<Value> {
                Ok(json!(self))
            }
        }
    )*};
}

/// A client kept in the library, answered as its handle and text.
macro_rules! reply_as_handle {
    ($($ty:ident),*) => {$(
        impl Reply for $ty {
            fn reply(self) -> Result<Value> {
                handle(Object::$ty(self))
            }
        }
    )*};
}

reply_as_handle!(Dynamo, Iam, Sqs, Kinesis, Reader);

/// A value that crosses as what it shows (the notebook crate's `Shown`); `with data`: and its fields.
macro_rules! reply_as_shown {
    ($($ty:ty),*; with data: $($with:ty),*) => {
        $(impl Reply for $ty {
            fn reply(self) -> Result<Value> {
                Ok(shown(&self))
            }
        })*
        $(impl Reply for $with {
            fn reply(self) -> Result<Value> {
                Ok(shown_with(&self))
            }
        })*
    };
}

reply_as_shown!(
    crate::s3::Transfer, crate::s3::Emptied, crate::check::Passed, crate::doctor::Diagnosis,
    crate::config::AwsSettings, crate::config::DbUrl;
    with data: BatchReport, crate::iam::Decision, crate::local::Crash, crate::lab8::Traffic, crate::plot::Plot
);

reply_as_json!((), bool, String, Vec<String>, u32, u64, usize, f64, Vec<u64>, HashMap<String, String>, PathBuf, Vec<(String, Value)>, Vec<(String, usize)>, (String, u16));

impl<T: Reply> Reply for Option<T> {
    fn reply(self) -> Result<Value> {
        self.map_or(Ok(Value::Null), Reply::reply)
    }
}

impl Reply for Vec<u8> {
    fn reply(self) -> Result<Value> {
        Ok(sourcelab_notebook::wire::bytes_to_json(&self))
    }
}

impl Reply for S3 {
    fn reply(self) -> Result<Value> {
        let region = self.region().to_string();
        let mut v = handle(Object::S3(self))?;
        v["region"] = region.into();
        Ok(v)
    }
}

impl Reply for crate::s3::ObjectInfo {
    fn reply(self) -> Result<Value> {
        serde_json::to_value(self)
            .map_err(|e| Error::new(ErrorKind::Setup, "answer an object's metadata", e.to_string()))
    }
}

impl Reply for crate::logs::Parsed {
    fn reply(self) -> Result<Value> {
        let text = self.to_string();
        Ok(json!({"rows": table(self.rows)?, "unparsed": table(self.unparsed)?, "text": text}))
    }
}

impl Reply for crate::lab8::LogFiles {
    fn reply(self) -> Result<Value> {
        Ok(self.to_json())
    }
}

impl Reply for Lab4 {
    fn reply(self) -> Result<Value> {
        let env = self.env().clone().reply()?;
        let (bucket, given) = (self.bucket().to_string(), self.given_password());
        let mut v = handle(Object::Lab4(self))?;
        v["env"] = env;
        v["bucket"] = bucket.into();
        v["given_password"] = given.reply()?;
        Ok(v)
    }
}

impl Reply for Network {
    fn reply(self) -> Result<Value> {
        let vpcs: Vec<Value> =
            self.vpcs.iter().map(|v| json!({"id": v.id, "name": v.name, "cidr": v.cidr.to_string()})).collect();
        let mut v = handle(Object::Network(self.into()))?;
        v["vpcs"] = vpcs.into();
        Ok(v)
    }
}

/// A password crosses as its text, to the notebook crate's `Secret`, which never shows it.
impl Reply for crate::config::Secret {
    fn reply(self) -> Result<Value> {
        Ok(json!(self.expose()))
    }
}

/// Files as (path, bytes) pairs, the bytes as the boundary carries bytes.
impl Reply for Vec<(&'static str, Vec<u8>)> {
    fn reply(self) -> Result<Value> {
        Ok(self
            .into_iter()
            .map(|(path, bytes)| json!([path, sourcelab_notebook::wire::bytes_to_json(&bytes)]))
            .collect())
    }
}

impl Reply for &str {
    fn reply(self) -> Result<Value> {
        Ok(json!(self))
    }
}

impl Reply for Value {
    fn reply(self) -> Result<Value> {
        Ok(self)
    }
}

impl Reply for Response {
    fn reply(self) -> Result<Value> {
        let items = self.items.len();
        let mut v = handle(Object::Response(self.into()))?;
        v["items"] = items.into();
        Ok(v)
    }
}

impl Reply for DbConfig {
    fn reply(self) -> Result<Value> {
        let DbConfig { engine, host, port, database, user, password } = self;
        Ok(sourcelab_notebook::DbConfig { engine, host, port, database, user, password }.to_json())
    }
}

impl Reply for Db {
    fn reply(self) -> Result<Value> {
        let config = self.config().clone().reply()?;
        let mut v = handle(Object::Db(self))?;
        v["config"] = config;
        Ok(v)
    }
}

impl Reply for Session {
    fn reply(self) -> Result<Value> {
        let (name, id) = (self.name().to_string(), self.connection_id());
        let mut v = handle(Object::Session(self))?;
        v["name"] = name.into();
        v["connection_id"] = id.into();
        Ok(v)
    }
}

impl Reply for DataFrame {
    fn reply(self) -> Result<Value> {
        table(self)
    }
}

impl Reply for EnvFile {
    fn reply(self) -> Result<Value> {
        let path = self.path().display().to_string();
        let mut v = handle(Object::Env(self.into()))?;
        v["path"] = path.into();
        Ok(v)
    }
}

impl Reply for Credentials {
    fn reply(self) -> Result<Value> {
        let (principal, expires) = (self.principal.clone(), self.expires.clone());
        let mut v = handle(Object::Credentials(self.into()))?;
        v["principal"] = principal.into();
        v["expires"] = expires.into();
        Ok(v)
    }
}

impl Reply for crate::sqs::Counts {
    fn reply(self) -> Result<Value> {
        Ok(self.to_json())
    }
}

impl Reply for crate::kinesis::Placed {
    fn reply(self) -> Result<Value> {
        Ok(json!({"shard": self.shard, "sequence": self.sequence}))
    }
}

impl Reply for Messages {
    fn reply(self) -> Result<Value> {
        let (bodies, counts) = (self.bodies(), self.receive_counts());
        let mut v = handle(Object::Messages(self.into()))?;
        v["bodies"] = bodies.into();
        v["receive_counts"] = counts.into();
        Ok(v)
    }
}

/// Runs the call `name` with the JSON `args` and answers `{"ok": …}` or `{"err": …}`; a panic in the library is
/// caught here and answers as an error naming the call.
pub(crate) fn answer(name: &str, args: &Value) -> Value {
    let run = std::panic::AssertUnwindSafe(|| super::calls::dispatch(&Args { call: name, v: args }));
    match std::panic::catch_unwind(run) {
        Ok(Ok(v)) => json!({"ok": v}),
        // An interrupt names the call the cell made, not the library's inner step.
        Ok(Err(e)) if e.kind() == ErrorKind::Interrupted => {
            let e = Error::new(ErrorKind::Interrupted, name, e.cause()).hint(e.hint_text().unwrap_or_default());
            json!({"err": e.to_json()})
        }
        Ok(Err(e)) => json!({"err": e.to_json()}),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".into());
            let e = Error::new(ErrorKind::Setup, format!("call {name}"), format!("the library panicked: {msg}"))
                .hint("this is a bug in sourcelab (please report it with the cell); the kernel is still running");
            json!({"err": e.to_json()})
        }
    }
}
