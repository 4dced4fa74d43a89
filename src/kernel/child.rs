//! The engine process: where evcxr runs the cells.
//!
//! evcxr runs cells in a child process that is this same binary, started with `EVCXR_IS_RUNTIME` set; the
//! `sourcelab` command's `main` calls [`hook`] first, which turns such a process into evcxr's runtime (it loads
//! each compiled cell and runs it) and never returns there.
//!
//! Before that, [`hook`] puts a small watcher on the engine's standard input and output, the lines evcxr and the
//! engine exchange, and tells the kernel (over the call socket, [`super::serve`]) what only these lines show:
//!
//! - `LOAD_AND_RUN …` on the way in: the cell compiled and its code starts running now; an interrupt that finds
//!   the cell's own code still running two seconds later restarts the engine (and the earlier cells' libraries
//!   may leave memory: [`super::memory`]);
//! - `EVCXR_ERROR_OCCURRED` on the way out: the cell returned an error with `?`;
//! - `EVCXR_PANIC_NOTIFICATION`: the cell panicked.
//!
//! evcxr itself ends such cells normally (its Jupyter front answers `status: ok`, and Run All goes on); with these
//! reports the kernel answers `status: error`. Every line still reaches evcxr unchanged, in order: a report is
//! acknowledged before the line that caused it is passed on, so the kernel knows before evcxr finishes the cell.
//! These markers are evcxr's own (pinned to 0.22.0; `tests/kernel.rs` fails if they change).

use std::io::{BufRead, BufReader, Write};

use serde_json::json;

const IS_RUNTIME: &str = "EVCXR_IS_RUNTIME";
const LOAD_AND_RUN: &str = "LOAD_AND_RUN ";
const ERROR_OCCURRED: &str = "EVCXR_ERROR_OCCURRED";
const PANICKED: &str = "EVCXR_PANIC_NOTIFICATION";

/// In the engine process: watches its streams, then becomes evcxr's runtime (never returns). Anywhere else:
/// returns at once.
pub fn hook() {
    if std::env::var_os(IS_RUNTIME).is_none() {
        return;
    }
    if let Err(e) = watch_streams() {
        // Cells still run; only failures are then reported as evcxr reports them.
        eprintln!("sourcelab: the engine runs without its output watcher ({e})");
    }
    evcxr::runtime_hook();
}

/// Routes standard input and output through pipes this process reads itself.
fn watch_streams() -> std::io::Result<()> {
    use rustix::stdio;
    // Output: the runtime and the cells write to fd 1, which becomes a pipe; a thread passes each line on to the
    // real output after reporting the markers.
    let real_out = std::fs::File::from(rustix::io::dup(stdio::stdout())?);
    let (out_read, out_write) = rustix::pipe::pipe()?;
    stdio::dup2_stdout(&out_write)?;
    drop(out_write);
    // Input: evcxr's commands arrive on fd 0; a thread reads the real input and writes it into a pipe that
    // becomes fd 0.
    let real_in = std::fs::File::from(rustix::io::dup(stdio::stdin())?);
    let (in_read, in_write) = rustix::pipe::pipe()?;
    stdio::dup2_stdin(&in_read)?;
    drop(in_read);
    let in_write = std::fs::File::from(in_write);
    std::thread::Builder::new().name("sourcelab-engine-out".into()).spawn(move || {
        pass_on(BufReader::new(std::fs::File::from(out_read)), real_out, |line| {
            if line == ERROR_OCCURRED {
                report("cell.failed", json!({"how": "returned"}));
            } else if line == PANICKED {
                report("cell.failed", json!({"how": "panic"}));
            }
        })
    })?;
    std::thread::Builder::new().name("sourcelab-engine-in".into()).spawn(move || {
        pass_on(BufReader::new(real_in), in_write, |line| {
            if let Some(rest) = line.strip_prefix(LOAD_AND_RUN) {
                // `LOAD_AND_RUN <library> <function>`
                super::memory::page_out_earlier_cells(rest.split(' ').next().unwrap_or(""));
                report("cell.running", json!({}));
            }
        })
    })?;
    Ok(())
}

/// Copies `from` to `to` line by line, calling `seen` on each line (without its newline) before passing it on.
fn pass_on(mut from: impl BufRead, mut to: std::fs::File, seen: impl Fn(&str)) {
    let mut line = Vec::new();
    loop {
        line.clear();
        match from.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        seen(String::from_utf8_lossy(&line).trim_end_matches(['\n', '\r']));
        if to.write_all(&line).is_err() {
            return;
        }
    }
}

fn report(name: &str, args: serde_json::Value) {
    if let Err(e) = sourcelab_notebook::client::call(name, args) {
        eprintln!("sourcelab: could not tell the kernel ({name}): {e}");
    }
}
