//! What values show in a notebook: query results, scans and listings are polars [`DataFrame`]s, shown as HTML
//! tables; every other value a cell ends with shows through [`Show`].
//!
//! A DataFrame shows as an HTML table with each column's name and type, values HTML-escaped, and long frames cut
//! to their first and last rows with a "N rows × M columns" footer; plain-text front ends get polars' box-drawn
//! table. In a notebook the table stays in the library and the cell holds a handle that shows exactly this
//! (see `sourcelab_notebook::Table`).

use std::fmt::Write as _;

use polars::prelude::AnyValue;
pub use polars::prelude::DataFrame;
pub use sourcelab_notebook::Png;

/// Rows shown before a long frame is cut (the first 10 and the last 5 then).
pub const MAX_ROWS: usize = 20;
const HEAD: usize = 10;
const TAIL: usize = 5;

/// What a value shows when it ends a notebook cell: a MIME bundle, by default its `Display` text.
///
/// evcxr calls `evcxr_display` on a cell's last value; the notebook boundary sends [`Show::mime`] to the cell.
pub trait Show: std::fmt::Display {
    /// The (MIME type, content) pairs to show.
    fn mime(&self) -> Vec<(String, String)> {
        vec![("text/plain".into(), self.to_string())]
    }

    /// Prints the bundle the way evcxr reads it.
    fn evcxr_display(&self) {
        sourcelab_notebook::wire::print_mime(&self.mime())
    }
}

/// The HTML table, and polars' text table for plain-text front ends.
impl Show for DataFrame {
    fn mime(&self) -> Vec<(String, String)> {
        vec![("text/html".into(), to_html(self)), ("text/plain".into(), self.to_string())]
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One value as a learner wants to read it: strings without quotes, nulls as `null`.
fn cell_text(v: &AnyValue<'_>) -> Option<String> {
    match v {
        AnyValue::Null => None,
        AnyValue::String(s) => Some((*s).to_string()),
        AnyValue::StringOwned(s) => Some(s.to_string()),
        other => Some(other.to_string()),
    }
}

/// One value as JSON: numbers and booleans as themselves, nulls as `null`, everything else (decimals, dates,
/// times) as the text a table shows.
pub fn value_to_json(v: &AnyValue<'_>) -> serde_json::Value {
    use serde_json::Value;
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => (*b).into(),
        AnyValue::Int8(i) => (*i).into(),
        AnyValue::Int16(i) => (*i).into(),
        AnyValue::Int32(i) => (*i).into(),
        AnyValue::Int64(i) => (*i).into(),
        AnyValue::UInt8(i) => (*i).into(),
        AnyValue::UInt16(i) => (*i).into(),
        AnyValue::UInt32(i) => (*i).into(),
        AnyValue::UInt64(i) => (*i).into(),
        AnyValue::Float32(f) => f64::from(*f).into(),
        AnyValue::Float64(f) => (*f).into(),
        other => cell_text(other).map(Value::from).unwrap_or(Value::Null),
    }
}

fn column_of<'a>(df: &'a DataFrame, column: &str) -> crate::Result<&'a polars::prelude::Column> {
    df.column(column).map_err(|_| {
        let names: Vec<String> = df.get_column_names().iter().map(|c| c.to_string()).collect();
        crate::Error::new(crate::ErrorKind::NotFound, format!("read column `{column}`"), "the table has no such column")
            .hint(format!("its columns are: {}", names.join(", ")))
    })
}

/// What a cell asks a table — a query result, a scan, a listing — and a script asks the library's `DataFrame`, with
/// the same names, arguments and results (`use sourcelab::prelude::*` brings it into scope; in a notebook the
/// same methods are on `Table`). Numbers stay exact and dates are text in the JSON ([`value_to_json`]).
///
/// ```
/// use sourcelab::prelude::*;
/// # fn main() -> sourcelab::Result<()> {
/// let films = polars::df!("title" => ["ALIEN CENTER", "ZORRO ARK"], "length" => [46i64, 50]).unwrap();
/// assert_eq!(films.value(1, "length")?, 50);
/// assert_eq!(films.column_names(), ["title", "length"]);
/// let long = films.sql("SELECT title FROM self WHERE length > 48")?;
/// assert_eq!(long.column_values("title")?, json!(["ZORRO ARK"]));
/// # Ok(()) }
/// ```
pub trait TableExt {
    /// The column names, in order.
    fn column_names(&self) -> Vec<String>;

