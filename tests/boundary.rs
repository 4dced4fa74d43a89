//! The notebook boundary, driven the way a kernel drives it: the notebook crate (`sourcelab_notebook`) calls the
//! library over the call socket (`SOURCELAB_SOCKET`), served here by the library itself, against the real stack.
//! Values, errors and panics cross intact, handles free what they hold, and secrets stay redacted on the
//! notebook's side too.

mod common;

use serde_json::json;
use sourcelab_notebook::prelude::*;

/// Serves the library's calls in this test binary and points the notebook crate at the socket, once; the guard
/// runs the tests one at a time (they count the values the library holds).
fn library() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    static SERVER: std::sync::OnceLock<sourcelab::kernel::CallServer> = std::sync::OnceLock::new();
    SERVER.get_or_init(|| {
        common::stack();
        let server = sourcelab::kernel::CallServer::start().unwrap();
        // SAFETY: set once, before any thread of this test binary reads it (they all wait on SERVER).
        unsafe { std::env::set_var("SOURCELAB_SOCKET", server.socket()) };
        unsafe { std::env::set_var("SOURCELAB_HOME", common::stack().home()) };
        server
    });
    guard
}

fn live() -> u64 {
    sourcelab_notebook::client::call("live", json!({})).unwrap().as_u64().unwrap()
}

#[test]
fn a_query_crosses_as_a_handle_that_shows_and_answers() {
    let _one = library();
    assert!(sourcelab_notebook::ready());
    let env = load_env().unwrap();
    let db = Db::connect_mysql(&env).unwrap();
    assert!(db.server_version().unwrap().contains("MariaDB"));
    let films = db.query("SELECT film_id, title, rental_rate FROM film ORDER BY film_id LIMIT 12").unwrap();
    assert_eq!(films.shape(), (12, 3));
    assert_eq!(films.column_names(), ["film_id", "title", "rental_rate"]);
    assert_eq!(films.value(0, "film_id").unwrap(), json!(1));
    assert!(films.value(0, "title").unwrap().is_string());
    assert_eq!(films.rows().unwrap().as_array().unwrap().len(), 12);
    assert_eq!(films.column_values("film_id").unwrap()[11], json!(12));
    let err = films.value(0, "nope").unwrap_err();
    assert!(err.to_string().contains("film_id, title, rental_rate"), "{err}");
    assert!(films.to_string().contains("shape: (12, 3)"), "polars' text table: {films}");
    // The checks take the handle and run in the library.
    let staff = db.query("SELECT first_name, last_name, email FROM staff WHERE active").unwrap();
    assert!(check::lab1_ex4(&staff).unwrap().to_string().starts_with("✓ exercise 4"));
    let wrong = check::lab1_ex2(&staff).unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::Input);
    assert!(wrong.hint_text().is_some(), "{wrong}");
}

#[test]
fn dropping_a_handle_frees_it_in_the_library() {
    let _one = library();
    let db = Db::connect_mysql(&load_env().unwrap()).unwrap();
    let before = live();
    let tables: Vec<Table> = (0..5).map(|i| db.query(&format!("SELECT {i} AS n")).unwrap()).collect();
    let copy = tables[0].clone();
    assert!(live() >= before + 5);
    drop(tables);
    // The clone keeps its table; the others are gone.
    assert_eq!(copy.value(0, "n").unwrap(), json!(0));
    assert!(live() < before + 5, "{} values still held", live());
}

#[test]
fn errors_cross_with_kind_what_cause_and_hint_and_no_secret() {
    let _one = library();
    let env = load_env().unwrap();
    let mut cfg = env.mysql().unwrap();
    let password = cfg.password.expose().to_string();
    assert!(password.len() >= 4);
    cfg.port = 1;
    let err = Db::connect(&cfg).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err}");
    assert!(err.what().contains("127.0.0.1:1"), "{err}");
    assert!(err.to_string().contains("\n  hint: "), "{err}");
    for shown in [err.to_string(), format!("{err:?}"), format!("{cfg:?}"), cfg.url().to_string(), format!("{env:?}")] {
        assert!(!shown.contains(&password), "a password crossed: {shown}");
    }
    assert!(cfg.url().to_string().contains(":***@127.0.0.1:1/"), "{}", cfg.url());
    // A value of the wrong kind is refused with the call's name, not misread.
    let bad = sourcelab_notebook::client::call("db.query", json!({"db": 999_999, "sql": "SELECT 1"})).unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::NotFound, "{bad}");
    let unknown = sourcelab_notebook::client::call("db.no_such_call", json!({})).unwrap_err();
    assert!(unknown.to_string().contains("sourcelab kernel install"), "{unknown}");
}

#[test]
fn a_panic_in_the_library_comes_back_as_an_error_naming_the_call() {
    let _one = library();
    let err = sourcelab_notebook::client::call("panic", json!({})).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Setup);
    assert!(err.what().contains("panic") && err.cause().contains("the library panicked"), "{err}");
    // The library still answers afterwards.
    assert!(sourcelab_notebook::ready());
    assert!(Db::connect_mysql(&load_env().unwrap()).is_ok());
}

