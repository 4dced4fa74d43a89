//! SQS (`sourcelab::sqs`): queues, messages, visibility timeouts, dead-letter queues and FIFO queues. An [`Sqs`]
//! is the library's client; received messages stay in the library as [`Messages`].

use std::fmt;

use serde_json::{Value, json};

use crate::client::{self, Shared, call, id};
use crate::config::EnvFile;
use crate::error::Result;
use crate::frame::{Table, write_text};
use crate::values::Progress;

/// How many messages a queue holds, by state (SQS's approximate counts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Waiting to be received.
    pub visible: u64,
    /// Received and not deleted yet: invisible until the visibility timeout ends.
    pub in_flight: u64,
}

impl Counts {
    /// The counts as the library sends them: `{"visible": n, "in_flight": n}`.
    pub fn from_json(v: &Value) -> Counts {
        Counts { visible: v["visible"].as_u64().unwrap_or(0), in_flight: v["in_flight"].as_u64().unwrap_or(0) }
    }

    /// The counts as JSON.
    pub fn to_json(&self) -> Value {
        json!({"visible": self.visible, "in_flight": self.in_flight})
    }

    /// Prints the counts for evcxr, as a sentence.
    pub fn evcxr_display(&self) {
        println!("{self}")
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} waiting, {} in flight (received, not deleted)", self.visible, self.in_flight)
    }
}

/// The messages one receive returned (`sourcelab::sqs::Messages`), kept in the library with their receipts, so
/// that [`Sqs::delete`] can delete them. Shows as a table: `id`, `body`, `receive_count`, `group`.
#[derive(Clone)]
pub struct Messages {
    h: Shared,
    bodies: Vec<String>,
    receive_counts: Vec<u64>,
}

impl Messages {
    fn from_reply(v: Value) -> Result<Messages> {
        let counts = v["receive_counts"].as_array().map(|a| a.iter().map(|n| n.as_u64().unwrap_or(0)).collect());
        Ok(Messages {
            h: client::handle(&v)?,
            bodies: client::strings(&v["bodies"]),
            receive_counts: counts.unwrap_or_default(),
        })
    }

    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    /// How many messages.
    pub fn len(&self) -> usize {
        self.bodies.len()
    }

    /// Whether the receive found nothing waiting.
    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }

    /// The bodies, in the order SQS returned them.
    pub fn bodies(&self) -> Vec<String> {
        self.bodies.clone()
    }

    /// How many times each message has been received, this time included.
    pub fn receive_counts(&self) -> Vec<u64> {
        self.receive_counts.clone()
    }

    /// Prints the messages for evcxr (an HTML table).
    pub fn evcxr_display(&self) {
        crate::frame::show(&self.h)
    }
}

impl fmt::Display for Messages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_text(&self.h, f)
    }
}

impl fmt::Debug for Messages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Messages({} message(s))", self.bodies.len())
    }
}

/// A connection to SQS (`sourcelab::sqs::Sqs`).
#[derive(Clone)]
pub struct Sqs {
    h: Shared,
    text: String,
}

impl fmt::Debug for Sqs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Sqs {
    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    fn call(&self, name: &str, mut args: Value) -> Result<Value> {
        args["sqs"] = self.arg();
        call(name, args)
    }

    /// Connects with the env file's AWS settings and checks that SQS answers.
    pub fn connect(env: &EnvFile) -> Result<Sqs> {
        let v = call("sqs.connect", json!({"env": env.arg()}))?;
        Ok(Sqs { h: client::handle(&v)?, text: client::text(&v["text"]) })
    }

    /// The URL of queue `name`.
    pub fn url(&self, name: &str) -> Result<String> {
        Ok(client::text(&self.call("sqs.url", json!({"queue": name}))?))
    }

    /// Creates a standard queue (a FIFO queue for a name ending in `.fifo`) whose messages stay invisible for
    /// `visibility_seconds` after each receive; its URL.
    pub fn create_queue(&self, name: &str, visibility_seconds: u32) -> Result<String> {
        Ok(client::text(&self.call("sqs.create_queue", json!({"queue": name, "visibility": visibility_seconds}))?))
    }

    /// The names of the queues whose names start with `prefix`.
    pub fn list_queues(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(client::strings(&self.call("sqs.list_queues", json!({"prefix": prefix}))?))
    }

    /// A queue's attributes (`VisibilityTimeout`, `RedrivePolicy`, …), name → value.
    pub fn attributes(&self, queue: &str) -> Result<std::collections::HashMap<String, String>> {
        let v = self.call("sqs.attributes", json!({"queue": queue}))?;
        let map = v.as_object().into_iter().flatten();
        Ok(map.map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect())
    }

    /// How many messages wait in `queue`, and how many are in flight.
    pub fn counts(&self, queue: &str) -> Result<Counts> {
        Ok(Counts::from_json(&self.call("sqs.counts", json!({"queue": queue}))?))
    }

    /// Makes `dead_letter` the dead-letter queue of `queue`, after `max_receives` receives.
    pub fn set_dead_letter_queue(&self, queue: &str, dead_letter: &str, max_receives: u32) -> Result<()> {
        let args = json!({"queue": queue, "dead_letter": dead_letter, "max_receives": max_receives});
        self.call("sqs.set_dead_letter_queue", args).map(drop)
    }

    /// Sends one message to a standard queue; its id.
    pub fn send(&self, queue: &str, body: &str) -> Result<String> {
        Ok(client::text(&self.call("sqs.send", json!({"queue": queue, "body": body}))?))
    }

    /// Sends one message to a FIFO queue, in message group `group`, with deduplication id `dedup_id`; its id.
    pub fn send_fifo(&self, queue: &str, body: &str, group: &str, dedup_id: &str) -> Result<String> {
        let args = json!({"queue": queue, "body": body, "group": group, "dedup_id": dedup_id});
        Ok(client::text(&self.call("sqs.send_fifo", args)?))
    }

    /// Sends every body, ten to a call; how many were sent.
    pub fn send_all(&self, queue: &str, bodies: &[String], progress: Progress) -> Result<usize> {
        let args = json!({"queue": queue, "bodies": bodies, "progress": progress == Progress::Print});
        Ok(self.call("sqs.send_all", args)?.as_u64().unwrap_or(0) as usize)
    }

    /// Receives up to `max` (1–10) waiting messages; they stay invisible for the visibility timeout.
    pub fn receive(&self, queue: &str, max: u32) -> Result<Messages> {
        Messages::from_reply(self.call("sqs.receive", json!({"queue": queue, "max": max}))?)
    }

    /// Deletes the received `messages` (they were processed); how many.
    pub fn delete(&self, queue: &str, messages: &Messages) -> Result<usize> {
        Ok(self.call("sqs.delete", json!({"queue": queue, "messages": messages.arg()}))?.as_u64().unwrap_or(0) as usize)
    }

    /// Runs `consumers` consumers side by side until `queue` is empty (receive, process, delete): a table
    /// `consumer`, `messages`, `receives`.
    pub fn consume_all(&self, queue: &str, consumers: u32, progress: Progress) -> Result<Table> {
        let args = json!({"queue": queue, "consumers": consumers, "progress": progress == Progress::Print});
        Table::from_reply(self.call("sqs.consume_all", args)?)
    }

    /// Deletes a queue and every message in it.
    pub fn delete_queue(&self, queue: &str) -> Result<()> {
        self.call("sqs.delete_queue", json!({"queue": queue})).map(drop)
    }

    /// Deletes every queue whose name starts with `prefix`; what it removed.
    pub fn remove_all(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(client::strings(&self.call("sqs.remove_all", json!({"prefix": prefix}))?))
    }
}
