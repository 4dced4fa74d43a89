//! SQS, a message queue: producers send messages, consumers take them, and a message is gone once a consumer
//! deletes it.
//!
//! A queue hands each message to one consumer at a time. Receiving a message does not remove it: it becomes
//! invisible for the queue's **visibility timeout**, and the consumer deletes it when its work is done. A consumer
//! that crashes before deleting gives the message back when the timeout ends, so another consumer gets it —
//! delivery is **at least once**, and a consumer must cope with seeing a message twice. A message that fails again
//! and again moves, after `maxReceiveCount` receives, to a **dead-letter queue** for a person to look at.
//! A standard queue keeps roughly the order of sending; a **FIFO** queue (its name ends in `.fifo`) keeps the
//! order within each message group exactly and drops a message whose deduplication id it saw in the last five
//! minutes.
//!
//! Queues are named here, as in the console; [`Sqs`] finds each queue's URL itself.
//!
//! ```no_run
//! # fn demo() -> sourcelab::Result<()> {
//! use sourcelab::sqs::Sqs;
//! let sqs = Sqs::connect(&sourcelab::config::load()?)?;
//! sqs.create_queue("lab7-orders", 30)?;
//! sqs.send("lab7-orders", r#"{"order": 1}"#)?;
//! let got = sqs.receive("lab7-orders", 10)?; // invisible to others for 30 s
//! sqs.delete("lab7-orders", &got)?;          // processed: gone for good
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;

use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName, SendMessageBatchRequestEntry,
};
use polars::prelude::{Column, DataFrame};
use serde::Serialize;

use crate::Progress;
use crate::config::{EnvFile, Service};
use crate::error::{AwsClient, Error, ErrorKind, Result};
use crate::frame::Show;

/// The most messages one SendMessageBatch, ReceiveMessage or DeleteMessageBatch call may carry.
pub const BATCH_SIZE: usize = 10;

/// One message as a consumer received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// The id SQS gave the message when it was sent.
    pub id: String,
    /// What the producer sent.
    pub body: String,
    /// How many times the message has been received, this time included.
    pub receive_count: u32,
    /// The message group (FIFO queues).
    pub group: Option<String>,
    /// What lets this consumer delete the message (changes with every receive).
    #[serde(skip)]
    pub receipt: String,
}

/// The messages one receive returned, from one queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Messages {
    /// The queue's name.
    pub queue: String,
    /// The messages, in the order SQS returned them.
    pub messages: Vec<Message>,
}

impl Messages {
    /// The bodies, in order.
    pub fn bodies(&self) -> Vec<String> {
        self.messages.iter().map(|m| m.body.clone()).collect()
    }

    /// How many times each message has been received, this time included.
    pub fn receive_counts(&self) -> Vec<u64> {
        self.messages.iter().map(|m| u64::from(m.receive_count)).collect()
    }

    /// How many messages.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether the receive found nothing waiting.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// A table: `id`, `body`, `receive_count`, `group`.
    pub fn frame(&self) -> Result<DataFrame> {
        let m = &self.messages;
        let id: Vec<String> = m.iter().map(|m| m.id.clone()).collect();
        let body: Vec<String> = m.iter().map(|m| m.body.clone()).collect();
        let count: Vec<u32> = m.iter().map(|m| m.receive_count).collect();
        let group: Vec<Option<String>> = m.iter().map(|m| m.group.clone()).collect();
        DataFrame::new_infer_height(vec![
            Column::new("id".into(), id),
            Column::new("body".into(), body),
            Column::new("receive_count".into(), count),
            Column::new("group".into(), group),
        ])
        .map_err(|e| Error::new(ErrorKind::Service, "tabulate received messages", e.to_string()))
    }
}

impl fmt::Display for Messages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} message(s) from {}", self.messages.len(), self.queue)?;
        for m in &self.messages {
            write!(f, "\n  {} (received {}×): {}", m.id, m.receive_count, m.body)?;
        }
        Ok(())
    }
}

impl Show for Messages {
    fn mime(&self) -> Vec<(String, String)> {
        let title = format!("<p>{} message(s) from <code>{}</code></p>", self.messages.len(), self.queue);
        match self.frame() {
            Ok(df) => {
                vec![("text/html".into(), title + &crate::frame::to_html(&df)), ("text/plain".into(), self.to_string())]
            }
            Err(_) => vec![("text/plain".into(), self.to_string())],
        }
    }
}

pub use sourcelab_notebook::sqs::Counts;

impl Show for Counts {}

/// A connection to SQS.
#[derive(Clone)]
pub struct Sqs {
    client: aws_sdk_sqs::Client,
    endpoint: Option<String>,
}

impl fmt::Debug for Sqs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sqs({})", self.endpoint.as_deref().unwrap_or("AWS"))
    }
}

