//! Every notebook, executed headless by `sourcelab run` with the "Rust (sourcelab)" kernel, every cell.
//! Then: the values the notebooks show, and no secret from the env files in any output.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sourcelab::course::grade::{self, Outcome};
use sourcelab::kernel::NotebookReport;

/// All text a notebook's outputs carry (streams, results, errors), cell by cell.
fn outputs(nb: &Value) -> Vec<String> {
    nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["cell_type"] == "code")
        .map(|c| {
            let mut text = String::new();
            for o in c["outputs"].as_array().unwrap() {
                {
                    let key = "text";
                    text.push_str(&join(&o[key]));
                }
                if let Some(data) = o["data"].as_object() {
                    for v in data.values() {
                        text.push_str(&join(v));
                    }
                }
                if o["output_type"] == "error" {
                    text.push_str(&format!("ERROR {} {}", o["ename"], o["evalue"]));
                }
            }
            text
        })
        .collect()
}

fn join(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().filter_map(|x| x.as_str()).collect(),
        _ => String::new(),
    }
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_notebook_runs_and_shows_the_expected_values() {
    let stack = common::stack();
    let out = tempfile::tempdir().unwrap();
    let reports_json = out.path().join("reports.json");
    let status = Command::new(env!("CARGO_BIN_EXE_sourcelab"))
        .args(["run", "--out"])
        .arg(out.path())
        .arg("--report")
        .arg(&reports_json)
        .env("SOURCELAB_HOME", stack.home())
        .status()
        .unwrap();
    assert!(status.success(), "sourcelab run failed (its summary above names the cell)");

    // Graded as `sourcelab grade` grades: every exercise of every solution passed; every learner copy, as it is,
    // has every exercise not attempted.
    let runs: Vec<NotebookReport> = serde_json::from_str(&std::fs::read_to_string(&reports_json).unwrap()).unwrap();
    let mut exercises = 0;
    for run in &runs {
        let path = PathBuf::from(&run.notebook);
        let lab = path.file_stem().unwrap().to_string_lossy().to_string();
        if lab == "00_start_here" {
            continue;
        }
        let solved = grade::grade_run(stack.home(), &lab, &path, run).unwrap();
        assert!(!solved.is_empty(), "{lab} has exercises");
        for (exercise, outcome, message) in &solved {
            assert_eq!(*outcome, Outcome::Passed, "{lab} {exercise}: {message}");
        }
        let copy = stack.home().join("notebooks").join("exercises").join(path.file_name().unwrap());
        let untouched = grade::grade_run(stack.home(), &lab, &copy, run).unwrap();
        assert_eq!(untouched.len(), solved.len());
        // (An exercise the learner copy gives solved, like lab 1's third, counts as the run found it.)
        for ((exercise, outcome, message), solution) in untouched.iter().zip(&solved) {
            let given_solved = *outcome == Outcome::Passed && message == &solution.2;
            assert!(
                *outcome == Outcome::NotAttempted || given_solved,
                "{lab} {exercise} of the learner copy: {message}"
            );
        }
        assert!(untouched.iter().filter(|g| g.1 == Outcome::NotAttempted).count() >= untouched.len() - 1, "{lab}");
        exercises += solved.len();
    }
    assert!(exercises >= 50, "{exercises} exercises graded");

    let notebooks = sourcelab::kernel::lab_notebooks(stack).unwrap();
    assert!(!notebooks.is_empty());
    // The run's page: every notebook ok, its slowest cells, links to the executed copies.
    let report = std::fs::read_to_string(out.path().join("report.html")).expect("sourcelab run writes report.html");
    assert!(report.contains(&format!("{n} notebooks: {n} passed, 0 failed", n = notebooks.len())), "{report}");
    assert!(report.matches("cell ").count() >= notebooks.len(), "the slowest cells: {report}");
    for nb in &notebooks {
        let executed = out.path().join(nb.file_name().unwrap());
        assert!(executed.is_file(), "no executed copy of {}", nb.display());
        assert!(executed.with_extension("html").is_file(), "no HTML of {}", nb.display());
        let stem = nb.file_stem().unwrap().to_string_lossy();
        assert!(report.contains(&format!("<td>{stem}</td><td>ok</td>")), "{stem} in report.html: {report}");
        assert!(report.contains(&format!("<a href=\"{stem}.html\">")), "{stem}'s link in report.html");
        for (i, text) in outputs(&read(&executed)).iter().enumerate() {
            assert!(!text.contains("ERROR"), "{} cell {i}: {text}", nb.display());
        }
        // A table that ends a cell shows as a table: evcxr falls back to Debug text when a cell's display code
        // does not compile (a variable moved into a call, a new variable's first display in its own cell).
        for c in read(&executed)["cells"].as_array().unwrap() {
            for o in c["outputs"].as_array().into_iter().flatten() {
                let only_text = o["data"].as_object().is_some_and(|d| d.len() == 1 && d.contains_key("text/plain"));
                let text = join(&o["data"]["text/plain"]);
                assert!(
                    !(only_text && text.starts_with("Table(")),
                    "{}: a table shown as text: {}",
                    nb.display(),
                    join(&c["source"])
                );
            }
        }
    }

    // 00_start_here: what each cell must show.
    let cells = outputs(&read(&out.path().join("00_start_here.ipynb")));
    let find = |needle: &str| cells.iter().any(|c| c.contains(needle));
    assert!(find("mysql://lab:***@127.0.0.1:"), "redacted MariaDB URL: {cells:#?}");
    assert!(find("postgres://lab:***@127.0.0.1:"), "redacted PostgreSQL URL: {cells:#?}");
    assert!(find("-MariaDB"), "MariaDB version: {cells:#?}");
    assert!(find("PostgreSQL 1"), "PostgreSQL version: {cells:#?}");
    assert!(find("<table class=\"sourcelab-frame\""), "an HTML table: {cells:#?}");
    assert!(find("information_schema") && find("rentio"), "schemas listed: {cells:#?}");
    assert!(find("connect to MySQL/MariaDB at 127.0.0.1:1 as lab") && find("hint:"), "the error demo: {cells:#?}");

    // 01_sql: every exercise's check passed, the SQL cells showed their tables and counts (the three UPDATEs
    // reported their rows), and `execute` its counts.
    let cells = outputs(&read(&out.path().join("01_sql.ipynb")));
    for n in 1..=12 {
        assert!(cells.iter().any(|c| c.contains(&format!("✓ exercise {n}:"))), "exercise {n} did not pass: {cells:#?}");
    }
    let updates = "3 rows affected.\n1 row affected.\n1 row affected.";
    assert!(cells.iter().any(|c| c.contains(updates)), "rows per UPDATE: {cells:#?}");
    assert!(cells.iter().any(|c| c.contains("[3]")), "execute's count of the INSERT: {cells:#?}");
    let sql_tables = cells.iter().filter(|c| c.contains("sourcelab-sql") && c.contains("sourcelab-frame")).count();
    assert!(sql_tables >= 12, "tables shown by SQL cells in lab 1: {sql_tables}");

    // 02_dynamodb: every exercise passed, and the values the lab shows.
    let cells = outputs(&read(&out.path().join("02_dynamodb.ipynb")));
    let find = |needle: &str| cells.iter().any(|c| c.contains(needle));
    for n in 1..=11 {
        assert!(find(&format!("✓ exercise {n}:")), "lab 2 exercise {n} did not pass: {cells:#?}");
    }
    assert!(find("Count 8, ScannedCount 8"), "the full scan: {cells:#?}");
    assert!(find("Count 1, ScannedCount 2"), "a filter after the read: {cells:#?}");
    assert!(find("Count 3, ScannedCount 4"), "the filtered scan: {cells:#?}");
    assert!(find("exact:    {\"Price\":1234567890.1234567890123456789012345678}"), "exact numbers: {cells:#?}");
    assert!(find("Input collection [a, a] contains duplicates."), "a refused set: {cells:#?}");
    assert!(find("ConditionalCheckFailedException"), "the failed condition: {cells:#?}");
    assert!(find("LastEvaluatedKey {\"Id\":\"Amazon DynamoDB#DynamoDB Thread 1\""), "paging: {cells:#?}");
    assert!(find("\"Messages\":4"), "Messages back to 4 after both transactions: {cells:#?}");
    // Four tables of 10 read and 5 write units: 4 × (10 × $0.00013 + 5 × $0.00065) an hour, for 730 hours.
    assert!(find("left for a month: $13.29"), "lab 2's price: {cells:#?}");
    let last = cells.last().unwrap();
    assert!(last.trim_end().ends_with('0'), "no lab table left after cleanup: {last}");

    // 03_s3: every exercise passed, and the values the lab shows. The bucket's name carries the account id.
    let bucket = sourcelab::s3::S3::connect(&common::env()).unwrap().account_bucket("de-c2w1lab3").unwrap();
    assert_eq!(bucket, "de-c2w1lab3-123456789012-us-east-1");
    let cells = outputs(&read(&out.path().join("03_s3.ipynb")));
    let find = |needle: &str| cells.iter().any(|c| c.contains(needle));
    for n in 1..=4 {
        assert!(find(&format!("✓ exercise {n}:")), "lab 3 exercise {n} did not pass: {cells:#?}");
    }
    assert!(
        find("uploaded") && find(&format!("s3://{bucket}/csv/ratings_ml_training_dataset.csv")),
        "the CSV upload: {cells:#?}"
    );
    assert!(find("Trains"), "the SQL over the CSV: {cells:#?}");
    assert!(find("at $.Statement[0].Resource"), "the refused policy: {cells:#?}");
    assert!(find("<td>null</td>"), "the first version's id is \"null\": {cells:#?}");
    assert!(
        find(&format!("deleted bucket {bucket} with 4 object versions and 0 delete markers")),
        "cleanup: {cells:#?}"
    );
    assert!(find("NoSuchBucket"), "the bucket is gone: {cells:#?}");
    let nb = read(&out.path().join("03_s3.ipynb"));
    let images = nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["outputs"].as_array().cloned().unwrap_or_default())
        .filter(|o| o["data"]["image/png"].is_string())
        .count();
    assert_eq!(images, 2, "both versions of the image shown inline");

    // 04_connectivity: every exercise passed; each problem was seen failing the way it does on AWS.
    let cells = outputs(&read(&out.path().join("04_connectivity.ipynb")));
    let find = |needle: &str| cells.iter().any(|c| c.contains(needle));
    for n in 1..=6 {
        assert!(find(&format!("✓ exercise {n}:")), "lab 4 exercise {n} did not pass: {cells:#?}");
    }
    assert!(find("VPC de-c2w1a1 (vpc-") && find("10.0.0.0/16"), "the network shown: {cells:#?}");
    assert!(find("256 blocks of /24: 10.0.0.0/24, 10.0.1.0/24"), "the CIDR primer: {cells:#?}");
    assert!(find("RDS endpoint de-c2w1a1-rds."), "the RDS endpoint: {cells:#?}");
    assert!(find("no answer within 10 s"), "the hanging connection: {cells:#?}");
    assert!(find("✗ EC2 network") && find("instance placement:"), "problem 1 named: {cells:#?}");
    assert!(find("security groups:") && find("de-c2w1a1-rds-sg"), "problem 2 named: {cells:#?}");
    assert!(find("password authentication failed"), "problem 3: {cells:#?}");
    assert!(find("403") && find("Deny"), "problem 4, and the policy behind it: {cells:#?}");
    assert!(find("COPY 2532"), "the load: {cells:#?}");
    // Two t3.small instances with 8 GB volumes and a db.t3.micro with 20 GB, priced; then removed.
    assert!(find("RDS instance") && find("left for a month: $47.41"), "lab 4's price: {cells:#?}");
    let last = cells.last().unwrap();
    assert!(last.contains("RDS instance de-c2w1a1-rds") && last.contains("VPC de-c2w1a1 "), "cleanup: {last}");

    // 05_acid: every exercise passed; each property was seen broken and holding, on the values.
    let cells = outputs(&read(&out.path().join("05_acid.ipynb")));
    let find = |needle: &str| cells.iter().any(|c| c.contains(needle));
    for n in 1..=6 {
        assert!(find(&format!("✓ exercise {n}:")), "lab 5 exercise {n} did not pass: {cells:#?}");
    }
    let position = |needle: &str| cells.iter().position(|c| c.contains(needle));
    assert!(find("balance_not_negative"), "the refused debit: {cells:#?}");
    assert!(find("<td>220</td>"), "alice's 220 after the autocommitted credit: {cells:#?}");
    assert!(find("stock_not_negative") && find("purchase_customer"), "the rules' refusals: {cells:#?}");
    assert!(find("A read 10, B read 10"), "the lost update's reads: {cells:#?}");
    assert!(find("<td>9</td>") && find("<td>8</td>"), "stock 9 (update lost), then 8 (FOR UPDATE): {cells:#?}");
    assert!(find("B waits for A's lock: true"), "B waited for the row lock: {cells:#?}");
    assert!(find("finished after waiting"), "the timeline shows B finishing after A: {cells:#?}");
    assert!(find("READ COMMITTED: B read 100, then 125"), "non-repeatable read: {cells:#?}");
    assert!(find("REPEATABLE READ: B read 125, then 125"), "a stable snapshot: {cells:#?}");
    assert!(find("B: 0"), "the second buyer got nothing: {cells:#?}");
    assert!(find("killed MariaDB (pid") && find("SIGKILL"), "the crash: {cells:#?}");
    let crash = position("killed MariaDB (pid").unwrap();
    let after = &cells[crash + 1];
    assert!(after.contains("committed before the crash"), "the committed row survived: {after}");
    assert!(!after.contains("still open at the crash"), "the open row is gone: {after}");
    assert!(find("connection is gone"), "B's dead connection: {cells:#?}");
    assert!(find("<td>1000</td>"), "lab 1's films after the crash: {cells:#?}");
    assert!(find("ConditionalCheckFailed") && find("None (it would have gone through)"), "reasons: {cells:#?}");
    assert!(find("strong:   balance 70") && find("eventual: balance 70"), "both reads: {cells:#?}");

    // 06_iam: every exercise passed; requests really denied, the explainer agreeing with the server.
    let cells = outputs(&read(&out.path().join("06_iam.ipynb")));
    let find = |needle: &str| cells.iter().any(|c| c.contains(needle));
    for n in 1..=6 {
        assert!(find(&format!("✓ exercise {n}:")), "lab 6 exercise {n} did not pass: {cells:#?}");
    }
    assert!(find(":user/lab-admin"), "the administrator: {cells:#?}");
    assert!(find("keys of user/lab6-analyst: access key") && find("secret ***"), "redacted keys: {cells:#?}");
    assert!(find("AccessDenied"), "a real denial: {cells:#?}");
    assert!(find("DENIED (implicit deny)"), "the implicit deny explained: {cells:#?}");
    assert!(find("DENIED (explicit deny)") && find("lab6-no-secrets"), "the explicit deny explained: {cells:#?}");
    assert!(find("lab 6 object raw/2024/orders.csv"), "the analyst read an object: {cells:#?}");
    assert!(find(":assumed-role/lab6-pipeline/nightly-load"), "the role's session: {cells:#?}");
    assert!(!find("<td>false</td>"), "the explainer and the server agree on every request: {cells:#?}");
    assert!(find("user lab6-analyst") && find("role lab6-pipeline"), "the cleanup: {cells:#?}");

    // 07_streaming: every exercise passed; a queue hands each message to one consumer, a stream to every one.
    let cells = outputs(&read(&out.path().join("07_streaming.ipynb")));
    let find = |needle: &str| cells.iter().any(|c| c.contains(needle));
    for n in 1..=7 {
        assert!(find(&format!("✓ exercise {n}:")), "lab 7 exercise {n} did not pass: {cells:#?}");
    }
    assert!(find("2 waiting, 1 in flight"), "a received order in flight: {cells:#?}");
    assert!(find("receive 1: receive counts [1]") && find("receive 2: receive counts [2]"), "{cells:#?}");
    assert!(find("receive 3: receive counts []"), "the poison order left the queue: {cells:#?}");
    assert!(find("?!"), "the poison order in the dead-letter queue: {cells:#?}");
    assert!(find("lab7-clicks: 1000/1000 sent") && find("lab7-clicks: 1000/1000 written"), "progress: {cells:#?}");
    assert!(find("0 waiting, 0 in flight"), "a consumed queue is empty: {cells:#?}");
    assert!(find("(1000, 0)"), "a second reader sees every record; the first is at the end: {cells:#?}");
    assert!(find("1001"), "records stay after being read: {cells:#?}");
    assert!(find("<svg") && find("Clicks per minute") && find("Clicks per page"), "the charts: {cells:#?}");
    assert!(find("Kinesis stream") && find("2 open shards") && find("$0.0300"), "two shards priced: {cells:#?}");
    assert!(find("queue lab7-orders-dlq") && find("stream lab7-clicks"), "the cleanup: {cells:#?}");

    // 08_logs: every exercise passed, on logs the stack and the shop really wrote.
    let cells = outputs(&read(&out.path().join("08_logs.ipynb")));
    let find = |needle: &str| cells.iter().any(|c| c.contains(needle));
    for n in 1..=5 {
        assert!(find(&format!("✓ exercise {n}:")), "lab 8 exercise {n} did not pass: {cells:#?}");
    }
    assert!(find("password authentication failed for user"), "PostgreSQL's refused logins: {cells:#?}");
    assert!(find("Access denied for user 'lab'"), "MariaDB's refused logins: {cells:#?}");
    assert!(find("password guesses from 127.0.0.66"), "the traffic: {cells:#?}");
    assert!(find("✓ exercise 4: 127.0.0.66 failed"), "the attacker found: {cells:#?}");
    assert!(find("Failed logins per second") && find("Log entries per level"), "the charts: {cells:#?}");
    assert!(find("2 unparsed line(s)"), "the damaged copy: {cells:#?}");
    assert!(find("✓ exercise 5: 5 levels"), "all five levels, debug to fatal, in the logs: {cells:#?}");

    // No secret of the local stack or of the env files appears anywhere the runs leave text: the executed copies
    // (ipynb, HTML, report.html), every service's log, the browser check's and the grader's outputs, the
    // kernel's files.
    let mut secrets: Vec<String> = stack.secrets().unwrap().iter().map(|s| s.expose().to_string()).collect();
    for env in
        [stack.local_env().ok(), sourcelab::config::EnvFile::load(stack.user_env_path()).ok()].into_iter().flatten()
    {
        for key in ["DBPASSWORD", "PGPASSWORD", "IAM_AWS_SECRET_ACCESS_KEY"] {
            secrets.extend(env.get(key).filter(|v| v.len() >= 4).map(str::to_string));
        }
    }
    assert!(secrets.len() >= 4, "MariaDB's, PostgreSQL's (and their admins') passwords, the IAM admin's key");
    let state = stack.state_dir();
    let places =
        [out.path().to_path_buf(), stack.logs_dir(), state.join("runs"), state.join("grades"), state.join("kernel")];
    let scanned: Vec<PathBuf> = places.iter().flat_map(|p| files(p)).collect();
    assert!(scanned.iter().any(|f| f.ends_with("moto.log")) && scanned.iter().any(|f| f.ends_with("report.html")));
    for file in &scanned {
        let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).to_string();
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "a password appears in {}", file.display());
        }
    }
}

