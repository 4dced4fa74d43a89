//! Learner copies of the solution notebooks.
//!
//! In a solution notebook (`notebooks/NN_*.ipynb`) the part a learner writes sits between two marker lines:
//!
//! ```text
//! let films = db.query(
//!     // BEGIN SOLUTION
//!     "SELECT title, length, release_year FROM film LIMIT 4"
//!     // END SOLUTION
//! )?;
//! ```
//!
//! In a `%%sql` cell the markers are SQL comments (`-- BEGIN SOLUTION`, `-- END SOLUTION`).
//!
//! [`learner_copy`] replaces each marked region (markers included) by a placeholder: in Rust [`PLACEHOLDER`], a SQL
//! string that still compiles, in SQL [`SQL_PLACEHOLDER`], or the text after a colon on the marker line
//! (`// BEGIN SOLUTION: todo!("the key")`); the learner copies go to `notebooks/exercises/`. `sourcelab exercises`
//! writes them; the tests fail when a committed copy is not what the solution notebook gives now.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// Opens a region a learner writes (in Rust; in SQL the same words after `--`).
pub const BEGIN: &str = "// BEGIN SOLUTION";
/// Closes it.
pub const END: &str = "// END SOLUTION";
/// What a learner finds instead in Rust (a SQL string: every marked region sits where a SQL text goes).
pub const PLACEHOLDER: &str = "\"-- write your SQL here\"";
/// What a learner finds instead in a SQL cell.
pub const SQL_PLACEHOLDER: &str = "-- write your SQL here";

/// The marker words after the comment start: `BEGIN SOLUTION` / `END SOLUTION`.
fn marker<'a>(line: &'a str, which: &str) -> Option<(&'a str, bool)> {
    let words = &which[3..];
    line.strip_prefix("// ")
        .and_then(|l| l.strip_prefix(words))
        .map(|rest| (rest, false))
        .or_else(|| line.strip_prefix("-- ").and_then(|l| l.strip_prefix(words)).map(|rest| (rest, true)))
}

/// The learner copy of a solution notebook's JSON text.
pub fn learner_copy(notebook: &str, name: &str) -> Result<String> {
    let bad = |cause: String| {
        Error::new(ErrorKind::Input, format!("make the learner copy of {name}"), cause)
            .hint(format!("check the `{BEGIN}` / `{END}` lines"))
    };
    let mut nb: Value = serde_json::from_str(notebook).map_err(|e| bad(format!("not a notebook: {e}")))?;
    let cells = nb.get_mut("cells").and_then(Value::as_array_mut).ok_or_else(|| bad("no cells".into()))?;
    for (index, cell) in cells.iter_mut().enumerate() {
        let text = super::script::cell_text(cell);
        if !text.contains(&BEGIN[3..]) {
            continue;
        }
        let mut out: Vec<String> = Vec::new();
        let mut inside = false;
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim();
            if let Some((rest, sql)) = marker(trimmed, BEGIN) {
                if inside {
                    return Err(bad(format!("cell {} opens a region twice", index + 1)));
                }
                inside = true;
                let indent = &line[..line.len() - line.trim_start().len()];
                let given = if sql { SQL_PLACEHOLDER } else { PLACEHOLDER };
                let placeholder = rest.strip_prefix(':').map(str::trim).unwrap_or(given);
                out.push(format!("{indent}{placeholder}\n"));
            } else if marker(trimmed, END).is_some_and(|(rest, _)| rest.is_empty()) {
                if !inside {
                    return Err(bad(format!("cell {} closes a region it never opened", index + 1)));
                }
                inside = false;
            } else if !inside {
                out.push(line.to_string());
            }
        }
        if inside {
            return Err(bad(format!("cell {} never closes its region", index + 1)));
        }
        let mut joined = out.concat();
        if !text.ends_with('\n') && joined.ends_with('\n') {
            joined.pop();
        }
        cell["source"] = Value::Array(joined.split_inclusive('\n').map(|l| Value::String(l.to_string())).collect());
    }
    let mut text = serde_json::to_string_pretty(&nb).map_err(|e| bad(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// The folder of the learner copies.
pub fn dir(home: &Path) -> PathBuf {
    home.join("notebooks").join("exercises")
}

/// (solution notebook, learner copy path, learner copy text) for every notebook with exercises.
pub fn learner_copies(home: &Path) -> Result<Vec<(PathBuf, PathBuf, String)>> {
    let stack = crate::local::Stack::at(home);
    let mut out = Vec::new();
    for nb in crate::kernel::lab_notebooks(&stack)? {
        let text = std::fs::read_to_string(&nb).map_err(|e| Error::io("read", &nb, e))?;
        if !text.contains(&BEGIN[3..]) {
            continue;
        }
        let name = nb.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let copy = learner_copy(&text, &name)?;
        out.push((nb, dir(home).join(&name), copy));
    }
    Ok(out)
}

/// Writes every learner copy; returns their paths.
pub fn write_learner_copies(home: &Path) -> Result<Vec<PathBuf>> {
    let d = dir(home);
    std::fs::create_dir_all(&d).map_err(|e| Error::io("create folder", &d, e))?;
    let mut written = Vec::new();
    for (_, path, text) in learner_copies(home)? {
        std::fs::write(&path, text).map_err(|e| Error::io("write", &path, e))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nb(source: &str) -> String {
        serde_json::json!({"cells": [{"cell_type": "code", "source": source, "outputs": [], "metadata": {}}],
                           "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        .to_string()
    }

    fn source_of(copy: &str) -> String {
        let v: Value = serde_json::from_str(copy).unwrap();
        crate::course::script::cell_text(&v["cells"][0])
    }

    #[test]
    fn marked_regions_become_the_placeholder() {
        let src = "let df = db.query(\n    // BEGIN SOLUTION\n    \"SELECT 1\"\n    // END SOLUTION\n)?;\ndf";
        let copy = learner_copy(&nb(src), "x.ipynb").unwrap();
        assert_eq!(source_of(&copy), "let df = db.query(\n    \"-- write your SQL here\"\n)?;\ndf");
    }

    #[test]
    fn sql_regions_become_a_sql_comment() {
        let src = "%%sql films <<\n-- BEGIN SOLUTION\nSELECT 1\n-- END SOLUTION";
        let copy = learner_copy(&nb(src), "x.ipynb").unwrap();
        assert_eq!(source_of(&copy), "%%sql films <<\n-- write your SQL here");
    }

    #[test]
    fn cells_without_markers_are_unchanged() {
        let copy = learner_copy(&nb("db.tables()?"), "x.ipynb").unwrap();
        assert_eq!(source_of(&copy), "db.tables()?");
    }

    #[test]
    fn an_unclosed_region_is_an_error_naming_the_cell() {
        let err = learner_copy(&nb("// BEGIN SOLUTION\nx"), "lab.ipynb").unwrap_err();
        assert!(err.to_string().contains("lab.ipynb") && err.to_string().contains("cell 1 never closes"), "{err}");
    }
}
