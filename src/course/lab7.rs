//! Lab 7's scenario: a web shop's click events, sent through a queue (SQS) and an event stream (Kinesis) on the
//! labs' moto, and the names of what the notebook makes — all starting with [`PREFIX`], so [`reset`] finds them.
//!
//! | what | name |
//! |---|---|
//! | the click events, as a queue | [`CLICKS_QUEUE`] |
//! | the click events, as a stream of two shards | [`STREAM`] |
//! | orders to process once each | [`ORDERS`], with its dead-letter queue [`ORDERS_DLQ`] |
//! | payments in order, without duplicates | [`PAYMENTS`] (FIFO) |
//!
//! [`clicks`] is our producer: `n` events from 40 users on five pages over 20 minutes, the same every run.

use polars::prelude::{Column, DataFrame, DataType, TimeUnit};
use serde_json::json;

use crate::config::EnvFile;
use crate::error::{Error, ErrorKind, Result};
use crate::kinesis::Kinesis;
use crate::sqs::Sqs;

pub use sourcelab_notebook::lab7::{
    CLICKS_QUEUE, ORDERS, ORDERS_DLQ, PAGES, PAYMENT_EVENTS, PAYMENTS, PREFIX, START, STREAM,
};

/// The first event's time, in milliseconds since 1970 (2024-05-06T09:00:00Z, [`START`]).
fn start_ms() -> i64 {
    chrono::DateTime::parse_from_rfc3339(START).map_or(0, |t| t.timestamp_millis())
}

/// `n` click events as JSON text, in time order: `{"event_id", "user", "page", "at"}` — 40 users on the five
/// [`PAGES`] (home most often, checkout least) over 20 minutes from [`START`], busiest around 09:12 (a newsletter
/// went out). Seeded: the same every run.
pub fn clicks(n: usize) -> Vec<String> {
    let mut rng = crate::rentio::Rng(0x2545_f491_4f6c_dd1d);
    let mut next = move || rng.next_u64();
    let page_weights = [40u64, 25, 20, 10, 5];
    // Clicks per minute rise to a peak at 09:12 and fall again.
    let minute_weights: Vec<u64> = (0..20u64).map(|m| 4 + 12u64.saturating_sub(m.abs_diff(12) * 2)).collect();
    let total: u64 = minute_weights.iter().sum();
    let pick = |r: u64, weights: &[u64], sum: u64| {
        let mut r = r % sum;
        weights.iter().position(|w| {
            let hit = r < *w;
            r = r.saturating_sub(*w);
            hit
        })
    };
    let mut times: Vec<i64> = (0..n)
        .map(|_| {
            let minute = pick(next(), &minute_weights, total).unwrap_or(0) as i64;
            start_ms() + minute * 60_000 + (next() % 60_000) as i64
        })
        .collect();
    times.sort_unstable();
    times
        .into_iter()
        .enumerate()
        .map(|(i, at_ms)| {
            let user = format!("user-{:02}", next() % 40 + 1);
            let page = PAGES[pick(next(), &page_weights, 100).unwrap_or(0)];
            let at = chrono::DateTime::from_timestamp_millis(at_ms).unwrap_or_default();
            json!({"event_id": i + 1, "user": user, "page": page, "at": at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()})
                .to_string()
        })
        .collect()
}

/// The click events in `records` (a table with a `data` column of JSON events: what a Kinesis [`Reader`] read,
/// or a table of message bodies) as typed columns: `event_id`, `user`, `page`, `at` (a datetime) and `minute`
/// (`HH:MM`, for counting per minute). The other columns of `records` (shard, sequence…) come first.
///
/// [`Reader`]: crate::kinesis::Reader
pub fn clicks_table(records: &DataFrame) -> Result<DataFrame> {
    let what = "read the click events";
    let data = records.column("data").ok().filter(|c| c.dtype() == &DataType::String).ok_or_else(|| {
        Error::new(ErrorKind::Input, what, "the table has no text column `data`")
            .hint("pass what `reader.read(…)` returned")
    })?;
    let (mut id, mut user, mut page, mut at, mut minute) = (vec![], vec![], vec![], vec![], vec![]);
    for row in 0..data.len() {
        let text = data.get(row).ok().and_then(|v| v.get_str().map(str::to_string)).unwrap_or_default();
        let bad = |why: String| Error::new(ErrorKind::Input, format!("{what}, row {row}"), why);
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let field =
            |k: &str| v[k].as_str().map(str::to_string).ok_or_else(|| bad(format!("no text field {k:?} in {v}")));
        let when = field("at")?;
        let t = chrono::DateTime::parse_from_rfc3339(&when).map_err(|e| bad(format!("`at` is {when:?}: {e}")))?;
        id.push(v["event_id"].as_i64().ok_or_else(|| bad(format!("no number field \"event_id\" in {v}")))?);
        user.push(field("user")?);
        page.push(field("page")?);
        at.push(t.timestamp_millis());
        minute.push(t.format("%H:%M").to_string());
    }
    let at = Column::new("at".into(), at)
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(polars::prelude::TimeZone::UTC)))
        .map_err(|e| Error::new(ErrorKind::Input, what, e.to_string()))?;
    let mut columns: Vec<Column> = records.columns().iter().filter(|c| c.name() != "data").cloned().collect();
    columns.extend([
        Column::new("event_id".into(), id),
        Column::new("user".into(), user),
        Column::new("page".into(), page),
        at,
        Column::new("minute".into(), minute),
    ]);
    DataFrame::new_infer_height(columns).map_err(|e| Error::new(ErrorKind::Input, what, e.to_string()))
}

/// Removes every queue and stream lab 7 made (the notebook starts and ends with it); what it removed.
pub fn reset(env: &EnvFile) -> Result<Vec<String>> {
    let mut removed = Sqs::connect(env)?.remove_all(PREFIX)?;
    removed.extend(Kinesis::connect(env)?.remove_all(PREFIX)?);
    Ok(removed)
}
