//! `sourcelab reset [LAB|all]`: what each lab left is removed, the lab's data is as it started, later labs are
//! reset too and earlier ones are not, with the stack still running. `sourcelab aws inventory|cleanup`: what the
//! labs made in the account, tagged and priced, removed on request — and nothing of the user's. (One test at a
//! time: each removes what the labs made.)

mod common;

use sourcelab::frame::TableExt;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use serde_json::json;
use sourcelab::config::{EnvFile, Service};
use sourcelab::course::account::{self, LAB_TAG};
use sourcelab::course::reset::{LAB2_PREFIX, LAB3_DOWNLOADS, LAB3_PREFIX};
use sourcelab::dynamo::{Dynamo, TableSpec};
use sourcelab::iam::Iam;
use sourcelab::kinesis::Kinesis;
use sourcelab::s3::S3;
use sourcelab::sql::Db;
use sourcelab::sqs::Sqs;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn reset(lab: &str) -> String {
    let stack = common::stack();
    let out = Command::new(env!("CARGO_BIN_EXE_sourcelab"))
        .args(["reset", lab])
        .env("SOURCELAB_HOME", stack.home())
        .env("SOURCELAB_ENV_FILE", stack.local_env_path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "reset {lab}: {}{text}", String::from_utf8_lossy(&out.stderr));
    text
}

fn first_title(db: &Db) -> String {
    let t = db.query("SELECT title FROM film WHERE film_id = 1").unwrap();
    t.value(0, "title").unwrap().as_str().unwrap().to_string()
}

#[test]
fn reset_all_puts_every_lab_back_and_a_later_lab_leaves_the_earlier_ones_alone() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let stack = common::stack();
    let env = common::env();
    let db = Db::connect_mysql(&env).unwrap();
    // From a start of our own (an earlier run may have stopped half-way): the generated first title.
    reset("all");
    let title = first_title(&db);
    let ddb = Dynamo::connect(&env).unwrap();
    let table = format!("{LAB2_PREFIX}-Leftover");
    let s3 = S3::connect(&env).unwrap();
    let lab3_bucket = s3.account_bucket(LAB3_PREFIX).unwrap();
    let leave_everything = || {
        // Lab 1: an edited film, a leftover table. Lab 2: a table. Lab 3: a bucket with an object, a download.
        db.execute("UPDATE film SET title = 'EDITED BY A LEARNER' WHERE film_id = 1").unwrap();
        db.execute("CREATE TABLE IF NOT EXISTS category_copy (category_id INTEGER)").unwrap();
        if !ddb.list_tables().unwrap().contains(&table) {
            ddb.create_table(&TableSpec::new(&table).hash("Id", "S")).unwrap();
        }
        ddb.put_item(&table, &json!({"Id": {"S": "1"}}), &json!({})).unwrap();
        s3.remove_bucket_if_exists(&lab3_bucket).unwrap();
        s3.create_bucket(&lab3_bucket).unwrap();
        s3.put_bytes(&lab3_bucket, "csv/x.csv", b"a,b\n1,2\n".to_vec()).unwrap();
        let download = stack.home().join("notebooks").join(LAB3_DOWNLOADS[0]);
        std::fs::create_dir_all(download.parent().unwrap()).unwrap();
        std::fs::write(&download, "a,b\n").unwrap();
        // Lab 8: lines in the shop's access log and a damaged copy.
        let access = stack.logs_dir().join(sourcelab::lab8::ACCESS_LOG);
        std::fs::write(&access, "127.0.0.1 - - [01/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"t\"\n")
            .unwrap();
        std::fs::write(access.with_extension("damaged.log"), "x\n").unwrap();
    };

    // A later lab: lab 7 onwards. Labs 1 to 3 keep what they had; lab 8's log is emptied.
    leave_everything();
    let said = reset("streaming");
    assert!(
        !said.contains("lab 1 ") && !said.contains("lab 2 ") && said.contains("lab 8 (logs): removed 1 lines"),
        "{said}"
    );
    assert!(said.contains("labs 7, 8 are back at their start"), "{said}");
    assert_eq!(first_title(&db), "EDITED BY A LEARNER");
    assert!(ddb.list_tables().unwrap().contains(&table));
    let names = s3.list_buckets().unwrap().column_values("name").unwrap();
    assert!(names.as_array().unwrap().contains(&json!(lab3_bucket)), "{names}");

    // All: every lab, in course order, says what it removed.
    leave_everything();
    let said = reset("all");
    for expected in [
        "lab 1 (sql): removed table category_copy",
        "lab 1 (sql): removed the 15 Rentio tables",
        &format!("lab 2 (dynamodb): removed DynamoDB table {table}"),
        &format!("lab 3 (s3): removed S3 bucket {lab3_bucket} (1 object versions, 0 delete markers, 8 B)"),
        "lab 3 (s3): removed file",
        "lab 4 (connectivity): removed lab 4's scenario, rebuilt",
        "lab 8 (logs): removed 1 lines of",
        ".damaged.log",
        "labs 1, 2, 3, 4, 5, 6, 7, 8 are back at their start",
    ] {
        assert!(said.contains(expected), "missing {expected:?} in:\n{said}");
    }
    assert!(said.find("lab 1 (sql)").unwrap() < said.find("lab 8 (logs)").unwrap());
    // Back at the start: the generated film title, no leftovers, the same row counts as a fresh load.
    assert_eq!(first_title(&db), title);
    assert!(!db.has_table("category_copy").unwrap());
    let payments = db.query("SELECT COUNT(*) AS n FROM payment").unwrap();
    let n = payments.value(0, "n").unwrap();
    let expected = sourcelab::rentio::ROW_COUNTS.iter().find(|(t, _)| *t == "payment").unwrap().1;
    assert_eq!(n.as_u64(), Some(expected as u64));
    assert!(!ddb.list_tables().unwrap().iter().any(|t| t.starts_with(LAB2_PREFIX)));
    let buckets = s3.list_buckets().unwrap();
    let names = buckets.column_values("name").unwrap();
    assert!(!names.as_array().unwrap().contains(&json!(lab3_bucket)), "{names}");
    assert!(!stack.home().join("notebooks").join(LAB3_DOWNLOADS[0]).exists());
    let access = stack.logs_dir().join(sourcelab::lab8::ACCESS_LOG);
    assert_eq!(std::fs::read_to_string(&access).unwrap(), "");
    assert!(!access.with_extension("damaged.log").exists());

    // Nothing left: a second reset of lab 2 says so.
    let said = reset("02_dynamodb");
    assert!(said.contains("lab 2 (dynamodb): nothing to remove"), "{said}");
}

