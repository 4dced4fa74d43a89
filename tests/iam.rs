//! Lab 6 against the stack's second moto, which authenticates and authorises every request: users, groups,
//! policies and roles made for real, requests really denied, the explainer checked against the server on the same
//! requests, malformed input refused with its place, keys that never print, the checks, and `reset`.

mod common;

use common::proxy::{Act, Proxy, port_of};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sourcelab::frame::TableExt;
use std::sync::{Mutex, MutexGuard};

use serde_json::json;
use sourcelab::ErrorKind;
use sourcelab::iam::{Credentials, Iam, s3_arn};
use sourcelab::lab6::{ANALYST, READ_POLICY, READERS};

/// The tests share the lab's names: one at a time, each from a clean lab.
fn lab() -> (MutexGuard<'static, ()>, Iam) {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    (guard, sourcelab::lab6::setup(&common::env()).unwrap())
}

/// The lab's data bucket (its name carries the account id).
fn bucket() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| sourcelab::lab6::data_bucket(&Iam::connect(&common::env()).unwrap()).unwrap())
}

fn read_policy() -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": s3_arn(bucket(), "")},
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": s3_arn(bucket(), "*")}]})
}

fn analyst(iam: &Iam) -> Credentials {
    iam.create_user(ANALYST).unwrap();
    iam.create_access_key(ANALYST).unwrap()
}

fn column(df: &polars::prelude::DataFrame, name: &str) -> Vec<serde_json::Value> {
    df.column_values(name).unwrap().as_array().unwrap().clone()
}

