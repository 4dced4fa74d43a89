//! The kernel "Rust (sourcelab)" through the Jupyter protocol, driven by jupyter_client (the client JupyterLab's
//! server and nbclient use; `tests/jupyter_driver.py`), against the real stack: execute, errors like ipykernel's
//! and the aborted queue, completion and inspection, is_complete, SQL cells, interrupts that keep the variables,
//! and restart.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

/// A kernel started by jupyter_client, and the driver that talks to it.
struct Kernel {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Kernel {
    /// The driver, with no kernel started yet.
    fn driver() -> Kernel {
        let stack = common::stack();
        let install = Command::new(env!("CARGO_BIN_EXE_sourcelab")).args(["kernel", "install"]).status().unwrap();
        assert!(install.success(), "sourcelab kernel install failed");
        let python = stack.home().join(".sourcelab/venv/bin/python");
        let mut child = Command::new(python)
            .arg(stack.home().join("tests/jupyter_driver.py"))
            .env("JUPYTER_PATH", stack.home().join(".sourcelab/venv/share/jupyter"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Kernel { child, stdin, stdout }
    }

    fn start() -> Kernel {
        let mut kernel = Kernel::driver();
        let started = kernel.ask(json!({"start": "sourcelab"}));
        assert_eq!(started["info"]["implementation"], "sourcelab", "{started}");
        assert_eq!(started["info"]["protocol_version"], "5.3", "{started}");
        assert_eq!(started["info"]["language_info"]["name"], "rust", "{started}");
        kernel
    }

    fn ask(&mut self, request: Value) -> Value {
        writeln!(self.stdin, "{request}").unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let answer: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("driver said {line:?}: {e}"));
        assert!(answer.get("driver_error").is_none(), "{request} → {answer}");
        answer
    }

    /// Runs cells the way Run All does (all sent at once); each one's status and outputs.
    fn run_all(&mut self, cells: &[&str]) -> Vec<Value> {
        let answer = self.ask(json!({"execute": cells}));
        answer["cells"].as_array().unwrap().clone()
    }

    fn run(&mut self, cell: &str) -> Value {
        self.run_all(&[cell]).remove(0)
    }
}

impl Drop for Kernel {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{}", json!({"stop": true}));
        // (With no kernel started the driver answers with an error, which is fine here.)
        let mut line = String::new();
        let _ = self.stdout.read_line(&mut line);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text of every output of a cell (streams, results, errors).
fn text(cell: &Value) -> String {
    let mut out = String::new();
    for o in cell["outputs"].as_array().unwrap() {
        if let Some(t) = o["text"].as_str() {
            out.push_str(t);
        }
        if let Some(data) = o["data"].as_object() {
            for v in data.values() {
                out.push_str(v.as_str().unwrap_or_default());
            }
        }
    }
    out
}

fn error(cell: &Value) -> &Value {
    cell["outputs"].as_array().unwrap().iter().find(|o| o["type"] == "error").unwrap_or(&Value::Null)
}

fn ok(cell: &Value) -> &Value {
    assert_eq!(cell["status"], "ok", "{cell:#}");
    cell
}

#[test]
fn cells_run_and_errors_stop_run_all_keeping_earlier_variables() {
    let mut k = Kernel::start();
    let cells = k.run_all(&[
        "let env = load_env()?;\nlet db = Db::connect_mysql(&env)?;",
        "let n: i64 = 41 + 1;\nprintln!(\"n is {n}\");",
        "db.query(\"SELECT title FROM film ORDER BY film_id LIMIT 2\")?",
        // A helper that fails through `?`: our error, shown like ipykernel's.
        "db.query(\"SELECT * FROM no_such_table\")?",
        "println!(\"never runs\");",
        "n",
    ]);
    ok(&cells[0]);
    assert!(text(ok(&cells[1])).contains("n is 42"));
    let table = text(ok(&cells[2]));
    assert!(table.contains("<table") && table.contains("title"), "{table}");
    assert_eq!(cells[3]["status"], "error");
    let e = error(&cells[3]);
    assert_eq!(e["ename"], "Service", "{e}");
    assert!(e["evalue"].as_str().unwrap().contains("no_such_table"), "{e}");
    let traceback: Vec<&str> = e["traceback"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert!(traceback.iter().any(|l| l.trim_start().starts_with("hint: ")), "{traceback:?}");
    assert_eq!(cells[3]["reply"]["ename"], "Service");
    // Run All stops: the cells queued after it are aborted, not run.
    for queued in &cells[4..] {
        assert_eq!(queued["status"], "aborted", "{queued}");
        assert!(queued["outputs"].as_array().unwrap().is_empty(), "{queued}");
    }
    // The variables made before the failing cell are still there.
    assert!(text(&k.run("n")).contains("42"));
    // Without stop_on_error the next cells run.
    let answer = k.ask(json!({"execute": ["Err(std::io::Error::other(\"boom\"))?", "n + 1"], "stop_on_error": false}));
    let cells = answer["cells"].as_array().unwrap();
    assert_eq!(cells[0]["status"], "error");
    assert!(text(ok(&cells[1])).contains("43"));
}

#[test]
fn compile_errors_panics_and_foreign_errors_are_errors_with_their_text() {
    let mut k = Kernel::start();
    ok(&k.run("let kept: i32 = 7;"));
    let compile = k.run("let y = undefined_name + 1;");
    assert_eq!(compile["status"], "error");
    let e = error(&compile);
    assert_eq!(e["ename"], "CompileError");
    let tb = e["traceback"].to_string();
    assert!(tb.contains("undefined_name") && tb.contains("cell line 1"), "{tb}");
    let panic = k.run("let v: Vec<i32> = vec![];\nv[3]");
    assert_eq!(panic["status"], "error");
    assert_eq!(error(&panic)["ename"], "Panic");
    assert!(error(&panic)["evalue"].as_str().unwrap().contains("index out of bounds"), "{panic}");
    let foreign = k.run("let n: i32 = \"twelve\".parse()?;");
    assert_eq!(foreign["status"], "error");
    assert!(error(&foreign)["traceback"].to_string().contains("ParseIntError"), "{foreign}");
    // A check that fails is an error naming the check, with its hint.
    let check = k.run(
        "let env = load_env()?;\nlet db = Db::connect_mysql(&env)?;\ncheck::lab1_ex2(&db.query(\"SELECT 1 AS x\")?)?",
    );
    assert_eq!(check["status"], "error");
    assert!(error(&check)["evalue"].as_str().unwrap().starts_with("check exercise 2"), "{check}");
    assert!(text(&k.run("kept")).contains('7'));
}

#[test]
fn sql_cells_show_keep_and_interpolate() {
    let mut k = Kernel::start();
    // Shown only: runs in the kernel, no compile.
    let shown = k.run("%%sql\nSELECT title, length FROM film ORDER BY film_id LIMIT 3;");
    let html = text(ok(&shown));
    assert!(html.contains("<table") && html.contains("length"), "{html}");
    assert!(html.contains("3 rows") || html.matches("<tr>").count() >= 4, "{html}");
    // Statements without rows say how many rows they changed.
    let changed = k.run(
        "%%sql\nDROP TABLE IF EXISTS kernel_sql_test;\nCREATE TABLE kernel_sql_test (id INT, name VARCHAR(20));\n\
         INSERT INTO kernel_sql_test VALUES (1, 'a'), (2, 'b');",
    );
    assert!(text(ok(&changed)).contains("2 rows affected."), "{changed}");
    // Kept for later Rust cells, with a Rust value put in safely.
    ok(&k.run("let who = \"O'Brien\";\nlet id: i64 = 2;"));
    ok(&k.run("%%sql\nINSERT INTO kernel_sql_test VALUES (3, {who});"));
    let kept = k.run("%%sql rows <<\nSELECT id, name FROM kernel_sql_test WHERE id >= {id} ORDER BY id");
    assert!(text(ok(&kept)).contains("O&#39;Brien") || text(&kept).contains("O'Brien"), "{kept}");
    let height = k.run("rows.height()");
    assert!(text(ok(&height)).contains('2'), "{height}");
    let name = k.run("rows.value(1, \"name\")?");
    assert!(text(ok(&name)).contains("O'Brien"), "{name}");
    // PostgreSQL.
    assert!(text(ok(&k.run("%%sql postgres\nSELECT 40 + 2 AS answer"))).contains("42"));
    // Errors: the server's, an unknown variable, a variable that is not a string or a number.
    let bad = k.run("%%sql\nSELECT nope FROM kernel_sql_test");
    assert_eq!(bad["status"], "error");
    assert_eq!(error(&bad)["ename"], "Service");
    let unknown = k.run("%%sql\nSELECT {missing}");
    assert!(error(&unknown)["evalue"].as_str().unwrap().contains("{missing}"), "{unknown}");
    let wrong = k.run("%%sql\nSELECT {rows}");
    assert!(error(&wrong)["traceback"].to_string().contains("string or a number"), "{wrong}");
    ok(&k.run("%%sql\nDROP TABLE kernel_sql_test"));
}

#[test]
fn completion_offers_public_items_and_inserts_names() {
    let mut k = Kernel::start();
    ok(&k.run("let env = load_env()?;\nlet db = Db::connect_mysql(&env)?;"));
    let code = "db.qu";
    let reply = k.ask(json!({"complete": code, "cursor": code.len()}));
    let matches: Vec<&str> = reply["matches"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert!(matches.contains(&"query"), "{reply}");
    assert!(!matches.iter().any(|m| m.contains('(') && *m != "query()"), "no parameter names: {matches:?}");
    assert_eq!(reply["cursor_start"], 3);
    assert_eq!(reply["cursor_end"], 5);
    let types = reply["metadata"]["_jupyter_types_experimental"].as_array().unwrap();
    let query = types.iter().find(|t| t["text"] == "query").unwrap();
    assert!(query["signature"].as_str().unwrap().contains("fn query(&self, sql: &str)"), "{query}");
    assert!(query["signature"].as_str().unwrap().contains("Runs one statement"), "{query}");
    // Every member: no private field of the handle.
    let all = k.ask(json!({"complete": "db.", "cursor": 3}));
    let all: Vec<&str> = all["matches"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert!(all.contains(&"tables()") && all.contains(&"execute"), "{all:?}");
    for private in ["h", "text", "config"] {
        assert!(!all.contains(&private), "offers the private field {private}: {all:?}");
    }
    let module = k.ask(json!({"complete": "dynamo::", "cursor": 8}));
    let module: Vec<&str> = module["matches"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert!(module.contains(&"Dynamo"), "{module:?}");
    for import in ["Shared", "Path", "Result"] {
        assert!(!module.contains(&import), "offers the import {import}: {module:?}");
    }
    // Inserted text compiles as typed.
    ok(&k.run(&format!("db.{}(\"SELECT 1\")?", "query")));
    // Shift+Tab.
    let inspect = k.ask(json!({"inspect": "db.query", "cursor": 8}));
    assert_eq!(inspect["found"], true, "{inspect}");
    assert!(inspect["data"]["text/plain"].as_str().unwrap().contains("Runs one statement"), "{inspect}");
    let magic = k.ask(json!({"complete": "%%s", "cursor": 3}));
    assert_eq!(magic["matches"], json!(["%%sql"]));
}

#[test]
fn is_complete_waits_for_closed_blocks() {
    let mut k = Kernel::start();
    for (code, status) in [
        ("let x = 1;", "complete"),
        ("fn f() {", "incomplete"),
        ("let s = \"open", "incomplete"),
        ("let x = 1; }", "invalid"),
        ("%%sql\nSELECT 1", "incomplete"),
        ("%%sql\nSELECT 1\n", "complete"),
    ] {
        let reply = k.ask(json!({"is_complete": code}));
        assert_eq!(reply["status"], status, "{code:?}: {reply}");
    }
}

#[test]
fn interrupt_cancels_a_waiting_call_and_keeps_the_variables() {
    let mut k = Kernel::start();
    ok(&k.run("let env = load_env()?;\nlet db = Db::connect_mysql(&env)?;\nlet kept: i32 = 5;"));
    let answer = k.ask(json!({"execute": ["db.query(\"SELECT SLEEP(30) AS slept\")?"], "interrupt_after": 2.0}));
    let cell = &answer["cells"][0];
    assert_eq!(cell["status"], "error", "{cell}");
    assert_eq!(error(cell)["ename"], "Interrupted", "{cell}");
    assert!(answer["seconds"].as_f64().unwrap() < 10.0, "took {answer}");
    // Variables, the pool and the connection survive.
    assert!(text(&k.run("kept")).contains('5'));
    assert!(text(ok(&k.run("db.query(\"SELECT 7 AS seven\")?"))).contains('7'));
    // A SQL cell in the kernel is interrupted the same way.
    let sql = k.ask(json!({"execute": ["%%sql\nSELECT SLEEP(30)"], "interrupt_after": 1.0}));
    assert_eq!(error(&sql["cells"][0])["ename"], "Interrupted", "{sql}");
    // The cell's own loop: the engine restarts and says the variables are gone.
    let spin = k.ask(json!({"execute": ["loop { std::hint::spin_loop(); }"], "interrupt_after": 1.0}));
    let cell = &spin["cells"][0];
    assert_eq!(error(cell)["ename"], "EngineRestarted", "{cell}");
    assert!(error(cell)["traceback"].to_string().contains("run the notebook from the top"), "{cell}");
    assert_eq!(k.run("kept")["status"], "error", "the variable should be gone");
    // The library still answers in the new engine.
    assert!(
        text(ok(&k.run("let env = load_env()?;\nDb::connect_mysql(&env)?.query(\"SELECT 8 AS eight\")?")))
            .contains('8')
    );
}

#[test]
fn restart_gives_a_fresh_kernel_that_works() {
    let mut k = Kernel::start();
    ok(&k.run("let before: i32 = 1;"));
    k.ask(json!({"restart": true}));
    assert_eq!(k.run("before")["status"], "error");
    assert!(text(ok(&k.run("let env = load_env()?;\nDb::connect_mysql(&env)?.server_version()?"))).contains("MariaDB"));
}

#[test]
fn jupyter_console_runs_cells_and_waits_for_closed_blocks() {
    let mut k = Kernel::driver();
    // A function typed over three lines: the console asks is_complete after each line and sends the block once it
    // is closed; a SQL cell ends with an empty line.
    let typed = [
        "let x: i32 = 6;",
        "fn times(a: i32) -> i32 {",
        "a * 7",
        "}",
        "",
        "times(x)",
        "%%sql",
        "SELECT 40 + 2 AS answer",
        "",
    ];
    let answer = k.ask(json!({"console": typed, "kernel": "sourcelab", "wait_for": "shape: (1, 1)"}));
    let transcript = answer["transcript"].as_str().unwrap().to_string();
    assert!(transcript.contains("Out[3]: 42"), "{transcript}");
    assert!(transcript.contains("answer"), "the SQL cell ran: {transcript}");
    assert!(!transcript.contains("CompileError") && !transcript.contains("Error"), "{transcript}");
    // The console was quit without shutting its kernel down: the kernel saw its parent go and exited.
    assert_eq!(answer["orphans"], json!([]), "kernels left running after their console quit");
}
