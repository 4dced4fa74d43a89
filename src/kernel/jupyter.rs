//! The kernel itself: the Jupyter messaging protocol (5.3) over ZeroMQ, for JupyterLab, nbclient and
//! `jupyter console`.
//!
//! [`serve`] binds the five sockets the connection file names (with [`jupyter_zmq_client`], which signs every
//! message with the file's key) and answers:
//!
//! - `execute_request`: a `%%sql` cell that only shows its result runs here, on the library linked into this
//!   process; everything else goes to evcxr's engine ([`super::engine`]). A cell that fails — a compile error, an
//!   error returned with `?`, a panic, an interrupt — answers `status: error` with an `error` message (ename: the
//!   error's kind, evalue: its first line, traceback: the whole text with its hint) and, when the request says
//!   `stop_on_error` (Run All does), every execute request already queued is answered `aborted`: Run All stops at
//!   the failing cell, whose variables before it are kept;
//! - `complete_request` ([`super::complete`]), `inspect_request` (rust-analyzer's hover), `is_complete_request`
//!   ([`super::magic::is_complete`]), `kernel_info_request`, `comm_info_request`, `history_request`;
//! - on the control socket, `interrupt_request`: the library call the cell waits for is cancelled at once
//!   ([`crate::runtime::interrupt`]); if the cell's own code is still running two seconds later (a loop), the engine
//!   process is restarted and the cell says plainly that its variables are gone; `shutdown_request`.
//!
//! Messages are read by one task per socket; execute requests queue and run one at a time, in order, while the
//! other requests are answered at once (a completion while a cell runs gets no matches rather than waiting).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jupyter_protocol::{
    CodeMirrorMode, CommInfoReply, CompleteReply, ConnectionInfo, ErrorOutput, ExecuteInput, ExecuteReply,
    ExecuteRequest, ExecuteResult, ExecutionCount, HelpLink, HistoryReply, InspectReply, InterruptReply,
    IsCompleteReply, JupyterMessage, JupyterMessageContent, KernelInfoReply, LanguageInfo, Media, ReplyError,
    ReplyStatus, ShutdownReply, Status, StreamContent, UnknownMessage,
};
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc};

use super::complete::{Api, byte_offset, char_offset, refine};
use super::engine::{Engine, Output, Ran};
use super::magic::{Completeness, SqlCell, is_complete, sql_cell};
use super::serve::{Failure, Server, calls_in_flight, cell};
use crate::error::{Error, ErrorKind, Result};

/// How long the cell's own code may keep running after an interrupt before the engine process is restarted.
const GRACE: Duration = Duration::from_secs(2);

/// Runs the kernel for the connection file until Jupyter shuts it down.
pub fn serve(connection_file: &Path, socket: &Path) -> Result<()> {
    let text = std::fs::read_to_string(connection_file).map_err(|e| Error::io("read", connection_file, e))?;
    let info: ConnectionInfo = serde_json::from_str(&text).map_err(|e| {
        Error::new(ErrorKind::Input, format!("read the connection file {}", connection_file.display()), e.to_string())
            .hint("Jupyter writes this file when it starts a kernel; start the kernel from Jupyter")
    })?;
    let server = Server::start(socket)?;
    let kernel = super::kernel_dir();
    let (output, lines) = mpsc::unbounded_channel::<Output>();
    let progress = output.clone();
    crate::runtime::set_progress_sink(move |line| {
        let _ = progress.send(Output::Stdout(format!("{line}\n")));
    });
    let engine = Engine::start(&kernel, output)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sourcelab-kernel")
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorKind::Setup, "start the kernel's runtime", e.to_string()))?;
    let api = Arc::new(Api::read(&kernel));
    let result = runtime.block_on(run(info, engine.clone(), api, lines));
    engine.kill_process();
    drop(server);
    result
}

/// What every task shares.
struct Kernel {
    engine: Engine,
    api: Arc<Api>,
    iopub: mpsc::UnboundedSender<JupyterMessage>,
    shell: mpsc::UnboundedSender<JupyterMessage>,
    /// A cell is running (set while an execute request is handled).
    executing: AtomicBool,
    /// When the running cell was interrupted.
    interrupted: std::sync::Mutex<Option<Instant>>,
    /// The engine process was restarted by an interrupt during the running cell.
    restarted: AtomicBool,
}

