//! Lab 7 against the stack's moto: SQS (visibility timeouts, at-least-once delivery, competing consumers, a
//! dead-letter queue, FIFO order and deduplication) and Kinesis (shards, partition keys, independent readers,
//! LATEST, replay), our click producer and its parser, the charts, the checks, bad input and `reset`.
//!
//! Each test makes queues and streams of its own (`t7<test>-…`), so they run side by side.

mod common;

use sourcelab::frame::TableExt;
use std::time::Duration;

use sourcelab::ErrorKind;
use sourcelab::kinesis::{Kinesis, StartAt};
use sourcelab::sqs::{Counts, Sqs};
use sourcelab::{check, lab7};

fn sqs() -> Sqs {
    Sqs::connect(&common::env()).unwrap()
}

fn kinesis() -> Kinesis {
    Kinesis::connect(&common::env()).unwrap()
}

/// A fresh queue (or stream) name for one test: whatever an earlier run left is removed first.
fn fresh_queue(sqs: &Sqs, name: &str, visibility: u32) -> String {
    sqs.remove_all(name).unwrap();
    sqs.create_queue(name, visibility).unwrap();
    name.to_string()
}

fn fresh_stream(k: &Kinesis, name: &str, shards: u32) -> String {
    k.remove_all(name).unwrap();
    k.create_stream(name, shards).unwrap();
    name.to_string()
}

fn strings(df: &polars::prelude::DataFrame, column: &str) -> Vec<String> {
    let v = df.column_values(column).unwrap();
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap_or_default().to_string()).collect()
}

#[test]
fn a_message_not_deleted_comes_back_after_the_visibility_timeout() {
    let sqs = sqs();
    let q = fresh_queue(&sqs, "t7visibility-q", 1);
    sqs.send(&q, "order 1").unwrap();
    assert_eq!(sqs.counts(&q).unwrap(), Counts { visible: 1, in_flight: 0 });
    let first = sqs.receive(&q, 10).unwrap();
    assert_eq!(first.bodies(), ["order 1"]);
    assert_eq!(first.messages[0].receive_count, 1);
    // Received, not deleted: invisible to every other consumer now.
    assert_eq!(sqs.counts(&q).unwrap(), Counts { visible: 0, in_flight: 1 });
    assert!(sqs.receive(&q, 10).unwrap().messages.is_empty());
    std::thread::sleep(Duration::from_millis(1500));
    let again = sqs.receive(&q, 10).unwrap();
    assert_eq!(again.bodies(), ["order 1"], "at-least-once: the message is delivered again");
    assert_eq!(again.messages[0].receive_count, 2);
    assert_eq!(again.messages[0].id, first.messages[0].id);
    assert_eq!(sqs.delete(&q, &again).unwrap(), 1);
    assert_eq!(sqs.counts(&q).unwrap(), Counts::default());
    sqs.delete_queue(&q).unwrap();
}

#[test]
fn competing_consumers_share_the_messages_and_none_is_lost() {
    let sqs = sqs();
    let q = fresh_queue(&sqs, "t7compete-q", 30);
    let events = lab7::clicks(300);
    assert_eq!(sqs.send_all(&q, &events, sourcelab::Progress::Quiet).unwrap(), 300);
    assert_eq!(sqs.counts(&q).unwrap().visible, 300);
    let t = sqs.consume_all(&q, 2, sourcelab::Progress::Quiet).unwrap();
    let taken: Vec<u64> = t.column("messages").unwrap().u64().unwrap().into_no_null_iter().collect();
    assert_eq!(taken.len(), 2, "{t}");
    assert!(taken.iter().all(|&n| n > 0), "both consumers take a share: {t}");
    // A standard queue delivers at least once: two receives at the same moment may both get a message (moto's
    // server does it under load, AWS does it rarely), so a consumer must tolerate a duplicate. None is lost.
    let sum = taken.iter().sum::<u64>();
    assert!((300..=310).contains(&sum), "every message taken, at most a few twice: {t}");
    assert_eq!(sqs.counts(&q).unwrap(), Counts::default(), "nothing is left in a queue once consumed");
    sqs.delete_queue(&q).unwrap();
}

