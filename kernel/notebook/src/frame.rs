//! What cells show: a [`Table`] (a DataFrame kept in the library), an image ([`Png`]), and [`Shown`], a value the
//! library rendered (a transfer, a diagnosis, a passed check…).
//!
//! When one of them ends a cell, evcxr calls its `evcxr_display` method: the notebook gets HTML (or an image)
//! and plain text, exactly as the library renders the value for scripts and the command line.

use std::fmt;

use serde_json::{Value, json};

use crate::client::{self, Shared, call, id};
use crate::error::Result;
use crate::wire::{bytes_to_json, mime_from_json, print_mime};

/// A DataFrame held by the library: a query result, a scan, a listing. The cell holds this handle; it shows as
/// an HTML table (column names and types, the first and last rows of long tables, "N rows × M columns").
/// Clones share the frame; dropping the last one frees it.
#[derive(Clone)]
pub struct Table {
    pub(crate) h: Shared,
    height: usize,
    columns: Vec<String>,
    dtypes: Vec<String>,
}

impl client::FromReply for Table {
    fn from_reply(v: Value) -> Result<Table> {
        Table::from_reply(v)
    }
}

impl Table {
    pub(crate) fn from_reply(v: Value) -> Result<Table> {
        Ok(Table {
            h: client::handle(&v)?,
            height: v["height"].as_u64().unwrap_or(0) as usize,
            columns: client::strings(&v["columns"]),
            dtypes: client::strings(&v["dtypes"]),
        })
    }

    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    /// Number of rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Number of columns.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// (rows, columns).
    pub fn shape(&self) -> (usize, usize) {
        (self.height, self.columns.len())
    }

    /// The column names, in order.
    pub fn column_names(&self) -> Vec<String> {
        self.columns.clone()
    }

    /// Each column's type as polars names it (`i64`, `str`, `datetime[μs]`, …).
    pub fn column_types(&self) -> Vec<String> {
        self.dtypes.clone()
    }

    /// Prints the table for evcxr (HTML, and polars' text table for plain-text front ends).
    pub fn evcxr_display(&self) {
        show(&self.h)
    }
}

/// Prints what the library renders for the value behind `h`.
pub(crate) fn show(h: &Shared) {
    match call("show", json!({"handle": id(h)})) {
        Ok(bundle) => print_mime(&mime_from_json(&bundle)),
        Err(e) => eprintln!("{e}"),
    }
}

/// The value's text as the library's `Display` writes it.
pub(crate) fn write_text(h: &Shared, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match call("text", json!({"handle": id(h)})) {
        Ok(t) => f.write_str(&client::text(&t)),
        Err(e) => write!(f, "({e})"),
    }
}

/// polars' box-drawn text table.
impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_text(&self.h, f)
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Table({} rows × {} columns: {})", self.height, self.columns.len(), self.columns.join(", "))
    }
}

/// A PNG image that shows inline in a notebook when it ends a cell: `Png(bytes)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Png(pub Vec<u8>);

impl fmt::Debug for Png {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Png({} bytes)", self.0.len())
    }
}

impl Png {
    /// The MIME bundle: the image as base64 `image/png`, with a text fallback.
    pub fn mime(&self) -> Vec<(String, String)> {
        let b64 = client::text(&bytes_to_json(&self.0));
        vec![("image/png".into(), b64), ("text/plain".into(), format!("{self:?}"))]
    }

    /// Prints the image for evcxr.
    pub fn evcxr_display(&self) {
        print_mime(&self.mime())
    }
}

/// A value the library made and rendered: what a transfer, a batch write, a diagnosis or a passed check says.
///
/// `Display` is the library's text, `evcxr_display` its notebook rendering; [`Shown::data`] has the value's fields
/// as JSON where the library gives them. The library's own types ([`Transfer`], [`BatchReport`], …) arrive as this.
#[derive(Clone, Default)]
pub struct Shown {
    text: String,
    mime: Vec<(String, String)>,
    data: Value,
}

/// What an upload or download did (`sourcelab::s3::Transfer`).
pub type Transfer = Shown;
/// What emptying and deleting a bucket removed (`sourcelab::s3::Emptied`).
pub type Emptied = Shown;
/// What a batch write did (`sourcelab::dynamo::BatchReport`).
pub type BatchReport = Shown;
/// The connectivity doctor's steps (`sourcelab::doctor::Diagnosis`).
pub type Diagnosis = Shown;
/// A passed exercise check (`sourcelab::check::Passed`).
pub type Passed = Shown;

impl client::FromReply for Shown {
    fn from_reply(v: Value) -> Result<Shown> {
        if !v["text"].is_string() {
            return Err(client::unexpected("a shown value", &v));
        }
        Ok(Shown::from_reply(v))
    }
}

impl Shown {
    pub(crate) fn from_reply(v: Value) -> Shown {
        Shown { text: client::text(&v["text"]), mime: mime_from_json(&v["mime"]), data: v["data"].clone() }
    }

    /// The value's fields as JSON (`null` when the library gives none).
    pub fn data(&self) -> &Value {
        &self.data
    }

    /// Prints the value for evcxr (HTML where the library renders some, else its text).
    pub fn evcxr_display(&self) {
        if self.mime.is_empty() {
            println!("{}", self.text);
        } else {
            print_mime(&self.mime)
        }
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
