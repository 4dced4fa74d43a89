//! DynamoDB helpers against the stack's moto server: the whole of lab 2 (tables, loads, reads, updates, deletes,
//! transactions, cleanup), client-side checks moto itself would let through, and batch writes that lose nothing
//! when the service hands items back (UnprocessedItems) or fails with 5xx — injected by a small proxy in front of
//! moto, since moto never does either on its own.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use sourcelab::ErrorKind;
use sourcelab::dynamo::{Dynamo, Progress, TableSpec};
use sourcelab::marshal;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A table-name prefix of its own per test, so tests can run side by side on one moto server.
fn prefix(test: &str) -> String {
    format!("t{}-{test}", std::process::id())
}

fn data(name: &str) -> PathBuf {
    sourcelab::home().join("data/dynamodb").join(format!("{name}.json"))
}

/// The lab's four tables, loaded from our data files under the test's own prefix.
fn lab_tables(ddb: &Dynamo, p: &str) -> [String; 4] {
    let names = ["ProductCatalog", "Forum", "Thread", "Reply"].map(|t| format!("{p}-{t}"));
    let specs = [
        TableSpec::new(&names[0]).hash("Id", "N").capacity(10, 5),
        TableSpec::new(&names[1]).hash("Name", "S").capacity(10, 5),
        TableSpec::new(&names[2]).hash("ForumName", "S").range("Subject", "S").capacity(10, 5),
        TableSpec::new(&names[3]).hash("Id", "S").range("ReplyDateTime", "S").capacity(10, 5),
    ];
    for spec in &specs {
        let d = ddb.create_table(spec).unwrap();
        assert_eq!(d["TableStatus"], "ACTIVE", "{d}");
    }
    for (file, table) in ["ProductCatalog", "Forum", "Thread", "Reply"].iter().zip(&names) {
        let doc = marshal::read_json(&data(file)).unwrap();
        let (_, reqs) = doc.as_object().unwrap().iter().next().unwrap();
        let requests = sourcelab::dynamo::batch_requests(&json!({ table.as_str(): reqs })).unwrap();
        ddb.batch_write(requests, Progress::Quiet).unwrap();
    }
    names
}

fn strs(v: &Value, field: &str) -> Vec<String> {
    v.as_array().unwrap().iter().map(|i| i[field].as_str().unwrap_or_default().to_string()).collect()
}

#[test]
fn the_data_files_load_with_the_labs_counts() {
    let ddb = Dynamo::connect(&common::env()).unwrap();
    let p = prefix("files");
    let t = ["ProductCatalog", "Forum", "Thread", "Reply"].map(|n| format!("{p}-{n}"));
    ddb.create_table(&TableSpec::new(&t[0]).hash("Id", "N")).unwrap();
    // The files are keyed by the course's table names; batch_write_file loads them as they are.
    let doc = marshal::read_json(&data("ProductCatalog")).unwrap();
    assert_eq!(doc.as_object().unwrap().keys().next().unwrap(), "de-c2w1-dynamodb-ProductCatalog");
    for (name, n) in [("ProductCatalog", 8), ("Forum", 2), ("Thread", 3), ("Reply", 4)] {
        let doc = marshal::read_json(&data(name)).unwrap();
        let reqs = sourcelab::dynamo::batch_requests(&doc).unwrap();
        assert_eq!(reqs.len(), n, "{name}");
    }
    let report = ddb.batch_write_file(data("ProductCatalog"), Progress::Quiet);
    // The course's table does not exist under that name here unless a notebook made it; either way no panic.
    if let Err(e) = report {
        assert!(e.to_string().contains("ResourceNotFoundException"), "{e}");
    }
    ddb.delete_table(&t[0]).unwrap();
}

