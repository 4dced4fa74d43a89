//! Kinesis Data Streams (`sourcelab::kinesis`): streams, shards, partition keys, and consumers that each read
//! every record from where they start. A [`Kinesis`] is the library's client; a [`Reader`] keeps its position in
//! every shard in the library.

use std::fmt;

use serde_json::{Value, json};

use crate::client::{self, FromReply, Shared, id};
use crate::error::{Error, ErrorKind, Result};

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
}

impl FromReply for Kinesis {
    fn from_reply(v: Value) -> Result<Kinesis> {
        Ok(Kinesis { h: client::handle(&v)?, text: client::text(&v["text"]) })
    }
}

impl FromReply for Placed {
    fn from_reply(v: Value) -> Result<Placed> {
        match (v["shard"].as_str(), v["sequence"].as_str()) {
            (Some(shard), Some(sequence)) => Ok(Placed { shard: shard.into(), sequence: sequence.into() }),
            _ => Err(client::unexpected("a shard and a sequence number", &v)),
        }
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
    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }
}

impl FromReply for Reader {
    fn from_reply(v: Value) -> Result<Reader> {
        Ok(Reader { h: client::handle(&v)?, text: client::text(&v["text"]) })
    }
}