#[test]
fn a_message_that_keeps_failing_moves_to_the_dead_letter_queue() {
    let sqs = sqs();
    let q = fresh_queue(&sqs, "t7dlq-q", 1);
    let dlq = fresh_queue(&sqs, "t7dlq-dead", 30);
    sqs.set_dead_letter_queue(&q, &dlq, 2).unwrap();
    assert!(sqs.attributes(&q).unwrap()["RedrivePolicy"].contains("t7dlq-dead"));
    sqs.send(&q, "poison").unwrap();
    for _ in 0..2 {
        assert_eq!(sqs.receive(&q, 1).unwrap().bodies(), ["poison"]);
        std::thread::sleep(Duration::from_millis(1300));
    }
    // The third receive finds it over its limit: it moves instead of being delivered.
    assert!(sqs.receive(&q, 1).unwrap().messages.is_empty());
    assert_eq!(sqs.receive(&dlq, 10).unwrap().bodies(), ["poison"]);
    sqs.remove_all("t7dlq-").unwrap();
}

#[test]
fn a_fifo_queue_keeps_order_and_drops_a_duplicate() {
    let sqs = sqs();
    let q = fresh_queue(&sqs, "t7fifo-q.fifo", 30);
    assert!(sqs.send(&q, "no group").unwrap_err().to_string().contains("send_fifo"));
    for (id, body) in lab7::PAYMENT_EVENTS {
        sqs.send_fifo(&q, body, "customer-42", id).unwrap();
        if id == "pay-3" {
            sqs.send_fifo(&q, body, "customer-42", id).unwrap(); // a retry: same deduplication id
        }
    }
    let got = sqs.receive(&q, 10).unwrap();
    let want: Vec<&str> = lab7::PAYMENT_EVENTS.iter().map(|(_, b)| *b).collect();
    assert_eq!(got.bodies(), want);
    assert_eq!(got.messages[0].group.as_deref(), Some("customer-42"));
    check::lab7_ex4(&got).unwrap();
    // The same messages in another order fail the check.
    let mut shuffled = got.clone();
    shuffled.messages.swap(0, 1);
    assert!(check::lab7_ex4(&shuffled).is_err());
    sqs.delete_queue(&q).unwrap();
}