async fn run(
    info: ConnectionInfo,
    engine: Engine,
    api: Arc<Api>,
    lines: mpsc::UnboundedReceiver<Output>,
) -> Result<()> {
    use jupyter_zmq_client::{
        create_kernel_control_connection, create_kernel_heartbeat_connection, create_kernel_iopub_connection,
        create_kernel_shell_connection, create_kernel_stdin_connection,
    };
    let zmq = |e: jupyter_zmq_client::RuntimeError| {
        Error::new(ErrorKind::Setup, "open the kernel's sockets", e.to_string())
            .hint("another program may hold the ports of the connection file; restart the kernel")
    };
    let session = format!("sourcelab-{}", std::process::id());
    let mut heartbeat = create_kernel_heartbeat_connection(&info).await.map_err(zmq)?;
    let (mut shell_out, mut shell_in) = create_kernel_shell_connection(&info, &session).await.map_err(zmq)?.split();
    let mut control = create_kernel_control_connection(&info, &session).await.map_err(zmq)?;
    let _stdin = create_kernel_stdin_connection(&info, &session).await.map_err(zmq)?;
    let mut iopub_socket = create_kernel_iopub_connection(&info, &session).await.map_err(zmq)?;

    tokio::spawn(async move { while heartbeat.single_heartbeat().await.is_ok() {} });
    let (iopub, mut iopub_rx) = mpsc::unbounded_channel::<JupyterMessage>();
    tokio::spawn(async move {
        while let Some(m) = iopub_rx.recv().await {
            let _ = iopub_socket.send(m).await;
        }
    });
    let (shell, mut shell_rx) = mpsc::unbounded_channel::<JupyterMessage>();
    tokio::spawn(async move {
        while let Some(m) = shell_rx.recv().await {
            let _ = shell_out.send(m).await;
        }
    });
    let kernel = Arc::new(Kernel {
        engine,
        api,
        iopub,
        shell,
        executing: AtomicBool::new(false),
        interrupted: std::sync::Mutex::new(None),
        restarted: AtomicBool::new(false),
    });

    // Execute requests, one at a time, in order.
    let (queue, queued) = mpsc::unbounded_channel::<JupyterMessage>();
    tokio::spawn(executor(kernel.clone(), queued, lines));

    // Shell: execute requests queue; the rest are answered now.
    let shell_kernel = kernel.clone();
    tokio::spawn(async move {
        while let Ok(message) = shell_in.read().await {
            if matches!(message.content, JupyterMessageContent::ExecuteRequest(_)) {
                let _ = queue.send(message);
            } else {
                let k = shell_kernel.clone();
                tokio::spawn(async move { k.answer(message).await });
            }
        }
    });

    // Control: interrupts and shutdown; and the end when whoever started the kernel is gone without shutting it
    // down (a `jupyter console` or a Jupyter server killed), instead of an orphan holding its memory.
    let orphaned = parent_gone();
    tokio::pin!(orphaned);
    loop {
        let message = tokio::select! {
            message = control.read() => message.map_err(zmq)?,
            () = &mut orphaned => return Ok(()),
        };
        let reply = match &message.content {
            JupyterMessageContent::InterruptRequest(_) => {
                kernel.interrupt();
                InterruptReply::new().as_child_of(&message)
            }
            JupyterMessageContent::ShutdownRequest(req) => {
                let reply = ShutdownReply { restart: req.restart, status: ReplyStatus::Ok, error: None };
                let _ = control.send(reply.as_child_of(&message)).await;
                // Let the reply leave before the sockets close.
                tokio::time::sleep(Duration::from_millis(50)).await;
                return Ok(());
            }
            JupyterMessageContent::KernelInfoRequest(_) => kernel_info().as_child_of(&message),
            _ => continue,
        };
        let _ = control.send(reply).await;
    }
}