/// Every file under `dir`, in every subfolder (none when `dir` does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => out.extend(files(&path)),
            Ok(t) if t.is_file() => out.push(path),
            _ => {}
        }
    }
    out
}

#[test]
fn learner_copies_are_current() {
    let home = sourcelab::home();
    let copies = sourcelab::exercises::learner_copies(&home).unwrap();
    assert!(!copies.is_empty(), "no notebook has exercises");
    for (solution, path, text) in copies {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "{} is not the learner copy of {}: run `sourcelab exercises` and commit the result",
            path.display(),
            solution.display()
        );
        assert!(!text.contains(sourcelab::exercises::BEGIN), "{} still holds a solution", path.display());
    }
}

#[test]
fn notebooks_are_committed_without_outputs() {
    for nb in sourcelab::kernel::lab_notebooks(&sourcelab::local::Stack::new()).unwrap() {
        let v = read(&nb);
        for c in v["cells"].as_array().unwrap().iter().filter(|c| c["cell_type"] == "code") {
            assert!(c["outputs"].as_array().unwrap().is_empty(), "{} has outputs", nb.display());
            assert!(c["execution_count"].is_null(), "{} has execution counts", nb.display());
        }
        assert_eq!(v["metadata"]["kernelspec"]["name"], "sourcelab", "{} uses another kernel", nb.display());
    }
}

