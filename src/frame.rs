//! DataFrames in notebooks: query results, scans and listings come back as polars [`DataFrame`]s.
//!
//! When a DataFrame is the last expression of a cell, evcxr calls its `evcxr_display` method, which
//! [`HtmlTable`] provides (the kernel's prelude imports it): the notebook shows an HTML table with each column's
//! name and type, values HTML-escaped, and long frames cut to their first and last rows with a
//! "N rows × M columns" footer. Plain-text front ends get polars' box-drawn table instead.

use std::fmt::Write as _;

use polars::prelude::AnyValue;
pub use polars::prelude::DataFrame;

/// Rows shown before a long frame is cut (the first 10 and the last 5 then).
pub const MAX_ROWS: usize = 20;
const HEAD: usize = 10;
const TAIL: usize = 5;

/// Renders a DataFrame as a notebook table.
pub trait HtmlTable {
    /// The HTML table (at most [`MAX_ROWS`] rows).
    fn to_html(&self) -> String;
    /// Prints the table for evcxr: HTML for Jupyter, plain text for everything else.
    fn evcxr_display(&self);
}

impl HtmlTable for DataFrame {
    fn to_html(&self) -> String {
        html_table(self)
    }

    fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT", html_table(self));
        println!("EVCXR_BEGIN_CONTENT text/plain\n{self}\nEVCXR_END_CONTENT");
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

fn html_table(df: &DataFrame) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn html_escapes_names_types_and_values() {
        let df = df!("a<b" => ["<script>&\"'"], "n" => [Some(1i64)]).unwrap();
        let html = df.to_html();
        assert!(html.contains("a&lt;b"), "{html}");
        assert!(html.contains("&lt;script&gt;&amp;&quot;&#39;"), "{html}");
        assert!(!html.contains("<script>"));
        assert!(html.contains(">i64<"), "{html}");
        assert!(html.contains("1 rows × 2 columns"));
    }

    #[test]
    fn nulls_show_as_null_and_strings_without_quotes() {
        let df = df!("s" => [Some("x"), None]).unwrap();
        let html = df.to_html();
        assert!(html.contains("<td>x</td>"), "{html}");
        assert!(html.contains(">null</i>"), "{html}");
    }

    #[test]
    fn long_frames_show_head_gap_tail_and_footer() {
        let df = df!("i" => (0..100i64).collect::<Vec<_>>()).unwrap();
        let html = df.to_html();
        assert_eq!(html.matches("<tr>").count(), 1 + HEAD + 1 + TAIL);
        assert!(html.contains("<td>9</td>") && !html.contains("<td>10</td>"));
        assert!(html.contains("<td>95</td>") && html.contains("<td>99</td>"));
        assert!(html.contains("100 rows × 1 columns"));
    }
}

/// A PNG image that shows inline in a notebook when it ends a cell: `Png(bytes)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Png(pub Vec<u8>);

impl std::fmt::Debug for Png {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Png({} bytes)", self.0.len())
    }
}

impl Png {
    /// Prints the image for evcxr (base64 `image/png`), with a text fallback.
    pub fn evcxr_display(&self) {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.0);
        println!("EVCXR_BEGIN_CONTENT image/png\n{b64}\nEVCXR_END_CONTENT");
        println!("EVCXR_BEGIN_CONTENT text/plain\n{self:?}\nEVCXR_END_CONTENT");
    }
}
