//! AWS as the SDKs and the CLI configure it — every service's endpoint from the standard keys, a key that nothing
//! reads reported once with its line, the AWS CLI with the printed exports — and AWS's rules that moto does not
//! keep, kept by our helpers. Requests are counted by a proxy in front of the stack's moto
//! (`common::proxy`), so a test sees which endpoint a call really reached.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::proxy::{Act, Proxy, port_of};
use sourcelab::config::{EnvFile, Service};
use sourcelab::prelude::*;

/// The local stack's settings plus `extra` lines, as a file in `dir`.
fn env_with(dir: &Path, name: &str, extra: &str) -> EnvFile {
    let mut text = std::fs::read_to_string(common::stack().local_env_path()).unwrap();
    text.push_str(&format!("\n{extra}\n"));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    EnvFile::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Makes one request to `service` with `env`'s settings: through our helper where the labs have one, else with
/// the SDK client built from the settings the helpers use.
fn call(service: Service, env: &EnvFile) {
    let done = match service {
        Service::S3 => S3::connect(env).and_then(|s3| s3.list_buckets()).map(drop).map_err(|e| e.to_string()),
        Service::DynamoDb => Dynamo::connect(env).and_then(|d| d.list_tables()).map(drop).map_err(|e| e.to_string()),
        Service::Sqs => Sqs::connect(env).map(drop).map_err(|e| e.to_string()),
        Service::Kinesis => Kinesis::connect(env).map(drop).map_err(|e| e.to_string()),
        sdk_only => tokio::runtime::Runtime::new().unwrap().block_on(async {
            let conf = env.aws().sdk_config(sdk_only).await;
            match sdk_only {
                Service::Iam => {
                    aws_sdk_iam::Client::new(&conf).list_users().send().await.map(drop).map_err(|e| format!("{e:?}"))
                }
                Service::Sts => aws_sdk_sts::Client::new(&conf)
                    .get_caller_identity()
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| format!("{e:?}")),
                Service::Ec2 => {
                    aws_sdk_ec2::Client::new(&conf).describe_vpcs().send().await.map(drop).map_err(|e| format!("{e:?}"))
                }
                _ => aws_sdk_rds::Client::new(&conf)
                    .describe_db_instances()
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| format!("{e:?}")),
            }
        }),
    };
    done.unwrap_or_else(|e| panic!("{service:?}: {e}"));
}

#[test]
fn each_service_reaches_the_endpoint_its_own_key_names_and_only_it_does() {
    let moto = port_of(&common::env().aws().endpoint_url.unwrap());
    let dir = tempfile::tempdir().unwrap();
    for service in Service::ALL {
        let proxy = Proxy::counting(moto);
        let env =
            env_with(dir.path(), &format!("{service:?}.env"), &format!("{}={}", service.endpoint_key(), proxy.url()));
        assert_eq!(env.aws().endpoint(service), Some(proxy.url()));
        call(service, &env);
        let reached = proxy.total();
        assert!(reached > 0, "{service:?}: no request reached {}", service.endpoint_key());
        // Every other service stays on AWS_ENDPOINT_URL.
        for other in Service::ALL.into_iter().filter(|s| *s != service) {
            call(other, &env);
        }
        assert_eq!(proxy.total(), reached, "{service:?}: another service's request went to its endpoint");
    }
}

/// Every progress line the library printed in this test binary (the sink is set once per process).
fn progress_lines() -> Arc<Mutex<Vec<String>>> {
    static LINES: std::sync::OnceLock<Arc<Mutex<Vec<String>>>> = std::sync::OnceLock::new();
    LINES
        .get_or_init(|| {
            let lines = Arc::new(Mutex::new(Vec::new()));
            let sink = lines.clone();
            sourcelab::runtime::set_progress_sink(move |line| sink.lock().unwrap().push(line.to_string()));
            lines
        })
        .clone()
}