#[test]
fn a_stream_keeps_order_per_shard_and_every_reader_sees_every_record() {
    let k = kinesis();
    let s = fresh_stream(&k, "t7stream-s", 2);
    assert_eq!(k.shards(&s).unwrap().height(), 2);
    assert!(k.retention_hours(&s).unwrap() >= 24);
    let events = lab7::clicks(400);
    assert_eq!(k.put_events(&s, &events, "user", sourcelab::Progress::Quiet).unwrap(), 400);
    let (a, b) = (k.reader(&s, StartAt::TrimHorizon).unwrap(), k.reader(&s, StartAt::TrimHorizon).unwrap());
    let latest = k.reader(&s, StartAt::Latest).unwrap();
    let ra = a.read(10_000).unwrap();
    assert_eq!(ra.height(), 400);
    assert_eq!(b.read(10_000).unwrap().height(), 400, "a second reader sees every record too");
    assert_eq!(a.read(10_000).unwrap().height(), 0, "a reader moves past what it read");
    // Same key, same shard, in the order written.
    let clicks = lab7::clicks_table(&ra).unwrap();
    let by_user = clicks
        .sql("SELECT \"user\", COUNT(DISTINCT shard) AS shards FROM self GROUP BY \"user\" ORDER BY shards DESC")
        .unwrap();
    assert_eq!(by_user.value(0, "shards").unwrap(), 1, "{by_user}");
    let shards = strings(&ra, "shard");
    let keys = strings(&ra, "key");
    let ids: Vec<i64> = clicks.column("event_id").unwrap().i64().unwrap().into_no_null_iter().collect();
    for user in ["user-01", "user-17"] {
        let mine: Vec<i64> = ids.iter().zip(&keys).filter(|(_, k)| *k == user).map(|(i, _)| *i).collect();
        assert!(mine.len() > 2 && mine.windows(2).all(|w| w[0] < w[1]), "{user}: {mine:?}");
    }
    assert!(shards.iter().any(|s| s.ends_with('0')) && shards.iter().any(|s| s.ends_with('1')), "both shards used");
    // LATEST sees only what comes after it was made.
    let placed = k
        .put(&s, "user-99", r#"{"event_id": 401, "user": "user-99", "page": "/home", "at": "2024-05-06T09:20:00Z"}"#)
        .unwrap();
    let new = latest.read(10_000).unwrap();
    assert_eq!(strings(&new, "sequence"), std::slice::from_ref(&placed.sequence));
    // Replay one shard from a sequence number: what follows it, in order.
    let shard_seqs: Vec<String> =
        shards.iter().zip(strings(&ra, "sequence")).filter(|(sh, _)| **sh == shards[0]).map(|(_, q)| q).collect();
    let after = shard_seqs[9].clone();
    let replay = k.shard_reader(&s, &shards[0], StartAt::AfterSequence(after.clone())).unwrap().read(10_000).unwrap();
    let mut want = shard_seqs[10..].to_vec();
    if placed.shard == shards[0] {
        want.push(placed.sequence.clone());
    }
    assert_eq!(strings(&replay, "sequence"), want);
    let at = k.shard_reader(&s, &shards[0], StartAt::AtSequence(after.clone())).unwrap().read(1).unwrap();
    assert_eq!(strings(&at, "sequence"), [after]);
    // Records stay after being read: a new reader from the oldest record reads them all again.
    assert_eq!(k.reader(&s, StartAt::TrimHorizon).unwrap().read(10_000).unwrap().height(), 401);
    k.delete_stream(&s).unwrap();
}

#[test]
fn the_click_producer_is_seeded_and_its_parser_names_a_bad_row() {
    let a = lab7::clicks(1000);
    assert_eq!(a, lab7::clicks(1000));
    let df = polars::prelude::DataFrame::new_infer_height(vec![polars::prelude::Column::new("data".into(), a.clone())])
        .unwrap();
    let t = lab7::clicks_table(&df).unwrap();
    assert_eq!(t.height(), 1000);
    let names: Vec<String> = t.get_column_names().iter().map(|c| c.to_string()).collect();
    assert_eq!(names, ["event_id", "user", "page", "at", "minute"]);
    assert!(t.column("at").unwrap().dtype().is_temporal());
    let per_page = t.sql("SELECT page, COUNT(*) AS clicks FROM self GROUP BY page ORDER BY clicks DESC").unwrap();
    assert_eq!(per_page.value(0, "page").unwrap(), "/home");
    check::lab7_ex7(&t, &per_page).unwrap();
    let unordered = t.sql("SELECT page, COUNT(*) AS clicks FROM self GROUP BY page ORDER BY clicks").unwrap();
    assert!(check::lab7_ex7(&t, &unordered).unwrap_err().to_string().contains("most visited page first"));
    let minutes = t.sql("SELECT COUNT(DISTINCT minute) AS n FROM self").unwrap();
    assert_eq!(minutes.value(0, "n").unwrap(), 20);
    // A malformed record: an error naming its row, not a panic.
    let mut bad = a[..3].to_vec();
    bad[2] = "{\"event_id\": 3, \"user\": \"u\"".into();
    let df =
        polars::prelude::DataFrame::new_infer_height(vec![polars::prelude::Column::new("data".into(), bad)]).unwrap();
    let e = lab7::clicks_table(&df).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Input);
    assert!(e.to_string().contains("row 2") && e.to_string().contains("not JSON"), "{e}");
}

#[test]
fn charts_are_svg_and_a_wrong_column_is_named() {
    let df = polars::prelude::df!("page" => ["/home", "/cart"], "clicks" => [40u32, 10]).unwrap();
    let bars = sourcelab::plot::bars(&df, "page", "clicks", "Clicks per page").unwrap();
    assert!(bars.svg().starts_with("<svg") && bars.svg().contains("/home"), "{}", &bars.svg()[..200]);
    assert_eq!((bars.points, bars.max), (2, 40.0));
    let line = sourcelab::plot::line(&df, "page", "clicks", "Clicks").unwrap();
    assert!(line.svg().contains("<polyline") || line.svg().contains("<path"), "a line is drawn");
    let e = sourcelab::plot::bars(&df, "page", "visits", "x").unwrap_err();
    assert!(e.to_string().contains("no column \"visits\"") && e.to_string().contains("page, clicks"), "{e}");
    let e = sourcelab::plot::bars(&df, "clicks", "page", "x").unwrap_err();
    assert!(e.to_string().contains("not a number"), "{e}");
}