    /// Each column's type as polars names it (`i64`, `str`, `datetime[μs]`, …).
    fn column_types(&self) -> Vec<String>;

    /// One value as JSON (`null` for SQL NULL; numbers exact, dates as text).
    fn value(&self, row: usize, column: &str) -> crate::Result<serde_json::Value>;

    /// Every row as a JSON object (column → value), in order.
    fn rows(&self) -> crate::Result<serde_json::Value>;

    /// One column's values as a JSON array.
    fn column_values(&self, column: &str) -> crate::Result<serde_json::Value>;

    /// SQL over this table, which the query calls `self` (run by polars):
    /// `clicks.sql("SELECT page, COUNT(*) AS clicks FROM self GROUP BY page")`.
    fn sql(&self, sql: &str) -> crate::Result<DataFrame>;
}

impl TableExt for DataFrame {
    fn column_names(&self) -> Vec<String> {
        self.get_column_names().iter().map(|c| c.to_string()).collect()
    }

    fn column_types(&self) -> Vec<String> {
        self.dtypes().iter().map(|t| t.to_string()).collect()
    }

    fn value(&self, row: usize, column: &str) -> crate::Result<serde_json::Value> {
        let c = column_of(self, column)?;
        let v = c.get(row).map_err(|_| {
            crate::Error::new(
                crate::ErrorKind::NotFound,
                format!("read row {row} of `{column}`"),
                format!("the table has {} rows (0 to {})", self.height(), self.height().saturating_sub(1)),
            )
        })?;
        Ok(value_to_json(&v))
    }

    fn rows(&self) -> crate::Result<serde_json::Value> {
        let columns = self.columns();
        Ok((0..self.height())
            .map(|i| {
                let row: serde_json::Map<String, serde_json::Value> = columns
                    .iter()
                    .map(|c| (c.name().to_string(), c.get(i).map(|v| value_to_json(&v)).unwrap_or_default()))
                    .collect();
                serde_json::Value::Object(row)
            })
            .collect())
    }

    fn column_values(&self, column: &str) -> crate::Result<serde_json::Value> {
        let c = column_of(self, column)?;
        Ok((0..self.height()).map(|i| c.get(i).map(|v| value_to_json(&v)).unwrap_or_default()).collect())
    }

    fn sql(&self, sql: &str) -> crate::Result<DataFrame> {
        sql_as(self.clone(), "self", sql)
    }
}

/// The HTML table (at most [`MAX_ROWS`] rows).
pub fn to_html(df: &DataFrame) -> String {
    let (rows, cols) = df.shape();
    let shown: Vec<Option<usize>> = if rows <= MAX_ROWS {
        (0..rows).map(Some).collect()
    } else {
        (0..HEAD).map(Some).chain(std::iter::once(None)).chain((rows - TAIL..rows).map(Some)).collect()
    };
    let mut h = String::from("<table class=\"sourcelab-frame\" style=\"border-collapse:collapse\">\n<thead><tr>");
    for c in df.columns() {
        let _ = write!(
            h,
            "<th style=\"text-align:left\">{}<br><span style=\"font-weight:normal;opacity:0.6\">{}</span></th>",
            escape_html(c.name()),
            escape_html(&c.dtype().to_string())
        );
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for row in shown {
        h.push_str("<tr>");
        match row {
            None => {
                for _ in 0..cols {
                    h.push_str("<td>…</td>");
                }
            }
            Some(i) => {
                for c in df.columns() {
                    match c.get(i).ok().as_ref().and_then(cell_text) {
                        Some(t) => {
                            let _ = write!(h, "<td>{}</td>", escape_html(&t));
                        }
                        None => h.push_str("<td><i style=\"opacity:0.5\">null</i></td>"),
                    }
                }
            }
        }
        h.push_str("</tr>\n");
    }
    let _ = write!(h, "</tbody>\n</table>\n<p><small>{rows} rows × {cols} columns</small></p>");
    h
}

/// SQL over a DataFrame, which the query calls `name`, run by polars on a thread of its own (its query engine
/// blocks on tasks of its own, which a single-threaded async runtime — a notebook cell's, a test's — forbids).
pub fn sql_as(df: DataFrame, name: &str, sql: &str) -> crate::Result<DataFrame> {
    use polars::prelude::IntoLazy;
    let failed = |cause: String| crate::Error::new(crate::ErrorKind::Input, format!("run SQL over {name}"), cause);
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let mut ctx = polars::sql::SQLContext::new();
                ctx.register(name, df.lazy());
                ctx.execute(sql).and_then(|lf| lf.collect()).map_err(|e| {
                    failed(e.to_string()).hint(format!("the table is {name}; quote column names with \"…\""))
                })
            })
            .join()
            .unwrap_or_else(|_| Err(failed("the query thread panicked".into())))
    })
}

