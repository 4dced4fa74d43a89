//! Lab 6 against the stack's second moto, which authenticates and authorises every request: users, groups,
//! policies and roles made for real, requests really denied, the explainer checked against the server on the same
//! requests, malformed input refused with its place, keys that never print, the checks, and `reset`.

mod common;

use sourcelab::frame::TableExt;
use std::sync::{Mutex, MutexGuard};

use serde_json::json;
use sourcelab::ErrorKind;
use sourcelab::iam::{Credentials, Iam, s3_arn};
use sourcelab::lab6::{ANALYST, BUCKET, READ_POLICY, READERS};

/// The tests share the lab's names: one at a time, each from a clean lab.
fn lab() -> (MutexGuard<'static, ()>, Iam) {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    (guard, sourcelab::lab6::setup(&common::env()).unwrap())
}

fn read_policy() -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": s3_arn(BUCKET, "")},
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": s3_arn(BUCKET, "*")}]})
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
        ("s3:ListBucket", BUCKET, ""),
        ("s3:GetObject", BUCKET, "raw/2024/orders.csv"),
        ("s3:PutObject", BUCKET, "raw/2024/forged.csv"),
        ("s3:GetObject", BUCKET, "secret/salaries.csv"),
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
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": s3_arn(BUCKET, "secret/*")}]});
    iam.put_user_policy(ANALYST, "lab6-no-secrets", &deny).unwrap();
    let t = iam.compare(&keys, &requests).unwrap();
    let server: Vec<bool> = column(&t, "server").iter().map(|s| s.as_str().unwrap() == "allowed").collect();
    assert_eq!(server, [true, true, false, false], "{t}");
    assert!(column(&t, "agree").iter().all(|a| a == true), "{t}");
    let d = iam.explain("user/lab6-analyst", "s3:GetObject", &s3_arn(BUCKET, "secret/salaries.csv")).unwrap();
    assert_eq!(d.by, "explicit deny");
    assert!(d.why.contains("inline policy lab6-no-secrets of user lab6-analyst"), "{d}");
    let d = iam.explain("user/lab6-analyst", "s3:PutObject", &s3_arn(BUCKET, "x")).unwrap();
    assert_eq!((d.allowed, d.by.as_str()), (false, "implicit deny"), "{d}");
    let d = iam.explain("user/lab6-analyst", "s3:GetObject", &s3_arn(BUCKET, "raw/x")).unwrap();
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
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": s3_arn(BUCKET, "raw/2024/*")}]});
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
            &[("s3:GetObject", BUCKET, "raw/2024/orders.csv"), ("s3:GetObject", BUCKET, "raw/2023/orders.csv")],
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
    let e = iam.compare(&analyst(&iam), &[("s3:Teleport", BUCKET, "")]).unwrap_err();
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
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": s3_arn(BUCKET, "raw/*")}]});
    let e = check::lab6_ex5(&iam, &too_broad).unwrap_err();
    assert!(e.to_string().contains("raw/2023/orders.csv denied"), "{e}");
    let exact = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": s3_arn(BUCKET, "raw/2024/*")}]});
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
    assert!(removed.iter().any(|r| r.contains(BUCKET)), "{removed:?}");
    assert!(sourcelab::lab6::reset(&common::env()).unwrap().is_empty());
    let status = common::stack().status().unwrap();
    assert!(status.iter().any(|s| s.name == "moto-iam" && s.healthy), "{status:?}");
}
