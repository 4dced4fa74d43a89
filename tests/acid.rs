//! Lab 5 against the stack's MariaDB, PostgreSQL and moto: sessions that interleave for real (locks, isolation
//! levels), the lab's tables and rules, DynamoDB's cancelled transactions, the exercise checks (solutions pass,
//! wrong answers fail with the reason), and `reset`. The crash lives in tests/durability.rs, on its own.

mod common;

use sourcelab::frame::TableExt;
use std::sync::{Mutex, MutexGuard};

use serde_json::json;
use sourcelab::ErrorKind;
use sourcelab::acid;
use sourcelab::dynamo::{Dynamo, TableSpec};
use sourcelab::sql::{Db, Session};

/// The tests share the lab's one database: one at a time.
fn lab() -> (MutexGuard<'static, ()>, Db) {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    (guard, acid::setup(&common::env()).unwrap())
}

fn number(df: &polars::prelude::DataFrame, column: &str) -> i64 {
    df.value(0, column).unwrap().as_i64().unwrap_or_else(|| panic!("{column}: {df}"))
}

fn stock(db: &Db, id: u32) -> i64 {
    number(&db.query(&format!("SELECT stock FROM product WHERE id = {id}")).unwrap(), "stock")
}

fn texts(df: &polars::prelude::DataFrame, column: &str) -> Vec<String> {
    let values = df.column_values(column).unwrap();
    values.as_array().unwrap().iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect()
}

#[test]
fn the_lab_starts_with_its_accounts_products_and_rules() {
    let (_g, db) = lab();
    assert_eq!(db.config().database, "acid");
    let accounts = db.query("SELECT owner, balance FROM account ORDER BY id").unwrap();
    assert_eq!(texts(&accounts, "owner"), ["alice", "bob"]);
    assert_eq!((stock(&db, 1), stock(&db, 2), stock(&db, 3)), (5, 10, 1));
    let oversell = db.execute("UPDATE product SET stock = stock - 2 WHERE id = 3").unwrap_err();
    assert!(oversell.cause().contains("stock_not_negative"), "{oversell}");
    let orphan = db.execute("INSERT INTO purchase (customer_id, product_id, quantity) VALUES (99, 1, 1)").unwrap_err();
    assert!(orphan.cause().contains("foreign key constraint fails"), "{orphan}");
    assert_eq!(stock(&db, 3), 1, "a refused statement changes nothing");

    // Without a transaction the credit stays; with one, nothing does.
    let credit = "UPDATE account SET balance = balance + 120 WHERE owner = 'alice'";
    let debit = "UPDATE account SET balance = balance - 120 WHERE owner = 'bob'";
    let failed = db.transaction(&[credit, debit]).unwrap_err();
    assert!(failed.cause().contains("balance_not_negative"), "{failed}");
    let total = db.query("SELECT CAST(SUM(balance) AS SIGNED) AS total FROM account").unwrap();
    assert_eq!(number(&total, "total"), 150);
    db.execute(credit).unwrap();
    db.execute(debit).unwrap_err();
    let total = db.query("SELECT CAST(SUM(balance) AS SIGNED) AS total FROM account").unwrap();
    assert_eq!(number(&total, "total"), 270);
    acid::restock(&db).unwrap();
    let total = db.query("SELECT CAST(SUM(balance) AS SIGNED) AS total FROM account").unwrap();
    assert_eq!(number(&total, "total"), 150);
}

#[test]
fn a_locked_row_makes_the_other_session_wait_until_commit() {
    let (_g, db) = lab();
    let (a, b) = (db.session("A").unwrap(), db.session("B").unwrap());
    assert_ne!(a.connection_id(), b.connection_id(), "two sessions are two connections");
    a.begin().unwrap();
    assert_eq!(a.execute("UPDATE product SET stock = stock - 1 WHERE id = 1").unwrap(), [1]);
    b.begin().unwrap();
    b.submit("UPDATE product SET stock = stock - 1 WHERE id = 1").unwrap();
    assert!(b.busy(), "B must wait for A's row lock");
    let meanwhile = b.execute("SELECT 1").unwrap_err();
    assert!(meanwhile.cause().contains("still waiting"), "{meanwhile}");
    a.commit().unwrap();
    let done = b.wait().unwrap();
    assert_eq!(number(&done, "rows_affected"), 1);
    b.commit().unwrap();
    assert_eq!(stock(&db, 1), 3);

    let t = Session::timeline(&[&a, &b]).unwrap();
    let names: Vec<&str> = t.get_column_names().iter().map(|c| c.as_str()).collect();
    assert_eq!(names, ["step", "A", "B"]);
    let (col_a, col_b) = (texts(&t, "A"), texts(&t, "B"));
    assert_eq!(col_a.iter().filter(|s| !s.is_empty()).count(), 3, "{t}");
    assert!(col_b.iter().any(|s| s.contains("waits")), "{t}");
    let finished = col_b.iter().position(|s| s.contains("finished after waiting: 1 row changed")).expect("finish");
    let committed = col_a.iter().position(|s| s.starts_with("COMMIT")).expect("A's commit");
    assert!(committed < finished, "B finishes after A commits: {t}");
    let nothing = b.wait().unwrap_err();
    assert!(nothing.cause().contains("nothing was submitted"), "{nothing}");
}

