//! The notebooks in JupyterLab, in headless Chromium, through the UI (`sourcelab browser-check`): opened from the
//! file browser, the kernel picked and idle, Run All from the menu, then what the page shows — no error, the
//! tables as HTML with their column headers, lab 3's image, every check's ✓ — and a kernel restart from the menu.

mod common;

use std::path::Path;
use std::process::Command;

use sourcelab::kernel::browser::{self, BrowserNotebook, BrowserReport};

fn code_cells_calling(notebook: &Path, text: &str) -> usize {
    let nb: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(notebook).unwrap()).unwrap();
    let cells = nb["cells"].as_array().unwrap().iter().filter(|c| c["cell_type"] == "code");
    cells.filter(|c| c["source"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains(text))).count()
}

/// Every table's column names (a header cell shows the name, then the column's type on a second line).
fn headers(nb: &BrowserNotebook) -> Vec<Vec<String>> {
    let names = |h: &Vec<String>| h.iter().map(|c| c.lines().next().unwrap_or("").to_string()).collect();
    nb.cells.iter().flat_map(|c| c.tables.iter().map(names)).collect()
}

fn has_table(nb: &BrowserNotebook, columns: &[&str]) -> bool {
    headers(nb).iter().any(|h| h == columns)
}

#[test]
fn three_notebooks_run_all_in_jupyterlab_in_chromium_and_the_kernel_restarts() {
    let stack = common::stack();
    let report_path = stack.state_dir().join("browser-report.json");
    let status = Command::new(env!("CARGO_BIN_EXE_sourcelab"))
        .args(["browser-check", "--report"])
        .arg(&report_path)
        .env("SOURCELAB_HOME", stack.home())
        .status()
        .unwrap();
    let report: BrowserReport = serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert!(status.success(), "browser-check failed: {report:#?}");
    let names: Vec<&str> = report.notebooks.iter().map(|n| n.notebook.as_str()).collect();
    assert_eq!(names, ["00_start_here.ipynb", "01_sql.ipynb", "03_s3.ipynb"]);
    let dir = stack.home().join("notebooks");
    for nb in &report.notebooks {
        let path = dir.join(&nb.notebook);
        assert_eq!(nb.kernel, "Rust (sourcelab)", "{}", nb.notebook);
        assert_eq!(nb.cells.len(), code_cells_calling(&path, ""), "{}: code cells on the page", nb.notebook);
        assert!(nb.cells.iter().all(|c| c.ran()), "{}: a cell did not run: {:?}", nb.notebook, nb.cells);
        assert!(nb.saved.iter().all(|c| c.execution_count.is_some()), "{}: saved without a count", nb.notebook);
        assert_eq!(nb.errors(), Vec::<String>::new(), "{}", nb.notebook);
        let stderr = nb.cells.iter().flat_map(|c| &c.outputs).filter(|o| o.mime.contains("stderr"));
        assert_eq!(stderr.count(), 0, "{}: an error-styled output", nb.notebook);
        // Every check cell shows its ✓ on the page.
        assert_eq!(nb.checks_passed().len(), code_cells_calling(&path, "check::"), "{}", nb.notebook);
        let png = std::fs::read(&nb.screenshot).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{}: screenshot", nb.notebook);
        assert!(nb.screenshot.starts_with(stack.state_dir().join("runs")));
    }
    let [start, sql, s3] = &report.notebooks[..] else { unreachable!() };
    // 00: the buckets, and the databases' schemas with their table counts.
    assert!(has_table(start, &["name", "created"]), "00's tables: {:?}", headers(start));
    assert!(has_table(start, &["schema_name", "tables"]), "00's tables: {:?}", headers(start));
    // 01: the film table's columns, a query's rows, GROUP BY.
    assert!(has_table(sql, &["table_name", "rows"]), "01: {:?}", headers(sql));
    assert!(has_table(sql, &["column", "type", "nullable", "key", "default"]), "01: {:?}", headers(sql));
    assert!(has_table(sql, &["title"]), "01: {:?}", headers(sql));
    assert!(has_table(sql, &["rating", "films_count"]), "01: {:?}", headers(sql));
    assert!(start.checks_passed().is_empty() && sql.checks_passed().len() == 12);
    // 03: the logo downloaded from S3 shows, twice (before and after the new version), at its own size.
    let images: Vec<_> = s3.cells.iter().flat_map(|c| &c.images).collect();
    assert_eq!(images.len(), 2, "03's images: {images:?}");
    for img in images {
        assert!(img.visible && img.natural_width >= 64 && img.natural_height >= 64, "{img:?}");
    }
    assert!(has_table(s3, &["productline", "ratings", "mean_rating"]), "03: {:?}", headers(s3));
    assert!(
        has_table(s3, &["key", "version_id", "is_latest", "delete_marker", "size", "modified"]),
        "03: {:?}",
        headers(s3)
    );
    // As a learner: Run All stops at the failing cell, shown as an error (red), and the cells after it do not run.
    let learner = report.learner.expect("the learner's try");
    let [connect, failing, after, _] = &learner.cells[..] else { panic!("{learner:?}") };
    assert!(connect.ran() && failing.ran(), "{learner:?}");
    let error = failing.outputs.iter().find(|o| o.mime.contains("stderr")).expect("an error output");
    assert!(
        error.text.contains("connect to MySQL/MariaDB at 127.0.0.1:1") && error.text.contains("hint:"),
        "{error:?}"
    );
    assert!(!after.ran() && after.outputs.is_empty(), "a cell after the failing one ran: {after:?}");
    // `db.` + Tab: the handle's public methods, none of its private fields, and the documentation beside the match.
    assert!(learner.members.iter().any(|m| m == "query") && learner.members.iter().any(|m| m == "tables()"));
    for private in ["h", "text", "config"] {
        assert!(!learner.members.iter().any(|m| m == private), "{private} offered: {:?}", learner.members);
    }
    assert!(learner.documentation.contains("fn "), "the documentation panel: {:?}", learner.documentation);
    // `db.qu` + Tab + Enter inserts the name only, so the line the learner finishes runs.
    assert!(learner.offered.is_empty() || learner.offered.iter().any(|o| o == "query"), "{:?}", learner.offered);
    assert_eq!(learner.typed.trim(), "db.query(\"SELECT 1 AS one\")?");
    assert!(learner.ran.ran() && learner.ran.tables.iter().any(|t| t.first().is_some_and(|h| h.starts_with("one"))));
    // The restart: the kernel comes back and answers from the library. Its count starts again: the cell gets the
    // number the first cell of Run All got in a fresh kernel, not the next one after the last cell.
    let restart = report.restart.expect("a restart");
    assert_eq!(
        (restart.notebook.as_str(), restart.cell, restart.kernel.as_str()),
        ("00_start_here.ipynb", 0, "Rust (sourcelab)")
    );
    let first = start.saved[0].execution_count.unwrap();
    assert!(start.saved.last().unwrap().execution_count.unwrap() > first);
    assert_eq!(restart.prompt.trim(), format!("[{first}]:"));
    let said: String = restart.outputs.iter().map(|o| o.text.clone()).collect();
    assert!(said.trim_matches('"').ends_with(".env") && !said.contains("rror"), "after the restart: {said:?}");
    // The checkout's notebooks are untouched: JupyterLab worked on copies.
    let original = std::fs::read_to_string(dir.join("01_sql.ipynb")).unwrap();
    assert!(!original.contains("\"execution_count\": 1"), "01_sql.ipynb was saved with outputs");
}

#[test]
fn a_missing_chromium_is_named_with_its_package_and_a_broken_one_fails_fast() {
    let stack = common::stack();
    let missing = browser::chromium(Some(Path::new("/nonexistent/chromium"))).unwrap_err().to_string();
    assert!(missing.contains("/nonexistent/chromium") && missing.contains("apt-get install chromium"), "{missing}");
    // A "browser" that exits at once: an error naming the binary, not a hang.
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_sourcelab"))
        .args(["browser-check", "--chromium", "/bin/false", "--out"])
        .arg(out.path())
        .env("SOURCELAB_HOME", stack.home())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(!status.status.success());
    assert!(stderr.contains("Chromium at /bin/false did not start"), "{stderr}");
}