#[test]
fn an_unknown_lab_is_refused_with_the_names_there_are() {
    let out = Command::new(env!("CARGO_BIN_EXE_sourcelab")).args(["reset", "lab99"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("reset lab \"lab99\"") && err.contains("5 (acid)") && err.contains("`all`"), "{err}");
}

/// `sourcelab aws ARGS` against the local stack with `answer` on stdin: whether it succeeded, what it printed.
fn aws(args: &[&str], answer: &str) -> (bool, String) {
    let stack = common::stack();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sourcelab"))
        .arg("aws")
        .args(args)
        .env("SOURCELAB_HOME", stack.home())
        .env("SOURCELAB_ENV_FILE", stack.local_env_path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(answer.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// The tags of each kind of thing the helpers create, read back with the SDKs: `sourcelab:lab`'s value.
fn lab_tags(
    env: &EnvFile,
    iam_env: &EnvFile,
    table: &str,
    bucket: &str,
    queue_url: &str,
    stream: &str,
    user: &str,
) -> Vec<Option<String>> {
    let find = |pairs: Vec<(String, String)>| pairs.into_iter().find(|(k, _)| k == LAB_TAG).map(|(_, v)| v);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let aws = env.aws();
        let ddb = aws_sdk_dynamodb::Client::new(&aws.sdk_config(Service::DynamoDb).await);
        let arn = ddb.describe_table().table_name(table).send().await.unwrap().table.unwrap().table_arn.unwrap();
        let t = ddb.list_tags_of_resource().resource_arn(arn).send().await.unwrap();
        let dynamo = find(t.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect());
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&aws.sdk_config(Service::S3).await).force_path_style(true).build(),
        );
        let t = s3.get_bucket_tagging().bucket(bucket).send().await.unwrap();
        let bucket = find(t.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect());
        let sqs = aws_sdk_sqs::Client::new(&aws.sdk_config(Service::Sqs).await);
        let t = sqs.list_queue_tags().queue_url(queue_url).send().await.unwrap();
        let queue = find(t.tags().cloned().unwrap_or_default().into_iter().collect());
        let kinesis = aws_sdk_kinesis::Client::new(&aws.sdk_config(Service::Kinesis).await);
        let t = kinesis.list_tags_for_stream().stream_name(stream).send().await.unwrap();
        let stream =
            find(t.tags().iter().map(|t| (t.key().to_string(), t.value().unwrap_or_default().to_string())).collect());
        let iam = aws_sdk_iam::Client::new(&iam_env.aws().sdk_config(Service::Iam).await);
        let t = iam.list_user_tags().user_name(user).send().await.unwrap();
        let user = find(t.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect());
        vec![dynamo, bucket, queue, stream, user]
    })
}

