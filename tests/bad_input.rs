//! Everything a learner types, malformed on purpose, fuzz-style: SQL identifiers, bucket names, object keys, bucket
//! policies, CIDR blocks, env files and DynamoDB items — hand-picked bad cases, then thousands of seeded random
//! ones. Every helper answers with an error that names the input (or its file and line) and never panics; a
//! malformed line of a password never shows the password.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::{Value, json};
use sourcelab::config::EnvFile;
use sourcelab::net::Cidr;
use sourcelab::rentio::Rng;

/// Random text for parsers, from the library's seeded SplitMix64: the same inputs every run.
trait Text {
    fn text(&mut self, max: usize) -> String;
}

impl Text for Rng {
    /// A string of 0 to `max` characters drawn from what breaks parsers: quotes, separators, dots, slashes,
    /// control characters, letters from other scripts, digits, SQL.
    fn text(&mut self, max: usize) -> String {
        const PIECES: &[&str] = &[
            "a",
            "Z",
            "0",
            "9",
            "_",
            "-",
            ".",
            "/",
            "\\",
            "'",
            "\"",
            "`",
            ";",
            "=",
            "#",
            " ",
            "\t",
            "\n",
            "\r",
            "\0",
            "é",
            "ß",
            "日本",
            "🙂",
            "\u{202e}",
            "..",
            "/0",
            "32",
            "255",
            "256",
            ":",
            "*",
            "$",
            "{",
            "}",
            "[",
            "]",
            "DROP TABLE x",
            "--",
            "xn--",
            "0.0.0.0",
            "export ",
        ];
        let n = self.below(max + 1);
        (0..n).map(|_| PIECES[self.below(PIECES.len())]).collect()
    }
}

/// Runs `f`; a panic fails the test with the input that caused it.
fn no_panic<T>(input: &str, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| panic!("panicked on input {input:?}"))
}

#[test]
fn malformed_names_keys_policies_and_blocks_are_refused_with_what_and_why() {
    for name in ["", "1abc", "a b", "a;DROP TABLE film", "naïve", "x-y", &"x".repeat(65), "`film`"] {
        let e = sourcelab::sql::check_identifier(name).unwrap_err().to_string();
        assert!(e.contains("table or column name") && e.contains("letters, digits"), "{name:?}: {e}");
    }
    for name in ["", "ab", "A-bucket", "a..b", "-abc", "abc-", "192.168.0.1", "xn--abc", &"a".repeat(64), "a_b"] {
        let e = sourcelab::s3::check_bucket_name(name).unwrap_err().to_string();
        assert!(e.contains(&format!("{name:?}")) && e.contains("S3 would refuse it"), "{name:?}: {e}");
    }
    for key in [String::new(), "k".repeat(1025), "é".repeat(513)] {
        let e = sourcelab::s3::check_key(&key).unwrap_err().to_string();
        assert!(e.contains(&format!("({} bytes)", key.len())) && e.len() < 400, "{e}");
    }
    assert!(sourcelab::s3::check_key(&"k".repeat(1024)).is_ok() && sourcelab::s3::check_key("csv/a b.csv").is_ok());
    for (policy, at) in [
        (json!("allow everything"), "at $"),
        (json!({"Version": "2025-01-01", "Statement": []}), "at $.Version"),
        (json!({"Statement": {"Effect": "Allow"}}), "at $.Statement"),
        (
            json!({"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}),
            "at $.Statement[0].Effect",
        ),
    ] {
        let e = sourcelab::s3::check_policy(&policy).unwrap_err().to_string();
        assert!(e.contains(at), "{policy}: {e}");
    }
    for text in ["", "10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.1/16", "10.0.0.0/16/8", "300.0.0.0/8", "a/b"] {
        let e = text.parse::<Cidr>().unwrap_err().to_string();
        assert!(e.contains(&format!("{:?}", text.trim())) || e.contains(text), "{text:?}: {e}");
    }
}

#[test]
fn a_broken_env_file_names_its_file_and_line_and_never_shows_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("DBHOST=127.0.0.1\nthis is not a setting\n", "line 2"),
        ("DBHOST='unterminated\n", "line 1"),
        ("DBPASSWORD=hunter2'oops\nDBHOST=x\n", "line 1"),
        ("\n\nAWS_SECRET_ACCESS_KEY=s3cr3t\"K3y\n", "line 3"),
    ];
    for (i, (text, at)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case{i}.env"));
        std::fs::write(&path, text).unwrap();
        let e = EnvFile::load(&path).unwrap_err().to_string();
        assert!(e.contains(&path.display().to_string()) && e.contains(at), "{text:?}: {e}");
        for secret in ["hunter2", "s3cr3t"] {
            assert!(!e.contains(secret), "a secret in the error: {e}");
        }
    }
    // A port that is not a number names the key, the file and what to write.
    let path = dir.path().join("port.env");
    std::fs::write(&path, "DBHOST=127.0.0.1\nDBPORT=abc\nDBNAME=x\nDBUSER=u\nDBPASSWORD=p\n").unwrap();
    let e = EnvFile::load(&path).unwrap().mysql().unwrap_err().to_string();
    assert!(e.contains("DBPORT") && e.contains("`abc` is not a port number") && e.contains("port.env"), "{e}");
}

