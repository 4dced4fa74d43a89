//! Charts of a table's columns (`sourcelab::plot`), drawn as SVG in the library; they show inline when they end a
//! cell. `x` is any column (shown as text), `y` a numeric one.

use serde_json::json;

use crate::client::call;
use crate::error::Result;
use crate::frame::{Shown, Table};

/// A chart (`sourcelab::plot::Plot`): shows as an SVG image; `data()` has its `title`, `points` and `max`.
pub type Plot = Shown;

fn draw(name: &str, table: &Table, x: &str, y: &str, title: &str) -> Result<Plot> {
    Ok(Shown::from_reply(call(name, json!({"frame": table.arg(), "x": x, "y": y, "title": title}))?))
}

/// A bar chart: one bar per row, `x` under it, height `y`.
pub fn bars(table: &Table, x: &str, y: &str, title: &str) -> Result<Plot> {
    draw("plot.bars", table, x, y, title)
}

/// A line chart: one point per row, in the table's order, joined.
pub fn line(table: &Table, x: &str, y: &str, title: &str) -> Result<Plot> {
    draw("plot.line", table, x, y, title)
}