/// A FIFO queue's name ends in `.fifo`.
pub fn is_fifo(queue: &str) -> bool {
    queue.ends_with(".fifo")
}

impl AwsClient for Sqs {
    fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    fn hint(&self, e: Error) -> Error {
        if e.cause().contains("NonExistentQueue") || e.cause().contains("does not exist") {
            e.hint("create the queue first (`sqs.create_queue`), or check its name: `sqs.list_queues(\"\")`")
        } else {
            e
        }
    }
}

/// The waits before each new try at creating a queue AWS says was deleted recently: 65 seconds in all, a little
/// more than AWS's 60.
const RECREATE_WAITS: [u64; 7] = [1, 2, 4, 8, 15, 15, 20];

impl Sqs {
    /// Connects with the env file's AWS settings and checks that SQS answers.
    pub fn connect(env: &EnvFile) -> Result<Sqs> {
        let aws = env.aws();
        let endpoint = aws.endpoint(Service::Sqs);
        let client = crate::block_on(async move { aws_sdk_sqs::Client::new(&aws.sdk_config(Service::Sqs).await) })?;
        let sqs = Sqs { client, endpoint };
        sqs.list_queues("")?;
        Ok(sqs)
    }

    /// The URL of queue `name`.
    pub fn url(&self, name: &str) -> Result<String> {
        let out = self.run(format!("find queue {name}"), self.client.get_queue_url().queue_name(name).send())?;
        Ok(out.queue_url().unwrap_or_default().to_string())
    }

