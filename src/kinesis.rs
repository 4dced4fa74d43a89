//! Kinesis Data Streams, an event stream: producers append records to a log, and every consumer reads the log
//! for itself, from wherever it chooses to start.
//!
//! A stream is split into **shards**. Each record carries a **partition key**; its hash picks the shard, so every
//! record with the same key lands in the same shard, in the order it was written, with a growing **sequence
//! number**. Reading does not remove anything: records stay until the stream's retention period ends (24 hours by
//! default), so two consumers each see every record, a new consumer can start at the oldest record
//! (`TRIM_HORIZON`) or only at new ones (`LATEST`), and any consumer can replay from a sequence number.
//! Compare [`crate::sqs`], where a message is handed to one consumer and is gone once deleted.
//!
//! A [`Reader`] is one consumer: it keeps a position (a shard iterator) in every shard and each
//! [`Reader::read`] continues from there.
//!
//! ```no_run
//! # fn demo() -> sourcelab::Result<()> {
//! use sourcelab::kinesis::{Kinesis, StartAt};
//! let kinesis = Kinesis::connect(&sourcelab::config::load()?)?;
//! kinesis.create_stream("lab7-clicks", 2)?;
//! kinesis.put("lab7-clicks", "user-7", r#"{"page": "/home"}"#)?;
//! let reader = kinesis.reader("lab7-clicks", StartAt::TrimHorizon)?;
//! println!("{}", reader.read(1000)?); // shard, sequence, key, data
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::{Arc, Mutex};

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType, StreamStatus};
use polars::prelude::{Column, DataFrame, DataType, TimeUnit, TimeZone};

use crate::Progress;
use crate::config::{EnvFile, Service};
use crate::error::{AwsClient, Error, ErrorKind, Result};
use crate::frame::Show;

pub use sourcelab_notebook::kinesis::{Placed, StartAt};

/// The most records one PutRecords call may carry.
pub const BATCH_SIZE: usize = 500;

impl Show for Placed {}

/// A connection to Kinesis Data Streams.
#[derive(Clone)]
pub struct Kinesis {
    client: aws_sdk_kinesis::Client,
    endpoint: Option<String>,
}

impl fmt::Debug for Kinesis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kinesis({})", self.endpoint.as_deref().unwrap_or("AWS"))
    }
}

fn table(what: &str, columns: Vec<Column>) -> Result<DataFrame> {
    DataFrame::new_infer_height(columns)
        .map_err(|e| Error::new(ErrorKind::Service, format!("tabulate {what}"), e.to_string()))
}

impl AwsClient for Kinesis {
    fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    fn hint(&self, e: Error) -> Error {
        if e.cause().starts_with("ResourceNotFoundException") {
            e.hint("create the stream first (`kinesis.create_stream`), or check its name: `kinesis.list_streams()`")
        } else {
            e
        }
    }
}

/// The pauses between looks at a new stream's status, in milliseconds: quick at first (a local server is
/// ready at once), then every 10 seconds as the SDKs' waiter, 3 minutes in all.
const STREAM_POLLS: [u64; 24] = [
    100, 200, 400, 800, 1_500, 3_000, 4_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000,
    10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000,
];

impl Kinesis {
    /// Connects with the env file's AWS settings and checks that Kinesis answers.
    pub fn connect(env: &EnvFile) -> Result<Kinesis> {
        let aws = env.aws();
        let endpoint = aws.endpoint(Service::Kinesis);
        let client =
            crate::block_on(async move { aws_sdk_kinesis::Client::new(&aws.sdk_config(Service::Kinesis).await) })?;
        let k = Kinesis { client, endpoint };
        k.list_streams()?;
        Ok(k)
    }

    /// The names of every stream.
    pub fn list_streams(&self) -> Result<Vec<String>> {
        let out = self.run("list streams", self.client.list_streams().send())?;
        Ok(out.stream_names().to_vec())
    }