/// evcxr ends a cell normally when its code returns an error with `?`: the run must still see that cell fail,
/// name it, and run nothing after it.
#[test]
fn a_cell_that_returns_an_error_fails_the_run() {
    let stack = common::stack();
    let dir = tempfile::tempdir().unwrap();
    let code = |src: &str| serde_json::json!({"cell_type": "code", "metadata": {}, "source": src, "execution_count": null, "outputs": []});
    let nb = serde_json::json!({
        "cells": [
            code("let env = load_env()?;"),
            code("let bad = DbConfig { port: 1, ..env.mysql()? };\nDb::connect(&bad)?;"),
            code("println!(\"not reached\");"),
        ],
        "metadata": {"kernelspec": {"display_name": "Rust (sourcelab)", "language": "rust", "name": "sourcelab"}},
        "nbformat": 4, "nbformat_minor": 5
    });
    let path = dir.path().join("fails.ipynb");
    std::fs::write(&path, nb.to_string()).unwrap();
    let out = dir.path().join("out");
    let run = Command::new(env!("CARGO_BIN_EXE_sourcelab"))
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .env("SOURCELAB_HOME", stack.home())
        .output()
        .unwrap();
    assert!(!run.status.success(), "the run passed a cell that returned an error");
    let said = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(said.contains("connect to MySQL/MariaDB at 127.0.0.1:1"), "the summary names the error: {said}");
    let cells = outputs(&read(&out.join("fails.ipynb")));
    assert!(!cells[2].contains("not reached"), "a cell after the failed one ran: {cells:?}");
}