#[test]
fn a_key_nothing_reads_is_reported_once_with_its_line() {
    let lines = progress_lines();
    let dir = tempfile::tempdir().unwrap();
    let env = env_with(dir.path(), "typo.env", "AWS_ENDPOINT_URL_SQSS=http://127.0.0.1:1");
    let line = std::fs::read_to_string(env.path()).unwrap().lines().count();
    EnvFile::load(env.path()).unwrap();
    let lines = lines.lock().unwrap();
    let about: Vec<&String> = lines.iter().filter(|l| l.contains("AWS_ENDPOINT_URL_SQSS")).collect();
    assert_eq!(about.len(), 1, "reported once: {lines:?}");
    assert!(about[0].contains(&format!("typo.env:{line}: nothing reads AWS_ENDPOINT_URL_SQSS")), "{}", about[0]);
    assert!(!lines.iter().any(|l| l.contains("nothing reads") && !l.contains("SQSS")), "the stack's keys are read");
    // The misspelt key changes nothing: SQS stays on the general endpoint.
    assert_eq!(env.aws().endpoint(Service::Sqs), env.aws().endpoint_url);
}

#[test]
fn the_aws_cli_runs_the_course_commands_with_the_printed_exports() {
    // The commands labs 3 and 4 show for a terminal, after `eval "$(sourcelab env --secrets)"`.
    let stack = common::stack();
    let env = common::env();
    let (bucket, table) = ("cli-sees-this", "cli-sees-this-table");
    let s3 = S3::connect(&env).unwrap();
    s3.remove_bucket_if_exists(bucket).unwrap();
    s3.create_bucket(bucket).unwrap();
    let ddb = Dynamo::connect(&env).unwrap();
    if ddb.list_tables().unwrap().iter().any(|t| t == table) {
        ddb.delete_table(table).unwrap();
    }
    ddb.create_table(&TableSpec::new(table).hash("pk", "S")).unwrap();

    let sourcelab = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sourcelab")).args(args).output().unwrap();
        assert!(out.status.success(), "sourcelab {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let file = stack.local_env_path().to_string_lossy().to_string();
    let hidden = sourcelab(&["env", "--file", &file]);
    assert!(hidden.contains("# AWS_SECRET_ACCESS_KEY: secret, left out"), "{hidden}");
    assert!(!hidden.contains("export AWS_SECRET_ACCESS_KEY") && !hidden.contains("export DBPASSWORD"));
    let exports = sourcelab(&["env", "--secrets", "--file", &file]);
    assert!(exports.contains("export AWS_DEFAULT_REGION='us-east-1'"));
    // A shell that has nothing of ours but the printed lines, as a learner's terminal.
    let rds = "aws rds describe-db-instances --query 'DBInstances[].[Endpoint.Address,Endpoint.Port]' --output text";
    let script = format!("{exports}\naws s3 ls && aws dynamodb list-tables --output text && {rds}");
    let out = std::process::Command::new("/bin/bash")
        .args(["-c", &script])
        .env_clear()
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the AWS CLI failed: {stderr}");
    assert!(stdout.contains(bucket) && stdout.contains(table), "{stdout}");
    s3.delete_bucket(bucket).unwrap();
    ddb.delete_table(table).unwrap();
}

/// DynamoDB applies a transaction once per `ClientRequestToken` for ten minutes and answers success for the same
/// token again without writing; moto writes every time, so the proxy answers as DynamoDB does. A cell whose token
/// comes from `dynamo::new_token` writes each time it runs; a fixed token writes once.
#[test]
fn a_transaction_token_is_new_each_run_so_a_rerun_writes() {
    let moto = port_of(&common::env().aws().endpoint(Service::DynamoDb).unwrap());
    let tokens = Arc::new(Mutex::new(HashSet::new()));
    let seen = tokens.clone();
    let proxy = Proxy::start(
        moto,
        Arc::new(move |what: &str, _, body: &[u8]| {
            if what != "TransactWriteItems" {
                return Act::Forward;
            }
            let request: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let token = request["ClientRequestToken"].as_str().unwrap_or_default().to_string();
            if seen.lock().unwrap().insert(token) {
                Act::Forward
            } else {
                Act::Answer(200, "application/x-amz-json-1.0", "{}".into())
            }
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let env = env_with(dir.path(), "tokens.env", &format!("AWS_ENDPOINT_URL_DYNAMODB={}", proxy.url()));
    let ddb = Dynamo::connect(&env).unwrap();
    let table = "aws-rules-tokens";
    if ddb.list_tables().unwrap().iter().any(|t| t == table) {
        ddb.delete_table(table).unwrap();
    }
    ddb.create_table(&TableSpec::new(table).hash("pk", "S")).unwrap();
    let add = serde_json::json!([{"Update": {"TableName": table, "Key": {"pk": {"S": "n"}},
        "UpdateExpression": "ADD c :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}]);
    let count = || {
        let got = ddb.get_item(table, &serde_json::json!({"pk": {"S": "n"}}), &serde_json::json!({})).unwrap();
        got.item().unwrap()["c"].as_i64().unwrap_or(0)
    };
    let (first, second) = (sourcelab::dynamo::new_token("TRANSACTION1"), sourcelab::dynamo::new_token("TRANSACTION1"));
    assert_ne!(first, second);
    assert!(first.starts_with("TRANSACTION1-") && first.len() <= 36, "{first}");
    for _ in 0..2 {
        ddb.transact_write(&add, &sourcelab::dynamo::new_token("TRANSACTION1")).unwrap();
    }
    assert_eq!(count(), 2, "each run with a new token wrote");
    for _ in 0..2 {
        ddb.transact_write(&add, "a-fixed-token").unwrap();
    }
    assert_eq!(count(), 3, "the same token again was answered without writing, as DynamoDB does");
    ddb.delete_table(table).unwrap();
}

/// AWS answers `QueueDeletedRecently` to a CreateQueue within 60 s of deleting a queue of the same name (a lab
/// reset, then the lab again); moto does not, so the proxy does, twice. The helper waits, says why, and creates it.
#[test]
fn a_queue_deleted_a_moment_ago_is_created_after_the_wait_aws_asks_for() {
    const REFUSED: &str = r#"{"__type": "com.amazonaws.sqs#QueueDeletedRecently", "message": "You must wait 60 seconds after deleting a queue before you can create another with the same name."}"#;
    let lines = progress_lines();
    let moto = port_of(&common::env().aws().endpoint(Service::Sqs).unwrap());
    let proxy = Proxy::start(
        moto,
        Arc::new(|what: &str, attempt, _: &[u8]| match (what, attempt) {
            ("CreateQueue", 1 | 2) => Act::Answer(400, "application/x-amz-json-1.0", REFUSED.into()),
            _ => Act::Forward,
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let env = env_with(dir.path(), "sqs.env", &format!("AWS_ENDPOINT_URL_SQS={}", proxy.url()));
    let sqs = Sqs::connect(&env).unwrap();
    let queue = "aws-rules-recreated";
    let url = sqs.create_queue(queue, 30).unwrap_or_else(|e| panic!("{e}"));
    assert!(url.ends_with(queue), "{url}");
    assert_eq!(proxy.count("CreateQueue"), 3, "refused twice, then created");
    let said: Vec<String> = lines.lock().unwrap().iter().filter(|l| l.contains(queue)).cloned().collect();
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(said[0].contains("within 60 s of deleting one of the same name"), "{}", said[0]);
    sqs.delete_queue(queue).unwrap();
}

/// On AWS a new stream or table takes seconds to minutes to become ACTIVE; moto is ready at once, so the proxy
/// answers CREATING for the first 11 seconds. The helpers wait as the SDKs' waiters do, say that they wait, and
/// carry on; created again, each is used rather than refused (a rerun after a timeout).
#[test]
fn streams_and_tables_are_waited_for_and_used_when_they_exist() {
    let lines = progress_lines();
    let local = common::env();
    let moto = port_of(&local.aws().endpoint_url.unwrap());
    let first_look: Arc<Mutex<HashMap<String, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let looks = first_look.clone();
    let proxy = Proxy::start(
        moto,
        Arc::new(move |what: &str, _, body: &[u8]| {
            let request: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let (name, answer) = match what {
                "DescribeStreamSummary" => {
                    let name = request["StreamName"].as_str().unwrap_or_default().to_string();
                    let summary = serde_json::json!({"StreamDescriptionSummary": {"StreamName": name,
                        "StreamARN": format!("arn:aws:kinesis:us-east-1:123456789012:stream/{name}"),
                        "StreamStatus": "CREATING", "RetentionPeriodHours": 24, "StreamCreationTimestamp": 1764900000,
                        "EnhancedMonitoring": [{"ShardLevelMetrics": []}], "OpenShardCount": 0}});
                    (name, Act::Answer(200, "application/x-amz-json-1.1", summary.to_string()))
                }
                "DescribeTable" => {
                    let name = request["TableName"].as_str().unwrap_or_default().to_string();
                    let table = serde_json::json!({"Table": {"TableName": name, "TableStatus": "CREATING",
                        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                        "CreationDateTime": 1764900000, "ItemCount": 0, "TableSizeBytes": 0}});
                    (name, Act::Answer(200, "application/x-amz-json-1.0", table.to_string()))
                }
                _ => return Act::Forward,
            };
            let first = *looks.lock().unwrap().entry(name).or_insert_with(Instant::now);
            if first.elapsed() < Duration::from_secs(11) { answer } else { Act::Forward }
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let extra = format!("AWS_ENDPOINT_URL_KINESIS={0}\nAWS_ENDPOINT_URL_DYNAMODB={0}", proxy.url());
    let env = env_with(dir.path(), "slow.env", &extra);
    let (stream, table) = ("aws-rules-slow-stream", "aws-rules-slow-table");
    let kinesis = Kinesis::connect(&env).unwrap();
    kinesis.remove_all(stream).unwrap();
    let ddb = Dynamo::connect(&env).unwrap();
    ddb.delete_tables_starting_with(table).unwrap();

    let started = Instant::now();
    kinesis.create_stream(stream, 1).unwrap_or_else(|e| panic!("{e}"));
    assert!(started.elapsed() >= Duration::from_secs(11), "it waited for ACTIVE");
    ddb.create_table(&TableSpec::new(table).hash("pk", "S")).unwrap_or_else(|e| panic!("{e}"));
    let said = lines.lock().unwrap().clone();
    assert!(said.iter().any(|l| l.contains(&format!("stream {stream}: CREATING for 1"))), "{said:?}");
    assert!(said.iter().any(|l| l.contains(&format!("table {table}: not ACTIVE yet after 1"))), "{said:?}");

    // Again: the stream and the table exist; each is used.
    kinesis.create_stream(stream, 1).unwrap_or_else(|e| panic!("{e}"));
    ddb.create_table(&TableSpec::new(table).hash("pk", "S")).unwrap_or_else(|e| panic!("{e}"));
    let said = lines.lock().unwrap().clone();
    assert!(said.iter().any(|l| l == &format!("stream {stream} exists already (an earlier run made it): using it")));
    assert!(said.iter().any(|l| l == &format!("table {table} exists already (an earlier run made it): using it")));
    // A table of that name with other keys is still an error.
    let e = ddb.create_table(&TableSpec::new(table).hash("other", "N")).unwrap_err().to_string();
    assert!(e.contains("ResourceInUseException") && e.contains("other keys"), "{e}");
    kinesis.delete_stream(stream).unwrap();
    ddb.delete_table(table).unwrap();
}

/// Bucket names are shared by every AWS account in the world, so each learner's name carries the account id STS
/// gives. The stack's moto is one account, so a proxy plays a second learner's AWS: STS answers another account,
/// and S3 refuses a name someone else holds with `BucketAlreadyExists` (moto's us-east-1 answers any create of an
/// existing name with success). The error says what to do.
#[test]
fn bucket_names_are_shared_by_every_account_so_each_gets_its_own_name() {
    let local = common::env();
    let mine = S3::connect(&local).unwrap();
    assert_eq!(mine.account_bucket("de-c2w1lab3").unwrap(), "de-c2w1lab3-123456789012-us-east-1");
    let long = mine.account_bucket("a-prefix-far-too-long-for-a-bucket-name-with-an-account").unwrap_err();
    assert!(long.to_string().contains("3 to 63 characters") && long.to_string().contains("shorter prefix"), "{long}");

    let moto = port_of(&local.aws().endpoint_url.unwrap());
    let proxy = Proxy::start(
        moto,
        Arc::new(|what: &str, _, _: &[u8]| {
            match what {
            "GetCallerIdentity" => Act::Answer(
                200,
                "text/xml",
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
                 <Arn>arn:aws:iam::222222222222:user/learner</Arn><UserId>AIDAEXAMPLE</UserId>\
                 <Account>222222222222</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId>\
                 </ResponseMetadata></GetCallerIdentityResponse>"
                    .into(),
            ),
            "PUT" => Act::Answer(
                409,
                "application/xml",
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>BucketAlreadyExists</Code><Message>The \
                 requested bucket name is not available. The bucket namespace is shared by all users of the system. \
                 Please select a different name and try again.</Message></Error>"
                    .into(),
            ),
            _ => Act::Forward,
        }
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let extra = format!("AWS_ENDPOINT_URL_STS={0}\nAWS_ENDPOINT_URL_S3={0}", proxy.url());
    let theirs = S3::connect(&env_with(dir.path(), "other.env", &extra)).unwrap();
    assert_eq!(theirs.account_bucket("de-c2w1lab3").unwrap(), "de-c2w1lab3-222222222222-us-east-1");
    let e = theirs.create_bucket("de-c2w1lab3-sourcelab").unwrap_err().to_string();
    assert!(e.contains("BucketAlreadyExists") && e.contains("s3.account_bucket(\"my-prefix\")?"), "{e}");
    assert_eq!((proxy.count("GetCallerIdentity"), proxy.count("PUT")), (1, 1));
}

/// AWS expires a shard iterator 5 minutes after handing it out (a learner reads, thinks, reads again); moto never
/// does, so the proxy answers `ExpiredIteratorException` to the read the test chooses. A reader goes on where it
/// was: after the last record it read, or — having read nothing since it started at LATEST — at the records that
/// arrived since it was made. Nothing read twice, nothing skipped.
#[test]
fn a_reader_whose_iterator_expired_goes_on_where_it_was() {
    let local = common::env();
    let moto = port_of(&local.aws().endpoint_url.unwrap());
    let expire_next = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let expire = expire_next.clone();
    let proxy = Proxy::start(
        moto,
        Arc::new(move |what: &str, _, _: &[u8]| {
            if what == "GetRecords" && expire.swap(false, std::sync::atomic::Ordering::SeqCst) {
                let body = serde_json::json!({"__type": "ExpiredIteratorException",
                    "message": "Iterator expired. The iterator was created 300001 milliseconds ago."});
                Act::Answer(400, "application/x-amz-json-1.1", body.to_string())
            } else {
                Act::Forward
            }
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let env = env_with(dir.path(), "expiry.env", &format!("AWS_ENDPOINT_URL_KINESIS={}", proxy.url()));
    let stream = "aws-rules-expiry";
    let kinesis = Kinesis::connect(&env).unwrap();
    kinesis.remove_all(stream).unwrap();
    kinesis.create_stream(stream, 1).unwrap();
    let data = |t: &Table| t.column_values("data").unwrap();
    for r in ["r1", "r2", "r3"] {
        kinesis.put(stream, "k", r).unwrap();
    }
    let reader = kinesis.reader(stream, StartAt::TrimHorizon).unwrap();
    assert_eq!(data(&reader.read(2).unwrap()), serde_json::json!(["r1", "r2"]));
    expire_next.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(data(&reader.read(10).unwrap()), serde_json::json!(["r3"]), "after the last record read");
    assert!(!expire_next.load(std::sync::atomic::Ordering::SeqCst), "the read met the expired iterator");

    let latest = kinesis.reader(stream, StartAt::Latest).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    for r in ["r4", "r5"] {
        kinesis.put(stream, "k", r).unwrap();
    }
    expire_next.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(data(&latest.read(10).unwrap()), serde_json::json!(["r4", "r5"]), "what arrived since LATEST");
    assert!(!expire_next.load(std::sync::atomic::Ordering::SeqCst));
    kinesis.delete_stream(stream).unwrap();
}