#[test]
fn dynamo_s3_and_marshal_answer_like_the_library() {
    let _one = library();
    let env = load_env().unwrap();
    let exact = marshal::to_plain(&json!({"Price": {"N": "1234567890.1234567890123456789012345678"}})).unwrap();
    assert_eq!(exact.to_string(), r#"{"Price":1234567890.1234567890123456789012345678}"#);
    let typed = marshal::to_marshal(&json!({"Id": 301, "Tags": {"$SS": ["a", "b"]}})).unwrap();
    assert_eq!(typed["Id"], json!({"N": "301"}));
    let refused = marshal::to_marshal(&json!({"Tags": {"$NS": []}})).unwrap_err();
    assert!(refused.to_string().contains("may not be empty"), "{refused}");

    let ddb = Dynamo::connect(&env).unwrap();
    let table = format!("t{}-boundary", std::process::id());
    ddb.create_table(&TableSpec::new(&table).hash("pk", "S")).unwrap();
    ddb.put_item(&table, &json!({"pk": {"S": "a"}, "n": {"N": "12345678901234567890123456789012345678"}}), &json!({}))
        .unwrap();
    let got = ddb.get_item(&table, &json!({"pk": {"S": "a"}}), &json!({})).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got.item().unwrap()["n"].to_string(), "12345678901234567890123456789012345678");
    assert!(got.frame().unwrap().column_names().contains(&"n".to_string()));
    assert!(ddb.list_tables().unwrap().contains(&table));
    ddb.delete_table(&table).unwrap();

    let s3 = S3::connect(&env).unwrap();
    let bucket = format!("t{}-boundary", std::process::id());
    s3.create_bucket(&bucket).unwrap();
    let png = ratings::files().into_iter().find(|(p, _)| p == ratings::IMAGE_V1_PATH).unwrap().1;
    s3.put_bytes(&bucket, "logo.png", png.clone()).unwrap();
    assert_eq!(s3.get_bytes(&bucket, "logo.png").unwrap(), png);
    assert_eq!(s3.list(&bucket, "").unwrap().height(), 1);
    assert!(Png(png).mime()[0].0 == "image/png");
    assert!(s3.delete_bucket(&bucket).unwrap().to_string().contains("1 object versions"));
    let gone = s3.list(&bucket, "").unwrap_err();
    assert!(gone.to_string().contains("NoSuchBucket"), "{gone}");
}