    /// Creates a stream with `shards` shards and waits until it is active: up to 3 minutes, as the AWS SDKs'
    /// `StreamExists` waiter, saying every 10 seconds that it still waits (on AWS a stream takes seconds to a
    /// minute or more). A stream of that name that exists already (an earlier run, or a creation that timed out)
    /// is waited for and used. A lab's stream is tagged `sourcelab:lab` with the lab's number
    /// ([`crate::course::account`]).
    pub fn create_stream(&self, name: &str, shards: u32) -> Result<()> {
        let req = self.client.create_stream().stream_name(name).shard_count(shards as i32);
        match self.run(format!("create stream {name} with {shards} shard(s)"), req.send()) {
            Ok(_) => {}
            Err(e) if e.cause().contains("ResourceInUseException") => {
                crate::runtime::progress(&format!("stream {name} exists already (an earlier run made it): using it"));
            }
            Err(e) => return Err(e),
        }
        let started = std::time::Instant::now();
        let mut said = 0;
        for wait_ms in STREAM_POLLS {
            let out = self.run(
                format!("describe stream {name}"),
                self.client.describe_stream_summary().stream_name(name).send(),
            )?;
            let status = out.stream_description_summary().map(|s| s.stream_status().clone());
            if status == Some(StreamStatus::Active) {
                // Tagged once active (AWS tags no stream while it is CREATING; moto ignores CreateStream's tags).
                if let Some(lab) = crate::course::account::lab_of(name) {
                    let req = self.client.add_tags_to_stream().stream_name(name);
                    let req = req.tags(crate::course::account::LAB_TAG, lab.to_string()).send();
                    self.run(format!("tag stream {name}"), req)?;
                }
                return Ok(());
            }
            let waited = started.elapsed().as_secs();
            if waited / 10 > said {
                said = waited / 10;
                let status = status.map_or("unknown".to_string(), |s| s.as_str().to_string());
                crate::runtime::progress(&format!("stream {name}: {status} for {waited} s; waiting up to 3 minutes"));
            }
            crate::runtime::pause(std::time::Duration::from_millis(wait_ms))?;
        }
        Err(Error::new(
            ErrorKind::Timeout,
            format!("create stream {name}"),
            "it did not become ACTIVE within 3 minutes",
        )
        .hint("look at the stream with `kinesis.list_streams()` or in the console, then run the cell again"))
    }

    /// The stream's shards: `shard`, `hash_from`, `hash_to` (the partition-key hashes it takes), `first_sequence`.
    pub fn shards(&self, stream: &str) -> Result<DataFrame> {
        let ids = self.shard_list(stream)?;
        table(
            "shards",
            vec![
                Column::new("shard".into(), ids.iter().map(|s| s.0.clone()).collect::<Vec<_>>()),
                Column::new("hash_from".into(), ids.iter().map(|s| s.1.clone()).collect::<Vec<_>>()),
                Column::new("hash_to".into(), ids.iter().map(|s| s.2.clone()).collect::<Vec<_>>()),
                Column::new("first_sequence".into(), ids.iter().map(|s| s.3.clone()).collect::<Vec<_>>()),
            ],
        )
    }

    /// (shard id, first hash, last hash, first sequence number) of every shard, in order.
    fn shard_list(&self, stream: &str) -> Result<Vec<(String, String, String, String)>> {
        let out =
            self.run(format!("list the shards of {stream}"), self.client.list_shards().stream_name(stream).send())?;
        Ok(out
            .shards()
            .iter()
            .map(|s| {
                let h = s.hash_key_range();
                (
                    s.shard_id().to_string(),
                    h.map(|h| h.starting_hash_key().to_string()).unwrap_or_default(),
                    h.map(|h| h.ending_hash_key().to_string()).unwrap_or_default(),
                    s.sequence_number_range().map(|r| r.starting_sequence_number().to_string()).unwrap_or_default(),
                )
            })
            .collect())
    }

    /// How many hours records stay readable.
    pub fn retention_hours(&self, stream: &str) -> Result<u32> {
        let out = self.run(
            format!("describe stream {stream}"),
            self.client.describe_stream_summary().stream_name(stream).send(),
        )?;
        Ok(out.stream_description_summary().map_or(0, |s| s.retention_period_hours()) as u32)
    }

    /// Appends one record with partition key `key`; where it went.
    pub fn put(&self, stream: &str, key: &str, data: &str) -> Result<Placed> {
        let req = self.client.put_record().stream_name(stream).partition_key(key).data(Blob::new(data.as_bytes()));
        let out = self.run(format!("put a record into {stream}"), req.send())?;
        Ok(Placed { shard: out.shard_id().to_string(), sequence: out.sequence_number().to_string() })
    }

