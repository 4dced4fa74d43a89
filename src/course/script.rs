//! A notebook as a script: every code cell of a solution notebook, in order, in one `main` against this library.
//!
//! A cell and a script line are the same Rust: cells compile against the notebook crate, scripts against
//! `sourcelab`, and both offer the same names, arguments and results (`use sourcelab::prelude::*;` in a script is
//! what the kernel imports into a notebook). [`script`] turns a whole notebook into one:
//!
//! ```text
//! sourcelab script notebooks/05_acid.ipynb > my_acid.rs
//! ```
//!
//! Two things a notebook does for a cell become code:
//!
//! - the value of a cell's last expression, which a notebook shows, is printed ([`crate::show!`]: a table prints
//!   as a table, an error as its text);
//! - a `%%sql` cell becomes the `sql_cell(…)` call the kernel itself compiles for it, printing the result and
//!   keeping it when the cell says `name <<`.
//!
//! The tests turn every solution notebook into a script, compile them together against the library and run them
//! against the local stack, so the notebook crate and the library cannot drift apart; `examples/lab05_acid.rs` is
//! one, kept current by the same tests.

use ra_ap_syntax::ast::{self, AstNode, HasModuleItem};
use ra_ap_syntax::{Edition, SourceFile, TextRange};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::kernel::magic::sql_cell;

/// The code cells of a notebook's JSON text, in order.
pub fn code_cells(notebook: &str, name: &str) -> Result<Vec<String>> {
    let bad = |cause: String| {
        Error::new(ErrorKind::Input, format!("read the cells of {name}"), cause)
            .hint("open it in JupyterLab and save it again, or check that it is a notebook (.ipynb)")
    };
    let nb: Value = serde_json::from_str(notebook).map_err(|e| bad(format!("not a notebook: {e}")))?;
    let cells = nb.get("cells").and_then(Value::as_array).ok_or_else(|| bad("no `cells` list".into()))?;
    Ok(cells.iter().filter(|c| c["cell_type"] == "code").map(cell_text).collect())
}

/// A notebook cell's source as one string: nbformat stores it as one string or as a list of lines.
pub(crate) fn cell_text(cell: &Value) -> String {
    match &cell["source"] {
        Value::String(s) => s.clone(),
        Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

/// The statements of the notebook's cells, in order, each cell under a `// cell N` line: the body of a function
/// that returns `sourcelab::Result<()>`.
pub fn statements(notebook: &str, name: &str) -> Result<String> {
    let mut out = String::new();
    for (i, cell) in code_cells(notebook, name)?.iter().enumerate() {
        if cell.trim().is_empty() {
            continue;
        }
        let at = |e: Error| {
            let located = Error::new(e.kind(), format!("{name}, cell {}: {}", i + 1, e.what()), e.cause());
            match e.hint_text() {
                Some(hint) => located.hint(hint),
                None => located,
            }
        };
        let code = match sql_cell(cell).map_err(at)? {
            Some(sql) => sql.script_line(),
            None => printed_tail(cell),
        };
        out.push_str(&format!("// cell {}\n{}\n", i + 1, code.trim_end()));
    }
    Ok(out)
}

/// A whole script: `use sourcelab::prelude::*;` and a `main` that runs every cell of the notebook in order.
pub fn script(notebook: &str, name: &str) -> Result<String> {
    let body = statements(notebook, name)?;
    let indented: String =
        body.lines().map(|l| if l.is_empty() { "\n".to_string() } else { format!("    {l}\n") }).collect();
    Ok(format!(
        "//! `{name}` as a script: every code cell, in order, against the sourcelab library.\n\
         //! Written by `sourcelab script notebooks/{name}`; run it with the stack up (`sourcelab up`).\n\n\
         use sourcelab::prelude::*;\n\n\
         #[rustfmt::skip] // the cells as they are written\n\
         fn main() -> Result<()> {{\n{indented}    Ok(())\n}}\n"
    ))
}

/// The cell with its last expression, which a notebook shows, printed instead.
fn printed_tail(cell: &str) -> String {
    const OPEN: &str = "fn cell() {\n";
    let wrapped = format!("{OPEN}{cell}\n}}");
    let file = SourceFile::parse(&wrapped, Edition::Edition2024).tree();
    let tail: Option<TextRange> = file.items().find_map(|item| match item {
        ast::Item::Fn(f) => f.body()?.stmt_list()?.tail_expr().map(|e| e.syntax().text_range()),
        _ => None,
    });
    match tail {
        Some(range) => {
            let (start, end) = (usize::from(range.start()), usize::from(range.end()));
            format!(
                "{}sourcelab::show!({});{}",
                &wrapped[OPEN.len()..start],
                &wrapped[start..end],
                &wrapped[end..wrapped.len() - 2]
            )
        }
        None => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notebook(cells: &[&str]) -> String {
        let cells: Vec<Value> =
            cells.iter().map(|c| serde_json::json!({"cell_type": "code", "source": c, "metadata": {}})).collect();
        serde_json::json!({"cells": cells}).to_string()
    }

    #[test]
    fn a_shown_value_is_printed_and_statements_stay() {
        let body =
            statements(&notebook(&["let env = load_env()?;", "db.query(\"SELECT 1\")?", "// only a comment"]), "x")
                .unwrap();
        assert_eq!(
            body,
            "// cell 1\nlet env = load_env()?;\n// cell 2\nsourcelab::show!(db.query(\"SELECT 1\")?);\n// cell 3\n// only a comment\n"
        );
    }

    #[test]
    fn only_the_last_expression_is_printed() {
        let cell = "let a = 1;\nif a > 0 { println!(\"big\") }\n a + 1 // the answer";
        assert_eq!(
            printed_tail(cell),
            "let a = 1;\nif a > 0 { println!(\"big\") }\n sourcelab::show!(a + 1); // the answer"
        );
    }

    #[test]
    fn a_sql_cell_becomes_the_kernels_call() {
        let body =
            statements(&notebook(&["%%sql films <<\nSELECT title FROM film WHERE length > {min}"]), "x").unwrap();
        assert_eq!(
            body,
            "// cell 1\nlet films = sourcelab::sql_cell(\"mysql\", r#\"SELECT title FROM film WHERE length > {min}\"#, \
             &[(\"min\", sourcelab::SqlValue::of(&min))])?;\n"
        );
    }

    #[test]
    fn a_bad_magic_names_the_notebook_and_cell() {
        let err = statements(&notebook(&["let a = 1;", "%%bash\nls"]), "03_s3.ipynb").unwrap_err();
        assert!(err.to_string().contains("03_s3.ipynb, cell 2"), "{err}");
    }
}