/// Resolves when this process's parent changes: the one that started it has exited and it was adopted.
async fn parent_gone() {
    let parent = rustix::process::getppid();
    while rustix::process::getppid() == parent {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

impl Kernel {
    fn publish(&self, m: JupyterMessage) {
        let _ = self.iopub.send(m);
    }

    fn reply(&self, m: JupyterMessage) {
        let _ = self.shell.send(m);
    }

    fn status(&self, parent: &JupyterMessage, busy: bool) {
        self.publish(if busy { Status::busy() } else { Status::idle() }.as_child_of(parent));
    }

    /// Answers a shell request other than `execute_request`. While a cell runs, no status is published (the
    /// kernel stays busy for the cell) and the engine is not asked.
    async fn answer(&self, message: JupyterMessage) {
        let quiet = self.executing.load(Ordering::SeqCst);
        if !quiet {
            self.status(&message, true);
        }
        let reply: Option<JupyterMessage> = match &message.content {
            JupyterMessageContent::KernelInfoRequest(_) => Some(kernel_info().as_child_of(&message)),
            JupyterMessageContent::CompleteRequest(req) => {
                Some(self.complete(&req.code, req.cursor_pos).await.as_child_of(&message))
            }
            JupyterMessageContent::InspectRequest(req) => {
                Some(self.inspect(&req.code, req.cursor_pos).await.as_child_of(&message))
            }
            JupyterMessageContent::IsCompleteRequest(req) => Some(
                match is_complete(&req.code) {
                    Completeness::Complete => IsCompleteReply::complete(),
                    Completeness::Incomplete => IsCompleteReply::incomplete("    ".into()),
                    Completeness::Invalid => IsCompleteReply::invalid(),
                }
                .as_child_of(&message),
            ),
            JupyterMessageContent::CommInfoRequest(_) => Some(
                CommInfoReply { status: ReplyStatus::Ok, comms: Default::default(), error: None }.as_child_of(&message),
            ),
            JupyterMessageContent::HistoryRequest(_) => {
                Some(HistoryReply { history: vec![], status: ReplyStatus::Ok, error: None }.as_child_of(&message))
            }
            _ => None,
        };
        if let Some(reply) = reply {
            self.reply(reply);
        }
        if !quiet {
            self.status(&message, false);
        }
    }

    async fn complete(&self, code: &str, cursor: usize) -> CompleteReply {
        let at = byte_offset(code, cursor);
        let empty = CompleteReply { cursor_start: cursor, cursor_end: cursor, ..Default::default() };
        if let Some(magic) = magic_completion(code, at) {
            return magic;
        }
        if sql_cell(code).is_ok_and(|c| c.is_some()) || code.trim_start().starts_with("%%") {
            return empty;
        }
        let Some(found) = self.engine.complete(code.to_string(), at).await else { return empty };
        let refined = refine(&self.api, code, &found);
        let mut metadata = serde_json::Map::new();
        metadata.insert("_jupyter_types_experimental".into(), Value::Array(refined.types));
        CompleteReply {
            matches: refined.matches,
            cursor_start: char_offset(code, refined.start),
            cursor_end: char_offset(code, refined.end),
            metadata,
            status: ReplyStatus::Ok,
            error: None,
        }
    }

    async fn inspect(&self, code: &str, cursor: usize) -> InspectReply {
        let mut at = byte_offset(code, cursor);
        // `db.tables()`: the method's documentation, not its result's type (JupyterLab asks this way for the
        // match a completion would insert). Up to `(`, rust-analyzer's hover names the method being called.
        if code[..at].ends_with("()") {
            at -= 1;
        }
        if code.trim_start().starts_with("%%") && code[..at].lines().count() <= 1 {
            return InspectReply { found: true, data: media(&[("text/plain", SQL_HELP)]), ..Default::default() };
        }
        match self.engine.inspect(code.to_string(), at).await {
            Some((plain, html)) if plain != "No documentation found" => InspectReply {
                found: true,
                data: media(&[("text/plain", plain.as_str()), ("text/html", html.as_str())]),
                ..Default::default()
            },
            _ => InspectReply::default(),
        }
    }

    /// Kernel → Interrupt: cancels the running cell's library calls now; restarts the engine process when the
    /// cell's own code still runs after [`GRACE`].
    fn interrupt(self: &Arc<Self>) {
        if !self.executing.load(Ordering::SeqCst) {
            return;
        }
        crate::runtime::interrupt();
        *self.interrupted.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        let kernel = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if !kernel.executing.load(Ordering::SeqCst) {
                    return;
                }
                let since = cell().running_since;
                let asked = kernel.interrupted.lock().unwrap_or_else(|p| p.into_inner()).unwrap_or_else(Instant::now);
                // The cell's code runs (it has compiled), makes no library call, and has kept running.
                let spinning = since.is_some_and(|s| s.max(asked).elapsed() >= GRACE) && calls_in_flight() == 0;
                if spinning {
                    kernel.restarted.store(true, Ordering::SeqCst);
                    kernel.engine.kill_process();
                    return;
                }
            }
        });
    }
}