#[test]
fn bad_input_gets_a_clear_error() {
    let sqs = sqs();
    let e = sqs.send("t7-no-such-queue", "x").unwrap_err();
    assert!(e.to_string().contains("t7-no-such-queue") && e.to_string().contains("create the queue first"), "{e}");
    let e = sqs.create_queue("bad name!", 30).unwrap_err();
    assert!(e.to_string().contains("bad name!"), "{e}");
    let q = fresh_queue(&sqs, "t7bad-q", 30);
    assert!(sqs.receive(&q, 11).unwrap_err().to_string().contains("1 to 10"));
    sqs.delete_queue(&q).unwrap();
    let k = kinesis();
    let e = k.put("t7-no-such-stream", "k", "x").unwrap_err();
    assert!(e.to_string().contains("create the stream first"), "{e}");
    let s = fresh_stream(&k, "t7bad-s", 1);
    let e = k.put_events(&s, &["{\"page\": 1}".to_string()], "user", sourcelab::Progress::Quiet).unwrap_err();
    assert!(e.to_string().contains("event 0") && e.to_string().contains("\"user\""), "{e}");
    let e = k.put_events(&s, &["{}".to_string(), "nope".to_string()], "user", sourcelab::Progress::Quiet).unwrap_err();
    assert!(e.to_string().contains("event 0") || e.to_string().contains("event 1"), "{e}");
    k.delete_stream(&s).unwrap();
}

#[test]
fn the_checks_pass_on_the_solution_and_fail_on_a_wrong_answer_and_reset_removes_everything() {
    let env = common::env();
    lab7::reset(&env).unwrap();
    let (sqs, k) = (sqs(), kinesis());
    assert!(check::lab7_ex1(&sqs).is_err(), "no queue yet");
    sqs.create_queue(lab7::ORDERS, 30).unwrap();
    let e = check::lab7_ex1(&sqs).unwrap_err();
    assert!(e.to_string().contains("visibility timeout of 2"), "{e}");
    sqs.delete_queue(lab7::ORDERS).unwrap();
    sqs.create_queue(lab7::ORDERS, 2).unwrap();
    for i in 1..=3 {
        sqs.send(lab7::ORDERS, &format!("{{\"order\": {i}}}")).unwrap();
    }
    check::lab7_ex1(&sqs).unwrap();
    let got = sqs.receive(lab7::ORDERS, 10).unwrap();
    assert!(check::lab7_ex2(&sqs, &got).unwrap_err().to_string().contains("empty queue"), "received, not deleted");
    sqs.delete(lab7::ORDERS, &got).unwrap();
    check::lab7_ex2(&sqs, &got).unwrap();
    assert!(check::lab7_ex3(&sqs).is_err());
    sqs.create_queue(lab7::ORDERS_DLQ, 30).unwrap();
    sqs.set_dead_letter_queue(lab7::ORDERS, lab7::ORDERS_DLQ, 2).unwrap();
    check::lab7_ex3(&sqs).unwrap();
    assert!(check::lab7_ex5(&k).is_err());
    k.create_stream(lab7::STREAM, 2).unwrap();
    check::lab7_ex5(&k).unwrap();
    k.put_events(lab7::STREAM, &lab7::clicks(100), "user", sourcelab::Progress::Quiet).unwrap();
    let all = k.reader(lab7::STREAM, StartAt::TrimHorizon).unwrap().read(1000).unwrap();
    let (shard, seq) = (strings(&all, "shard")[0].clone(), strings(&all, "sequence")[3].clone());
    let replay = k.shard_reader(lab7::STREAM, &shard, StartAt::AfterSequence(seq.clone())).unwrap().read(1000).unwrap();
    check::lab7_ex6(&k, &replay, &seq).unwrap();
    let from_start =
        k.shard_reader(lab7::STREAM, &shard, StartAt::AtSequence(seq.clone())).unwrap().read(1000).unwrap();
    assert!(check::lab7_ex6(&k, &from_start, &seq).is_err(), "AT includes the record itself");
    let removed = lab7::reset(&env).unwrap();
    for name in ["queue lab7-orders", "queue lab7-orders-dlq", "stream lab7-clicks"] {
        assert!(removed.iter().any(|r| r == name), "{removed:?}");
    }
    assert!(sqs.list_queues(lab7::PREFIX).unwrap().is_empty());
    assert!(!k.list_streams().unwrap().iter().any(|s| s.starts_with(lab7::PREFIX)));
}