/// Prints a value the way a notebook shows a cell's last expression, for scripts: nothing for `()`, the
/// `Display` text when the type has one (a table, an error, a transfer), else `Debug`. `sourcelab script` writes
/// `sourcelab::show!(…)` where a cell ends in an expression.
///
/// ```
/// sourcelab::show!(polars::df!("n" => [1i64, 2]).unwrap()); // the table, as polars prints it
/// sourcelab::show!(vec!["a", "b"]);                          // ["a", "b"]
/// sourcelab::show!(());                                      // nothing
/// ```
#[macro_export]
macro_rules! show {
    ($value:expr) => {{
        #[allow(unused_imports)]
        use $crate::frame::printed::{ByDebug as _, ByDisplay as _, Unit as _};
        (&&&$crate::frame::printed::Printed(&$value)).print();
    }};
}

/// How [`show!`] picks Display over Debug without specialization: method lookup tries `&&&Printed` first (unit),
/// then `&&Printed` (Display), then `&Printed` (Debug).
#[doc(hidden)]
pub mod printed {
    use std::fmt::{Debug, Display};

    pub struct Printed<'a, T: ?Sized>(pub &'a T);

    pub trait Unit {
        fn print(&self);
    }
    impl Unit for &&Printed<'_, ()> {
        fn print(&self) {}
    }

    pub trait ByDisplay {
        fn print(&self);
    }
    impl<T: Display + ?Sized> ByDisplay for &Printed<'_, T> {
        fn print(&self) {
            println!("{}", self.0)
        }
    }

    pub trait ByDebug {
        fn print(&self);
    }
    impl<T: Debug + ?Sized> ByDebug for Printed<'_, T> {
        fn print(&self) {
            println!("{:?}", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn html_escapes_names_types_and_values() {
        let df = df!("a<b" => ["<script>&\"'"], "n" => [Some(1i64)]).unwrap();
        let html = to_html(&df);
        assert!(html.contains("a&lt;b"), "{html}");
        assert!(html.contains("&lt;script&gt;&amp;&quot;&#39;"), "{html}");
        assert!(!html.contains("<script>"));
        assert!(html.contains(">i64<"), "{html}");
        assert!(html.contains("1 rows × 2 columns"));
    }

    #[test]
    fn nulls_show_as_null_and_strings_without_quotes() {
        let df = df!("s" => [Some("x"), None]).unwrap();
        let html = to_html(&df);
        assert!(html.contains("<td>x</td>"), "{html}");
        assert!(html.contains(">null</i>"), "{html}");
    }

    #[test]
    fn long_frames_show_head_gap_tail_and_footer() {
        let df = df!("i" => (0..100i64).collect::<Vec<_>>()).unwrap();
        let html = to_html(&df);
        assert_eq!(html.matches("<tr>").count(), 1 + HEAD + 1 + TAIL);
        assert!(html.contains("<td>9</td>") && !html.contains("<td>10</td>"));
        assert!(html.contains("<td>95</td>") && html.contains("<td>99</td>"));
        assert!(html.contains("100 rows × 1 columns"));
    }
}
