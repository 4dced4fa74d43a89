//! The page `sourcelab run` writes next to the executed copies: `report.html`.
//!
//! One row per notebook — status, code cells, seconds, the kernel's start, the slowest cells with their first
//! line, the failed cell's error — and links to the executed copies (`.html` to read, `.ipynb` to open in
//! JupyterLab). An instructor who ran the labs as a demo, or a learner whose run failed, opens this one page.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::NotebookReport;
use crate::error::{Error, Result};
use crate::frame::escape_html;

/// How many of a notebook's slowest cells the report lists.
pub const SLOWEST: usize = 3;

/// One of a notebook's slowest cells.
#[derive(Debug, Clone, PartialEq)]
pub struct SlowCell {
    /// Its number among the notebook's code cells, from 1 (as the runner counts them in its progress).
    pub code_cell: usize,
    /// Its seconds.
    pub seconds: f64,
    /// The first line of its source.
    pub first_line: String,
}

/// The `n` slowest cells of `report`, slowest first; `executed` is the executed copy (for the sources).
pub fn slowest_cells(report: &NotebookReport, executed: Option<&Value>, n: usize) -> Vec<SlowCell> {
    let sources: Vec<String> = executed
        .and_then(|nb| nb["cells"].as_array())
        .map(|cells| {
            let code = cells.iter().filter(|c| c["cell_type"] == "code");
            code.map(crate::course::script::cell_text).collect()
        })
        .unwrap_or_default();
    let mut cells: Vec<(usize, f64)> =
        report.cell_seconds.iter().copied().enumerate().filter(|(_, s)| *s >= 0.0).collect();
    cells.sort_by(|a, b| b.1.total_cmp(&a.1));
    cells
        .into_iter()
        .take(n)
        .map(|(i, seconds)| SlowCell {
            code_cell: i + 1,
            seconds,
            first_line: sources.get(i).and_then(|s| s.lines().next()).unwrap_or("").to_string(),
        })
        .collect()
}

/// The start of one of our HTML pages: doctype, title, and a plain table style plus `css`.
pub(crate) fn page_head(title: &str, css: &str) -> String {
    format!(
        "<!doctype html><meta charset=\"utf-8\"><title>{t}</title>\n<style>body{{font-family:sans-serif}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}{css}</style>\n\
         <h1>{t}</h1>\n",
        t = escape_html(title)
    )
}

/// Writes `report.html` into `out` (the executed copies' folder) for `reports`; its path.
pub fn write_run_report(reports: &[NotebookReport], out: &Path) -> Result<PathBuf> {
    let mut h = page_head("sourcelab run", ".ok{background:#d4f7d4}.failed{background:#f7d4d4}code{font-size:90%}");
    let failed = reports.iter().filter(|r| !r.ok()).count();
    h.push_str(&format!(
        "<p>{} notebooks: {} passed, {failed} failed; {:.1} s in all.</p>\n",
        reports.len(),
        reports.len() - failed,
        reports.iter().map(|r| r.seconds).sum::<f64>()
    ));
    h.push_str(
        "<table><tr><th>notebook</th><th>status</th><th>code cells</th><th>seconds</th><th>kernel start</th>\
         <th>slowest cells</th><th>executed copies</th></tr>\n",
    );
    for r in reports {
        let stem = Path::new(&r.notebook).file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let executed: Option<Value> =
            std::fs::read_to_string(out.join(format!("{stem}.ipynb"))).ok().and_then(|t| serde_json::from_str(&t).ok());
        let slow: Vec<String> = slowest_cells(r, executed.as_ref(), SLOWEST)
            .iter()
            .map(|c| format!("cell {}: {:.2} s <code>{}</code>", c.code_cell, c.seconds, escape_html(&c.first_line)))
            .collect();
        let status = match (&r.error, r.failed_cell) {
            (Some(e), cell) => format!(
                "{} {}<br><small>{}</small>",
                escape_html(&r.status),
                cell.map(|c| format!("at cell {}", c + 1)).unwrap_or_default(),
                escape_html(e)
            ),
            (None, _) => escape_html(&r.status),
        };
        h.push_str(&format!(
            "<tr class=\"{class}\"><td>{name}</td><td>{status}</td><td>{cells}</td><td>{secs:.1}</td><td>{start}</td>\
             <td>{slow}</td><td><a href=\"{stem}.html\">{stem}.html</a> · <a href=\"{stem}.ipynb\">{stem}.ipynb</a></td></tr>\n",
            class = if r.ok() { "ok" } else { "failed" },
            name = escape_html(&stem),
            cells = r.cells,
            secs = r.seconds,
            start = r.startup_seconds.map(|s| format!("{s:.1} s")).unwrap_or_default(),
            slow = slow.join("<br>"),
            stem = escape_html(&stem),
        ));
    }
    h.push_str("</table>\n");
    let path = out.join("report.html");
    std::fs::write(&path, h).map_err(|e| Error::io("write", &path, e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(seconds: Vec<f64>) -> NotebookReport {
        NotebookReport {
            notebook: "notebooks/01_sql.ipynb".into(),
            cells: seconds.len(),
            seconds: seconds.iter().filter(|s| **s > 0.0).sum(),
            startup_seconds: Some(2.0),
            cell_seconds: seconds,
            status: "ok".into(),
            failed_cell: None,
            error: None,
            checks: vec![],
        }
    }

    #[test]
    fn the_slowest_cells_come_first_with_their_first_line_and_cells_not_run_are_left_out() {
        let nb = serde_json::json!({"cells": [
            {"cell_type": "markdown", "source": ["# title"]},
            {"cell_type": "code", "source": ["let a = 1;\n", "a"]},
            {"cell_type": "code", "source": "slow()?\nmore"},
            {"cell_type": "code", "source": ["never()"]},
        ]});
        let slow = slowest_cells(&report(vec![0.2, 3.5, -1.0]), Some(&nb), 3);
        assert_eq!(
            slow,
            vec![
                SlowCell { code_cell: 2, seconds: 3.5, first_line: "slow()?".into() },
                SlowCell { code_cell: 1, seconds: 0.2, first_line: "let a = 1;".into() },
            ]
        );
    }

    #[test]
    fn the_page_links_the_executed_copies_and_escapes_sources() {
        let dir = tempfile::tempdir().unwrap();
        let nb = serde_json::json!({"cells": [{"cell_type": "code", "source": ["db.query(\"SELECT 1 < 2\")?"]}]});
        std::fs::write(dir.path().join("01_sql.ipynb"), nb.to_string()).unwrap();
        let mut failed = report(vec![1.25]);
        failed.notebook = "notebooks/02_dynamodb.ipynb".into();
        failed.status = "failed".into();
        failed.failed_cell = Some(4);
        failed.error = Some("table <x> not found".into());
        let path = write_run_report(&[report(vec![1.25]), failed], dir.path()).unwrap();
        let page = std::fs::read_to_string(path).unwrap();
        assert!(page.contains("2 notebooks: 1 passed, 1 failed"), "{page}");
        assert!(page.contains("<a href=\"01_sql.html\">") && page.contains("<a href=\"02_dynamodb.ipynb\">"));
        assert!(page.contains("cell 1: 1.25 s <code>db.query(&quot;SELECT 1 &lt; 2&quot;)?</code>"), "{page}");
        assert!(page.contains("failed at cell 5<br><small>table &lt;x&gt; not found</small>"), "{page}");
    }
}
