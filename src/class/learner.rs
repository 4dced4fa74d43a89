//! What the hub runs, as the learner, when it starts a learner's server: their own local stack, then JupyterLab.
//!
//! Each learner has a stack of their own (MariaDB, PostgreSQL, the two motos, started from `~/sourcelab` with
//! passwords only they can read): lab 5 crashes *their* MariaDB, lab 4 changes *their* PostgreSQL password, and
//! no service of theirs is shared. The stack lives as long as the server: when the hub (or its idle culler) stops
//! the server, the stack is stopped too and gives its memory back; the data folders stay, so logging in again
//! brings back the same tables and logins (moto, which keeps everything in memory, starts empty).

use std::ffi::OsString;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::local::Stack;

/// How long JupyterLab gets to finish after the hub asked the server to stop.
const STOP_GRACE: Duration = Duration::from_secs(20);

/// `sourcelab class learner-server ARGS…`: starts the learner's stack, runs `jupyterhub-singleuser ARGS…` until
/// it ends or the hub stops it, then stops the stack. Returns JupyterLab's exit code.
pub fn serve(args: &[OsString]) -> Result<i32> {
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
