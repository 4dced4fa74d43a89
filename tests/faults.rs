//! A service of the local stack killed in the middle of a session, as a crash or the kernel's OOM killer would:
//! the next call says which service is down and that `sourcelab up` starts it again; after `up`, the very same
//! clients and pools work — a notebook's kernel need not restart. Only processes our stack started are killed,
//! by pid. One test in this binary: nothing else runs while the services are down.

mod common;

use std::time::Duration;

use sourcelab::s3::S3;
use sourcelab::sql::Db;

fn pid_of(name: &str) -> u32 {
    let rows = common::stack().status().unwrap();
    let row = rows.into_iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no {name} in the status"));
    row.pid.unwrap_or_else(|| panic!("{name} was not started by our stack"))
}

fn kill(name: &str) {
    let pid = pid_of(name);
    sourcelab::local::process::stop(pid, rustix::process::Signal::KILL, Duration::from_secs(20)).unwrap();
}

#[test]
fn a_killed_service_is_named_with_the_fix_and_up_brings_it_back_under_the_same_clients() {
    let stack = common::stack();
    let env = common::env();
    let s3 = S3::connect(&env).unwrap();
    let mariadb = Db::connect_mysql(&env).unwrap();
    let postgres = Db::connect_postgres(&env).unwrap();
    s3.list_buckets().unwrap();
    mariadb.query("SELECT 1 AS one").unwrap();
    postgres.query("SELECT 1 AS one").unwrap();

    for name in ["moto", "mariadb", "postgres"] {
        kill(name);
    }
    let e = s3.list_buckets().unwrap_err().to_string();
    assert!(e.contains("moto") && e.contains("sourcelab up"), "S3 with moto down: {e}");
    for (db, engine) in [(&mariadb, "MariaDB"), (&postgres, "PostgreSQL")] {
        let e = db.query("SELECT 1 AS one").unwrap_err().to_string();
        assert!(e.contains(engine) && e.contains("sourcelab up"), "{engine} down: {e}");
    }
    let rows = stack.status().unwrap();
    assert!(rows.iter().filter(|r| ["moto", "mariadb", "postgres"].contains(&r.name)).all(|r| !r.healthy), "{rows:?}");

    // `up` starts exactly what is down; the clients made before the crash work again.
    let rows = stack.up().unwrap();
    assert!(rows.iter().all(|r| r.healthy), "{rows:?}");
    s3.list_buckets().unwrap();
    mariadb.query("SELECT COUNT(*) AS films FROM film").unwrap();
    postgres.query("SELECT 1 AS one").unwrap();
}