/// Completion of the `%%` line of a cell.
fn magic_completion(code: &str, at: usize) -> Option<CompleteReply> {
    let line_end = code.find('\n').unwrap_or(code.len());
    if !code.starts_with('%') || at > line_end {
        return None;
    }
    let typed = &code[..at];
    let word_start = typed.rfind(' ').map_or(0, |i| i + 1);
    let word = &typed[word_start..];
    let options: &[&str] = if word_start == 0 { &["%%sql"] } else { &["postgres", "mysql"] };
    let matches: Vec<String> = options.iter().filter(|o| o.starts_with(word)).map(|o| o.to_string()).collect();
    Some(CompleteReply {
        matches,
        cursor_start: char_offset(code, word_start),
        cursor_end: char_offset(code, at),
        ..Default::default()
    })
}

const SQL_HELP: &str = "%%sql [postgres] [name <<]\n\nRuns the SQL below on the env file's MariaDB (or PostgreSQL with \
`postgres`) and shows each statement's rows or count.\n`name <<` keeps the result as a table called `name` for later \
Rust cells.\n`{name}` puts the value of the Rust variable `name` (a string or a number) into the SQL, quoted for you.";

fn kernel_info() -> KernelInfoReply {
    KernelInfoReply {
        status: ReplyStatus::Ok,
        protocol_version: "5.3".into(),
        implementation: "sourcelab".into(),
        implementation_version: env!("CARGO_PKG_VERSION").into(),
        language_info: LanguageInfo {
            name: "rust".into(),
            version: rustc_version().to_string(),
            mimetype: Some("text/rust".into()),
            file_extension: Some(".rs".into()),
            pygments_lexer: Some("rust".into()),
            codemirror_mode: Some(CodeMirrorMode::Simple("rust".into())),
            nbconvert_exporter: Some("rust".into()),
        },
        banner: "Rust (sourcelab): cells run on evcxr's engine; `%%sql` cells run SQL".into(),
        help_links: vec![HelpLink { text: "sourcelab on docs".into(), url: "https://docs.rs/evcxr".into() }],
        debugger: false,
        error: None,
    }
}

fn rustc_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        std::process::Command::new("rustc")
            .arg("--version")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|v| v.split_whitespace().nth(1).map(str::to_string))
            .unwrap_or_default()
    })
}

fn media(parts: &[(&str, &str)]) -> Media {
    let map: serde_json::Map<String, Value> = parts.iter().map(|(m, c)| (m.to_string(), json!(c))).collect();
    serde_json::from_value(Value::Object(map)).unwrap_or_default()
}

fn media_from(bundle: impl IntoIterator<Item = (String, String)>) -> Media {
    let map: serde_json::Map<String, Value> = bundle.into_iter().map(|(m, c)| (m, json!(c))).collect();
    serde_json::from_value(Value::Object(map)).unwrap_or_default()
}

/// How a cell ended.
struct Outcome {
    /// What it shows (its last value, or a SQL cell's result).
    shown: Vec<(String, String)>,
    error: Option<ErrorOutput>,
    /// Text to print on stderr after the cell (an error or a panic printed but not returned).
    note: Option<String>,
}

impl Outcome {
    fn ok(shown: Vec<(String, String)>) -> Outcome {
        Outcome { shown, error: None, note: None }
    }

    fn failed(error: ErrorOutput) -> Outcome {
        Outcome { shown: Vec::new(), error: Some(error), note: None }
    }
}

