//! What the hub runs, as the learner, when it starts a learner's server: their own local stack, then JupyterLab.
//!
//! Each learner has a stack of their own (MariaDB, PostgreSQL, the two motos, started from `~/sourcelab` with
//! passwords only they can read): lab 5 crashes *their* MariaDB, lab 4 changes *their* PostgreSQL password, and
//! no service of theirs is shared. The stack lives as long as the server: when the hub (or its idle culler) stops
//! the server, the stack is stopped too and gives its memory back; the data folders stay, so logging in again
//! brings back the same tables and logins (moto, which keeps everything in memory, starts empty).
//!
//! The same command starts a learner's pod on Kubernetes (see [`super::image`]): there the class folder is in the
//! image, the environment is set here rather than by the hub, and the labs are copied into the learner's home
//! (their own volume) at the first start — and a newer image's labs at a later one, beside work they changed.

use std::ffi::OsString;
use std::time::Duration;

use std::os::unix::process::CommandExt;

use super::{Class, LABS_FOLDER, Learner};
use crate::error::{Error, ErrorKind, Result};
use crate::local::Stack;

/// How long JupyterLab gets to finish after the hub asked the server to stop.
const STOP_GRACE: Duration = Duration::from_secs(20);

/// How long a learner's server may take to stop: JupyterLab's grace, then their stack (MariaDB flushing,
/// PostgreSQL's fast shutdown, the two motos). The hub (or Kubernetes) must wait this long before killing it.
pub const STOP_TIME: Duration = Duration::from_secs(STOP_GRACE.as_secs() + 40);

/// `sourcelab class learner-server ARGS…`: starts the learner's stack, runs `jupyterhub-singleuser ARGS…` until
/// it ends or the hub stops it, then stops the stack. Returns JupyterLab's exit code.
pub fn serve(args: &[OsString]) -> Result<i32> {
    let class = Class::new();
    let wanted = wanted_env(&class);
    if wanted.iter().any(|(k, v)| std::env::var_os(k).as_deref() != Some(std::ffi::OsStr::new(v))) {
        // Started without the class's environment (in a pod): run again with it, so that everything this process
        // starts — the stack, JupyterLab, the kernels — sees the same environment as on a class server.
        let exe = crate::local::process::sourcelab_bin()?;
        let e = std::process::Command::new(&exe).args(["class", "learner-server", "--"]).args(args).envs(wanted).exec();
        return Err(Error::new(ErrorKind::Setup, "start the learner's server", e.to_string()));
    }
    if class.image_labs().is_dir() {
        let me = Learner::me()?;
        if let Err(e) = class.copy_labs(&class.image_labs(), &me) {
            eprintln!("sourcelab: copying the labs into {}: {e}", me.home.display());
        }
    }
    let stack = Stack::new();
    match stack.up() {
        Ok(rows) => {
            for row in rows {
                eprintln!("sourcelab: {row}");
            }
        }
        // JupyterLab still starts: 00_start_here shows the learner what is wrong, and the hub log has this line.
        Err(e) => eprintln!("sourcelab: the learner's stack did not start: {e}"),
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorKind::Setup, "start the learner's server", e.to_string()))?;
    let code = runtime.block_on(run_lab(args));
    if let Err(e) = stack.down() {
        eprintln!("sourcelab: stopping the learner's stack: {e}");
    }
    code
}

async fn run_lab(args: &[OsString]) -> Result<i32> {
    use tokio::signal::unix::{SignalKind, signal};
    let what = "start JupyterLab for the learner (jupyterhub-singleuser)";
    let mut lab = tokio::process::Command::new("jupyterhub-singleuser")
        .args(args)
        .spawn()
        .map_err(|e| Error::new(ErrorKind::Setup, what, e.to_string()).hint("is the class's venv on PATH?"))?;
    let signal_error = |e: std::io::Error| Error::new(ErrorKind::Setup, what, e.to_string());
    let mut term = signal(SignalKind::terminate()).map_err(signal_error)?;
    let mut int = signal(SignalKind::interrupt()).map_err(signal_error)?;
    let status = tokio::select! {
        status = lab.wait() => status,
        _ = term.recv() => stop(&mut lab).await,
        _ = int.recv() => stop(&mut lab).await,
    };
    let status = status.map_err(|e| Error::new(ErrorKind::Setup, what, e.to_string()))?;
    Ok(status.code().unwrap_or(0))
}

/// Passes the stop on to JupyterLab and waits for it (killing it after [`STOP_GRACE`]).
async fn stop(lab: &mut tokio::process::Child) -> std::io::Result<std::process::ExitStatus> {
    if let Some(pid) = lab.id().and_then(|p| rustix::process::Pid::from_raw(p as i32)) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
    match tokio::time::timeout(STOP_GRACE, lab.wait()).await {
        Ok(status) => status,
        Err(_) => {
            lab.kill().await?;
            lab.wait().await
        }
    }
}

/// The environment a learner's server runs with: the class's, and their labs folder as `SOURCELAB_HOME` (kept when
/// the hub set it).
fn wanted_env(class: &Class) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = class.learner_env().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    if std::env::var_os("SOURCELAB_HOME").is_none_or(|h| h.is_empty()) {
        let home = std::env::var("HOME").unwrap_or_default();
        env.push(("SOURCELAB_HOME".into(), format!("{home}/{LABS_FOLDER}")));
    }
    env
}
