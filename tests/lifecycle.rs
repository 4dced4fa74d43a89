//! A second, private stack in a temporary checkout: `up` starts it, `down` stops exactly what `up` started,
//! and a taken port is a clear error. It shares the checkout's Python venv (linked) to avoid a second pip install.

mod common;

use std::net::TcpListener;

use sourcelab::ErrorKind;
use sourcelab::local::Stack;

fn temp_stack(dir: &std::path::Path) -> Stack {
    let main = common::stack();
    let stack = Stack::at(dir);
    std::fs::create_dir_all(stack.state_dir()).unwrap();
    std::os::unix::fs::symlink(sourcelab::local::venv::dir(main), stack.state_dir().join("venv")).unwrap();
    stack
}

#[test]
fn up_down_and_a_taken_port() {
    let dir = tempfile::tempdir().unwrap();
    let stack = temp_stack(dir.path());

    // A port held by someone else: `up` must refuse with the port and a way out, not hang.
    let squatter = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = squatter.local_addr().unwrap().port();
    // SAFETY: this test binary has this one test, so no other thread reads the environment meanwhile.
    unsafe { std::env::set_var("SOURCELAB_MOTO_PORT", taken.to_string()) };
    let err = stack.up().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Setup, "{err}");
    assert!(err.to_string().contains(&format!("port {taken} is already taken")), "{err}");
    assert!(err.to_string().contains("SOURCELAB_MOTO_PORT"), "{err}");
    drop(squatter);

    // A .env of the user's own (no managed-by line) naming a MariaDB that answers: `up` uses it, starts none,
    // and leaves the file as it was.
    let main_db = common::env().mysql().unwrap();
    let own_env = format!(
        "DBHOST={}\nDBPORT={}\nDBNAME={}\nDBUSER={}\nDBPASSWORD={}\n",
        main_db.host,
        main_db.port,
        main_db.database,
        main_db.user,
        main_db.password.expose()
    );
    std::fs::write(stack.user_env_path(), &own_env).unwrap();

    let free = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let free_iam = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    unsafe { std::env::set_var("SOURCELAB_MOTO_PORT", free.to_string()) };
    unsafe { std::env::set_var("SOURCELAB_MOTO_IAM_PORT", free_iam.to_string()) };
    let rows = stack.up().unwrap();
    assert!(rows.iter().all(|r| r.healthy), "{rows:?}");
    let mariadb = rows.iter().find(|r| r.name == "mariadb").unwrap();
    assert_eq!((mariadb.pid, mariadb.endpoint.clone()), (None, main_db.endpoint()), "{mariadb}");
    assert_eq!(std::fs::read_to_string(stack.user_env_path()).unwrap(), own_env, "a user's .env was rewritten");
    let local = stack.local_env().unwrap();
    assert_eq!(local.get("AWS_ENDPOINT_URL"), Some(format!("http://127.0.0.1:{free}").as_str()));
    let pids: Vec<u32> = rows.iter().filter_map(|r| r.pid).collect();
    assert_eq!(pids.len(), 3, "both motos and PostgreSQL are ours: {rows:?}");
    assert_eq!(local.get("IAM_AWS_ENDPOINT_URL"), Some(format!("http://127.0.0.1:{free_iam}").as_str()));

    let stopped = stack.down().unwrap();
    assert_eq!(stopped.len(), 3, "{stopped:?}");
    for pid in pids {
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists() || is_zombie(pid), "pid {pid} still runs");
    }
    let after = stack.status().unwrap();
    assert!(after.iter().filter(|r| r.name != "mariadb").all(|r| !r.healthy), "{after:?}");
    // The checkout's own stack (including the MariaDB the temporary one borrowed) was not touched.
    assert!(common::stack().status().unwrap().iter().all(|r| r.healthy));
    assert!(stack.down().unwrap().is_empty(), "a second down has nothing to stop");

    // Up again: the same databases come back with the same logins (their passwords live in the state file).
    let before = stack.local_env().unwrap();
    let rows = stack.up().unwrap();
    assert!(rows.iter().all(|r| r.healthy), "{rows:?}");
    let after = stack.local_env().unwrap();
    assert_eq!(before.get("PGPASSWORD"), after.get("PGPASSWORD"));

    // A connection lost mid-session (the server went down): the error names the server and points at `up`.
    let pg_cfg = after.postgres().unwrap();
    let db = sourcelab::sql::Db::connect(&pg_cfg).unwrap();
    assert_eq!(db.query("SELECT 1 AS one").unwrap().height(), 1);
    assert_eq!(stack.down().unwrap().len(), 3);
    let err = db.query("SELECT 1 AS one").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Connect | ErrorKind::Timeout), "{err}");
    assert!(err.to_string().contains(&pg_cfg.endpoint()), "{err}");
    assert!(
        err.to_string().contains("the local PostgreSQL is down") && err.to_string().contains("sourcelab up"),
        "{err}"
    );
    // As root the PostgreSQL data folder lives outside the checkout; remove it with the temporary checkout.
    let pg = sourcelab::local::postgres::base_dir(&stack);
    if !pg.starts_with(dir.path()) {
        std::fs::remove_dir_all(pg.parent().unwrap()).unwrap();
    }
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rsplit(')').next().is_some_and(|r| r.trim_start().starts_with('Z')))
}