#[test]
fn a_lock_that_never_comes_times_out_with_a_hint() {
    let (_g, db) = lab();
    let (a, b) = (db.session("A").unwrap(), db.session("B").unwrap());
    a.begin().unwrap();
    a.execute("UPDATE account SET balance = 1 WHERE id = 1").unwrap();
    let e = b.execute("UPDATE account SET balance = 2 WHERE id = 1").unwrap_err();
    assert!(e.cause().contains("Lock wait timeout"), "{e}");
    assert!(e.to_string().contains("submit"), "the hint names submit: {e}");
    a.rollback().unwrap();
    let accounts = db.query("SELECT balance FROM account WHERE id = 1").unwrap();
    assert_eq!(number(&accounts, "balance"), 100);
}

#[test]
fn isolation_levels_allow_what_the_standard_says() {
    let (_g, db) = lab();
    let (a, b) = (db.session("A").unwrap(), db.session("B").unwrap());
    let alice = "SELECT balance FROM account WHERE owner = 'alice'";
    // Dirty read at READ UNCOMMITTED, none at READ COMMITTED.
    b.isolation("read uncommitted").unwrap();
    a.begin().unwrap();
    a.execute("UPDATE account SET balance = balance - 100 WHERE owner = 'alice'").unwrap();
    let views = Session::views(&[&a, &b], alice).unwrap();
    assert_eq!(texts(&views, "session"), ["A", "B"]);
    assert_eq!(number(&views.slice(1, 1), "balance"), 0, "B reads A's uncommitted change: {views}");
    b.isolation("READ COMMITTED").unwrap();
    assert_eq!(number(&b.query(alice).unwrap(), "balance"), 100);
    a.rollback().unwrap();
    // Non-repeatable read at READ COMMITTED; a stable snapshot at REPEATABLE READ.
    for level in ["READ COMMITTED", "REPEATABLE READ"] {
        b.isolation(level).unwrap();
        b.begin().unwrap();
        let first = number(&b.query(alice).unwrap(), "balance");
        a.execute("UPDATE account SET balance = balance + 25 WHERE owner = 'alice'").unwrap();
        let again = number(&b.query(alice).unwrap(), "balance");
        b.commit().unwrap();
        if level == "READ COMMITTED" {
            assert_eq!((first, again), (100, 125), "{level} sees A's commit in the middle");
        } else {
            assert_eq!(first, again, "{level} reads the same twice");
        }
    }
}

#[test]
fn bad_session_input_is_refused_with_the_fix() {
    let (_g, db) = lab();
    let e = db.session("").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Input);
    let s = db.session("A").unwrap();
    let e = s.isolation("READ SOMETIMES").unwrap_err();
    assert!(e.to_string().contains("REPEATABLE READ"), "the hint lists the levels: {e}");
    let e = s.query("SELEC 1").unwrap_err();
    assert!(e.cause().contains("SQL syntax"), "{e}");
    assert!(!format!("{s} {s:?}").contains(common::env().mysql().unwrap().password.expose()));
    let e = acid::restock(&Db::connect_mysql(&common::env()).unwrap()).unwrap_err();
    assert!(e.to_string().contains("acid::setup"), "{e}");
}

#[test]
fn postgres_sessions_interleave_too() {
    let pg = Db::connect_postgres(&common::env()).unwrap();
    pg.execute("DROP TABLE IF EXISTS acid_session_test; CREATE TABLE acid_session_test (id int PRIMARY KEY, n int)")
        .unwrap();
    pg.execute("INSERT INTO acid_session_test VALUES (1, 10)").unwrap();
    let (a, b) = (pg.session("A").unwrap(), pg.session("B").unwrap());
    b.isolation("READ COMMITTED").unwrap();
    b.begin().unwrap();
    let read = "SELECT n FROM acid_session_test WHERE id = 1";
    assert_eq!(number(&b.query(read).unwrap(), "n"), 10);
    a.begin().unwrap();
    a.execute("UPDATE acid_session_test SET n = 11 WHERE id = 1").unwrap();
    b.submit("UPDATE acid_session_test SET n = n + 1 WHERE id = 1").unwrap();
    assert!(b.busy());
    a.commit().unwrap();
    assert_eq!(number(&b.wait().unwrap(), "rows_affected"), 1);
    b.commit().unwrap();
    assert_eq!(number(&pg.query(read).unwrap(), "n"), 12, "no update lost");
    pg.execute("DROP TABLE acid_session_test").unwrap();
}

