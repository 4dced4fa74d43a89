//! A class on this machine: learners as system users, a real JupyterHub (with its npm proxy) serving them, logins
//! through the hub's own login form, isolation between learners, the idle culler, and the instructor's status.
//! Needs root (it creates system users), as a class server does; the learners it makes are removed at the end.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use sourcelab::class::hub::{HubOptions, Login};
use sourcelab::class::{Class, LABS_FOLDER};

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
fn a_class_of_learners_logs_in_through_a_real_hub_each_in_their_own_account() {
    assert!(sourcelab::local::process::is_root(), "a class creates system users: run the tests as root, as CI does");
    let dir = tempfile::tempdir().unwrap();
    let class = Class::at(dir.path().join("class"));
    let tag = std::process::id() % 100_000;
    let (ann, ben) = (format!("slt{tag}-ann"), format!("slt{tag}-ben"));
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"));

    // Bad names change nothing: the whole list is checked first.
    let e = class.add(&[ann.clone(), "Ben".into()], checkout).unwrap_err().to_string();
    assert!(e.contains("`Ben`") && e.contains("not a valid user name") && e.contains("hint:"), "{e}");
    let e = class.add(&["root".into()], checkout).unwrap_err().to_string();
    assert!(e.contains("a system user of that name exists") && e.contains("another name"), "{e}");
    assert!(class.learners().unwrap().is_empty());

    let added = class.add(&[ann.clone(), ben.clone()], checkout).unwrap();
    let result = std::panic::catch_unwind(|| {
        let [a, b] = [&added[0], &added[1]];
        let e = class.add(std::slice::from_ref(&ann), checkout).unwrap_err().to_string();
        assert!(e.contains("already in this class"), "{e}");
        // Private homes with the labs, owned by each learner; one cannot read the other's.
        for l in [a, b] {
            let meta = std::fs::metadata(&l.home).unwrap();
            assert_eq!((meta.uid(), meta.mode() & 0o777), (l.uid, 0o700), "{}", l.home.display());
            let start = l.home.join(LABS_FOLDER).join("notebooks/00_start_here.ipynb");
            assert_eq!(std::fs::metadata(&start).unwrap().uid(), l.uid);
            assert!(l.home.join(LABS_FOLDER).join("notebooks/01_sql.ipynb").is_file());
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
        };
        let e = class.up(&options(taken_port, 3600)).unwrap_err().to_string();
        assert!(e.contains(&format!("port {taken_port} is already taken")) && e.contains("--port"), "{e}");
        drop(taken);

        // The hub, with the idle culler at 20 s.
        let port = sourcelab::local::process::free_port(None).unwrap();
        let hub = class.up(&options(port, 20)).unwrap();
        let base = hub.url.clone();
        // First login sets the password; a wrong one is refused afterwards; someone off the roster is refused.
        let first = learner_client(&class, &["login", &base, &ann, "ann-secret-1"]);
        assert_eq!(first["ok"], true, "{first}");
        let wrong = learner_client(&class, &["login", &base, &ann, "not-her-password"]);
        assert_eq!(wrong["ok"], false, "{wrong}");
        let stranger = learner_client(&class, &["login", &base, "slt-nobody", "whatever-123"]);
        assert_eq!(stranger["ok"], false, "{stranger}");
        let ann_token =
            learner_client(&class, &["login", &base, &ann, "ann-secret-1"])["token"].as_str().unwrap().to_string();
        let ben_token =
            learner_client(&class, &["login", &base, &ben, "ben-secret-2"])["token"].as_str().unwrap().to_string();

        // Each server runs as its learner's own user.
        for (l, token) in [(a, &ann_token), (b, &ben_token)] {
            let up = learner_client(&class, &["spawn", &base, &l.name, token]);
            assert_eq!(up["ok"], true, "{up}");
            let pids = servers_of(l.uid);
            assert_eq!(pids.len(), 1, "{}'s server processes: {pids:?}", l.name);
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

        // The instructor sees both, with their memory.
        let seats = class.status().unwrap();
        assert_eq!(seats.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), [ann.as_str(), ben.as_str()]);
        assert!(seats.iter().all(|s| s.running && s.memory_mib > 10 && s.last_activity.is_some()), "{seats:?}");

        // Idle servers are stopped; the files stay; logging in again brings the server back.
        wait_for("the idle culler stops both servers", Duration::from_secs(120), || {
            servers_of(a.uid).is_empty() && servers_of(b.uid).is_empty()
        });
        assert!(class.status().unwrap().iter().all(|s| !s.running));
        assert!(a.home.join(LABS_FOLDER).join("notebooks/00_start_here.ipynb").is_file());
        let again = learner_client(&class, &["login", &base, &ann, "ann-secret-1"]);
        let back = learner_client(&class, &["spawn", &base, &ann, again["token"].as_str().unwrap()]);
        assert_eq!(back["ok"], true, "{back}");
        assert_eq!(servers_of(a.uid).len(), 1);

        // Down stops the hub and every server; homes stay.
        let stopped = class.down().unwrap().expect("the hub was running");
        assert_eq!(stopped.pid, hub.pid);
        wait_for("the learners' servers stop with the hub", Duration::from_secs(30), || servers_of(a.uid).is_empty());
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