#[test]
fn queues_streams_logs_and_charts_cross_the_boundary() {
    let _one = library();
    let env = load_env().unwrap();
    let sqs = Sqs::connect(&env).unwrap();
    sqs.remove_all("t8boundary-").unwrap();
    sqs.create_queue("t8boundary-q", 30).unwrap();
    let events = lab7::clicks(25);
    assert_eq!(sqs.send_all("t8boundary-q", &events, Progress::Quiet).unwrap(), 25);
    let got = sqs.receive("t8boundary-q", 10).unwrap();
    assert_eq!((got.len(), got.receive_counts()), (10, vec![1; 10]));
    assert!(got.to_string().contains("10 message(s) from t8boundary-q"), "{got}");
    assert_eq!(sqs.delete("t8boundary-q", &got).unwrap(), 10);
    let counts = sqs.counts("t8boundary-q").unwrap();
    assert_eq!((counts.visible, counts.in_flight), (15, 0));
    assert!(sqs.receive("t8boundary-q", 11).unwrap_err().to_string().contains("1 to 10"));
    assert_eq!(sqs.remove_all("t8boundary-").unwrap(), ["queue t8boundary-q"]);

    let kinesis = Kinesis::connect(&env).unwrap();
    kinesis.remove_all("t8boundary-").unwrap();
    kinesis.create_stream("t8boundary-s", 2).unwrap();
    assert_eq!(kinesis.shards("t8boundary-s").unwrap().height(), 2);
    assert_eq!(kinesis.put_events("t8boundary-s", &events, "user", Progress::Quiet).unwrap(), 25);
    let reader = kinesis.reader("t8boundary-s", StartAt::TrimHorizon).unwrap();
    let records = reader.read(100).unwrap();
    assert_eq!(records.column_names(), ["shard", "sequence", "key", "arrived", "data"]);
    assert_eq!(records.height(), 25);
    assert_eq!(reader.read(100).unwrap().height(), 0, "the position stays in the library");
    let seq = records.value(0, "sequence").unwrap().as_str().unwrap().to_string();
    let shard = records.value(0, "shard").unwrap().as_str().unwrap().to_string();
    let at = kinesis.shard_reader("t8boundary-s", &shard, StartAt::AtSequence(seq.clone())).unwrap();
    assert_eq!(at.read(1).unwrap().value(0, "sequence").unwrap(), json!(seq));
    let placed = kinesis.put("t8boundary-s", "user-1", "{}").unwrap();
    assert!(placed.shard.starts_with("shardId-"), "{placed}");
    let clicks = lab7::clicks_table(&records).unwrap();
    let per_page = clicks.sql("SELECT page, COUNT(*) AS clicks FROM self GROUP BY page ORDER BY clicks DESC").unwrap();
    assert_eq!(per_page.column_names(), ["page", "clicks"]);
    let chart = plot::bars(&per_page, "page", "clicks", "t").unwrap();
    assert_eq!(chart.data()["points"], json!(per_page.height()));
    assert!(plot::line(&per_page, "page", "nope", "t").unwrap_err().to_string().contains("no column \"nope\""));
    assert_eq!(kinesis.remove_all("t8boundary-").unwrap(), ["stream t8boundary-s"]);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    std::fs::write(&path, "2024-05-06T09:00:00.000Z INFO shop: up\nnot a line\n").unwrap();
    let parsed = logs::read_app(&path).unwrap();
    assert_eq!((parsed.rows.height(), parsed.unparsed.height()), (1, 1));
    assert!(parsed.to_string().contains("1 entries, 1 unparsed"), "{parsed}");
    assert_eq!(logs::combine(&[&parsed.rows, &parsed.rows]).unwrap().height(), 2);
    let e = logs::read_auth(dir.path().join("missing.log")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

/// The calls that take no arguments.
const TAKE_NONE: &[&str] =
    &["hello", "live", "panic", "config::load", "ratings::files", "lab4::ddl_path", "lab4.setup", "lab4.open"];

/// Every call the library answers, with its arguments missing: an error that names the call and the argument,
/// never a panic or a default that runs. (The few that take no argument are called elsewhere.)
#[test]
fn every_call_without_its_arguments_is_an_error_naming_the_call_and_the_argument() {
    let _one = library();
    let names: Vec<&str> = sourcelab::kernel::call_names().collect();
    assert!(names.len() > 200, "{} calls", names.len());
    let mut wrong = Vec::new();
    for name in names.iter().filter(|n| !TAKE_NONE.contains(n)) {
        match sourcelab_notebook::client::call(name, json!({})) {
            Ok(v) => wrong.push(format!("{name} ran: {v}")),
            Err(e) if e.kind() == ErrorKind::Input && e.to_string().contains(&format!("call {name}: argument `")) => {}
            Err(e) => wrong.push(format!("{name}: {e}")),
        }
    }
    assert!(wrong.is_empty(), "{} call(s) did not name the call and the argument:\n{}", wrong.len(), wrong.join("\n"));
}

/// A malformed or missing argument is an error naming the call and the argument, never a default that runs.
#[test]
fn a_wrong_argument_is_an_error_naming_the_call_and_the_argument() {
    let _one = library();
    let env = load_env().unwrap();
    let sqs = Sqs::connect(&env).unwrap();
    let ddb = Dynamo::connect(&env).unwrap();
    let handle = |v: &serde_json::Value| v["handle"].as_u64().unwrap();
    let sqs_h = handle(&sourcelab_notebook::client::call("sqs.connect", json!({"env": env_handle(&env)})).unwrap());
    let ddb_h = handle(&sourcelab_notebook::client::call("dynamo.connect", json!({"env": env_handle(&env)})).unwrap());
    let s3_h = handle(&sourcelab_notebook::client::call("s3.connect", json!({"env": env_handle(&env)})).unwrap());
    let cases = [
        // a number too large for the parameter (u32): once it became 4294967295 seconds
        (
            "sqs.create_queue",
            json!({"sqs": sqs_h, "name": "boundary-wrong", "visibility_seconds": 1u64 << 40}),
            "visibility_seconds",
        ),
        // missing
        ("sqs.send", json!({"sqs": sqs_h, "queue": "boundary-wrong"}), "body"),
        // once an empty list
        (
            "sqs.send_all",
            json!({"sqs": sqs_h, "queue": "boundary-wrong", "bodies": "one", "progress": false}),
            "bodies",
        ),
        // a table spec without a name, and with a step that is not one: once a table named ""
        ("dynamo.create_table", json!({"dynamo": ddb_h, "spec": {"steps": []}}), "spec"),
        ("dynamo.create_table", json!({"dynamo": ddb_h, "spec": {"name": "t", "steps": [["hash", "id"]]}}), "spec"),
        // bytes that are not base64: once an empty object
        ("s3.put_bytes", json!({"s3": s3_h, "bucket": "b", "key": "k", "bytes": "%%%"}), "bytes"),
    ];
    for (call, args, argument) in cases {
        let err = sourcelab_notebook::client::call(call, args).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(call) && text.contains(&format!("`{argument}`")), "{call}: {text}");
    }
    assert!(ddb.list_tables().unwrap().iter().all(|t| !t.is_empty()), "no table named \"\" was made");
    assert!(!sqs.list_queues("boundary-wrong").unwrap().iter().any(|q| q == "boundary-wrong"), "no queue was made");
}

/// Every call generated from the library's items, made across the boundary as a cell makes it (valid arguments,
/// the answer read back), and once more with one argument of the wrong type, which must be an error naming the call
/// and the argument.
#[test]
fn every_declared_call_runs_and_refuses_a_wrong_argument() {
    let _one = library();
    let env = load_env().unwrap();
    let call = |name: &str, args: serde_json::Value| sourcelab_notebook::client::call(name, args);
    let h = |v: serde_json::Value| v["handle"].as_u64().unwrap();
    let env_h = env_handle(&env);
    let (q, dlq, s) = ("t23declared-q", "t23declared-dlq", "t23declared-s");
    let sqs = h(call("sqs.connect", json!({"env": env_h})).unwrap());
    let kin = h(call("kinesis.connect", json!({"env": env_h})).unwrap());
    let mut made: Vec<&str> = Vec::new();
    let mut run = |name: &'static str, args: serde_json::Value| {
        made.push(name);
        call(name, args).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    run("sqs.remove_all", json!({"sqs": sqs, "prefix": "t23declared-"}));
    run("kinesis.remove_all", json!({"kinesis": kin, "prefix": "t23declared-"}));
    run("sqs.connect", json!({"env": env_h}));
    assert!(
        run("sqs.create_queue", json!({"sqs": sqs, "name": q, "visibility_seconds": 30}))
            .as_str()
            .unwrap()
            .ends_with(q)
    );
    run("sqs.create_queue", json!({"sqs": sqs, "name": dlq, "visibility_seconds": 30}));
    assert!(run("sqs.url", json!({"sqs": sqs, "name": q})).as_str().unwrap().ends_with(q));
    assert_eq!(run("sqs.list_queues", json!({"sqs": sqs, "prefix": "t23declared-"})).as_array().unwrap().len(), 2);
    run("sqs.set_dead_letter_queue", json!({"sqs": sqs, "queue": q, "dead_letter": dlq, "max_receives": 3}));
    assert!(run("sqs.attributes", json!({"sqs": sqs, "queue": q}))["RedrivePolicy"].as_str().unwrap().contains(dlq));
    run("sqs.send", json!({"sqs": sqs, "queue": q, "body": "one"}));
    let bodies: Vec<String> = (0..12).map(|i| format!("{{\"n\": {i}}}")).collect();
    assert_eq!(run("sqs.send_all", json!({"sqs": sqs, "queue": q, "bodies": bodies, "progress": false})), 12);
    assert_eq!(run("sqs.counts", json!({"sqs": sqs, "queue": q}))["visible"], 13);
    let got = run("sqs.receive", json!({"sqs": sqs, "queue": q, "max": 3}));
    assert_eq!(got["bodies"].as_array().unwrap().len(), 3);
    assert_eq!(run("sqs.delete", json!({"sqs": sqs, "queue": q, "messages": got["handle"]})), 3);
    let consumed = run("sqs.consume_all", json!({"sqs": sqs, "queue": q, "consumers": 2, "progress": false}));
    assert_eq!(consumed["columns"], json!(["consumer", "messages", "receives"]));
    run("sqs.create_queue", json!({"sqs": sqs, "name": "t23declared-f.fifo", "visibility_seconds": 30}));
    let fifo = json!({"sqs": sqs, "queue": "t23declared-f.fifo", "body": "pay", "group": "g", "dedup_id": "d1"});
    assert!(!run("sqs.send_fifo", fifo).as_str().unwrap().is_empty());
    run("sqs.delete_queue", json!({"sqs": sqs, "queue": dlq}));

    run("kinesis.connect", json!({"env": env_h}));
    run("kinesis.create_stream", json!({"kinesis": kin, "name": s, "shards": 2}));
    assert!(run("kinesis.list_streams", json!({"kinesis": kin})).as_array().unwrap().iter().any(|n| n == s));
    assert_eq!(run("kinesis.shards", json!({"kinesis": kin, "stream": s}))["height"], 2);
    assert_eq!(run("kinesis.retention_hours", json!({"kinesis": kin, "stream": s})), 24);
    let placed = run("kinesis.put", json!({"kinesis": kin, "stream": s, "key": "user-1", "data": "{}"}));
    let events: Vec<String> = (0..5).map(|i| format!("{{\"user\": \"u{i}\"}}")).collect();
    let put = json!({"kinesis": kin, "stream": s, "events": events, "key_field": "user", "progress": false});
    assert_eq!(run("kinesis.put_events", put), 5);
    let reader = h(run("kinesis.reader", json!({"kinesis": kin, "stream": s, "start": "TRIM_HORIZON"})));
    assert_eq!(run("reader.read", json!({"reader": reader, "max": 100}))["height"], 6);
    let start = json!(["AT_SEQUENCE_NUMBER", placed["sequence"]]);
    let one = json!({"kinesis": kin, "stream": s, "shard": placed["shard"], "start": start});
    let replay = h(run("kinesis.shard_reader", one));
    assert!(run("reader.read", json!({"reader": replay, "max": 100}))["height"].as_u64().unwrap() >= 1);
    run("kinesis.delete_stream", json!({"kinesis": kin, "stream": s}));
    run("sqs.remove_all", json!({"sqs": sqs, "prefix": "t23declared-"}));
    run("kinesis.remove_all", json!({"kinesis": kin, "prefix": "t23declared-"}));

    // IAM, on the stack's second moto (which enforces policies), with lab 6's names.
    let iam = h(run("lab6::setup", json!({"env": env_h})));
    run("iam.connect", json!({"env": env_h}));
    run("iam.env", json!({"iam": iam}));
    let (user, group, role) = ("lab6-t23user", "lab6-t23group", "lab6-t23role");
    assert!(run("iam.create_user", json!({"iam": iam, "name": user})).as_str().unwrap().ends_with(user));
    let keys = run("iam.create_access_key", json!({"iam": iam, "user": user}));
    assert_eq!(keys["principal"], format!("user/{user}"));
    let keys = h(keys);
    run("iam.env_for", json!({"iam": iam, "keys": keys}));
    let user_arn = run("iam.whoami", json!({"iam": iam, "keys": keys}));
    assert!(user_arn.as_str().unwrap().ends_with(user), "{user_arn}");
    assert!(!run("iam.whoami", json!({"iam": iam, "keys": null})).as_str().unwrap().ends_with(user));
    run("iam.create_group", json!({"iam": iam, "name": group}));
    run("iam.add_user_to_group", json!({"iam": iam, "user": user, "group": group}));
    let bucket = sourcelab::lab6::data_bucket(&sourcelab::iam::Iam::connect(&common::env()).unwrap()).unwrap();
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let list = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn}]});
    let policy = run("iam.create_policy", json!({"iam": iam, "name": "lab6-t23list", "document": list}));
    run("iam.attach_group_policy", json!({"iam": iam, "group": group, "policy_arn": policy}));
    run("iam.attach_user_policy", json!({"iam": iam, "user": user, "policy_arn": policy}));
    let trust = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}]});
    let role_arn = run("iam.create_role", json!({"iam": iam, "name": role, "trust": trust}));
    run("iam.attach_role_policy", json!({"iam": iam, "role": role, "policy_arn": policy}));
    let may_assume = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]});
    run("iam.put_user_policy", json!({"iam": iam, "user": user, "name": "lab6-t23assume", "document": may_assume}));
    let assume = json!({"iam": iam, "keys": keys, "role_arn": role_arn, "session": "t23", "seconds": 900});
    let session = run("iam.assume_role", assume);
    assert_eq!(session["principal"], format!("role/{role}"));
    assert!(session["expires"].is_string(), "{session}");
    let explained =
        json!({"iam": iam, "principal": format!("user/{user}"), "action": "s3:ListBucket", "resource": bucket_arn});
    let decision = run("iam.explain", explained);
    assert!(
        decision["text"].as_str().unwrap().starts_with("ALLOWED") && decision["data"]["allowed"] == true,
        "{decision}"
    );
    let requests = json!([["s3:ListBucket", bucket, ""], ["s3:PutObject", bucket, "x"]]);
    let compared = run("iam.compare", json!({"iam": iam, "keys": keys, "requests": requests}));
    assert_eq!(compared["height"], 2);
    assert!(!run("iam.remove_all", json!({"iam": iam, "prefix": "lab6-t23"})).as_array().unwrap().is_empty());

    // MariaDB and PostgreSQL: a pool, its statements and tables, and two sessions interleaved.
    let config = call("env.mysql", json!({"env": env_h})).unwrap();
    let db = h(run("db.connect", json!({"cfg": config})));
    run("db.connect_mysql", json!({"env": env_h}));
    assert!(run("db.server_version", json!({"db": db})).as_str().unwrap().contains("MariaDB"));
    let t = "t23_declared";
    run("db.execute", json!({"db": db, "sql": format!("DROP TABLE IF EXISTS {t}")}));
    let dir = tempfile::tempdir().unwrap();
    let ddl = dir.path().join("t.sql");
    std::fs::write(&ddl, format!("CREATE TABLE {t} (id INT PRIMARY KEY, name VARCHAR(20));")).unwrap();
    run("db.run_file", json!({"db": db, "path": ddl}));
    assert_eq!(run("db.has_table", json!({"db": db, "table": t})), true);
    assert!(run("db.tables", json!({"db": db}))["height"].as_u64().unwrap() > 1);
    assert_eq!(run("db.describe", json!({"db": db, "table": t}))["height"], 2);
    let rows = json!([[1, "a"], [2, "b"], [3, "c"]]);
    assert_eq!(run("db.insert", json!({"db": db, "table": t, "columns": ["id", "name"], "rows": rows})), 3);
    let set = json!({"db": db, "table": t, "set": [["name", "z"]], "where_column": "id", "where_value": 2});
    assert_eq!(run("db.update_where", set), 1);
    assert_eq!(run("db.delete_where", json!({"db": db, "table": t, "column": "id", "value": 3})), 1);
    let both = [format!("INSERT INTO {t} VALUES (4, 'd')"), format!("INSERT INTO {t} VALUES (5, 'e')")];
    assert_eq!(run("db.transaction", json!({"db": db, "statements": both})), json!([1, 1]));
    assert_eq!(run("db.query", json!({"db": db, "sql": format!("SELECT * FROM {t}")}))["height"], 4);
    let one = run("db.session", json!({"db": db, "name": "one"}));
    assert_eq!(one["name"], "one");
    let (one, two) = (h(one), h(run("db.session", json!({"db": db, "name": "two"}))));
    run("session.isolation", json!({"session": one, "level": "READ COMMITTED"}));
    run("session.begin", json!({"session": one}));
    run("session.execute", json!({"session": one, "sql": format!("UPDATE {t} SET name = 'x' WHERE id = 1")}));
    run("session.submit", json!({"session": two, "sql": format!("UPDATE {t} SET name = 'y' WHERE id = 1")}));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(run("session.busy", json!({"session": two})), true, "two waits for one's lock");
    run("session.commit", json!({"session": one}));
    assert_eq!(run("session.wait", json!({"session": two}))["height"], 1);
    run("session.begin", json!({"session": one}));
    run("session.execute", json!({"session": one, "sql": format!("DELETE FROM {t}")}));
    run("session.rollback", json!({"session": one}));
    assert_eq!(run("session.query", json!({"session": one, "sql": format!("SELECT * FROM {t}")}))["height"], 4);
    assert!(run("session.timeline", json!({"sessions": [one, two]}))["height"].as_u64().unwrap() >= 6);
    let views = json!({"sessions": [one, two], "sql": format!("SELECT name FROM {t} WHERE id = 1")});
    assert_eq!(run("session.views", views)["height"], 2);
    run("db.execute", json!({"db": db, "sql": format!("DROP TABLE {t}")}));
    let pg = h(run("db.connect_postgres", json!({"env": env_h})));
    run(
        "db.execute",
        json!({"db": pg, "sql": format!("DROP TABLE IF EXISTS {t}; CREATE TABLE {t} (id INT, name TEXT)")}),
    );
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "id,name\n1,a\n2,b\n").unwrap();
    assert_eq!(run("db.copy_csv", json!({"db": pg, "table": t, "path": csv})), 2);
    run("db.execute", json!({"db": pg, "sql": format!("DROP TABLE {t}")}));

    // DynamoDB: a table made from a spec, every item call, a transaction and a batch file.
    let ddb = h(run("dynamo.connect", json!({"env": env_h})));
    run("dynamo.delete_tables_starting_with", json!({"dynamo": ddb, "prefix": "t23declared-"}));
    let tbl = "t23declared-items";
    let spec = json!({"name": tbl, "steps": [["hash", "Id", "S"], ["range", "At", "N"], ["capacity", 5, 5]]});
    assert!(run("dynamo.create_table", json!({"dynamo": ddb, "spec": spec})).to_string().contains("ACTIVE"));
    assert!(run("dynamo.list_tables", json!({"dynamo": ddb})).as_array().unwrap().iter().any(|t| t == tbl));
    assert!(run("dynamo.describe_table", json!({"dynamo": ddb, "table": tbl})).to_string().contains(tbl));
    let (key, none) = (json!({"Id": {"S": "a"}, "At": {"N": "1"}}), json!({}));
    let item = json!({"Id": {"S": "a"}, "At": {"N": "1"}, "V": {"S": "x"}});
    run("dynamo.put_item", json!({"dynamo": ddb, "table": tbl, "item": item, "params": none}));
    assert_eq!(run("dynamo.get_item", json!({"dynamo": ddb, "table": tbl, "key": key, "params": none}))["items"], 1);
    let set = json!({"UpdateExpression": "SET V = :v", "ExpressionAttributeValues": {":v": {"S": "y"}}});
    run("dynamo.update_item", json!({"dynamo": ddb, "table": tbl, "key": key, "params": set}));
    let put = |at: &str| json!({"Put": {"TableName": tbl, "Item": {"Id": {"S": "a"}, "At": {"N": at}}}});
    let actions = json!([put("2"), put("3")]);
    run("dynamo.transact_write", json!({"dynamo": ddb, "actions": actions, "token": "t23-declared-once"}));
    let by_id = json!({"KeyConditionExpression": "Id = :id", "ExpressionAttributeValues": {":id": {"S": "a"}}});
    let page = json!({"KeyConditionExpression": "Id = :id", "ExpressionAttributeValues": {":id": {"S": "a"}},
        "Limit": 2, "ReturnConsumedCapacity": "TOTAL"});
    let r = h(run("dynamo.query", json!({"dynamo": ddb, "table": tbl, "params": page})));
    assert_eq!(run("response.plain", json!({"response": r}))[1], json!({"Id": "a", "At": 2}));
    assert_eq!(run("response.marshal", json!({"response": r}))[0]["At"], json!({"N": "1"}));
    assert_eq!(run("response.item", json!({"response": r}))["V"], "y");
    assert_eq!(run("response.last_key", json!({"response": r})), json!({"Id": {"S": "a"}, "At": {"N": "2"}}));
    assert_eq!(run("response.counts", json!({"response": r})), json!({"Count": 2, "ScannedCount": 2}));
    assert!(run("response.capacity_units", json!({"response": r})).as_f64().unwrap() > 0.0);
    let frame = run("response.frame", json!({"response": r}));
    assert_eq!((&frame["height"], &frame["columns"][0]), (&json!(2), &json!("Id")));
    let t = h(frame);
    assert_eq!(run("frame.value", json!({"frame": t, "row": 1, "column": "At"})), 2);
    assert_eq!(run("frame.rows", json!({"frame": t}))[0]["V"], "y");
    assert_eq!(run("frame.column_values", json!({"frame": t, "column": "At"})), json!([1, 2]));
    assert_eq!(run("frame.sql", json!({"frame": t, "sql": "SELECT At FROM self WHERE At > 1"}))["height"], 1);
    let updated = json!({"UpdateExpression": "SET V = :v", "ExpressionAttributeValues": {":v": {"S": "z"}},
        "ReturnValues": "ALL_NEW"});
    let r = h(run("dynamo.update_item", json!({"dynamo": ddb, "table": tbl, "key": key, "params": updated})));
    assert_eq!(run("response.attributes", json!({"response": r}))["V"], "z");
    assert_eq!(run("dynamo.query", json!({"dynamo": ddb, "table": tbl, "params": by_id}))["items"], 3);
    assert_eq!(run("dynamo.query_all", json!({"dynamo": ddb, "table": tbl, "params": by_id}))["items"], 3);
    let file = dir.path().join("batch.json");
    let request = |id: &str| json!({"PutRequest": {"Item": {"Id": {"S": id}, "At": {"N": "1"}}}});
    std::fs::write(&file, json!({tbl: [request("b"), request("c")]}).to_string()).unwrap();
    let report = run("dynamo.batch_write_file", json!({"dynamo": ddb, "path": file, "progress": false}));
    assert!(report["text"].is_string(), "{report}");
    assert_eq!(run("dynamo.scan", json!({"dynamo": ddb, "table": tbl, "params": none}))["items"], 5);
    assert_eq!(run("dynamo.scan_all", json!({"dynamo": ddb, "table": tbl, "params": {"Limit": 2}}))["items"], 5);
    run("dynamo.delete_item", json!({"dynamo": ddb, "table": tbl, "key": key, "params": none}));
    assert_eq!(run("dynamo.get_item", json!({"dynamo": ddb, "table": tbl, "key": key, "params": none}))["items"], 0);
    run("dynamo.delete_table", json!({"dynamo": ddb, "table": tbl}));

    // S3: a bucket, its objects as files, bytes and JSON, listings, versions, access settings, a policy, CSV.
    let s3 = run("s3.connect", json!({"env": env_h}));
    assert!(s3["region"].is_string(), "{s3}");
    let s3 = h(s3);
    let b = "t23declared-bucket";
    run("s3.remove_bucket_if_exists", json!({"s3": s3, "bucket": b}));
    run("s3.create_bucket", json!({"s3": s3, "bucket": b}));
    assert!(run("s3.list_buckets", json!({"s3": s3}))["height"].as_u64().unwrap() >= 1);
    assert_eq!(run("s3.account_bucket", json!({"s3": s3, "prefix": "mine"})), "mine-123456789012-us-east-1");
    let csv = dir.path().join("r.csv");
    std::fs::write(&csv, "id,score\n1,4.5\n2,3.0\n").unwrap();
    let up = json!({"s3": s3, "path": csv, "bucket": b, "key": "in/r.csv"});
    assert!(run("s3.upload_file", up)["text"].is_string());
    let back = dir.path().join("back.csv");
    run("s3.download_file", json!({"s3": s3, "bucket": b, "key": "in/r.csv", "path": back}));
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&csv).unwrap());
    let bytes = sourcelab_notebook::wire::bytes_to_json(b"\x00\x01raw");
    run("s3.put_bytes", json!({"s3": s3, "bucket": b, "key": "in/raw.bin", "bytes": bytes}));
    assert_eq!(run("s3.get_bytes", json!({"s3": s3, "bucket": b, "key": "in/raw.bin"})), bytes);
    run("s3.put_json", json!({"s3": s3, "bucket": b, "key": "in/v.json", "value": {"n": 1}}));
    assert_eq!(run("s3.get_json", json!({"s3": s3, "bucket": b, "key": "in/v.json"})), json!({"n": 1}));
    assert_eq!(run("s3.list", json!({"s3": s3, "bucket": b, "prefix": "in/"}))["height"], 3);
    assert_eq!(run("s3.list_folder", json!({"s3": s3, "bucket": b, "prefix": ""}))["height"], 1);
    assert_eq!(run("s3.head", json!({"s3": s3, "bucket": b, "key": "in/raw.bin"}))["size"], 5);
    run("s3.enable_versioning", json!({"s3": s3, "bucket": b}));
    assert!(run("s3.delete_object", json!({"s3": s3, "bucket": b, "key": "in/v.json"})).is_string());
    assert!(run("s3.versions", json!({"s3": s3, "bucket": b, "prefix": "in/v"}))["height"].as_u64().unwrap() >= 2);
    run("s3.set_public_access_block", json!({"s3": s3, "bucket": b, "block": false}));
    assert!(run("s3.public_access_block", json!({"s3": s3, "bucket": b})).to_string().contains("false"));
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{b}/in/*")}]});
    run("s3.put_policy", json!({"s3": s3, "bucket": b, "policy": policy}));
    assert!(run("s3.get_policy", json!({"s3": s3, "bucket": b})).to_string().contains("s3:GetObject"));
    run("s3.delete_policy", json!({"s3": s3, "bucket": b}));
    let url = run("s3.presigned_get", json!({"s3": s3, "bucket": b, "key": "in/r.csv", "seconds": 60}));
    assert!(url.as_str().unwrap().contains("X-Amz-Signature"), "{url}");
    assert_eq!(run("s3.read_csv", json!({"s3": s3, "bucket": b, "key": "in/r.csv"}))["height"], 2);
    let sql = "SELECT id FROM s3object WHERE score > 4";
    assert_eq!(run("s3.query_csv", json!({"s3": s3, "bucket": b, "key": "in/r.csv", "sql": sql}))["height"], 1);
    assert_eq!(run("s3.incomplete_uploads", json!({"s3": s3, "bucket": b})), json!([]));
    let found = run("doctor::s3_object", json!({"env": env_h, "bucket": b, "key": "in/r.csv"}));
    assert!(found["text"].as_str().unwrap().contains("all steps passed"), "{found}");
    assert!(run("s3.delete_bucket", json!({"s3": s3, "bucket": b}))["text"].is_string());
    assert_eq!(run("s3.remove_bucket_if_exists", json!({"s3": s3, "bucket": b})), serde_json::Value::Null);

    // Lab 4's scenario: built, moved around in, and put back.
    use sourcelab_notebook::lab4;
    let lab = run("lab4.setup", json!({}));
    assert!(lab["env"]["handle"].is_u64() && lab["bucket"].is_string() && lab["given_password"].is_string());
    let lab = h(run("lab4.open", json!({})));
    assert_eq!(run("lab4.client", json!({"lab4": lab})), lab4::EXTERNAL_BASTION);
    run("lab4.use_client", json!({"lab4": lab, "name": lab4::BASTION}));
    let endpoint = run("lab4.rds_endpoint", json!({"lab4": lab}));
    assert!(endpoint[0].as_str().unwrap().starts_with(lab4::DATABASE_ID) && endpoint[1].is_u64(), "{endpoint}");
    let password = run("lab4.ask_devops", json!({"lab4": lab}));
    let cfg = run("lab4.database", json!({"lab4": lab, "password": password}));
    assert_eq!(cfg["host"], "127.0.0.1");
    assert_eq!(run("lab4.network", json!({"lab4": lab}))["vpcs"].as_array().unwrap().len(), 2);
    // A port out of range was once the port 0.
    let port = json!({"lab4": lab, "group": lab4::DATABASE_GROUP, "port": 70000, "source": lab4::BASTION_GROUP});
    let e = call("lab4.allow_tcp", port).unwrap_err().to_string();
    assert!(e.contains("call lab4.allow_tcp: argument `port`") && e.contains("0 to 65535"), "{e}");
    let source = json!({"lab4": lab, "group": lab4::DATABASE_GROUP, "port": 5432, "source": lab4::BASTION_GROUP});
    run("lab4.allow_tcp", source);
    assert!(run("lab4.doctor", json!({"lab4": lab, "cfg": cfg, "timeout": 3000}))["text"].is_string());
    assert!(run("lab4.reset", json!({"lab4": lab}))["handle"].is_u64());

    // The env file and database settings.
    let path = env.path().to_string_lossy();
    assert_eq!(run("config::load", json!({}))["path"], run("env.load", json!({"path": path}))["path"]);
    assert_eq!(run("env.get", json!({"env": env_h, "key": "DBHOST"})), "127.0.0.1");
    assert_eq!(run("env.get", json!({"env": env_h, "key": "NO_SUCH_KEY"})), serde_json::Value::Null);
    assert_eq!(run("env.require", json!({"env": env_h, "key": "PGHOST"})), "127.0.0.1");
    assert_eq!(run("env.postgres", json!({"env": env_h}))["engine"], "postgres");
    assert_eq!(run("env.unread_keys", json!({"env": env_h})), json!([]), "the stack's env file has no stray key");
    assert!(run("env.aws", json!({"env": env_h}))["text"].as_str().unwrap().contains("endpoint http://"));
    let from_url = run("config.from_url", json!({"url": "postgres://ana:p%40ss@db.example:5433/shop"}));
    assert_eq!(
        (&from_url["user"], &from_url["password"], &from_url["port"]),
        (&json!("ana"), &json!("p@ss"), &json!(5433))
    );
    assert_eq!(run("config.url", json!({"config": from_url}))["text"], "postgres://ana:***@db.example:5433/shop");
    assert_eq!(run("config.endpoint", json!({"config": from_url})), "db.example:5433");

    // Module functions that no solution notebook calls.
    let mysql = run("env.mysql", json!({"env": env_h}));
    let diagnosis = run("doctor::database", json!({"cfg": mysql, "timeout": 5000}));
    assert!(diagnosis["text"].as_str().unwrap().contains("all steps passed"), "{diagnosis}");
    let plain = run("marshal::to_plain_canonical", json!({"marshal": {"n": {"N": "1.50"}, "s": {"S": "x"}}}));
    assert_eq!(plain, json!({"n": 1.5, "s": "x"}));
    assert!(run("acid::connect", json!({"env": env_h}))["config"]["database"] == "acid");
    assert!(
        run("acid::reset", json!({"env": env_h}))
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("acid"))
    );

    // The functions of declared modules (`check::`, the labs' `setup` and `reset`, the log readers, …) are made by
    // the solution notebooks, every cell of which runs in tests/notebooks.rs: each must be in a code cell.
    let cells = solution_code();
    let not_made: Vec<&str> = sourcelab::kernel::declared_call_names()
        .filter(|n| {
            let in_a_notebook = n.contains("::") && cells.contains(&format!("{n}("));
            !made.contains(n) && !in_a_notebook
        })
        .collect();
    assert!(not_made.is_empty(), "declared calls neither this test nor a solution notebook makes: {not_made:?}");
    // Every declared call, its first argument given with a wrong type: the error names the call and that argument.
    // (The converters take any JSON value; what they refuse is their own error, in tests/marshal.rs.)
    let any_json = ["marshal::to_marshal", "marshal::to_plain", "marshal::to_plain_canonical"];
    for name in sourcelab::kernel::declared_call_names().filter(|n| !TAKE_NONE.contains(n) && !any_json.contains(n)) {
        let missing = call(name, json!({})).unwrap_err().to_string();
        let key = missing.split('`').nth(1).unwrap_or_else(|| panic!("{name} with nothing: {missing}")).to_string();
        let e = call(name, json!({&key: [[true]]})).unwrap_err().to_string();
        assert!(
            e.contains(&format!("call {name}: argument `{key}`")) && e.contains("hint"),
            "{name}, `{key}` a list: {e}"
        );
    }
}

/// The code cells of the solution notebooks, one text.
fn solution_code() -> String {
    let mut code = String::new();
    for entry in std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ipynb") {
            let nb: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for cell in nb["cells"].as_array().unwrap().iter().filter(|c| c["cell_type"] == "code") {
                match &cell["source"] {
                    serde_json::Value::Array(lines) => {
                        lines.iter().filter_map(|l| l.as_str()).for_each(|l| code.push_str(l))
                    }
                    text => code.push_str(text.as_str().unwrap_or_default()),
                }
                code.push('\n');
            }
        }
    }
    code
}

fn env_handle(env: &EnvFile) -> u64 {
    sourcelab_notebook::client::call("env.load", json!({"path": env.path()})).unwrap()["handle"].as_u64().unwrap()
}
