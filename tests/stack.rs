//! The local stack, through our helpers: every service answers, `up` is idempotent, errors are clear.

mod common;

use common::{env, stack};
use sourcelab::ErrorKind;
use sourcelab::config::Secret;
use sourcelab::sql::Db;

#[test]
fn up_twice_keeps_the_same_processes() {
    let first = stack().status().unwrap();
    let again = stack().up().unwrap();
    assert_eq!(first, again, "a second `up` restarted something");
    for row in &again {
        assert!(row.healthy, "{row}");
    }
    let names: Vec<_> = again.iter().map(|r| r.name).collect();
    assert_eq!(names[..4], ["moto", "moto-iam", "mariadb", "postgres"]);
    // Lab 4's gateway joins the table once the scenario was set up.
    assert!(names[4..].iter().all(|n| *n == "gateway"), "{names:?}");
}

#[test]
fn env_files_carry_the_stack_settings() {
    let local = env();
    let mysql = local.mysql().unwrap();
    let pg = local.postgres().unwrap();
    assert_eq!(pg.user, "lab");
    assert!(!pg.password.is_empty() && !mysql.password.is_empty(), "lab users have passwords");
    assert!(local.aws().endpoint_url.unwrap().starts_with("http://127.0.0.1:"));
    let text = std::fs::read_to_string(stack().local_env_path()).unwrap();
    assert!(text.contains("DBHOST=") && text.contains("PGPORT=") && text.contains("AWS_ENDPOINT_URL="));
    assert!(
        text.contains("\nAWS_REGION=us-east-1\n") && text.contains("\nAWS_DEFAULT_REGION=us-east-1\n"),
        "AWS_REGION and AWS_DEFAULT_REGION in local.env"
    );
}

#[test]
fn mariadb_answers_queries_as_the_lab_user() {
    let db = Db::connect_mysql(&env()).unwrap();
    let version = db.server_version().unwrap();
    assert!(version.contains("MariaDB"), "{version}");
    let df = db.query("SELECT CURRENT_USER() AS who, DATABASE() AS db").unwrap();
    let who = df.column("who").unwrap().str().unwrap().get(0).unwrap().to_string();
    assert!(who.starts_with("lab@"), "{who}");
    assert_eq!(df.column("db").unwrap().str().unwrap().get(0), Some("rentio"));
}

#[test]
fn postgres_answers_and_checks_passwords() {
    let good = env().postgres().unwrap();
    let db = Db::connect(&good).unwrap();
    assert!(db.server_version().unwrap().starts_with("PostgreSQL"));
    let method = db
        .query("SELECT current_setting('password_encryption') AS enc")
        .unwrap()
        .column("enc")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .map(str::to_string);
    assert_eq!(method.as_deref(), Some("scram-sha-256"));

    let mut bad = good.clone();
    bad.password = Secret::new("not-the-password");
    let err = Db::connect(&bad).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.to_string().contains("password authentication failed"), "{err}");
    assert!(!err.to_string().contains("not-the-password"), "the password leaked: {err}");
}

#[test]
fn a_port_with_nothing_behind_it_is_a_connect_error_with_a_hint() {
    let mut cfg = env().mysql().unwrap();
    cfg.port = 1;
    let err = Db::connect(&cfg).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err}");
    let shown = err.to_string();
    assert!(shown.starts_with("connect to MySQL/MariaDB at 127.0.0.1:1 as lab:"), "{shown}");
    assert!(shown.contains("hint: ") && shown.contains("sourcelab status"), "{shown}");
}

#[test]
fn a_sql_error_names_the_statement_and_keeps_the_pool_usable() {
    let db = Db::connect_mysql(&env()).unwrap();
    let err = db.query("SELECT * FROM no_such_table").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert!(err.to_string().contains("SELECT * FROM no_such_table"), "{err}");
    assert!(err.to_string().contains("doesn't exist"), "{err}");
    assert_eq!(db.query("SELECT 1 AS one").unwrap().height(), 1);
}

#[test]
fn moto_answers_for_s3_and_dynamodb_through_our_helpers() {
    let env = env();
    let buckets = sourcelab::s3::list_buckets(&env).unwrap();
    let names: Vec<&str> = buckets.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(names, ["name", "created"]);
    sourcelab::dynamo::list_tables(&env).unwrap();
}

#[test]
fn moto_answers_for_iam_sts_ec2_sqs_and_kinesis() {
    let env = env();
    let endpoint = env.aws().endpoint_url.unwrap();
    // boto3 ships with moto in the stack's venv; our crate has SDKs for S3 and DynamoDB only.
    let script = r#"
import sys, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
print("sts", boto3.client("sts", **kw).get_caller_identity()["Account"])
print("iam", type(boto3.client("iam", **kw).list_users()["Users"]).__name__)
print("ec2", len(boto3.client("ec2", **kw).describe_vpcs()["Vpcs"]) >= 1)
q = boto3.client("sqs", **kw).create_queue(QueueName="sourcelab-ping")["QueueUrl"]
print("sqs", q.endswith("sourcelab-ping"))
print("kinesis", type(boto3.client("kinesis", **kw).list_streams()["StreamNames"]).__name__)
"#;
    let python = sourcelab::local::venv::bin(stack(), "python");
    let out = std::process::Command::new(python).args(["-c", script, &endpoint]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        ["sts 123456789012", "iam list", "ec2 True", "sqs True", "kinesis list"]
    );
}

#[test]
fn secrets_are_recorded_and_never_in_the_status_table() {
    let secrets = stack().secrets().unwrap();
    assert!(secrets.len() >= 3, "MariaDB, PostgreSQL lab and admin passwords");
    let table: String = stack().status().unwrap().iter().map(|r| format!("{r} {r:?}")).collect();
    for s in secrets {
        assert!(!table.contains(s.expose()));
    }
}

#[test]
fn motos_request_log_is_rotated_at_its_cap_keeping_one_old_file() {
    let stack = common::stack();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("moto.log");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cap = 4096;
    let moto = sourcelab::local::moto::spawn(stack, port, &log, cap, &[]).unwrap();
    // Every request is a line in the log (about 80 bytes): 300 of them are several caps' worth.
    for _ in 0..300 {
        assert!(sourcelab::local::moto::answers_http(port));
    }
    let pid = moto.pid.unwrap();
    sourcelab::local::process::stop(pid, rustix::process::Signal::TERM, std::time::Duration::from_secs(10)).unwrap();
    let old = dir.path().join("moto.log.1");
    let (now, before) = (std::fs::read_to_string(&log).unwrap(), std::fs::read_to_string(&old).unwrap());
    assert!(before.contains("GET /moto-api/"), "the rotated file holds requests: {before}");
    assert!(before.len() as u64 <= cap && now.len() as u64 <= cap, "{} and {} bytes", before.len(), now.len());
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(files, 2, "one old file is kept, no more");
}
