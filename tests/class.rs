//! A class on this machine: five learners as system users, a real JupyterHub (with its npm proxy) serving them,
//! logins through the hub's own login form, each learner running 00_start_here and lab 1 in "Rust (sourcelab)"
//! through the hub's websockets against their own stack, isolation between learners (files, databases, buckets,
//! queues), releases that keep a learner's work, one learner's reset, the idle culler, and the instructor's status.
//! Needs root (it creates system users), as a class server does; the learners it makes are removed at the end.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use sourcelab::class::hub::{HubOptions, Login};
use sourcelab::class::{Class, Delivered, LABS_FOLDER};
use sourcelab::config::EnvFile;
use sourcelab::course::grade::Outcome;

/// Runs tests/hub_learner.py with the class venv's Python; its one JSON line.
fn learner_client(class: &Class, args: &[&str]) -> Value {
    let out = Command::new(class.dir().join("venv/bin/python"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hub_learner.py"))
        .args(args)
        .output()
        .expect("run tests/hub_learner.py");
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!("hub_learner.py {args:?}: {e}\nstdout: {text}\nstderr: {}", String::from_utf8_lossy(&out.stderr))
    })
}

/// Starts `name`'s server through the hub and waits until it is ready; on failure, the hub's log says why.
fn spawn(class: &Class, base: &str, name: &str, token: &str) {
    let up = learner_client(class, &["spawn", base, name, token]);
    if up["ok"] != true {
        let log = std::fs::read_to_string(class.dir().join("hub.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        panic!(
            "{name}'s server did not start: {up}\nthe hub's log, last lines:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
}

/// Pids of `jupyterhub-singleuser` processes running as `uid`.
fn servers_of(uid: u32) -> Vec<u32> {
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let (Ok(meta), Ok(cmd)) = (e.metadata(), std::fs::read(e.path().join("cmdline"))) else { continue };
        if meta.uid() == uid && String::from_utf8_lossy(&cmd).contains("jupyterhub-singleuser") {
            pids.push(pid);
        }
    }
    pids
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn a_class_of_learners_works_through_a_real_hub_each_in_their_own_account() {
    assert!(sourcelab::local::process::is_root(), "a class creates system users: run the tests as root, as CI does");
    let dir = tempfile::tempdir().unwrap();
    let class = Class::at(dir.path().join("class"));
    let tag = std::process::id() % 100_000;
    let names: Vec<String> = ["ann", "ben", "cat", "dan", "eve"].iter().map(|n| format!("slt{tag}-{n}")).collect();
    let (ann, ben) = (names[0].clone(), names[1].clone());
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"));

    // Bad names change nothing: the whole list is checked first.
    let e = class.add(&[ann.clone(), "Ben".into()], checkout).unwrap_err().to_string();
    assert!(e.contains("`Ben`") && e.contains("not a valid user name") && e.contains("hint:"), "{e}");
    let e = class.add(&["root".into()], checkout).unwrap_err().to_string();
    assert!(e.contains("a system user of that name exists") && e.contains("another name"), "{e}");
    assert!(class.learners().unwrap().is_empty());
    // A class folder learners could not reach is refused, naming the folder in the way.
    let closed = tempfile::tempdir().unwrap();
    std::fs::set_permissions(closed.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let e = Class::at(closed.path().join("class")).add(std::slice::from_ref(&ann), checkout).unwrap_err().to_string();
    assert!(e.contains("which other users cannot enter") && e.contains("chmod o+x"), "{e}");
    assert!(sourcelab::class::Class::at(closed.path().join("class")).learners().unwrap().is_empty());

    // A full disk: the learner being added is taken back (no user, not on the roster) and the error names the fix.
    let full = tempfile::tempdir().unwrap();
    let mount = |args: &[&str]| assert!(Command::new(args[0]).args(&args[1..]).status().unwrap().success(), "{args:?}");
    let full_dir = full.path().to_str().unwrap();
    mount(&["mount", "-t", "tmpfs", "-o", "size=256k,mode=755", "tmpfs", full_dir]);
    std::fs::create_dir(full.path().join("class")).unwrap();
    let _ = std::fs::write(full.path().join("filler"), vec![0u8; 512 * 1024]); // fails when the disk is full
    let e = Class::at(full.path().join("class")).add(std::slice::from_ref(&ann), checkout).map(|_| ()).unwrap_err();
    let on_roster = Class::at(full.path().join("class")).learners().map(|l| l.len());
    mount(&["umount", full_dir]);
    let e = e.to_string();
    assert!(e.contains("No space left on device") && e.contains("the disk is full") && e.contains("df -h"), "{e}");
    assert_eq!(on_roster.unwrap(), 0);
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    assert!(!passwd.lines().any(|l| l.starts_with(&format!("{ann}:"))), "{ann}'s half-made user stayed");

    let added = class.add(&names, checkout).unwrap();
    let result = std::panic::catch_unwind(|| {
        let (a, b) = (&added[0], &added[1]);
        let e = class.add(std::slice::from_ref(&ann), checkout).unwrap_err().to_string();
        assert!(e.contains("already in this class"), "{e}");
        // Private homes with the labs, owned by each learner; one cannot read the other's.
        for l in &added {
            let meta = std::fs::metadata(&l.home).unwrap();
            assert_eq!((meta.uid(), meta.mode() & 0o777), (l.uid, 0o700), "{}", l.home.display());
            let start = l.home.join(LABS_FOLDER).join("notebooks/00_start_here.ipynb");
            assert_eq!(std::fs::metadata(&start).unwrap().uid(), l.uid);
            assert!(l.home.join(LABS_FOLDER).join("notebooks/01_sql.ipynb").is_file());
            assert!(l.home.join(LABS_FOLDER).join("data/dynamodb").is_dir());
        }
        let peek = Command::new("runuser")
            .args(["-u", &ann, "--", "cat"])
            .arg(b.home.join(LABS_FOLDER).join("notebooks/00_start_here.ipynb"))
            .output()
            .unwrap();
        assert!(!peek.status.success(), "{ann} read {ben}'s notebook");
        assert!(String::from_utf8_lossy(&peek.stderr).contains("Permission denied"));

        // A port in use is named.
        let taken = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
        let taken_port = taken.local_addr().unwrap().port();
        let options = |port, idle| HubOptions {
            ip: "127.0.0.1".into(),
            port,
            login: Login::FirstLogin,
            idle_limit: Duration::from_secs(idle),
            instructors: vec![names[4].clone()],
        };
        let e = class.up(&options(taken_port, 3600)).unwrap_err().to_string();
        assert!(e.contains(&format!("port {taken_port} is already taken")) && e.contains("--port"), "{e}");
        drop(taken);
        let stranger_instructor = HubOptions { instructors: vec!["slt-nobody".into()], ..options(taken_port, 3600) };
        let e = class.up(&stranger_instructor).unwrap_err().to_string();
        assert!(e.contains("`slt-nobody`") && e.contains("not in this class") && e.contains("class add"), "{e}");

        let port = sourcelab::local::process::free_port(None).unwrap();
        let hub = class.up(&options(port, 3600)).unwrap();
        let base = hub.url.clone();
        // First login sets the password; a wrong one is refused afterwards; someone off the roster is refused.
        let first = learner_client(&class, &["login", &base, &ann, "ann-secret-1"]);
        assert_eq!(first["ok"], true, "{first}");
        let wrong = learner_client(&class, &["login", &base, &ann, "not-her-password"]);
        assert_eq!(wrong["ok"], false, "{wrong}");
        let stranger = learner_client(&class, &["login", &base, "slt-nobody", "whatever-123"]);
        assert_eq!(stranger["ok"], false, "{stranger}");
        let tokens: Vec<String> = names
            .iter()
            .map(|n| {
                let password = if *n == ann { "ann-secret-1".to_string() } else { format!("{n}-password") };
                let out = learner_client(&class, &["login", &base, n, &password]);
                out["token"].as_str().unwrap_or_else(|| panic!("{n}: {out}")).to_string()
            })
            .collect();
        let ann_token =
            learner_client(&class, &["login", &base, &ann, "ann-secret-1"])["token"].as_str().unwrap().to_string();

        // Releases: the solved lab 1 reaches everyone; a learner who worked in her copy keeps it.
        let released = class.release("1", true, checkout).unwrap();
        assert!(released.iter().all(|(_, d)| *d == Delivered::New), "{released:?}");
        let ann_copy = a.home.join(LABS_FOLDER).join("notebooks/01_sql.ipynb");
        let mut worked = std::fs::read_to_string(&ann_copy).unwrap();
        worked.push('\n');
        std::fs::write(&ann_copy, &worked).unwrap();
        let again = class.release("sql", false, checkout).unwrap();
        assert!(matches!(&again[0].1, Delivered::Beside(p) if p.ends_with("01_sql (new version).ipynb")), "{again:?}");
        assert!(again[1..].iter().all(|(_, d)| *d == Delivered::Unchanged), "{again:?}");
        assert_eq!(std::fs::read_to_string(&ann_copy).unwrap(), worked);
        assert!(class.release("99", false, checkout).unwrap_err().to_string().contains("no such lab"));

        // Lab 1 graded across the class, each notebook as its learner against their own stack (started for it):
        // Ben solved it (his copy is the solution), the others handed in the learner copy as given.
        let solved = std::fs::read(checkout.join("notebooks/01_sql.ipynb")).unwrap();
        std::fs::write(b.home.join(LABS_FOLDER).join("notebooks/01_sql.ipynb"), solved).unwrap();
        let out = dir.path().join("grades");
        let book = class.grade("1", &out, Duration::from_secs(600), 3).unwrap();
        assert!(book.all_ran(), "{book}");
        assert_eq!(book.runs.len(), 5, "{book}");
        let exercises = book.grades.iter().filter(|g| g.learner == ben).count();
        assert!(exercises > 0 && book.count(&ben, &Outcome::Passed) == exercises, "{book}");
        // The others handed in the learner copy: only what it gives solved passes, the same marks for each.
        let marks =
            |n: &str| book.grades.iter().filter(|g| g.learner == n).map(|g| g.outcome.clone()).collect::<Vec<_>>();
        for other in names.iter().filter(|n| **n != ben) {
            assert!(book.count(other, &Outcome::Passed) < exercises, "{other}: {book}");
            assert!(book.count(other, &Outcome::NotAttempted) > exercises / 2, "{other}: {book}");
            assert_eq!(marks(other), marks(&ann), "{book}");
        }
        let csv = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
        assert_eq!(csv.lines().count(), 1 + 5 * exercises, "{csv}");
        assert!(out.join("gradebook.html").is_file());

        // Every learner at once: their server (as their own user), then 00_start_here and lab 1 in the Rust kernel.
        let runs: Vec<(String, Value, Value)> = std::thread::scope(|scope| {
            let handles: Vec<_> = names
                .iter()
                .zip(&tokens)
                .map(|(n, t)| {
                    let (class, base) = (&class, &base);
                    scope.spawn(move || {
                        spawn(class, base, n, t);
                        let start =
                            learner_client(class, &["run", base, n, t, "notebooks/00_start_here.ipynb", "sourcelab"]);
                        let sql =
                            learner_client(class, &["run", base, n, t, "notebooks/01_sql.solution.ipynb", "sourcelab"]);
                        (n.clone(), start, sql)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for ((name, start, sql), l) in runs.iter().zip(&added) {
            for (nb, run, cells) in [("00_start_here", start, 8), ("01_sql", sql, 36)] {
                let done = run["cells"].as_array().unwrap();
                let failed: Vec<&Value> = done.iter().filter(|c| c["status"] != "ok").collect();
                assert!(
                    failed.is_empty() && done.len() == cells,
                    "{name} {nb}: {} cells, failed {failed:?}",
                    done.len()
                );
            }
            let text = |run: &Value| {
                run["cells"].as_array().unwrap().iter().map(|c| c["text"].as_str().unwrap_or("")).collect::<String>()
            };
            let own_env = l.home.join(LABS_FOLDER).join(".env");
            assert!(
                text(start).contains(&own_env.display().to_string()),
                "{name} uses another env file: {}",
                text(start)
            );
            assert!(
                text(start).contains("MariaDB") && text(sql).contains("ZERO ZEPHYR") && text(sql).contains("actor")
            );
            assert_eq!(servers_of(l.uid).len(), 1, "{name}");
        }

        // Isolation of the source systems: Ann's logins and keys open nothing of Ben's; Ben's things stay as they were.
        let env_of = |l: &sourcelab::class::Learner| l.home.join(LABS_FOLDER).join(".env");
        let (ann_env, ben_env) = (env_of(a).display().to_string(), env_of(b).display().to_string());
        let put = learner_client(&class, &["aws", &ben_env, &ben_env, "put", "ben-private"]);
        assert_eq!(put["ok"], true, "{put}");
        for (op, refused) in [
            ("buckets", "InvalidAccessKeyId"),
            ("get", "InvalidAccessKeyId"),
            ("delete", "InvalidAccessKeyId"),
            ("queues", "UnrecognizedClientException"),
        ] {
            let tried = learner_client(&class, &["aws", &ann_env, &ben_env, op, "ben-private"]);
            assert_eq!((&tried["ok"], tried["error"].as_str()), (&Value::Bool(false), Some(refused)), "{op}: {tried}");
        }
        let bens = learner_client(&class, &["aws", &ben_env, &ben_env, "buckets", "-"]);
        assert_eq!(bens["buckets"], serde_json::json!(["ben-private"]), "{bens}");
        assert_eq!(learner_client(&class, &["aws", &ben_env, &ben_env, "get", "ben-private"])["ok"], true);
        let (ann_cfg, ben_cfg) = (EnvFile::load(env_of(a)).unwrap(), EnvFile::load(env_of(b)).unwrap());
        for (mine, theirs) in [
            (ann_cfg.mysql().unwrap(), ben_cfg.mysql().unwrap()),
            (ann_cfg.postgres().unwrap(), ben_cfg.postgres().unwrap()),
        ] {
            let mut cfg = mine.clone();
            cfg.port = theirs.port;
            let e = sourcelab::sql::Db::connect(&cfg).expect_err("Ann logged in to Ben's database").to_string();
            assert!(!e.contains(mine.password.expose()), "a password leaked: {e}");
            assert!(sourcelab::sql::Db::connect(&theirs).is_ok(), "Ben's own login");
        }
        // Ann reaches her files (the server's root is her labs folder) and not Ben's, through the hub.
        let own =
            learner_client(&class, &["get", &base, &ann, &ann_token, &format!("/user/{ann}/api/contents/notebooks")]);
        assert_eq!(own["status"], 200, "{own}");
        let other =
            learner_client(&class, &["get", &base, &ann, &ann_token, &format!("/user/{ben}/api/contents/notebooks")]);
        assert_eq!(other["status"], 403, "{other}");
        let admin = learner_client(&class, &["get", &base, &ann, &ann_token, "/hub/api/users"]);
        assert_eq!(admin["status"], 403, "{admin}");
        // The instructor (Eve's account here) sees the class and opens a learner's server to help.
        let (eve, eve_token) = (&names[4], &tokens[4]);
        let admin = learner_client(&class, &["get", &base, eve, eve_token, "/hub/api/users"]);
        assert_eq!(admin["status"], 200, "{admin}");
        let help =
            learner_client(&class, &["get", &base, eve, eve_token, &format!("/user/{ann}/api/contents/notebooks")]);
        assert_eq!(help["status"], 200, "{help}");

        // One learner's lab reset touches only that learner: lab 3 removes Ann's lab-3 bucket, not Ben's.
        for env in [&ann_env, &ben_env] {
            let made = learner_client(&class, &["aws", env, env, "put", "de-c2w1lab3-mine"]);
            assert_eq!(made["ok"], true, "{made}");
        }
        let said = class.reset(&ann, "3").unwrap();
        assert!(said.contains("de-c2w1lab3-mine"), "{said}");
        let left = |env: &str| learner_client(&class, &["aws", env, env, "buckets", "-"])["buckets"].clone();
        let has = |env: &str| left(env).as_array().unwrap().iter().any(|b| b == "de-c2w1lab3-mine");
        assert!(!has(&ann_env) && has(&ben_env), "Ann's: {}, Ben's: {}", left(&ann_env), left(&ben_env));

        // The instructor sees everyone, with their memory.
        let seats = class.status().unwrap();
        assert_eq!(seats.iter().map(|s| s.name.clone()).collect::<Vec<_>>(), names);
        assert!(seats.iter().all(|s| s.running && s.memory_mib > 100 && s.last_activity.is_some()), "{seats:?}");

        // Idle servers are stopped, stacks with them; the files stay; logging in again brings the server back.
        let hub = class.up(&HubOptions { instructors: Vec::new(), ..options(port, 20) }).unwrap(); // and no instructor
        let back = learner_client(&class, &["login", &base, &ann, "ann-secret-1"]);
        spawn(&class, &base, &ann, back["token"].as_str().unwrap());
        wait_for("the idle culler stops Ann's server", Duration::from_secs(120), || servers_of(a.uid).is_empty());
        wait_for("her stack stops with it", Duration::from_secs(60), || sourcelab::class::hub::memory_of(a) == 0);
        assert!(a.home.join(LABS_FOLDER).join("notebooks/00_start_here.ipynb").is_file());
        let again = learner_client(&class, &["login", &base, &ann, "ann-secret-1"]);
        spawn(&class, &base, &ann, again["token"].as_str().unwrap());
        assert_eq!(servers_of(a.uid).len(), 1);

        // Down stops the hub and every server; homes stay.
        let stopped = class.down().unwrap().expect("the hub was running");
        assert_eq!(stopped.pid, hub.pid);
        wait_for("the learners' servers stop with the hub", Duration::from_secs(60), || {
            added.iter().all(|l| sourcelab::class::hub::memory_of(l) == 0)
        });
        assert!(class.hub().unwrap().is_none());
        assert!(a.home.join(LABS_FOLDER).is_dir());
    });
    let _ = class.down();
    for l in &added {
        let _ = class.remove(&l.name);
        let _ = std::fs::remove_dir_all(&l.home);
    }
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
