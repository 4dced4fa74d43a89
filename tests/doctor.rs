//! The doctor against real failures: the stack's PostgreSQL and MariaDB, a closed port (refused), a listener whose
//! backlog is full (the handshake never completes: a timeout, as behind a security group), a name that does not
//! resolve, a wrong password, a missing database, and S3 objects that are missing or denied by a bucket policy.

mod common;

use std::time::{Duration, Instant};

use serde_json::json;
use sourcelab::ErrorKind;
use sourcelab::config::{DbConfig, Secret};
use sourcelab::doctor;

const LIMIT: Duration = Duration::from_secs(2);

fn failed_at(d: &doctor::Diagnosis) -> (&'static str, Option<ErrorKind>) {
    let f = d.failed().unwrap_or_else(|| panic!("expected a failure:\n{d}"));
    (f.name, f.kind)
}

#[test]
fn a_healthy_database_passes_every_step() {
    for cfg in [common::env().postgres().unwrap(), common::env().mysql().unwrap()] {
        let d = doctor::database(&cfg, LIMIT);
        assert!(d.ok(), "{d}");
        let names: Vec<&str> = d.steps.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            ["name resolution", "TCP connect", "protocol handshake", "authentication", "database", "permission"]
        );
        assert!(!d.to_string().contains(cfg.password.expose()), "the password never shows");
    }
}

#[test]
fn each_layer_fails_in_its_own_way() {
    let good = common::env().postgres().unwrap();

    let mut wrong = good.clone();
    wrong.password = Secret::new("not-the-password");
    let d = doctor::database(&wrong, LIMIT);
    assert_eq!(failed_at(&d), ("authentication", Some(ErrorKind::Auth)), "{d}");
    assert!(d.to_string().contains("password authentication failed"), "{d}");

    let mut missing = good.clone();
    missing.database = "no_such_db".into();
    let d = doctor::database(&missing, LIMIT);
    assert_eq!(failed_at(&d), ("database", Some(ErrorKind::NotFound)), "{d}");

    let mut nowhere = good.clone();
    nowhere.host = "no-such-host.invalid".into();
    let d = doctor::database(&nowhere, LIMIT);
    assert_eq!(failed_at(&d).0, "name resolution", "{d}");

    // A port nothing listens on: refused at once.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut closed = good.clone();
    closed.port = free;
    let t = Instant::now();
    let d = doctor::database(&closed, LIMIT);
    assert_eq!(failed_at(&d), ("TCP connect", Some(ErrorKind::Connect)), "{d}");
    assert!(t.elapsed() < LIMIT, "a refusal is immediate");

    // Another protocol on the port: MariaDB's port for a PostgreSQL URL.
    let mut other = good.clone();
    other.port = common::env().mysql().unwrap().port;
    let d = doctor::database(&other, LIMIT);
    assert_eq!(failed_at(&d).0, "protocol handshake", "{d}");
}

#[test]
fn dropped_packets_time_out_with_the_network_checklist() {
    // A listener that never accepts, with its one-place backlog filled: further SYNs are dropped, exactly what a
    // missing security-group rule does.
    use rustix::net::{AddressFamily, SocketType, bind, listen, socket};
    let fd = socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
    bind(&fd, &std::net::SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    listen(&fd, 0).unwrap();
    let addr = rustix::net::getsockname(&fd).unwrap();
    let port = std::net::SocketAddr::try_from(addr).unwrap().port();
    let _fill: Vec<_> = (0..2)
        .filter_map(|_| {
            std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(300)).ok()
        })
        .collect();
    let cfg = DbConfig::from_url(&format!("postgres://u:p@127.0.0.1:{port}/db")).unwrap();
    let t = Instant::now();
    let d = doctor::database(&cfg, LIMIT);
    assert_eq!(failed_at(&d), ("TCP connect", Some(ErrorKind::Timeout)), "{d}");
    assert!(t.elapsed() >= LIMIT && t.elapsed() < LIMIT * 2, "bounded by the limit: {:?}", t.elapsed());
    let text = d.to_string();
    for place in [
        "internet gateway",
        "route tables",
        "route-table associations",
        "security groups",
        "network ACLs",
        "instance placement",
    ] {
        assert!(text.contains(place), "{place} missing:\n{text}");
    }
}

#[test]
fn s3_objects_missing_or_denied() {
    let env = common::env();
    let s3 = sourcelab::s3::S3::connect(&env).unwrap();
    let bucket = format!("t{}-doctor", std::process::id());
    let d = doctor::s3_object(&env, &bucket, "csv/x.csv");
    assert_eq!(failed_at(&d), ("bucket", Some(ErrorKind::NotFound)), "{d}");
    s3.create_bucket(&bucket).unwrap();
    let d = doctor::s3_object(&env, &bucket, "csv/x.csv");
    assert_eq!(failed_at(&d), ("object", Some(ErrorKind::NotFound)), "{d}");
    s3.put_bytes(&bucket, "csv/x.csv", b"a,b\n".to_vec()).unwrap();
    assert!(doctor::s3_object(&env, &bucket, "csv/x.csv").ok());
    let deny = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/csv/*")}]});
    s3.put_policy(&bucket, &deny).unwrap();
    let d = doctor::s3_object(&env, &bucket, "csv/x.csv");
    assert_eq!(failed_at(&d), ("permission", Some(ErrorKind::Auth)), "{d}");
    assert!(d.to_string().contains("403"), "{d}");
    // The fix is an API call: drop the policy, and the object reads again.
    s3.delete_policy(&bucket).unwrap();
    assert!(doctor::s3_object(&env, &bucket, "csv/x.csv").ok());
    s3.delete_bucket(&bucket).unwrap();
}

#[test]
fn urls_parse_with_defaults_and_encoding() {
    let c = DbConfig::from_url("postgres://lab:p%40ss@db.example.com/ratings").unwrap();
    assert_eq!(
        (c.host.as_str(), c.port, c.database.as_str(), c.user.as_str(), c.password.expose()),
        ("db.example.com", 5432, "ratings", "lab", "p@ss")
    );
    assert_eq!(DbConfig::from_url("mysql://root@[::1]:3307/x").unwrap().port, 3307);
    for bad in ["db.example.com:5432", "http://u@h/db", "postgres://u@h:99999/db", "postgres://h/db"] {
        assert!(DbConfig::from_url(bad).unwrap_err().to_string().contains("read a database URL"), "{bad}");
    }
}
