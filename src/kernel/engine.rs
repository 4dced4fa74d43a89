//! evcxr's engine, on a thread of its own: compiles and runs Rust cells, and answers Tab and Shift+Tab.
//!
//! The engine is evcxr's public [`evcxr::CommandContext`]: for each cell it asks its embedded rust-analyzer for
//! the types of new variables, builds the cell into a small shared library with cargo against the notebook crate
//! (`kernel/notebook`), and has its child process (the engine process, [`super::child`]) load and run it, where
//! the cell's variables live. Everything here blocks, so the Jupyter side talks to this thread through [`Engine`]:
//! one job at a time, each answered on a channel.
//!
//! Starting takes a few seconds (rust-analyzer, a first build); the kernel answers Jupyter meanwhile, and the first
//! Rust cell waits for [`Engine::ready`]. What cells print arrives line by line on the engine's stdout and stderr
//! and goes straight to the cell's output ([`Output`]).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, ErrorKind, Result};

/// A line a cell printed.
#[derive(Debug)]
pub(crate) enum Output {
    Stdout(String),
    Stderr(String),
}

/// What one Rust cell gave: evcxr's outputs (MIME bundle) or its error.
pub(crate) type Ran = std::result::Result<evcxr::EvalOutputs, evcxr::Error>;

enum Job {
    Run { code: String, done: oneshot::Sender<Ran> },
    Complete { code: String, at: usize, done: oneshot::Sender<Option<super::complete::Completions>> },
    Inspect { code: String, at: usize, done: oneshot::Sender<Option<(String, String)>> },
    Variables { done: oneshot::Sender<Vec<(String, String)>> },
}

/// The engine thread, as the kernel sees it.
#[derive(Clone)]
pub(crate) struct Engine {
    jobs: std::sync::mpsc::Sender<Job>,
    shared: Arc<Shared>,
}

struct Shared {
    /// `Ok` once started; the start's error otherwise.
    started: OnceLock<std::result::Result<(), String>>,
    started_signal: tokio::sync::Notify,
    /// The engine process, to restart it when an interrupt finds the cell's own code still running.
    process: OnceLock<Arc<Mutex<std::process::Child>>>,
    /// A Rust cell is compiling or running.
    busy: AtomicBool,
}

impl Engine {
    /// Starts the engine thread: evcxr's context, then the notebook crate and the prelude (`init.evcxr` and
    /// `prelude.rs` in the kernel folder `kernel`, [`super::kernel_dir`]). Lines cells print go to `output`.
    pub(crate) fn start(kernel: &Path, output: mpsc::UnboundedSender<Output>) -> Result<Engine> {
        let init = startup_code(kernel)?;
        let (jobs, inbox) = std::sync::mpsc::channel::<Job>();
        let shared = Arc::new(Shared {
            started: OnceLock::new(),
            started_signal: tokio::sync::Notify::new(),
            process: OnceLock::new(),
            busy: AtomicBool::new(false),
        });
        let engine = Engine { jobs, shared: shared.clone() };
        std::thread::Builder::new()
            .name("sourcelab-engine".into())
            .spawn(move || run_engine(init, inbox, shared, output))
            .map_err(|e| Error::new(ErrorKind::Setup, "start the Rust engine", e.to_string()))?;
        Ok(engine)
    }

    /// Waits until the engine has started; its start error otherwise.
    pub(crate) async fn ready(&self) -> std::result::Result<(), String> {
        loop {
            let notified = self.shared.started_signal.notified();
            if let Some(started) = self.shared.started.get() {
                return started.clone();
            }
            notified.await;
        }
    }

    /// Whether the engine has started (successfully or not).
    pub(crate) fn started(&self) -> bool {
        self.shared.started.get().is_some()
    }

    /// Whether a Rust cell is compiling or running now.
    pub(crate) fn busy(&self) -> bool {
        self.shared.busy.load(Ordering::SeqCst)
    }

    /// Compiles and runs one cell.
    pub(crate) async fn run(&self, code: String) -> Ran {
        let (done, answer) = oneshot::channel();
        if self.jobs.send(Job::Run { code, done }).is_err() {
            return Err(evcxr::Error::Message("the Rust engine has stopped".into()));
        }
        answer.await.unwrap_or_else(|_| Err(evcxr::Error::Message("the Rust engine has stopped".into())))
    }

    /// rust-analyzer's completions at byte offset `at`; `None` while a cell runs or when it has none.
    pub(crate) async fn complete(&self, code: String, at: usize) -> Option<super::complete::Completions> {
        if self.busy() || !self.started() {
            return None;
        }
        let (done, answer) = oneshot::channel();
        self.jobs.send(Job::Complete { code, at, done }).ok()?;
        answer.await.ok().flatten()
    }