    /// Appends JSON events, 500 to a call (PutRecords); each event's field `key_field` is its partition key. How
    /// many were written.
    pub fn put_events(&self, stream: &str, events: &[String], key_field: &str, progress: Progress) -> Result<usize> {
        let mut entries = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            let v: serde_json::Value = serde_json::from_str(e).map_err(|err| {
                Error::new(ErrorKind::Input, format!("read event {i} for {stream}"), format!("not JSON: {err}"))
            })?;
            let key = match &v[key_field] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => {
                    return Err(Error::new(
                        ErrorKind::Input,
                        format!("read event {i} for {stream}"),
                        format!("it has no field {key_field:?} (the partition key): {e}"),
                    ));
                }
                other => other.to_string(),
            };
            let entry = PutRecordsRequestEntry::builder().partition_key(key).data(Blob::new(e.as_bytes())).build();
            entries.push(entry.map_err(|err| Error::new(ErrorKind::Input, "build a record", err.to_string()))?);
        }
        let mut written = 0;
        for chunk in entries.chunks(BATCH_SIZE) {
            let mut pending = chunk.to_vec();
            for attempt in 0.. {
                let req = self.client.put_records().stream_name(stream).set_records(Some(pending.clone()));
                let out = self.run(format!("put records into {stream}"), req.send())?;
                // PutRecords is not atomic: a record may fail (throttling) while the others are written. Send
                // the failed ones again, in order.
                let failed: Vec<PutRecordsRequestEntry> = out
                    .records()
                    .iter()
                    .zip(&pending)
                    .filter(|(r, _)| r.error_code().is_some())
                    .map(|(_, e)| e.clone())
                    .collect();
                let before = written;
                written += pending.len() - failed.len();
                crate::sqs::progress_line(progress, "written", before, written, events.len(), stream);
                if failed.is_empty() {
                    break;
                }
                if attempt == 5 {
                    return Err(Error::new(
                        ErrorKind::Service,
                        format!("put records into {stream} ({written} of {} written)", events.len()),
                        format!("{} record(s) still refused after 5 retries", failed.len()),
                    ));
                }
                crate::runtime::pause(std::time::Duration::from_millis(100 << attempt))?;
                pending = failed;
            }
        }
        Ok(written)
    }

    /// A consumer of `stream` that starts in every shard at `start`.
    pub fn reader(&self, stream: &str, start: StartAt) -> Result<Reader> {
        let mut positions = Vec::new();
        let resume = Resume::starting(&start);
        for (shard, ..) in self.shard_list(stream)? {
            let iterator = self.iterator(stream, &shard, &start)?;
            positions.push(Position { shard, iterator, resume: resume.clone() });
        }
        Ok(Reader { kinesis: self.clone(), stream: stream.to_string(), positions: Arc::new(Mutex::new(positions)) })
    }

    /// A consumer of one shard that starts at `start` (to replay from a sequence number of that shard).
    pub fn shard_reader(&self, stream: &str, shard: &str, start: StartAt) -> Result<Reader> {
        let resume = Resume::starting(&start);
        let iterator = self.iterator(stream, shard, &start)?;
        let positions = vec![Position { shard: shard.to_string(), iterator, resume }];
        Ok(Reader { kinesis: self.clone(), stream: stream.to_string(), positions: Arc::new(Mutex::new(positions)) })
    }

    /// A new iterator for a reader whose iterator AWS expired: after the last record it read, else where it started.
    fn resume(&self, stream: &str, shard: &str, resume: &Resume) -> Result<Option<String>> {
        let start = match resume {
            Resume::From(start) => start.clone(),
            Resume::After(sequence) => StartAt::AfterSequence(sequence.clone()),
            Resume::Since(when) => {
                let req = self.client.get_shard_iterator().stream_name(stream).shard_id(shard);
                let req = req.shard_iterator_type(ShardIteratorType::AtTimestamp).timestamp(*when).send();
                let out = self.run(format!("start reading {stream} {shard} again"), req)?;
                return Ok(out.shard_iterator().map(str::to_string));
            }
        };
        self.iterator(stream, shard, &start)
    }

    fn iterator(&self, stream: &str, shard: &str, start: &StartAt) -> Result<Option<String>> {
        let mut req = self.client.get_shard_iterator().stream_name(stream).shard_id(shard);
        req = match start {
            StartAt::TrimHorizon => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
            StartAt::Latest => req.shard_iterator_type(ShardIteratorType::Latest),
            StartAt::AtSequence(s) => {
                req.shard_iterator_type(ShardIteratorType::AtSequenceNumber).starting_sequence_number(s)
            }
            StartAt::AfterSequence(s) => {
                req.shard_iterator_type(ShardIteratorType::AfterSequenceNumber).starting_sequence_number(s)
            }
        };
        let out = self.run(format!("start reading {stream} {shard} at {start}"), req.send()).map_err(|e| {
            if e.cause().starts_with("InvalidArgument") {
                e.hint("a sequence number belongs to one shard: take it from that shard's records (`shard_reader`)")
            } else {
                e
            }
        })?;
        Ok(out.shard_iterator().map(str::to_string))
    }

    /// Deletes a stream and its records.
    pub fn delete_stream(&self, stream: &str) -> Result<()> {
        let req = self.client.delete_stream().stream_name(stream).enforce_consumer_deletion(true);
        self.run(format!("delete stream {stream}"), req.send()).map(drop)
    }

    /// A stream's open shards, and whether it is on demand (AWS bills it per stream hour, not per shard hour).
    pub(crate) fn capacity(&self, stream: &str) -> Result<(u32, bool)> {
        let req = self.client.describe_stream_summary().stream_name(stream).send();
        let out = self.run(format!("describe stream {stream}"), req)?;
        let summary = out.stream_description_summary();
        let shards = summary.map_or(0, |s| s.open_shard_count());
        let mode = summary.and_then(|s| s.stream_mode_details()).map(|m| m.stream_mode().clone());
        Ok((u32::try_from(shards).unwrap_or(0), mode == Some(aws_sdk_kinesis::types::StreamMode::OnDemand)))
    }

    /// Deletes every stream whose name starts with `prefix`; what it removed.
    pub fn remove_all(&self, prefix: &str) -> Result<Vec<String>> {
        let names: Vec<String> = self.list_streams()?.into_iter().filter(|s| s.starts_with(prefix)).collect();
        for s in &names {
            self.delete_stream(s)?;
        }
        Ok(names.into_iter().map(|s| format!("stream {s}")).collect())
    }
}