#[test]
fn lab_two_end_to_end() {
    let ddb = Dynamo::connect(&common::env()).unwrap();
    let p = prefix("lab2");
    let [catalog, forum, _thread, reply] = lab_tables(&ddb, &p);
    let none = json!({});

    // 5.1 scan: 8 products; as a DataFrame one column per attribute, key first.
    let r = ddb.scan(&catalog, &none).unwrap();
    assert_eq!((r.count, r.scanned_count, r.items.len()), (Some(8), Some(8), 8));
    let df = r.frame().unwrap();
    assert_eq!(df.height(), 8);
    assert_eq!(df.get_column_names()[0].as_str(), "Id");
    assert!(df.get_column_names().iter().any(|c| c.as_str() == "Color"));
    assert!(r.to_string().starts_with(&format!("scan {catalog}: Count 8, ScannedCount 8")));

    // 5.2 get_item, with the optional read parameters.
    let r = ddb.get_item(&catalog, &json!({"Id": {"N": "101"}}), &none).unwrap();
    let item = r.item().unwrap();
    assert_eq!(item["Id"], json!(101));
    assert_eq!(item["InPublication"], json!(true));
    assert_eq!(item["Authors"], json!(["Ines Duarte"]));
    let params = json!({"ConsistentRead": true, "ProjectionExpression": "ProductCategory, Price, Title", "ReturnConsumedCapacity": "TOTAL"});
    let r = ddb.get_item(&catalog, &json!({"Id": {"N": "101"}}), &params).unwrap();
    let mut attrs: Vec<String> = r.items[0].keys().cloned().collect();
    attrs.sort();
    assert_eq!(attrs, ["Price", "ProductCategory", "Title"]);
    assert!(r.capacity_units() > 0.0, "ConsumedCapacity is reported: {r}");
    let r = ddb.get_item(&catalog, &json!({"Id": {"N": "999"}}), &none).unwrap();
    assert!(r.items.is_empty() && r.item().unwrap().is_null());

    // 5.3 query one partition, then narrow by sort key, by filter, by Limit and direction.
    let thread1 = json!({"S": "Amazon DynamoDB#DynamoDB Thread 1"});
    let q = |extra: Value| {
        let mut v = json!({"KeyConditionExpression": "Id = :Id", "ExpressionAttributeValues": {":Id": thread1.clone()}, "ReturnConsumedCapacity": "TOTAL"});
        for (k, x) in extra.as_object().unwrap() {
            if k == "values" {
                for (vk, vx) in x.as_object().unwrap() {
                    v["ExpressionAttributeValues"][vk] = vx.clone();
                }
            } else {
                v[k] = x.clone();
            }
        }
        v
    };
    let r = ddb.query(&reply, &q(json!({}))).unwrap();
    assert_eq!((r.count, r.scanned_count), (Some(2), Some(2)));
    let r = ddb
        .query(&reply, &q(json!({"KeyConditionExpression": "Id = :Id and ReplyDateTime > :ts", "values": {":ts": {"S": "2015-09-21"}}})))
        .unwrap();
    assert_eq!(strs(&r.plain().unwrap(), "PostedBy"), ["User B"]);
    let r = ddb
        .query(&reply, &q(json!({"FilterExpression": "PostedBy = :user", "values": {":user": {"S": "User B"}}})))
        .unwrap();
    assert_eq!((r.count, r.scanned_count), (Some(1), Some(2)), "the filter runs after the read");
    let first = ddb.query(&reply, &q(json!({"Limit": 1, "ScanIndexForward": true}))).unwrap();
    assert_eq!(strs(&first.plain().unwrap(), "ReplyDateTime"), ["2015-09-15T19:58:22.947Z"]);
    assert_eq!(first.last_key().unwrap()["ReplyDateTime"], json!({"S": "2015-09-15T19:58:22.947Z"}));
    let last = ddb.query(&reply, &q(json!({"Limit": 1, "ScanIndexForward": false}))).unwrap();
    assert_eq!(strs(&last.plain().unwrap(), "ReplyDateTime"), ["2015-09-22T19:58:22.947Z"]);

    // 5.4 filtered scans and paging by hand and to the end.
    let user_a = json!({"FilterExpression": "PostedBy = :user", "ExpressionAttributeValues": {":user": {"S": "User A"}}, "ReturnConsumedCapacity": "TOTAL"});
    let r = ddb.scan(&reply, &user_a).unwrap();
    assert_eq!((r.count, r.scanned_count), (Some(3), Some(4)));
    let mut page = user_a.clone();
    page["Limit"] = json!(2);
    let p1 = ddb.scan(&reply, &page).unwrap();
    assert_eq!(p1.scanned_count, Some(2));
    page["ExclusiveStartKey"] = p1.last_key().unwrap();
    let p2 = ddb.scan(&reply, &page).unwrap();
    assert_eq!(p1.count.unwrap() + p2.count.unwrap(), 3);
    let mut one = json!({"Limit": 1});
    let all = ddb.scan_all(&reply, &one).unwrap();
    assert_eq!((all.items.len(), all.count, all.last_evaluated_key.is_none()), (4, Some(4), true));
    assert!(all.pages >= 4, "pages: {}", all.pages);
    one["KeyConditionExpression"] = json!("Id = :Id");
    one["ExpressionAttributeValues"] = json!({":Id": thread1});
    assert_eq!(ddb.query_all(&reply, &one).unwrap().items.len(), 2);
    let views = json!({
        "FilterExpression": "Threads >= :threads AND #Views >= :views",
        "ExpressionAttributeValues": {":threads": {"N": "1"}, ":views": {"N": "50"}},
        "ExpressionAttributeNames": {"#Views": "Views"}
    });
    let r = ddb.scan(&forum, &views).unwrap();
    assert_eq!((r.count, r.scanned_count), (Some(1), Some(2)));

    // 6 insert and update: a conditional SET, list_append, REMOVE by index, and a failing condition.
    let new_reply = json!({"Id": {"S": "Amazon DynamoDB#DynamoDB Thread 2"}, "ReplyDateTime": {"S": "2021-04-27T17:47:30Z"},
                           "Message": {"S": "A third reply"}, "PostedBy": {"S": "User C"}});
    let r = ddb.put_item(&reply, &new_reply, &json!({"ReturnConsumedCapacity": "TOTAL"})).unwrap();
    assert!(r.capacity_units() >= 1.0);
    let dynamo_key = json!({"Name": {"S": "Amazon DynamoDB"}});
    let set = |old: &str, new: &str| {
        json!({"UpdateExpression": "SET Messages = :new", "ConditionExpression": "Messages = :old",
               "ExpressionAttributeValues": {":old": {"N": old}, ":new": {"N": new}}, "ReturnValues": "UPDATED_NEW"})
    };
    let r = ddb.update_item(&forum, &dynamo_key, &set("4", "5")).unwrap();
    assert_eq!(r.attributes().unwrap(), json!({"Messages": 5}));
    let e = ddb.update_item(&forum, &dynamo_key, &set("4", "5")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Service);
    assert!(e.to_string().contains("ConditionalCheckFailedException") && e.to_string().contains("hint:"), "{e}");
    let bike = json!({"Id": {"N": "201"}});
    let append = json!({"UpdateExpression": "SET #Color = list_append(#Color, :values)", "ExpressionAttributeNames": {"#Color": "Color"},
                        "ExpressionAttributeValues": {":values": {"L": [{"S": "Blue"}, {"S": "Yellow"}]}}, "ReturnValues": "UPDATED_NEW"});
    let r = ddb.update_item(&catalog, &bike, &append).unwrap();
    assert_eq!(r.attributes().unwrap(), json!({"Color": ["Red", "Black", "Blue", "Yellow"]}));
    let remove =
        json!({"UpdateExpression": "REMOVE #Color[2], #Color[3]", "ExpressionAttributeNames": {"#Color": "Color"}});
    ddb.update_item(&catalog, &bike, &remove).unwrap();
    let color = ddb.get_item(&catalog, &bike, &none).unwrap().item().unwrap()["Color"].clone();
    assert_eq!(color, json!(["Red", "Black"]));

    // 7 delete (twice: deleting a missing item succeeds) and set Messages back.
    let reply_key =
        json!({"Id": {"S": "Amazon DynamoDB#DynamoDB Thread 2"}, "ReplyDateTime": {"S": "2021-04-27T17:47:30Z"}});
    ddb.delete_item(&reply, &reply_key, &none).unwrap();
    ddb.delete_item(&reply, &reply_key, &none).unwrap();
    assert_eq!(ddb.scan(&reply, &none).unwrap().count, Some(4));
    ddb.update_item(&forum, &dynamo_key, &set("5", "4")).unwrap();

    // 8 transactions: put + ADD together; the same token does not apply twice.
    let tx = json!([
        {"Put": {"TableName": reply, "Item": new_reply}},
        {"Update": {"TableName": forum, "Key": dynamo_key, "UpdateExpression": "ADD Messages :inc", "ExpressionAttributeValues": {":inc": {"N": "1"}}}}
    ]);
    ddb.transact_write(&tx, &format!("{p}-TRANSACTION1")).unwrap();
    let messages = || ddb.get_item(&forum, &dynamo_key, &json!({})).unwrap().item().unwrap()["Messages"].clone();
    assert_eq!(messages(), json!(5));
    assert_eq!(ddb.scan(&reply, &none).unwrap().count, Some(5));
    let undo = json!([
        {"Delete": {"TableName": reply, "Key": reply_key}},
        {"Update": {"TableName": forum, "Key": dynamo_key, "UpdateExpression": "ADD Messages :inc", "ExpressionAttributeValues": {":inc": {"N": "-1"}}}}
    ]);
    ddb.transact_write(&undo, &format!("{p}-TRANSACTION2")).unwrap();
    assert_eq!(messages(), json!(4));
    assert_eq!(ddb.scan(&reply, &none).unwrap().count, Some(4));

    // serde_dynamo, where it serves: items into a Rust struct.
    #[derive(serde::Deserialize)]
    struct Reply {
        #[serde(rename = "PostedBy")]
        posted_by: String,
    }
    let replies: Vec<Reply> = ddb.scan(&reply, &none).unwrap().items_as().unwrap();
    assert_eq!(replies.iter().filter(|r| r.posted_by == "User A").count(), 3);

    // 9 cleanup: every table gone.
    for t in [&catalog, &forum, &_thread, &reply] {
        ddb.delete_table(t).unwrap();
    }
    let left = ddb.list_tables().unwrap();
    assert!(!left.iter().any(|t| t.starts_with(&p)), "{left:?}");
}