    /// rust-analyzer's hover at byte offset `at`: plain text and HTML.
    pub(crate) async fn inspect(&self, code: String, at: usize) -> Option<(String, String)> {
        if self.busy() || !self.started() {
            return None;
        }
        let (done, answer) = oneshot::channel();
        self.jobs.send(Job::Inspect { code, at, done }).ok()?;
        answer.await.ok().flatten()
    }

    /// The cells' variables and their types, as the engine knows them.
    pub(crate) async fn variables(&self) -> Vec<(String, String)> {
        let (done, answer) = oneshot::channel();
        if self.jobs.send(Job::Variables { done }).is_err() {
            return Vec::new();
        }
        answer.await.unwrap_or_default()
    }

    /// Stops the engine process (its variables are lost; evcxr starts a new one for the next cell).
    pub(crate) fn kill_process(&self) {
        if let Some(process) = self.shared.process.get() {
            let mut child = process.lock().unwrap_or_else(|p| p.into_inner());
            let _ = child.kill();
        }
    }
}

/// The cell the engine runs first: `kernel/init.evcxr` (settings and the notebook crate) and `kernel/prelude.rs`.
fn startup_code(kernel: &Path) -> Result<String> {
    let prelude = kernel.join("prelude.rs");
    let prelude = std::fs::read_to_string(&prelude).map_err(|e| Error::io("read", &prelude, e))?;
    Ok(format!("{}\n{prelude}", super::render_init(kernel)?))
}

/// What runs after the engine process restarted: the prelude's call that connects to the library and routes
/// panics to the kernel (the `use` lines are kept by evcxr; variables are not).
const RECONNECT: &str = "sourcelab_notebook::ready();";

fn run_engine(
    init: String,
    inbox: std::sync::mpsc::Receiver<Job>,
    shared: Arc<Shared>,
    output: mpsc::UnboundedSender<Output>,
) {
    let mut context = match start_context(&init, &shared, &output) {
        Ok(context) => {
            super::memory::give_back_heap();
            let _ = shared.started.set(Ok(()));
            shared.started_signal.notify_waiters();
            context
        }
        Err(e) => {
            let _ = shared.started.set(Err(e));
            shared.started_signal.notify_waiters();
            return;
        }
    };
    let mut reconnect = false;
    for job in inbox {
        match job {
            Job::Run { code, done } => {
                shared.busy.store(true, Ordering::SeqCst);
                if reconnect {
                    reconnect = context.execute(RECONNECT).is_err();
                }
                let ran = context.execute(&code);
                if matches!(ran, Err(evcxr::Error::SubprocessTerminated(_))) {
                    reconnect = true;
                }
                shared.busy.store(false, Ordering::SeqCst);
                let _ = done.send(ran);
                super::memory::give_back_heap();
            }
            Job::Complete { code, at, done } => {
                let _ = done.send(context.completions(&code, at).ok().map(Into::into));
            }
            Job::Inspect { code, at, done } => {
                let _ = done.send(context.hover_at(&code, at).ok());
            }
            Job::Variables { done } => {
                let vars = context.variables_and_types().map(|(n, t)| (n.to_string(), t.to_string())).collect();
                let _ = done.send(vars);
            }
        }
    }
}

fn start_context(
    init: &str,
    shared: &Shared,
    output: &mpsc::UnboundedSender<Output>,
) -> std::result::Result<evcxr::CommandContext, String> {
    let (mut context, outputs) = evcxr::CommandContext::new().map_err(|e| e.to_string())?;
    let _ = shared.process.set(context.process_handle());
    forward(outputs.stdout, false, output.clone());
    forward(outputs.stderr, true, output.clone());
    context.execute(init).map_err(|e| format!("the kernel's first cell failed: {e}"))?;
    Ok(context)
}

/// Passes the lines of one of the engine's streams on to the cell's output, on a thread of its own.
fn forward(
    lines: impl IntoIterator<Item = String> + Send + 'static,
    stderr: bool,
    output: mpsc::UnboundedSender<Output>,
) {
    std::thread::spawn(move || {
        for line in lines {
            if !stderr {
                let _ = output.send(Output::Stdout(line + "\n"));
                continue;
            }
            if line.is_empty() {
                let mut report = super::serve::cell();
                if report.swallow_blank > 0 {
                    report.swallow_blank -= 1;
                    continue;
                }
            }
            let _ = output.send(Output::Stderr(line + "\n"));
        }
    });
}