/// One consumer of a stream: its position in each shard, moved on by every [`Reader::read`]. Clones share the
/// position.
#[derive(Clone)]
pub struct Reader {
    kinesis: Kinesis,
    stream: String,
    positions: Arc<Mutex<Vec<Position>>>,
}

/// A shard, the iterator to read it from (none once the shard is closed and read to its end), and where to start
/// again when AWS expires that iterator.
struct Position {
    shard: String,
    iterator: Option<String>,
    resume: Resume,
}

/// Where a reader is in a shard, in terms that outlive an iterator: AWS expires a shard iterator 5 minutes after
/// handing it out (`ExpiredIteratorException`: a learner who reads, thinks, and reads again), moto never does.
#[derive(Clone)]
enum Resume {
    /// Nothing read yet: where the reader started.
    From(StartAt),
    /// Nothing read yet by a reader that started at `LATEST`: the records that arrived since it was made.
    Since(aws_sdk_kinesis::primitives::DateTime),
    /// After the last record it read.
    After(String),
}

impl Resume {
    fn starting(start: &StartAt) -> Resume {
        match start {
            StartAt::Latest => Resume::Since(aws_sdk_kinesis::primitives::DateTime::from(std::time::SystemTime::now())),
            other => Resume::From(other.clone()),
        }
    }
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reader({}, {} shard(s))", self.stream, self.positions.lock().map_or(0, |p| p.len()))
    }
}

impl fmt::Display for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a reader of {}", self.stream)
    }
}

impl Reader {
    /// Reads what is there from its position on, shard after shard, up to `max` records in all, and moves the
    /// position past them: a table `shard`, `sequence`, `key`, `arrived`, `data` (the record as text). An empty
    /// table means the reader is at the end of every shard.
    pub fn read(&self, max: usize) -> Result<DataFrame> {
        let mut positions = self.positions.lock().map_err(|_| {
            Error::new(ErrorKind::Setup, format!("read {}", self.stream), "an earlier read of this reader panicked")
        })?;
        let (mut shard, mut seq, mut key, mut arrived, mut data) = (vec![], vec![], vec![], vec![], vec![]);
        for Position { shard: id, iterator, resume } in positions.iter_mut() {
            while let Some(it) = iterator.clone() {
                let left = max - seq.len();
                if left == 0 {
                    break;
                }
                let get = |it: String| {
                    let req = self.kinesis.client.get_records().shard_iterator(it).limit(left.min(10_000) as i32);
                    self.kinesis.run(format!("read {} {id}", self.stream), req.send())
                };
                let out = match get(it) {
                    Err(e) if e.cause().starts_with("ExpiredIteratorException") => {
                        match self.kinesis.resume(&self.stream, id, resume)? {
                            Some(fresh) => get(fresh)?,
                            None => break,
                        }
                    }
                    other => other?,
                };
                *iterator = out.next_shard_iterator().map(str::to_string);
                if let Some(last) = out.records().last() {
                    *resume = Resume::After(last.sequence_number().to_string());
                }
                for r in out.records() {
                    shard.push(id.clone());
                    seq.push(r.sequence_number().to_string());
                    key.push(r.partition_key().unwrap_or_default().to_string());
                    arrived.push(r.approximate_arrival_timestamp().and_then(|t| t.to_millis().ok()));
                    data.push(String::from_utf8_lossy(r.data().as_ref()).into_owned());
                }
                // GetRecords answers nothing at the end of the shard (and, on AWS, now and then before it: a
                // consumer then asks again later, as the next read does).
                if out.records().is_empty() {
                    break;
                }
            }
        }
        table(
            "records",
            vec![
                Column::new("shard".into(), shard),
                Column::new("sequence".into(), seq),
                Column::new("key".into(), key),
                Column::new("arrived".into(), arrived)
                    .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
                    .map_err(|e| Error::new(ErrorKind::Service, "tabulate records", e.to_string()))?,
                Column::new("data".into(), data),
            ],
        )
    }
}
