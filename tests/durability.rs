//! Lab 5's crash, on its own test binary (it kills the stack's MariaDB, which the other tests use): a committed
//! row survives SIGKILL and the restart, an open transaction does not, the stack and lab 1's data come back by
//! themselves, and a server we did not start is never touched.

mod common;

use sourcelab::acid;
use sourcelab::frame::TableExt;
use sourcelab::sql::Db;

#[test]
fn a_crash_keeps_what_was_committed_and_loses_what_was_not() {
    let env = common::env();
    let db = acid::setup(&env).unwrap();
    let (a, b) = (db.session("A").unwrap(), db.session("B").unwrap());
    a.execute("INSERT INTO ledger (note) VALUES ('committed')").unwrap();
    b.begin().unwrap();
    b.execute("INSERT INTO ledger (note) VALUES ('open')").unwrap();
    let before = common::stack().status().unwrap();
    let old_pid = before.iter().find(|s| s.name == "mariadb").and_then(|s| s.pid).expect("our MariaDB");

    let crash = acid::crash(&db).unwrap();
    assert_eq!(crash.killed, old_pid);
    assert_ne!(crash.restarted, old_pid);
    assert!(!sourcelab::local::process::is_running(old_pid, "mariadbd"), "the old server is gone");
    assert!(crash.to_string().contains("SIGKILL"), "{crash}");
    let rolled_back = crash.recovery.iter().any(|l| l.contains("Rolled back recovered transaction"));
    assert!(rolled_back, "InnoDB's log shows B's open transaction rolled back: {crash}");

    // The pool reconnects by itself; only the committed row is there.
    let notes = db.query("SELECT note FROM ledger ORDER BY id").unwrap();
    assert_eq!(notes.column_values("note").unwrap(), serde_json::json!(["committed"]));
    // B's connection died with the server, and says so.
    let e = b.commit().unwrap_err();
    assert!(e.to_string().contains("connection is gone"), "{e}");
    // The rest of the stack is as it was: same port, lab 1's data, every service healthy.
    let after = common::stack().status().unwrap();
    assert!(after.iter().all(|s| s.healthy), "{after:?}");
    let films = Db::connect_mysql(&common::env()).unwrap().query("SELECT COUNT(*) AS n FROM film").unwrap();
    assert_eq!(films.value(0, "n").unwrap(), 1000);
    assert_eq!(common::env().mysql().unwrap().port, env.mysql().unwrap().port, "same port after the restart");
}

#[test]
fn a_database_the_stack_did_not_start_is_never_crashed() {
    let pg = Db::connect_postgres(&common::env()).unwrap();
    let e = acid::crash(&pg).unwrap_err();
    assert!(e.to_string().contains("only crashes the private MariaDB"), "{e}");
}