#[test]
fn a_gsi_table_can_be_queried_by_its_index() {
    let ddb = Dynamo::connect(&common::env()).unwrap();
    let t = format!("{}-orders", prefix("gsi"));
    ddb.create_table(&TableSpec::new(&t).hash("order_id", "S").gsi("status-index", ("status", "S"), None)).unwrap();
    let items: Vec<Value> = (0..30)
        .map(|i| json!({"PutRequest": {"Item": {"order_id": {"S": format!("o{i}")}, "status": {"S": if i % 3 == 0 { "open" } else { "done" }}}}}))
        .collect();
    let report = ddb
        .batch_write(sourcelab::dynamo::batch_requests(&json!({ t.as_str(): items })).unwrap(), Progress::Quiet)
        .unwrap();
    assert_eq!((report.total(), report.calls), (30, 2), "{report}");
    let r = ddb
        .query_all(&t, &json!({"IndexName": "status-index", "KeyConditionExpression": "#s = :s", "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": {":s": {"S": "open"}}}))
        .unwrap();
    assert_eq!(r.items.len(), 10);
    ddb.delete_table(&t).unwrap();
}

#[test]
fn what_dynamodb_would_refuse_is_refused_before_sending() {
    let ddb = Dynamo::connect(&common::env()).unwrap();
    let t = format!("{}-checks", prefix("checks"));
    ddb.create_table(&TableSpec::new(&t).hash("Id", "S")).unwrap();
    // moto stores 39 digits and duplicate set members; AWS refuses both, and so do we.
    let e = ddb
        .put_item(&t, &json!({"Id": {"S": "a"}, "n": {"N": "123456789012345678901234567890123456789"}}), &json!({}))
        .unwrap_err();
    assert!(e.to_string().contains("at $.n.N: Attempting to store more than 38 significant digits"), "{e}");
    let e = ddb.put_item(&t, &json!({"Id": {"S": "a"}, "s": {"SS": ["x", "x"]}}), &json!({})).unwrap_err();
    assert!(e.to_string().contains("Input collection [x, x] contains duplicates."), "{e}");
    let e = ddb.put_item(&t, &json!({"Id": {"S": ""}}), &json!({})).unwrap_err();
    assert!(e.to_string().contains("may not contain an empty string. Key: Id"), "{e}");
    let e = ddb.scan(&t, &json!({"Limt": 1})).unwrap_err();
    assert!(e.to_string().contains("unknown parameter \"Limt\"") && e.to_string().contains("Limit"), "{e}");
    let e = ddb.scan(&format!("{t}-missing"), &json!({})).unwrap_err();
    assert!(e.to_string().contains("ResourceNotFoundException") && e.to_string().contains("create it first"), "{e}");
    // 38 digits exactly go through and come back digit for digit.
    let n = "-1234567890.1234567890123456789012345678";
    ddb.put_item(&t, &json!({"Id": {"S": "b"}, "n": {"N": n}}), &json!({})).unwrap();
    let back = ddb.get_item(&t, &json!({"Id": {"S": "b"}}), &json!({})).unwrap();
    assert_eq!(back.item().unwrap()["n"].to_string(), n);
    ddb.delete_table(&t).unwrap();
}