#[test]
fn the_server_enforces_policies_and_the_explainer_agrees_on_every_request() {
    let (_g, iam) = lab();
    assert!(iam.whoami(None).unwrap().ends_with(":user/lab-admin"));
    let keys = analyst(&iam);
    let requests = [
        ("s3:ListBucket", bucket(), ""),
        ("s3:GetObject", bucket(), "raw/2024/orders.csv"),
        ("s3:PutObject", bucket(), "raw/2024/forged.csv"),
        ("s3:GetObject", bucket(), "secret/salaries.csv"),
    ];
    // A new user may do nothing.
    let t = iam.compare(&keys, &requests).unwrap();
    assert!(column(&t, "server").iter().all(|s| s.as_str().unwrap().starts_with("denied")), "{t}");
    assert!(column(&t, "agree").iter().all(|a| a == true), "{t}");
    // Through a group: list and read, not write.
    let arn = iam.create_policy(READ_POLICY, &read_policy()).unwrap();
    iam.create_group(READERS).unwrap();
    iam.attach_group_policy(READERS, &arn).unwrap();
    iam.add_user_to_group(ANALYST, READERS).unwrap();
    let t = iam.compare(&keys, &requests).unwrap();
    let server: Vec<bool> = column(&t, "server").iter().map(|s| s.as_str().unwrap() == "allowed").collect();
    assert_eq!(server, [true, true, false, true], "{t}");
    assert!(column(&t, "agree").iter().all(|a| a == true), "{t}");
    // An explicit deny beats the group's allow.
    let deny = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": s3_arn(bucket(), "secret/*")}]});
    iam.put_user_policy(ANALYST, "lab6-no-secrets", &deny).unwrap();
    let t = iam.compare(&keys, &requests).unwrap();
    let server: Vec<bool> = column(&t, "server").iter().map(|s| s.as_str().unwrap() == "allowed").collect();
    assert_eq!(server, [true, true, false, false], "{t}");
    assert!(column(&t, "agree").iter().all(|a| a == true), "{t}");
    let d = iam.explain("user/lab6-analyst", "s3:GetObject", &s3_arn(bucket(), "secret/salaries.csv")).unwrap();
    assert_eq!(d.by, "explicit deny");
    assert!(d.why.contains("inline policy lab6-no-secrets of user lab6-analyst"), "{d}");
    let d = iam.explain("user/lab6-analyst", "s3:PutObject", &s3_arn(bucket(), "x")).unwrap();
    assert_eq!((d.allowed, d.by.as_str()), (false, "implicit deny"), "{d}");
    let d = iam.explain("user/lab6-analyst", "s3:GetObject", &s3_arn(bucket(), "raw/x")).unwrap();
    assert!(d.allowed && d.why.contains("group lab6-readers"), "{d}");
}

#[test]
fn a_role_gives_temporary_keys_limited_to_the_roles_policies() {
    let (_g, iam) = lab();
    let keys = analyst(&iam);
    let me = iam.whoami(Some(&keys)).unwrap();
    let trust = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": me}, "Action": "sts:AssumeRole"}]});
    let role = iam.create_role("lab6-pipeline", &trust).unwrap();
    let only_2024 = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": s3_arn(bucket(), "raw/2024/*")}]});
    let arn = iam.create_policy("lab6-pipeline-read", &only_2024).unwrap();
    iam.attach_role_policy("lab6-pipeline", &arn).unwrap();
    let assume = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}]});
    iam.put_user_policy(ANALYST, "lab6-may-assume", &assume).unwrap();
    let temp = iam.assume_role(&keys, &role, "nightly-load", 900).unwrap();
    assert_eq!(temp.principal(), "role/lab6-pipeline");
    assert!(temp.session_token.is_some() && temp.expires().is_some(), "{temp}");
    assert!(iam.whoami(Some(&temp)).unwrap().contains(":assumed-role/lab6-pipeline/nightly-load"));
    let t = iam
        .compare(
            &temp,
            &[("s3:GetObject", bucket(), "raw/2024/orders.csv"), ("s3:GetObject", bucket(), "raw/2023/orders.csv")],
        )
        .unwrap();
    let server: Vec<bool> = column(&t, "server").iter().map(|s| s.as_str().unwrap() == "allowed").collect();
    assert_eq!(server, [true, false], "{t}");
    assert!(column(&t, "agree").iter().all(|a| a == true), "{t}");
}

#[test]
fn bad_input_is_refused_with_its_place_and_the_fix() {
    let (_g, iam) = lab();
    let e = iam.explain("user/nobody-here", "s3:GetObject", "*").unwrap_err();
    assert!(e.to_string().contains("nobody-here"), "{e}");
    let e = iam.explain("bob", "s3:GetObject", "*").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Input, "{e}");
    let bad =
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"}]});
    let e = iam.create_policy("lab6-bad", &bad).unwrap_err();
    assert!(e.to_string().contains("$.Statement[0].Effect") && e.to_string().contains("\"Allow\""), "{e}");
    let e = iam
        .create_policy("lab6-bad", &json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}))
        .unwrap_err();
    assert!(e.to_string().contains("has no Resource"), "{e}");
    let e = iam.create_access_key("lab6-ghost").unwrap_err();
    assert!(e.cause().contains("lab6-ghost"), "{e}");
    // Settings without the IAM lab's moto would send everything to the labs' moto, which allows all.
    let labs_only = sourcelab::config::EnvFile::from_pairs(
        "labs-only.env",
        &[("AWS_ENDPOINT_URL", common::env().get("AWS_ENDPOINT_URL").unwrap()), ("AWS_REGION", "us-east-1")],
    );
    let e = Iam::connect(&labs_only).unwrap_err();
    assert!(e.to_string().contains("IAM_AWS_ENDPOINT_URL") && e.to_string().contains("sourcelab up"), "{e}");
    let e = iam.compare(&analyst(&iam), &[("s3:Teleport", bucket(), "")]).unwrap_err();
    assert!(e.to_string().contains("s3:GetObject"), "{e}");
}

#[test]
fn keys_never_print_their_secret() {
    let (_g, iam) = lab();
    let keys = analyst(&iam);
    let secret = keys.secret_access_key.expose().to_string();
    let env = iam.env_for(&keys).unwrap();
    for text in [keys.to_string(), format!("{keys:?}"), format!("{env:?}"), format!("{:?}", iam.env().unwrap())] {
        assert!(!text.contains(&secret), "{text}");
    }
    assert!(!keys.to_string().contains(&keys.access_key_id), "only the key id's ends show: {keys}");
    let admin = common::env().get("IAM_AWS_SECRET_ACCESS_KEY").unwrap().to_string();
    let secrets: Vec<String> = common::stack().secrets().unwrap().iter().map(|s| s.expose().to_string()).collect();
    assert!(secrets.contains(&admin), "the admin's secret is one of the stack's secrets");
    assert!(!format!("{:?}", common::env()).contains(&admin));
}

#[test]
fn the_checks_pass_the_solutions_and_explain_wrong_answers() {
    use sourcelab::check;
    let (_g, iam) = lab();
    let keys = analyst(&iam);
    check::lab6_ex1(&iam, &keys).unwrap();
    assert!(check::lab6_ex2(&iam, &keys).is_err(), "not in the group yet");
    let arn = iam.create_policy(READ_POLICY, &read_policy()).unwrap();
    iam.create_group(READERS).unwrap();
    iam.attach_group_policy(READERS, &arn).unwrap();
    iam.add_user_to_group(ANALYST, READERS).unwrap();
    check::lab6_ex2(&iam, &keys).unwrap();
    // Exercise 5: reading the whole bucket is more than the pipeline needs.
    let too_broad = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": s3_arn(bucket(), "raw/*")}]});
    let e = check::lab6_ex5(&iam, &too_broad).unwrap_err();
    assert!(e.to_string().contains("raw/2023/orders.csv denied"), "{e}");
    let exact = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": s3_arn(bucket(), "raw/2024/*")}]});
    check::lab6_ex5(&iam, &exact).unwrap();
    assert!(iam.remove_all("lab6-check").unwrap().is_empty(), "the check removed its user");
}

#[test]
fn reset_removes_everything_the_lab_made() {
    let (_g, iam) = lab();
    analyst(&iam);
    iam.create_group(READERS).unwrap();
    let removed = sourcelab::lab6::reset(&common::env()).unwrap();
    assert!(removed.contains(&format!("user {ANALYST}")), "{removed:?}");
    assert!(removed.contains(&format!("group {READERS}")), "{removed:?}");
    assert!(removed.iter().any(|r| r.contains(bucket())), "{removed:?}");
    assert!(sourcelab::lab6::reset(&common::env()).unwrap().is_empty());
    let status = common::stack().status().unwrap();
    assert!(status.iter().any(|s| s.name == "moto-iam" && s.healthy), "{status:?}");
}

/// IAM is eventually consistent on AWS: a new key is refused for a few seconds, a new permission is not in force at
/// once. moto applies every change at once, so a proxy in front of the lab's moto answers as AWS may: STS refuses
/// the new key twice, S3 denies the first read a fresh policy allows. The helpers wait, say why, and go on.
#[test]
fn changes_that_take_seconds_on_aws_are_waited_for() {
    let (_g, _) = lab();
    let lines = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    sourcelab::runtime::set_progress_sink(move |line| sink.lock().unwrap().push(line.to_string()));
    let local = common::env();
    let stale_reads = Arc::new(AtomicUsize::new(0));
    let stale = stale_reads.clone();
    let proxy = Proxy::start(
        port_of(local.get("IAM_AWS_ENDPOINT_URL").unwrap()),
        Arc::new(move |what: &str, attempt, _: &[u8]| match (what, attempt) {
            ("GetCallerIdentity", 2 | 3) => Act::Answer(
                403,
                "text/xml",
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
                 <Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.\
                 </Message></Error><RequestId>1</RequestId></ErrorResponse>"
                    .into(),
            ),
            ("GET", _) if stale.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() => {
                Act::Answer(
                    403,
                    "application/xml",
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access \
                     Denied</Message></Error>"
                        .into(),
                )
            }
            _ => Act::Forward,
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::stack().local_env_path()).unwrap();
    let text: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("IAM_AWS_ENDPOINT_URL=") {
                format!("IAM_AWS_ENDPOINT_URL={}", proxy.url())
            } else {
                l.into()
            }
        })
        .collect();
    let path = dir.path().join("slow.env");
    std::fs::write(&path, text.join("\n")).unwrap();
    let iam = Iam::connect(&sourcelab::config::EnvFile::load(&path).unwrap()).unwrap();

    let user = "lab6-slow";
    iam.create_user(user).unwrap();
    let keys = iam.create_access_key(user).unwrap();
    assert_eq!(proxy.count("GetCallerIdentity"), 4, "connect, the key refused twice, then accepted");
    let said = lines.lock().unwrap().clone();
    let waits = said.iter().filter(|l| l.starts_with("keys of user/lab6-slow: InvalidClientTokenId")).count();
    assert_eq!(waits, 2, "{said:?}");

    iam.put_user_policy(user, "read", &read_policy()).unwrap();
    stale_reads.store(1, Ordering::SeqCst);
    let t = iam.compare(&keys, &[("s3:GetObject", bucket(), "raw/2024/orders.csv")]).unwrap();
    assert_eq!(column(&t, "server"), vec![json!("allowed")], "{t}");
    assert_eq!(stale_reads.load(Ordering::SeqCst), 0, "the first read was denied");
    let said = lines.lock().unwrap().clone();
    assert!(
        said.iter().any(|l| l.starts_with("s3:GetObject on arn:aws:s3:::lab6-data-") && l.contains("still denied")),
        "{said:?}"
    );
    iam.remove_all(user).unwrap();
}