#[test]
fn the_checks_pass_the_solutions_and_explain_wrong_answers() {
    use sourcelab::check;
    let (_g, db) = lab();
    // Exercise 1: half a transfer is not a transfer.
    db.execute("UPDATE account SET balance = balance - 30 WHERE owner = 'alice'").unwrap();
    assert!(check::lab5_ex1(&db).unwrap_err().to_string().contains("alice 70 and bob 80"));
    db.execute("UPDATE account SET balance = balance + 30 WHERE owner = 'bob'").unwrap();
    check::lab5_ex1(&db).unwrap();
    // Exercise 2.
    assert!(check::lab5_ex2(&db).is_err(), "no rule yet");
    assert_eq!(number(&db.query("SELECT COUNT(*) AS n FROM purchase").unwrap(), "n"), 0, "the check left nothing");
    db.execute("ALTER TABLE purchase ADD CONSTRAINT quantity_positive CHECK (quantity >= 1)").unwrap();
    check::lab5_ex2(&db).unwrap();
    // Exercise 3: a plain read loses an update.
    let lost = check::lab5_ex3(&db, "SELECT stock FROM product WHERE id = 2").unwrap_err();
    assert!(lost.to_string().contains("stock 9"), "{lost}");
    check::lab5_ex3(&db, "SELECT stock FROM product WHERE id = 2 FOR UPDATE").unwrap();
    // Exercise 4: without the guard the second buyer hits the CHECK instead of getting 0 rows.
    let unguarded = check::lab5_ex4(&db, "UPDATE product SET stock = stock - 1 WHERE id = 3").unwrap_err();
    assert!(unguarded.to_string().contains("stock_not_negative"), "{unguarded}");
    check::lab5_ex4(&db, "UPDATE product SET stock = stock - 1 WHERE id = 3 AND stock > 0").unwrap();
    // Exercise 5.
    let c = db.session("C").unwrap();
    c.isolation("READ COMMITTED").unwrap();
    assert!(check::lab5_ex5(&c).is_err());
    c.isolation("REPEATABLE READ").unwrap();
    check::lab5_ex5(&c).unwrap();
}

#[test]
fn a_cancelled_dynamodb_transaction_names_each_actions_reason_and_writes_nothing() {
    let (_g, _db) = lab();
    let env = common::env();
    let ddb = Dynamo::connect(&env).unwrap();
    ddb.delete_tables_starting_with(acid::DYNAMO_PREFIX).unwrap();
    ddb.create_table(&TableSpec::new(acid::DYNAMO_TABLE).hash("owner", "S")).unwrap();
    for (owner, balance) in [("alice", "100"), ("bob", "50")] {
        let item = json!({"owner": {"S": owner}, "balance": {"N": balance}});
        ddb.put_item(acid::DYNAMO_TABLE, &item, &json!({})).unwrap();
    }
    let update = |owner: &str, sign: &str, amount: &str, guarded: bool| {
        let mut u = json!({"TableName": acid::DYNAMO_TABLE, "Key": {"owner": {"S": owner}},
            "UpdateExpression": format!("SET balance = balance {sign} :amount"),
            "ExpressionAttributeValues": {":amount": {"N": amount}}});
        if guarded {
            u["ConditionExpression"] = json!("balance >= :amount");
        }
        json!({"Update": u})
    };
    let too_much = json!([update("alice", "+", "120", false), update("bob", "-", "120", true)]);
    let e = ddb.transact_write(&too_much, "acid-test-too-much").unwrap_err();
    let text = e.to_string();
    assert!(text.contains("[0] Update on acid-accounts: None"), "{text}");
    assert!(text.contains("[1] Update on acid-accounts: ConditionalCheckFailed"), "{text}");
    assert!(text.contains("nothing of the transaction was written"), "{text}");
    assert!(sourcelab::check::lab5_ex6(&ddb).is_err(), "balances unchanged");
    let move_30 = json!([update("alice", "-", "30", true), update("bob", "+", "30", false)]);
    ddb.transact_write(&move_30, "acid-test-move-30").unwrap();
    sourcelab::check::lab5_ex6(&ddb).unwrap();
}

#[test]
fn reset_removes_the_database_and_the_tables_and_says_so() {
    let (_g, _db) = lab();
    let env = common::env();
    let ddb = Dynamo::connect(&env).unwrap();
    if !ddb.list_tables().unwrap().iter().any(|t| t == acid::DYNAMO_TABLE) {
        ddb.create_table(&TableSpec::new(acid::DYNAMO_TABLE).hash("owner", "S")).unwrap();
    }
    let removed = acid::reset(&env).unwrap();
    assert!(removed.contains(&"MariaDB database acid".to_string()), "{removed:?}");
    let table = format!("DynamoDB table {} (", acid::DYNAMO_TABLE);
    assert!(removed.iter().any(|r| r.starts_with(&table)), "{removed:?}");
    assert_eq!(acid::reset(&env).unwrap(), Vec::<String>::new(), "nothing left the second time");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sourcelab"))
        .args(["reset", "acid"])
        .env("SOURCELAB_HOME", common::stack().home())
        .env("SOURCELAB_ENV_FILE", common::stack().local_env_path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to remove"));
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_sourcelab")).args(["reset", "lab99"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("5 (acid)"));
}