    /// Creates a standard queue (or a FIFO queue, for a name ending in `.fifo`) whose messages stay invisible
    /// for `visibility_seconds` after each receive; its URL. Creating a queue that exists with the same settings
    /// is not an error. A lab's queue is tagged `sourcelab:lab` with the lab's number ([`crate::course::account`]).
    ///
    /// AWS refuses to create a queue for 60 seconds after one of the same name was deleted
    /// (`QueueDeletedRecently`: a lab reset, then the lab run again); moto does not keep that rule. This waits
    /// and tries again for up to 65 seconds, saying why, instead of failing.
    pub fn create_queue(&self, name: &str, visibility_seconds: u32) -> Result<String> {
        let started = std::time::Instant::now();
        let mut waits = RECREATE_WAITS.iter();
        loop {
            let mut req = self
                .client
                .create_queue()
                .queue_name(name)
                .attributes(QueueAttributeName::VisibilityTimeout, visibility_seconds.to_string());
            if is_fifo(name) {
                req = req.attributes(QueueAttributeName::FifoQueue, "true");
            }
            if let Some(lab) = crate::course::account::lab_of(name) {
                req = req.tags(crate::course::account::LAB_TAG, lab.to_string());
            }
            match self.run(format!("create queue {name}"), req.send()) {
                Ok(out) => return Ok(out.queue_url().unwrap_or_default().to_string()),
                Err(e) if e.cause().contains("QueueDeletedRecently") => {
                    let Some(wait) = waits.next() else {
                        return Err(e.hint("a queue of this name was deleted less than a minute ago; try again later"));
                    };
                    crate::runtime::progress(&format!(
                        "queue {name}: AWS creates no queue within 60 s of deleting one of the same name; trying \
                         again in {wait} s ({} s so far)",
                        started.elapsed().as_secs()
                    ));
                    crate::runtime::pause(std::time::Duration::from_secs(*wait))?;
                }
                Err(e) if e.cause().contains("InvalidParameterValue") => {
                    return Err(
                        e.hint("a queue name has 1–80 letters, digits, - and _; a FIFO queue's name ends in .fifo")
                    );
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The names of the queues whose names start with `prefix`.
    pub fn list_queues(&self, prefix: &str) -> Result<Vec<String>> {
        let mut req = self.client.list_queues();
        if !prefix.is_empty() {
            req = req.queue_name_prefix(prefix);
        }
        let out = self.run("list queues", req.send())?;
        Ok(out.queue_urls().iter().map(|u| u.rsplit('/').next().unwrap_or(u).to_string()).collect())
    }

    /// A queue's attributes (`VisibilityTimeout`, `RedrivePolicy`, `ApproximateNumberOfMessages`, …).
    pub fn attributes(&self, queue: &str) -> Result<HashMap<String, String>> {
        let url = self.url(queue)?;
        let req = self.client.get_queue_attributes().queue_url(url).attribute_names(QueueAttributeName::All);
        let out = self.run(format!("read the attributes of queue {queue}"), req.send())?;
        Ok(out.attributes().into_iter().flatten().map(|(k, v)| (k.as_str().to_string(), v.clone())).collect())
    }

    /// How many messages wait in `queue`, and how many are in flight.
    pub fn counts(&self, queue: &str) -> Result<Counts> {
        let a = self.attributes(queue)?;
        let n = |k: &str| a.get(k).and_then(|v| v.parse().ok()).unwrap_or(0);
        Ok(Counts { visible: n("ApproximateNumberOfMessages"), in_flight: n("ApproximateNumberOfMessagesNotVisible") })
    }

    /// Makes `dead_letter` (an existing queue) the dead-letter queue of `queue`: a message received
    /// `max_receives` times without being deleted moves there.
    pub fn set_dead_letter_queue(&self, queue: &str, dead_letter: &str, max_receives: u32) -> Result<()> {
        let dlq_arn = self.attributes(dead_letter)?.get("QueueArn").cloned().ok_or_else(|| {
            Error::new(ErrorKind::Service, format!("read the ARN of queue {dead_letter}"), "SQS gave none")
        })?;
        let policy = serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives}).to_string();
        let url = self.url(queue)?;
        let req =
            self.client.set_queue_attributes().queue_url(url).attributes(QueueAttributeName::RedrivePolicy, policy);
        self.run(format!("set the dead-letter queue of {queue}"), req.send()).map(drop)
    }

    /// Sends one message; its id.
    pub fn send(&self, queue: &str, body: &str) -> Result<String> {
        if is_fifo(queue) {
            return Err(Error::new(ErrorKind::Input, format!("send to {queue}"), "a FIFO queue needs a message group")
                .hint("use `sqs.send_fifo(queue, body, group, dedup_id)`"));
        }
        let url = self.url(queue)?;
        let out = self.run(
            format!("send a message to {queue}"),
            self.client.send_message().queue_url(url).message_body(body).send(),
        )?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }

    /// Sends one message to a FIFO queue, in message group `group`, with deduplication id `dedup_id`: within five
    /// minutes, a second message with the same id is accepted and dropped. Its id.
    pub fn send_fifo(&self, queue: &str, body: &str, group: &str, dedup_id: &str) -> Result<String> {
        let url = self.url(queue)?;
        let req = self
            .client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .message_group_id(group)
            .message_deduplication_id(dedup_id);
        let out = self.run(format!("send a message to {queue} (group {group}, dedup id {dedup_id})"), req.send())?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }

    /// Sends every body, ten to a call (SendMessageBatch); how many were sent.
    pub fn send_all(&self, queue: &str, bodies: &[String], progress: Progress) -> Result<usize> {
        let url = self.url(queue)?;
        let mut sent = 0;
        for chunk in bodies.chunks(BATCH_SIZE) {
            let mut req = self.client.send_message_batch().queue_url(&url);
            for (i, body) in chunk.iter().enumerate() {
                let entry = SendMessageBatchRequestEntry::builder().id(i.to_string()).message_body(body).build();
                req =
                    req.entries(entry.map_err(|e| Error::new(ErrorKind::Input, "build a batch entry", e.to_string()))?);
            }
            let out = self.run(format!("send messages to {queue}"), req.send())?;
            if let Some(f) = out.failed().first() {
                return Err(Error::new(
                    ErrorKind::Service,
                    format!("send messages to {queue} ({sent} of {} sent)", bodies.len()),
                    format!("{}: {}", f.code(), f.message().unwrap_or_default()),
                ));
            }
            let before = sent;
            sent += chunk.len();
            progress_line(progress, "sent", before, sent, bodies.len(), queue);
        }
        Ok(sent)
    }

    /// Receives up to `max` messages (1–10) that are waiting now; each becomes invisible to other consumers for
    /// the queue's visibility timeout. An empty answer means nothing is waiting.
    pub fn receive(&self, queue: &str, max: u32) -> Result<Messages> {
        if !(1..=BATCH_SIZE as u32).contains(&max) {
            return Err(Error::new(ErrorKind::Input, format!("receive from {queue}"), format!("max is {max}"))
                .hint("SQS returns 1 to 10 messages a call"));
        }
        let url = self.url(queue)?;
        let req = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max as i32)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::All);
        let out = self.run(format!("receive from {queue}"), req.send())?;
        let messages = out
            .messages()
            .iter()
            .map(|m| {
                let attr = |k: MessageSystemAttributeName| m.attributes().and_then(|a| a.get(&k)).cloned();
                Message {
                    id: m.message_id().unwrap_or_default().to_string(),
                    body: m.body().unwrap_or_default().to_string(),
                    receive_count: attr(MessageSystemAttributeName::ApproximateReceiveCount)
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(1),
                    group: attr(MessageSystemAttributeName::MessageGroupId),
                    receipt: m.receipt_handle().unwrap_or_default().to_string(),
                }
            })
            .collect();
        Ok(Messages { queue: queue.to_string(), messages })
    }