// ------------------------------------------------------------------------------------------------------------
// Fault injection: a proxy in front of moto that answers some BatchWriteItem calls with 500s and hands back half
// of the requests of others as UnprocessedItems, recording how many requests each call carried.
// ------------------------------------------------------------------------------------------------------------

#[derive(Default)]
struct Faults {
    calls: AtomicUsize,
    failures_first: usize,
    sizes: Mutex<Vec<usize>>,
    handed_back: AtomicUsize,
}

async fn read_message(r: &mut BufReader<TcpStream>) -> Option<(Vec<String>, Vec<u8>)> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        head.push(line.trim_end().to_string());
    }
    let len = head
        .iter()
        .find_map(|h| {
            h.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).await.ok()?;
    Some((head, body))
}

fn message(head: &[String], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for h in head.iter().filter(|h| !h.to_ascii_lowercase().starts_with("content-length:")) {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

async fn forward(upstream: &str, head: &[String], body: &[u8]) -> (Vec<String>, Vec<u8>) {
    let s = TcpStream::connect(upstream).await.unwrap();
    let mut r = BufReader::new(s);
    r.get_mut().write_all(&message(head, body)).await.unwrap();
    read_message(&mut r).await.unwrap()
}

async fn serve(conn: TcpStream, upstream: String, faults: Arc<Faults>) {
    let mut r = BufReader::new(conn);
    while let Some((head, body)) = read_message(&mut r).await {
        let batch =
            head.iter().any(|h| h.to_ascii_lowercase().starts_with("x-amz-target:") && h.ends_with("BatchWriteItem"));
        let reply = if !batch {
            let (h, b) = forward(&upstream, &head, &body).await;
            message(&h, &b)
        } else {
            let n = faults.calls.fetch_add(1, Ordering::SeqCst);
            let mut req: Value = serde_json::from_slice(&body).unwrap();
            let size: usize =
                req["RequestItems"].as_object().unwrap().values().map(|v| v.as_array().unwrap().len()).sum();
            faults.sizes.lock().unwrap().push(size);
            if n < faults.failures_first {
                let err = br#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected by the test proxy"}"#;
                message(
                    &["HTTP/1.1 500 Internal Server Error".into(), "Content-Type: application/x-amz-json-1.0".into()],
                    err,
                )
            } else {
                // Keep the first half of each table's requests; hand the rest back unprocessed.
                let mut kept = serde_json::Map::new();
                let mut back = serde_json::Map::new();
                for (t, list) in req["RequestItems"].as_object().unwrap() {
                    let list = list.as_array().unwrap();
                    let half = list.len().div_ceil(2);
                    kept.insert(t.clone(), Value::Array(list[..half].to_vec()));
                    if half < list.len() {
                        back.insert(t.clone(), Value::Array(list[half..].to_vec()));
                        faults.handed_back.fetch_add(list.len() - half, Ordering::SeqCst);
                    }
                }
                req["RequestItems"] = Value::Object(kept);
                let (h, b) = forward(&upstream, &head, &serde_json::to_vec(&req).unwrap()).await;
                let mut resp: Value = serde_json::from_slice(&b).unwrap();
                resp["UnprocessedItems"] = Value::Object(back);
                message(&h, &serde_json::to_vec(&resp).unwrap())
            }
        };
        if r.get_mut().write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// The proxy runs on a thread and a runtime of its own, so the blocking helpers under test never stall it.
fn faulty_proxy(upstream: String, faults: Arc<Faults>) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, upstream.clone(), faults.clone()));
            }
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

#[test]
fn batch_writes_lose_nothing_under_unprocessed_items_and_5xx() {
    let env = common::env();
    let moto =
        env.aws().endpoint(sourcelab::config::Service::DynamoDb).unwrap().trim_start_matches("http://").to_string();
    // 60 items are 3 chunks in flight at once; the SDK tries each call 3 times, so 9 failures in a row exhaust
    // at least one call's own retries and the batch writer's retry must take over.
    let faults = Arc::new(Faults { failures_first: 9, ..Default::default() });
    let proxy = faulty_proxy(moto, faults.clone());
    let keys = ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
    let mut pairs: Vec<(&str, &str)> = keys.iter().map(|k| (*k, env.get(k).unwrap())).collect();
    pairs.push(("AWS_ENDPOINT_URL_DYNAMODB", &proxy));
    let faulty_env = sourcelab::config::EnvFile::from_pairs("proxy.env", &pairs);

    let direct = Dynamo::connect(&env).unwrap();
    let ddb = Dynamo::connect(&faulty_env).unwrap().with_backoff(Duration::from_millis(5));
    let t = format!("{}-bulk", prefix("faults"));
    direct.create_table(&TableSpec::new(&t).hash("pk", "N")).unwrap();
    let items: Vec<Value> =
        (0..60).map(|i| json!({"PutRequest": {"Item": {"pk": {"N": i.to_string()}, "v": {"S": "x"}}}})).collect();
    let requests = sourcelab::dynamo::batch_requests(&json!({ t.as_str(): items })).unwrap();
    let report = ddb.batch_write(requests, Progress::Print).unwrap();

    // Every item is there, read back directly from moto.
    let all = direct.scan_all(&t, &json!({})).unwrap();
    let mut pks: Vec<i64> =
        all.plain().unwrap().as_array().unwrap().iter().map(|i| i["pk"].as_i64().unwrap()).collect();
    pks.sort();
    assert_eq!(pks, (0..60).collect::<Vec<_>>());
    assert_eq!(report.total(), 60, "{report}");
    assert_eq!(report.retried, faults.handed_back.load(Ordering::SeqCst), "{report}");
    assert!(report.retried > 0 && report.errors_retried >= 1, "{report}");
    let sizes = faults.sizes.lock().unwrap().clone();
    assert!(sizes.iter().all(|s| *s <= 25), "a call carried more than 25 requests: {sizes:?}");
    direct.delete_table(&t).unwrap();
}

#[test]
fn a_service_that_never_recovers_ends_in_a_clear_error() {
    let env = common::env();
    let moto =
        env.aws().endpoint(sourcelab::config::Service::DynamoDb).unwrap().trim_start_matches("http://").to_string();
    let faults = Arc::new(Faults { failures_first: usize::MAX, ..Default::default() });
    let proxy = faulty_proxy(moto, faults.clone());
    let keys = ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
    let mut pairs: Vec<(&str, &str)> = keys.iter().map(|k| (*k, env.get(k).unwrap())).collect();
    pairs.push(("AWS_ENDPOINT_URL_DYNAMODB", &proxy));
    let ddb = Dynamo::connect(&sourcelab::config::EnvFile::from_pairs("proxy.env", &pairs))
        .unwrap()
        .with_backoff(Duration::from_millis(1));
    let items: Vec<Value> = (0..3).map(|i| json!({"PutRequest": {"Item": {"pk": {"N": i.to_string()}}}})).collect();
    let requests = sourcelab::dynamo::batch_requests(&json!({ "never": items })).unwrap();
    let e = ddb.batch_write(requests, Progress::Quiet).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("3 items still unwritten") && text.contains("InternalServerError"), "{text}");
}