#[test]
fn the_inventory_prices_what_the_labs_made_and_cleanup_removes_only_that() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let env = common::env();
    let (ok, said) = aws(&["cleanup", "--yes"], "");
    assert!(ok, "{said}");
    // The learner's own things, outside every lab's prefix, each next to a lab's of the same kind.
    let s3 = S3::connect(&env).unwrap();
    let ddb = Dynamo::connect(&env).unwrap();
    let sqs = Sqs::connect(&env).unwrap();
    let kinesis = Kinesis::connect(&env).unwrap();
    s3.remove_bucket_if_exists("my-own-bucket").unwrap();
    s3.create_bucket("my-own-bucket").unwrap();
    ddb.create_table(&TableSpec::new("my-orders").hash("Id", "S").capacity(5, 5)).unwrap();
    sqs.create_queue("my-queue", 30).unwrap();
    kinesis.create_stream("my-stream", 1).unwrap();
    // What the labs make: lab 2's table, lab 3's bucket with 1,000 bytes, lab 4's scenario, lab 6's user and bucket,
    // lab 7's queue and a stream of two shards.
    let table = format!("{LAB2_PREFIX}-Costs");
    let lab3_bucket = s3.account_bucket(LAB3_PREFIX).unwrap();
    ddb.create_table(&TableSpec::new(&table).hash("Id", "S").capacity(5, 5)).unwrap();
    s3.create_bucket(&lab3_bucket).unwrap();
    s3.put_bytes(&lab3_bucket, "data.bin", vec![7; 1000]).unwrap();
    sourcelab::lab4::Lab4::setup().unwrap();
    let iam: Iam = sourcelab::lab6::setup(&env).unwrap();
    iam.create_user("lab6-costs").unwrap();
    let queue_url = sqs.create_queue("lab7-costs", 30).unwrap();
    kinesis.create_stream("lab7-costs", 2).unwrap();

    // Each is tagged with its lab; the user's own are not.
    let tags = lab_tags(&env, &iam.env().unwrap(), &table, &lab3_bucket, &queue_url, "lab7-costs", "lab6-costs");
    let expected: Vec<Option<String>> = ["2", "3", "7", "7", "6"].iter().map(|v| Some(v.to_string())).collect();
    assert_eq!(tags, expected);

    // Priced by the settings they were made with.
    let lab2 = account::inventory(&env, 2).unwrap();
    assert_eq!(lab2.len(), 1, "{lab2:?}");
    assert!(lab2[0].detail.starts_with("provisioned 5 RCU, 5 WCU; 0 items"), "{lab2:?}");
    assert!((lab2[0].per_hour.unwrap() - (5.0 * 0.00013 + 5.0 * 0.00065)).abs() < 1e-6, "{lab2:?}");
    let lab4 = account::inventory(&env, 4).unwrap();
    let kinds = |made: &[account::Made], kind: &str| made.iter().filter(|m| m.kind == kind).count();
    assert_eq!(
        (kinds(&lab4, "EC2 instance"), kinds(&lab4, "VPC"), kinds(&lab4, "RDS instance")),
        (2, 2, 1),
        "{lab4:#?}"
    );
    let rds = lab4.iter().find(|m| m.kind == "RDS instance").unwrap();
    assert_eq!(rds.detail, "postgres db.t3.micro, 20 GB gp2, single-AZ");
    assert!((rds.per_hour.unwrap() - (0.018 + 20.0 * 0.115 / 730.0)).abs() < 1e-9, "{rds:?}");
    assert!(lab4.iter().any(|m| m.kind == "S3 bucket" && m.name == sourcelab::lab4::BUCKET), "{lab4:#?}");

    // The command lists them per lab with hourly and monthly prices, and nothing of the user's.
    let (ok, said) = aws(&["inventory"], "");
    assert!(ok, "{said}");
    for expected in [
        "lab 1 (sql): nothing",
        &format!("  DynamoDB table {table} (provisioned 5 RCU, 5 WCU; 0 items, 0 B): $0.0039/hour, $2.85/month"),
        &format!("  S3 bucket {lab3_bucket} (1 object versions, 0 delete markers, 1.0 kB): under $0.0001/hour"),
        "  RDS instance de-c2w1a1-rds (postgres db.t3.micro, 20 GB gp2, single-AZ): $0.0212/hour, $15.44/month",
        "  IAM user lab6-costs (IAM is free): $0/hour, $0/month",
        "  SQS queue lab7-costs (billed per request only): $0/hour",
        "  Kinesis stream lab7-costs (2 open shards): $0.0300/hour, $21.90/month",
        "lab 8 (logs): nothing",
        "In all:",
    ] {
        assert!(said.contains(expected), "missing {expected:?} in:\n{said}");
    }
    for theirs in ["my-own-bucket", "my-orders", "my-queue", "my-stream"] {
        assert!(!said.contains(theirs), "{theirs} listed:\n{said}");
    }

    // A dry run and a "no" remove nothing; a "yes" removes lab 7's things only.
    let (ok, said) = aws(&["cleanup", "streaming", "--dry-run"], "");
    assert!(ok && said.contains("Dry run: nothing removed"), "{said}");
    let (ok, said) = aws(&["cleanup", "7"], "n\n");
    assert!(ok && said.contains("Remove these 2 things? [y/N] Nothing removed."), "{said}");
    assert_eq!(account::inventory(&env, 7).unwrap().len(), 2);
    let (ok, said) = aws(&["cleanup", "07_streaming"], "y\n");
    assert!(ok, "{said}");
    assert!(
        said.contains("lab 7: removed SQS queue lab7-costs")
            && said.contains("lab 7: removed Kinesis stream lab7-costs"),
        "{said}"
    );
    assert!(account::inventory(&env, 7).unwrap().is_empty());
    assert_eq!(account::inventory(&env, 2).unwrap().len(), 1, "lab 2's table stays");

    // Everything the labs made, at once: nothing of theirs left, all of the user's still there.
    let (ok, said) = aws(&["cleanup", "--yes"], "");
    assert!(ok && said.contains("lab 4: removed RDS instance de-c2w1a1-rds"), "{said}");
    for lab in 1..=8 {
        assert_eq!(account::inventory(&env, lab).unwrap(), vec![], "lab {lab}");
    }
    let buckets = s3.list_buckets().unwrap().column_values("name").unwrap();
    assert!(buckets.as_array().unwrap().contains(&json!("my-own-bucket")), "{buckets}");
    assert!(ddb.list_tables().unwrap().contains(&"my-orders".to_string()));
    assert_eq!(sqs.list_queues("my-queue").unwrap().len(), 1);
    assert!(kinesis.list_streams().unwrap().contains(&"my-stream".to_string()));
    s3.delete_bucket("my-own-bucket").unwrap();
    ddb.delete_table("my-orders").unwrap();
    sqs.delete_queue("my-queue").unwrap();
    kinesis.delete_stream("my-stream").unwrap();
    let (ok, said) = aws(&["cleanup", "--yes"], "");
    assert!(ok && said.contains("Nothing to remove."), "{said}");
}