/// Runs execute requests one at a time; forwards what cells print.
async fn executor(
    kernel: Arc<Kernel>,
    mut queued: mpsc::UnboundedReceiver<JupyterMessage>,
    mut lines: mpsc::UnboundedReceiver<Output>,
) {
    let mut count = 0usize;
    let last_parent: Arc<Mutex<Option<JupyterMessage>>> = Arc::new(Mutex::new(None));
    loop {
        tokio::select! {
            message = queued.recv() => {
                let Some(message) = message else { return };
                let JupyterMessageContent::ExecuteRequest(req) = &message.content else { continue };
                let req = req.clone();
                *last_parent.lock().await = Some(message.clone());
                let failed = execute(&kernel, &message, &req, &mut count, &mut lines).await;
                if failed && req.stop_on_error {
                    while let Ok(next) = queued.try_recv() {
                        kernel.status(&next, true);
                        // As ipykernel answers: the status alone, no execution count (the cell did not run, and
                        // JupyterLab leaves its prompt empty).
                        let aborted = UnknownMessage { msg_type: "execute_reply".into(), content: json!({"status": "aborted"}) };
                        kernel.reply(JupyterMessage::new(JupyterMessageContent::UnknownMessage(aborted), Some(&next)));
                        kernel.status(&next, false);
                    }
                }
            }
            line = lines.recv() => {
                // Printed between cells (a thread a cell started): shown under the last cell.
                let Some(line) = line else { continue };
                if let Some(parent) = last_parent.lock().await.as_ref() {
                    kernel.publish(stream(line).as_child_of(parent));
                }
            }
        }
    }
}

fn stream(line: Output) -> StreamContent {
    match line {
        Output::Stdout(text) => StreamContent::stdout(&text),
        Output::Stderr(text) => StreamContent::stderr(&text),
    }
}

/// Runs one execute request; whether it failed.
async fn execute(
    kernel: &Arc<Kernel>,
    message: &JupyterMessage,
    req: &ExecuteRequest,
    count: &mut usize,
    lines: &mut mpsc::UnboundedReceiver<Output>,
) -> bool {
    kernel.status(message, true);
    if !req.silent && req.store_history {
        *count += 1;
    }
    let execution_count = ExecutionCount::new(*count);
    if !req.silent {
        kernel.publish(ExecuteInput { code: req.code.clone(), execution_count }.as_child_of(message));
    }
    crate::runtime::begin_cell();
    *cell() = Default::default();
    *kernel.interrupted.lock().unwrap_or_else(|p| p.into_inner()) = None;
    kernel.restarted.store(false, Ordering::SeqCst);
    kernel.executing.store(true, Ordering::SeqCst);

    let mut stderr_tail: Vec<String> = Vec::new();
    let run = run_cell(kernel, &req.code);
    tokio::pin!(run);
    let ran = loop {
        tokio::select! {
            outcome = &mut run => break outcome,
            line = lines.recv() => {
                if let Some(line) = line {
                    forward(kernel, message, req.silent, line, lines, &mut stderr_tail);
                }
            }
        }
    };
    // Lines still on their way (stderr comes through its own pipe): until it has been quiet for a moment.
    let deadline = Instant::now() + Duration::from_millis(50);
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(3), lines.recv()).await {
            Ok(Some(line)) => forward(kernel, message, req.silent, line, lines, &mut stderr_tail),
            _ => break,
        }
    }
    let outcome = match ran {
        CellRun::Done(outcome) => outcome,
        CellRun::Rust(ran) => judge(kernel, ran, &stderr_tail, &req.code),
    };
    kernel.executing.store(false, Ordering::SeqCst);

    if let Some(note) = &outcome.note
        && !req.silent
    {
        kernel.publish(StreamContent::stderr(note).as_child_of(message));
    }
    if !outcome.shown.is_empty() && !req.silent {
        let result = ExecuteResult::new(execution_count, media_from(outcome.shown));
        kernel.publish(result.as_child_of(message));
    }
    let failed = outcome.error.is_some();
    let reply = match outcome.error {
        Some(error) => {
            kernel.publish(error.clone().as_child_of(message));
            ExecuteReply {
                status: ReplyStatus::Error,
                execution_count,
                error: Some(Box::new(ReplyError {
                    ename: error.ename,
                    evalue: error.evalue,
                    traceback: error.traceback,
                })),
                ..Default::default()
            }
        }
        None => ExecuteReply { status: ReplyStatus::Ok, execution_count, ..Default::default() },
    };
    kernel.reply(reply.as_child_of(message));
    kernel.status(message, false);
    failed
}

