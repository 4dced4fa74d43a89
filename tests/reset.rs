//! `sourcelab reset [LAB|all]`: what each lab left is removed, the lab's data is as it started, later labs are
//! reset too and earlier ones are not, with the stack still running.

mod common;

use sourcelab::frame::TableExt;
use std::process::Command;

use serde_json::json;
use sourcelab::course::reset::{LAB2_PREFIX, LAB3_BUCKET, LAB3_DOWNLOADS};
use sourcelab::dynamo::{Dynamo, TableSpec};
use sourcelab::s3::S3;
use sourcelab::sql::Db;

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
    let stack = common::stack();
    let env = common::env();
    let db = Db::connect_mysql(&env).unwrap();
    // From a start of our own (an earlier run may have stopped half-way): the generated first title.
    reset("all");
    let title = first_title(&db);
    let ddb = Dynamo::connect(&env).unwrap();
    let table = format!("{LAB2_PREFIX}-Leftover");
    let s3 = S3::connect(&env).unwrap();
    let leave_everything = || {
        // Lab 1: an edited film, a leftover table. Lab 2: a table. Lab 3: a bucket with an object, a download.
        db.execute("UPDATE film SET title = 'EDITED BY A LEARNER' WHERE film_id = 1").unwrap();
        db.execute("CREATE TABLE IF NOT EXISTS category_copy (category_id INTEGER)").unwrap();
        if !ddb.list_tables().unwrap().contains(&table) {
            ddb.create_table(&TableSpec::new(&table).hash("Id", "S")).unwrap();
        }
        ddb.put_item(&table, &json!({"Id": {"S": "1"}}), &json!({})).unwrap();
        s3.remove_bucket_if_exists(LAB3_BUCKET).unwrap();
        s3.create_bucket(LAB3_BUCKET).unwrap();
        s3.put_bytes(LAB3_BUCKET, "csv/x.csv", b"a,b\n1,2\n".to_vec()).unwrap();
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
    assert!(names.as_array().unwrap().contains(&json!(LAB3_BUCKET)), "{names}");

    // All: every lab, in course order, says what it removed.
    leave_everything();
    let said = reset("all");
    for expected in [
        "lab 1 (sql): removed table category_copy",
        "lab 1 (sql): removed the 15 Rentio tables",
        &format!("lab 2 (dynamodb): removed DynamoDB table {table}"),
        &format!("lab 3 (s3): removed bucket {LAB3_BUCKET} (1 object versions, 0 delete markers)"),
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
    assert!(!names.as_array().unwrap().contains(&json!(LAB3_BUCKET)), "{names}");
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