    /// Deletes the received `messages` (they were processed); how many.
    pub fn delete(&self, queue: &str, messages: &Messages) -> Result<usize> {
        let url = self.url(queue)?;
        let mut deleted = 0;
        for chunk in messages.messages.chunks(BATCH_SIZE) {
            let mut req = self.client.delete_message_batch().queue_url(&url);
            for (i, m) in chunk.iter().enumerate() {
                let entry =
                    DeleteMessageBatchRequestEntry::builder().id(i.to_string()).receipt_handle(&m.receipt).build();
                req =
                    req.entries(entry.map_err(|e| Error::new(ErrorKind::Input, "build a batch entry", e.to_string()))?);
            }
            let out = self.run(format!("delete messages from {queue}"), req.send())?;
            if let Some(f) = out.failed().first() {
                return Err(Error::new(
                    ErrorKind::Service,
                    format!("delete messages from {queue}"),
                    format!("{}: {}", f.code(), f.message().unwrap_or_default()),
                )
                .hint("a receipt is only good until the message's visibility timeout ends: receive it again"));
            }
            deleted += chunk.len();
        }
        Ok(deleted)
    }

    /// Runs `consumers` consumers side by side until `queue` is empty: each receives up to ten messages, "processes"
    /// them and deletes them, again and again. A table of what each consumer took: `consumer`, `messages`,
    /// `receives` (calls that returned something).
    pub fn consume_all(&self, queue: &str, consumers: u32, progress: Progress) -> Result<DataFrame> {
        let url = self.url(queue)?;
        let total = self.counts(queue)?.visible as usize;
        let taken = std::sync::atomic::AtomicUsize::new(0);
        let one = |n: u32| {
            let (url, taken) = (url.clone(), &taken);
            async move {
                let (mut messages, mut calls) = (0usize, 0usize);
                loop {
                    let req = self.client.receive_message().queue_url(&url).max_number_of_messages(BATCH_SIZE as i32);
                    let out = req.send().await.map_err(|e| {
                        crate::error::aws(format!("receive from {queue} (consumer {n})"), self.endpoint.as_deref(), e)
                    })?;
                    if out.messages().is_empty() {
                        return Ok::<_, Error>((n, messages, calls));
                    }
                    calls += 1;
                    let mut del = self.client.delete_message_batch().queue_url(&url);
                    for (i, m) in out.messages().iter().enumerate() {
                        let entry = DeleteMessageBatchRequestEntry::builder()
                            .id(i.to_string())
                            .receipt_handle(m.receipt_handle().unwrap_or_default())
                            .build();
                        del = del.entries(
                            entry.map_err(|e| Error::new(ErrorKind::Input, "build a batch entry", e.to_string()))?,
                        );
                    }
                    del.send().await.map_err(|e| {
                        crate::error::aws(format!("delete from {queue} (consumer {n})"), self.endpoint.as_deref(), e)
                    })?;
                    messages += out.messages().len();
                    let now = taken.fetch_add(out.messages().len(), std::sync::atomic::Ordering::Relaxed);
                    progress_line(progress, "consumed", now, now + out.messages().len(), total, queue);
                }
            }
        };
        let results = crate::wait(async {
            let all = futures_util::future::join_all((1..=consumers).map(one)).await;
            all.into_iter().collect::<Result<Vec<_>>>()
        })?;
        DataFrame::new_infer_height(vec![
            Column::new("consumer".into(), results.iter().map(|r| format!("consumer {}", r.0)).collect::<Vec<_>>()),
            Column::new("messages".into(), results.iter().map(|r| r.1 as u64).collect::<Vec<_>>()),
            Column::new("receives".into(), results.iter().map(|r| r.2 as u64).collect::<Vec<_>>()),
        ])
        .map_err(|e| Error::new(ErrorKind::Service, "tabulate the consumers", e.to_string()))
    }

    /// Deletes a queue and every message in it.
    pub fn delete_queue(&self, queue: &str) -> Result<()> {
        let url = self.url(queue)?;
        self.run(format!("delete queue {queue}"), self.client.delete_queue().queue_url(url).send()).map(drop)
    }

    /// Deletes every queue whose name starts with `prefix`; their names.
    pub fn remove_all(&self, prefix: &str) -> Result<Vec<String>> {
        let names = self.list_queues(prefix)?;
        for q in &names {
            self.delete_queue(q)?;
        }
        Ok(names.into_iter().map(|q| format!("queue {q}")).collect())
    }
}

/// Prints `verb n/total` at every tenth of the work, and at the end.
pub(crate) fn progress_line(progress: Progress, verb: &str, before: usize, now: usize, total: usize, target: &str) {
    let step = (total / 10).max(1);
    if progress == Progress::Print && (now / step != before / step || now == total) {
        crate::runtime::progress(&format!("{target}: {now}/{total} {verb}"));
    }
}
