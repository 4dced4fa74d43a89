//! SQS (`sourcelab::sqs`): queues, messages, visibility timeouts, dead-letter queues and FIFO queues. An [`Sqs`]
//! is the library's client; received messages stay in the library as [`Messages`].

use std::fmt;

use serde_json::{Value, json};

use crate::client::{self, FromReply, Shared, id};
use crate::error::Result;
use crate::frame::write_text;

/// How many messages a queue holds, by state (SQS's approximate counts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Waiting to be received.
    pub visible: u64,
    /// Received and not deleted yet: invisible until the visibility timeout ends.
    pub in_flight: u64,
}

impl FromReply for Counts {
    fn from_reply(v: Value) -> Result<Counts> {
        match (v["visible"].as_u64(), v["in_flight"].as_u64()) {
            (Some(visible), Some(in_flight)) => Ok(Counts { visible, in_flight }),
            _ => Err(client::unexpected("the counts of a queue", &v)),
        }
    }
}

impl Counts {
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

impl FromReply for Messages {
    fn from_reply(v: Value) -> Result<Messages> {
        let counts = v["receive_counts"].as_array().map(|a| a.iter().map(|n| n.as_u64().unwrap_or(0)).collect());
        Ok(Messages {
            h: client::handle(&v)?,
            bodies: client::strings(&v["bodies"]),
            receive_counts: counts.unwrap_or_default(),
        })
    }
}

impl Messages {
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
}

impl FromReply for Sqs {
    fn from_reply(v: Value) -> Result<Sqs> {
        Ok(Sqs { h: client::handle(&v)?, text: client::text(&v["text"]) })
    }
}
