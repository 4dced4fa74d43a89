//! Kinesis Data Streams (`sourcelab::kinesis`): streams, shards, partition keys, and consumers that each read
//! every record from where they start. A [`Kinesis`] is the library's client; a [`Reader`] keeps its position in
//! every shard in the library.

use std::fmt;

use serde_json::{Value, json};

use crate::client::{self, Shared, call, id};
use crate::config::EnvFile;
use crate::error::{Error, ErrorKind, Result};
use crate::frame::Table;
use crate::values::Progress;

/// Where a consumer starts reading a shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAt {
    /// At the oldest record still kept (`TRIM_HORIZON`).
    TrimHorizon,
    /// After the newest record: only records written from now on (`LATEST`).
    Latest,
    /// At the record with this sequence number (`AT_SEQUENCE_NUMBER`).
    AtSequence(String),
    /// Just after the record with this sequence number (`AFTER_SEQUENCE_NUMBER`).
    AfterSequence(String),
}

impl StartAt {
    /// As JSON: `"TRIM_HORIZON"`, `"LATEST"`, `["AT_SEQUENCE_NUMBER", "…"]`, `["AFTER_SEQUENCE_NUMBER", "…"]`.
    pub fn to_json(&self) -> Value {
        match self {
            StartAt::TrimHorizon => json!("TRIM_HORIZON"),
            StartAt::Latest => json!("LATEST"),
            StartAt::AtSequence(s) => json!(["AT_SEQUENCE_NUMBER", s]),
            StartAt::AfterSequence(s) => json!(["AFTER_SEQUENCE_NUMBER", s]),
        }
    }

    /// Reads [`StartAt::to_json`]'s form.
    pub fn from_json(v: &Value) -> Result<StartAt> {
        let seq = || v[1].as_str().unwrap_or_default().to_string();
        match (v.as_str(), v[0].as_str()) {
            (Some("TRIM_HORIZON"), _) => Ok(StartAt::TrimHorizon),
            (Some("LATEST"), _) => Ok(StartAt::Latest),
            (_, Some("AT_SEQUENCE_NUMBER")) => Ok(StartAt::AtSequence(seq())),
            (_, Some("AFTER_SEQUENCE_NUMBER")) => Ok(StartAt::AfterSequence(seq())),
            _ => Err(Error::new(ErrorKind::Input, "read a stream position", format!("{v} is not one"))
                .hint("use StartAt::TrimHorizon, Latest, AtSequence(seq) or AfterSequence(seq)")),
        }
    }
}

impl fmt::Display for StartAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartAt::TrimHorizon => f.write_str("TRIM_HORIZON"),
            StartAt::Latest => f.write_str("LATEST"),
            StartAt::AtSequence(s) => write!(f, "AT_SEQUENCE_NUMBER {s}"),
            StartAt::AfterSequence(s) => write!(f, "AFTER_SEQUENCE_NUMBER {s}"),
        }
    }
}

/// Where a record went: its shard and sequence number (`sourcelab::kinesis::Placed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The shard its partition key hashed to.
    pub shard: String,
    /// Its sequence number in that shard.
    pub sequence: String,
}

impl fmt::Display for Placed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at sequence {}", self.shard, self.sequence)
    }
}

/// A connection to Kinesis Data Streams (`sourcelab::kinesis::Kinesis`).
#[derive(Clone)]
pub struct Kinesis {
    h: Shared,
    text: String,
}

impl fmt::Debug for Kinesis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Kinesis {
    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    fn call(&self, name: &str, mut args: Value) -> Result<Value> {
        args["kinesis"] = self.arg();
        call(name, args)
    }

    /// Connects with the env file's AWS settings and checks that Kinesis answers.
    pub fn connect(env: &EnvFile) -> Result<Kinesis> {
        let v = call("kinesis.connect", json!({"env": env.arg()}))?;
        Ok(Kinesis { h: client::handle(&v)?, text: client::text(&v["text"]) })
    }

    /// The names of every stream.
    pub fn list_streams(&self) -> Result<Vec<String>> {
        Ok(client::strings(&self.call("kinesis.list_streams", json!({}))?))
    }

    /// Creates a stream with `shards` shards and waits until it is active.
    pub fn create_stream(&self, name: &str, shards: u32) -> Result<()> {
        self.call("kinesis.create_stream", json!({"stream": name, "shards": shards})).map(drop)
    }

    /// The stream's shards: `shard`, `hash_from`, `hash_to`, `first_sequence`.
    pub fn shards(&self, stream: &str) -> Result<Table> {
        Table::from_reply(self.call("kinesis.shards", json!({"stream": stream}))?)
    }

    /// How many hours records stay readable.
    pub fn retention_hours(&self, stream: &str) -> Result<u32> {
        Ok(self.call("kinesis.retention_hours", json!({"stream": stream}))?.as_u64().unwrap_or(0) as u32)
    }

    /// Appends one record with partition key `key`; where it went.
    pub fn put(&self, stream: &str, key: &str, data: &str) -> Result<Placed> {
        let v = self.call("kinesis.put", json!({"stream": stream, "key": key, "data": data}))?;
        Ok(Placed { shard: client::text(&v["shard"]), sequence: client::text(&v["sequence"]) })
    }

    /// Appends JSON events, 500 to a call; each event's field `key_field` is its partition key. How many.
    pub fn put_events(&self, stream: &str, events: &[String], key_field: &str, progress: Progress) -> Result<usize> {
        let args = json!({"stream": stream, "events": events, "key_field": key_field, "progress": progress == Progress::Print});
        Ok(self.call("kinesis.put_events", args)?.as_u64().unwrap_or(0) as usize)
    }

    /// A consumer of `stream` that starts in every shard at `start`.
    pub fn reader(&self, stream: &str, start: StartAt) -> Result<Reader> {
        Reader::from_reply(self.call("kinesis.reader", json!({"stream": stream, "start": start.to_json()}))?)
    }

    /// A consumer of one shard that starts at `start` (to replay from a sequence number of that shard).
    pub fn shard_reader(&self, stream: &str, shard: &str, start: StartAt) -> Result<Reader> {
        let args = json!({"stream": stream, "shard": shard, "start": start.to_json()});
        Reader::from_reply(self.call("kinesis.shard_reader", args)?)
    }

    /// Deletes a stream and its records.
    pub fn delete_stream(&self, stream: &str) -> Result<()> {
        self.call("kinesis.delete_stream", json!({"stream": stream})).map(drop)
    }

    /// Deletes every stream whose name starts with `prefix`; what it removed.
    pub fn remove_all(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(client::strings(&self.call("kinesis.remove_all", json!({"prefix": prefix}))?))
    }
}

/// One consumer of a stream (`sourcelab::kinesis::Reader`): its position in each shard stays in the library and
/// moves on with every [`Reader::read`].
#[derive(Clone)]
pub struct Reader {
    h: Shared,
    text: String,
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Display for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Reader {
    fn from_reply(v: Value) -> Result<Reader> {
        Ok(Reader { h: client::handle(&v)?, text: client::text(&v["text"]) })
    }

    /// Reads up to `max` records from its position on and moves past them: `shard`, `sequence`, `key`,
    /// `arrived`, `data`. An empty table: nothing new in any shard.
    pub fn read(&self, max: usize) -> Result<Table> {
        Table::from_reply(call("kinesis.read", json!({"reader": id(&self.h), "max": max}))?)
    }
}