#[test]
fn thousands_of_random_inputs_give_errors_or_values_never_panics() {
    let mut rng = Rng(0x5eed_1ab5);
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3000 {
        let text = rng.text(24);
        if let Err(e) = no_panic(&text, || sourcelab::sql::check_identifier(&text)) {
            assert!(!e.to_string().is_empty());
        }
        if let Err(e) = no_panic(&text, || sourcelab::s3::check_bucket_name(&text)) {
            assert!(e.to_string().contains(&format!("{text:?}")), "{e}");
        }
        let _ = no_panic(&text, || sourcelab::s3::check_key(&text));
        if let Err(e) = no_panic(&text, || text.parse::<Cidr>()) {
            assert!(e.to_string().contains("CIDR block"), "{e}");
        }
        // An env file of random lines: a value or an error naming the file.
        let path = dir.path().join(format!("r{}.env", i % 7));
        let file: String = (0..1 + rng.below(4)).map(|_| format!("{}={}\n", rng.text(6), rng.text(10))).collect();
        std::fs::write(&path, &file).unwrap();
        if let Err(e) = no_panic(&file, || EnvFile::load(&path)) {
            assert!(e.to_string().contains(&path.display().to_string()), "{file:?}: {e}");
        }
        // A random policy and a random DynamoDB item, built from the same pieces.
        let value = random_json(&mut rng, 3);
        let _ = no_panic(&value.to_string(), || sourcelab::s3::check_policy(&value));
        let item = json!({ rng.text(4): value.clone() });
        for convert in [sourcelab::marshal::to_marshal, sourcelab::marshal::to_plain] {
            if let Err(e) = no_panic(&item.to_string(), || convert(&item)) {
                assert!(e.to_string().contains("at $"), "the JSON path: {e}");
            }
        }
    }
}

fn random_json(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth == 0 { 4 } else { 7 }) {
        0 => Value::String(rng.text(8)),
        1 => json!(rng.next_u64() as i64 % 1000),
        2 => json!(rng.below(2) == 0),
        3 => Value::Null,
        4 => Value::Array((0..rng.below(4)).map(|_| random_json(rng, depth - 1)).collect()),
        _ => {
            let keys = ["S", "N", "SS", "NS", "BS", "B", "M", "L", "$SS", "$NS", "$M", "Effect", "Statement", ""];
            let mut m = serde_json::Map::new();
            for _ in 0..rng.below(4) {
                let k = if rng.below(2) == 0 { keys[rng.below(keys.len())].to_string() } else { rng.text(5) };
                m.insert(k, random_json(rng, depth - 1));
            }
            Value::Object(m)
        }
    }
}

#[test]
fn a_malformed_key_is_refused_before_s3_is_asked() {
    // Against the stack's moto: the checks run first, so the bucket need not even exist.
    let s3 = sourcelab::s3::S3::connect(&common::env()).unwrap();
    let e = s3.put_bytes("de-c2w1lab3-nowhere", "", b"x".to_vec()).unwrap_err().to_string();
    assert!(e.contains("use object key \"\" (0 bytes)"), "{e}");
    let e = s3.get_bytes("de-c2w1lab3-nowhere", &"k".repeat(2000)).unwrap_err().to_string();
    assert!(e.contains("at most 1024 bytes"), "{e}");
}