/// Publishes a printed line, with the lines of the same stream already waiting behind it (one message for a
/// burst, not one a line); stderr's last lines are kept for the cell's error.
fn forward(
    kernel: &Kernel,
    parent: &JupyterMessage,
    silent: bool,
    first: Output,
    lines: &mut mpsc::UnboundedReceiver<Output>,
    stderr_tail: &mut Vec<String>,
) {
    let mut batch = vec![first];
    while batch.len() < 1000 {
        match lines.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
    let (mut out, mut err) = (String::new(), String::new());
    for line in batch {
        match line {
            Output::Stdout(text) => out.push_str(&text),
            Output::Stderr(text) => {
                stderr_tail.push(text.trim_end().to_string());
                if stderr_tail.len() > 40 {
                    stderr_tail.remove(0);
                }
                err.push_str(&text);
            }
        }
    }
    if silent {
        return;
    }
    // stdout and stderr are separate areas of the output, so their relative order within a burst does not show.
    if !out.is_empty() {
        kernel.publish(StreamContent::stdout(&out).as_child_of(parent));
    }
    if !err.is_empty() {
        kernel.publish(StreamContent::stderr(&err).as_child_of(parent));
    }
}

enum CellRun {
    /// Ran here (a SQL cell, or a cell refused before compiling).
    Done(Outcome),
    /// Ran in the engine.
    Rust(Ran),
}

/// Runs the cell where it belongs.
async fn run_cell(kernel: &Kernel, code: &str) -> CellRun {
    let rust = match sql_cell(code) {
        Err(e) => return CellRun::Done(Outcome::failed(error_output(&e))),
        Ok(Some(sql)) if sql.runs_in_kernel() => return CellRun::Done(run_sql_here(sql).await),
        Ok(Some(sql)) => {
            if let Err(e) = kernel.engine.ready().await {
                return CellRun::Done(Outcome::failed(engine_failed(&e)));
            }
            match sql.rust(&kernel.engine.variables().await) {
                Ok(rust) => rust,
                Err(e) => return CellRun::Done(Outcome::failed(error_output(&e))),
            }
        }
        Ok(None) if code.trim().is_empty() => return CellRun::Done(Outcome::ok(Vec::new())),
        Ok(None) => code.to_string(),
    };
    if let Err(e) = kernel.engine.ready().await {
        return CellRun::Done(Outcome::failed(engine_failed(&e)));
    }
    CellRun::Rust(kernel.engine.run(rust).await)
}

/// A SQL cell that only shows its result: run by the library in this process.
async fn run_sql_here(sql: SqlCell) -> Outcome {
    let ran = tokio::task::spawn_blocking(move || crate::sql::script::cell(sql.engine, &sql.sql, &[])).await;
    match ran {
        Ok(Ok(script)) => Outcome::ok(crate::frame::Show::mime(&script)),
        Ok(Err(e)) => Outcome::failed(error_output(&e)),
        Err(e) => Outcome::failed(error_output(&Error::new(
            ErrorKind::Setup,
            "run the SQL cell",
            format!("the kernel's worker stopped: {e}"),
        ))),
    }
}

fn engine_failed(why: &str) -> ErrorOutput {
    error_output(
        &Error::new(ErrorKind::Setup, "start the Rust engine", why)
            .hint("run `sourcelab kernel install` in the checkout, then restart the kernel (Kernel → Restart)"),
    )
}

/// The `error` message of one of our errors: its kind, its first line, and the whole text with the hint.
fn error_output(e: &Error) -> ErrorOutput {
    error_from_json(&e.to_json())
}

fn error_from_json(e: &Value) -> ErrorOutput {
    let e = Error::from_json(e);
    let text = e.to_string();
    ErrorOutput {
        ename: e.kind().name(),
        evalue: text.lines().next().unwrap_or_default().to_string(),
        traceback: text.lines().map(str::to_string).collect(),
    }
}

/// How a Rust cell ended, from evcxr's answer and what the engine reported.
fn judge(kernel: &Kernel, ran: Ran, stderr_tail: &[String], code: &str) -> Outcome {
    let report = std::mem::take(&mut *cell());
    match ran {
        Ok(outputs) => {
            let shown: Vec<(String, String)> = outputs.content_by_mime_type.into_iter().collect();
            match report.failed {
                Some(Failure::Returned) => {
                    let error = match &report.error {
                        Some(e) => error_from_json(e),
                        None => ErrorOutput {
                            ename: "Error".into(),
                            evalue: stderr_tail
                                .iter()
                                .rev()
                                .find(|l| !l.trim().is_empty())
                                .cloned()
                                .unwrap_or_default(),
                            traceback: stderr_tail.to_vec(),
                        },
                    };
                    Outcome { shown, error: Some(error), note: None }
                }
                Some(Failure::Panicked) => {
                    let (message, at) =
                        report.panic.clone().unwrap_or_else(|| ("the cell panicked".into(), String::new()));
                    let mut traceback = vec![format!("the cell panicked: {message}")];
                    if !at.is_empty() && !at.starts_with("src/lib.rs") {
                        traceback.push(format!("  at {at}"));
                    }
                    traceback
                        .push("  hint: variables made before this cell are kept; fix the cell and run it again".into());
                    Outcome {
                        shown,
                        error: Some(ErrorOutput { ename: "Panic".into(), evalue: message, traceback }),
                        note: None,
                    }
                }
                None => {
                    // An error or a panic the cell printed or survived (a thread's panic): shown as printed.
                    let mut note = String::new();
                    if let Some(e) = &report.error {
                        note.push_str(&format!("{}\n", Error::from_json(e)));
                    }
                    if let Some((message, _)) = &report.panic {
                        note.push_str(&format!("a thread panicked: {message}\n"));
                    }
                    Outcome { shown, error: None, note: (!note.is_empty()).then_some(note) }
                }
            }
        }
        Err(evcxr::Error::CompilationErrors(errors)) => {
            let mut traceback = Vec::new();
            for e in &errors {
                traceback.extend(render_compile_error(e, code));
            }
            let evalue = errors.first().map(|e| e.message()).unwrap_or_default();
            Outcome::failed(ErrorOutput { ename: "CompileError".into(), evalue, traceback })
        }
        Err(evcxr::Error::SubprocessTerminated(why)) => {
            super::boundary::free_all();
            let interrupted = kernel.restarted.load(Ordering::SeqCst);
            let (evalue, how) = if interrupted {
                (
                    "Kernel → Interrupt stopped the cell's own code by restarting the Rust engine".to_string(),
                    "the cell kept running its own code (a loop?) after the interrupt",
                )
            } else {
                (format!("the Rust engine stopped ({})", why.trim()), "the engine process ended while the cell ran")
            };
            Outcome::failed(ErrorOutput {
                ename: "EngineRestarted".into(),
                evalue: evalue.clone(),
                traceback: vec![
                    evalue,
                    format!(
                        "  {how}: every variable is gone (the database pools and AWS clients in the kernel are kept)"
                    ),
                    "  hint: run the notebook from the top (Run → Run All Cells)".into(),
                ],
            })
        }
        Err(evcxr::Error::TypeRedefinedVariablesLost(vars)) => Outcome::failed(ErrorOutput {
            ename: "VariablesLost".into(),
            evalue: format!("a new type for {} made the old values unusable", vars.join(", ")),
            traceback: vec![
                format!("a new type for {} made the old values unusable: they are gone", vars.join(", ")),
                "  hint: run the cells that make them again".into(),
            ],
        }),
        Err(other) => {
            let text = other.to_string();
            Outcome::failed(ErrorOutput {
                ename: "Error".into(),
                evalue: text.lines().next().unwrap_or_default().to_string(),
                traceback: text.lines().map(str::to_string).collect(),
            })
        }
    }
}

/// A compile error as rustc shows it: the message, then each span under its line of the cell.
fn render_compile_error(e: &evcxr::CompilationError, code: &str) -> Vec<String> {
    let mut out = vec![match e.code() {
        Some(c) => format!("{}[{c}]: {}", e.level(), e.message()),
        None => format!("{}: {}", e.level(), e.message()),
    }];
    let lines: Vec<&str> = code.lines().collect();
    for m in e.spanned_messages() {
        let Some(span) = &m.span else { continue };
        let Some(line) = lines.get(span.start_line.saturating_sub(1)) else { continue };
        let number = span.start_line.to_string();
        let pad = " ".repeat(number.len());
        out.push(format!("{pad}--> cell line {}, column {}", span.start_line, span.start_column));
        out.push(format!("{number} | {line}"));
        let width = if span.end_line == span.start_line {
            span.end_column.saturating_sub(span.start_column).max(1)
        } else {
            line.chars().count().saturating_sub(span.start_column - 1).max(1)
        };
        let carets = format!("{}{}", " ".repeat(span.start_column.saturating_sub(1)), "^".repeat(width));
        out.push(format!("{pad} | {carets} {}", m.label).trim_end().to_string());
    }
    for help in e.help() {
        out.push(format!("help: {help}"));
    }
    out
}
