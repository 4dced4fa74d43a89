//! What a cell is before it runs: Rust for the engine, or a `%%sql` cell; and whether it is complete yet.
//!
//! A SQL cell ([`SqlCell`]) is the first line `%%sql`, optionally followed by the engine (`postgres`; `mysql` is
//! the default) and `name <<` to keep the result, then the SQL:
//!
//! ```text
//! %%sql postgres ratings <<
//! SELECT user_id, COUNT(*) AS n FROM ratings GROUP BY user_id ORDER BY n DESC LIMIT {top}
//! ```
//!
//! One that only shows its result runs in the kernel ([`crate::sql::script::cell`]) without compiling anything.
//! One that keeps its result or uses a Rust variable (`{top}`) becomes one line of Rust for the engine
//! ([`SqlCell::rust`]), because the value lives there and the kept table must too.

use crate::config::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::sql::script::placeholders;

/// A `%%sql` cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SqlCell {
    pub engine: Engine,
    /// `films` in `%%sql films <<`.
    pub keep: Option<String>,
    pub sql: String,
    /// The Rust variables the SQL names (`{name}`), each once, in order.
    pub uses: Vec<String>,
}

/// What the `%%sql` line accepts, for errors.
const USAGE: &str = "write `%%sql`, `%%sql postgres`, `%%sql films <<` or `%%sql postgres films <<` on the first line, \
                     the SQL below it";

/// The `%%sql` cell `code` is, `None` when it is not one (Rust).
pub(crate) fn sql_cell(code: &str) -> Result<Option<SqlCell>> {
    let trimmed = code.trim_start();
    let Some(rest) = trimmed.strip_prefix("%%") else { return Ok(None) };
    let (first, body) = rest.split_once('\n').unwrap_or((rest, ""));
    let mut words = first.split_whitespace();
    match words.next() {
        Some("sql") => {}
        Some(other) => {
            return Err(Error::new(
                ErrorKind::Input,
                "read the cell's first line",
                format!("unknown magic `%%{other}`"),
            )
            .hint("this kernel knows `%%sql` (SQL cells); every other cell is Rust"));
        }
        None => {
            return Err(Error::new(ErrorKind::Input, "read the cell's first line", "`%%` names no magic").hint(USAGE));
        }
    }
    let words: Vec<&str> = words.collect();
    let (engine, rest) = match words.first().copied() {
        Some("postgres" | "postgresql") => (Engine::Postgres, &words[1..]),
        Some("mysql" | "mariadb") => (Engine::MySql, &words[1..]),
        _ => (Engine::MySql, &words[..]),
    };
    let keep = match rest {
        [] => None,
        [name, "<<"] => Some(variable_name(name)?),
        [name] if name.ends_with("<<") && name.len() > 2 => Some(variable_name(&name[..name.len() - 2])?),
        other => {
            return Err(Error::new(
                ErrorKind::Input,
                "read the `%%sql` line",
                format!("`{}` is not understood there", other.join(" ")),
            )
            .hint(USAGE));
        }
    };
    if body.trim().is_empty() {
        return Err(Error::new(ErrorKind::Input, "run the SQL cell", "it has no SQL below the `%%sql` line")
            .hint("write the statements on the lines after `%%sql`"));
    }
    // The names interpolate will ask for; one that is a Rust keyword cannot be a variable (the run says it has no value).
    let uses = placeholders(body, engine).into_iter().filter(|n| variable_name(n).is_ok()).collect();
    Ok(Some(SqlCell { engine, keep, sql: body.to_string(), uses }))
}

fn variable_name(name: &str) -> Result<String> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&name);
    if ok {
        Ok(name.to_string())
    } else {
        Err(Error::new(ErrorKind::Input, "read the `%%sql` line", format!("`{name}` cannot name a Rust variable"))
            .hint("use letters, digits and `_`, starting with a letter, e.g. `%%sql films <<`"))
    }
}

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in",
    "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super",
    "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn", "gen",
];

/// Types whose values `{name}` can put into SQL (evcxr's names for them).
const PARAM_TYPES: &[&str] = &[
    "String",
    "&str",
    "&'static str",
    "&String",
    "i8",
    "i16",
    "i32",
    "i64",
    "isize",
    "u8",
    "u16",
    "u32",
    "u64",
    "usize",
    "f32",
    "f64",
    "bool",
    "SqlValue",
    "sourcelab_notebook::SqlValue",
    "sourcelab_notebook::values::SqlValue",
];

impl SqlCell {
    /// Whether the kernel runs it itself: it shows its result only and uses no Rust variable.
    pub(crate) fn runs_in_kernel(&self) -> bool {
        self.keep.is_none() && self.uses.is_empty()
    }

    /// The Rust line that runs it in the engine; `variables` are the cells' variables and types (to check each
    /// `{name}` before compiling anything).
    pub(crate) fn rust(&self, variables: &[(String, String)]) -> Result<String> {
        let mut values = Vec::new();
        for name in &self.uses {
            let Some((_, ty)) = variables.iter().find(|(n, _)| n == name) else {
                return Err(Error::new(
                    ErrorKind::Input,
                    format!("put `{{{name}}}` into the SQL"),
                    format!("no variable `{name}` in this kernel"),
                )
                .hint(format!(
                    "set it in a Rust cell first, e.g. `let {name} = \"…\";` (or write {{{{{name}}}}} for a brace)"
                )));
            };
            if !PARAM_TYPES.contains(&ty.as_str()) {
                return Err(Error::new(
                    ErrorKind::Input,
                    format!("put `{{{name}}}` into the SQL"),
                    format!("`{name}` is a {ty}; only a string or a number can go into SQL"),
                )
                .hint(format!("use a value such as `let {name} = \"…\";` or `let {name} = 5;`")));
            }
            values.push(format!("({name:?}, sourcelab_notebook::SqlValue::of(&{name}))"));
        }
        Ok(self.call("sourcelab_notebook", &values))
    }

    /// The same call in a script against the library (`sourcelab::sql_cell`, [`crate::course::script`]): the
    /// compiler checks each `{name}`'s type there.
    pub(crate) fn script_line(&self) -> String {
        let values: Vec<String> =
            self.uses.iter().map(|name| format!("({name:?}, sourcelab::SqlValue::of(&{name}))")).collect();
        self.call("sourcelab", &values)
    }

    /// `[let name = ]krate::sql_cell(engine, sql, &[values])?;`.
    fn call(&self, krate: &str, values: &[String]) -> String {
        let call = format!(
            "{krate}::sql_cell({:?}, {}, &[{}])?",
            self.engine.scheme(),
            raw_string(&self.sql),
            values.join(", ")
        );
        match &self.keep {
            Some(name) => format!("let {name} = {call};"),
            None => format!("{call};"),
        }
    }
}

/// `text` as a Rust raw string literal.
fn raw_string(text: &str) -> String {
    let mut hashes = String::from("#");
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}\"{text}\"{hashes}")
}

/// Whether a cell is complete (`jupyter console` runs it on Enter) or needs more lines: an unclosed bracket,
/// string or comment needs more; a stray closing bracket is invalid. A `%%sql` cell ends with an empty line.
pub(crate) fn is_complete(code: &str) -> Completeness {
    if code.trim_start().starts_with("%%") {
        let last = code.rsplit('\n').next().unwrap_or_default();
        return if code.contains('\n') && last.trim().is_empty() {
            Completeness::Complete
        } else {
            Completeness::Incomplete
        };
    }
    let mut open: Vec<char> = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                let mut depth = 1;
                i += 2;
                while i < chars.len() && depth > 0 {
                    match (chars[i], chars.get(i + 1).copied()) {
                        ('/', Some('*')) => (depth, i) = (depth + 1, i + 1),
                        ('*', Some('/')) => (depth, i) = (depth - 1, i + 1),
                        _ => {}
                    }
                    i += 1;
                }
                if depth > 0 {
                    return Completeness::Incomplete;
                }
                continue;
            }
            '"' => match string_end(&chars, i + 1, 0) {
                Some(end) => i = end,
                None => return Completeness::Incomplete,
            },
            'r' if matches!(next, Some('"' | '#')) && !ident_before(&chars, i) => {
                let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
                if chars.get(i + 1 + hashes) == Some(&'"') {
                    match string_end(&chars, i + 2 + hashes, hashes) {
                        Some(end) => i = end,
                        None => return Completeness::Incomplete,
                    }
                }
            }
            '\'' => {
                // A char literal ('a', '\n', '\'') or a lifetime ('a): skip a literal, leave a lifetime.
                if next == Some('\\') {
                    if let Some(close) = chars[i + 2..].iter().skip(1).position(|&c| c == '\'') {
                        i += close + 3;
                    }
                } else if chars.get(i + 2) == Some(&'\'') {
                    i += 2;
                }
            }
            '(' | '[' | '{' => open.push(c),
            ')' | ']' | '}' => {
                let want = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if open.pop() != Some(want) {
                    return Completeness::Invalid;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if open.is_empty() { Completeness::Complete } else { Completeness::Incomplete }
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The index of the quote that closes a string starting at `from` (`hashes` for a raw string).
fn string_end(chars: &[char], from: usize, hashes: usize) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '\\' if hashes == 0 => i += 1,
            '"' if chars[i + 1..].iter().take(hashes).filter(|&&h| h == '#').count() == hashes => {
                return Some(i + hashes);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The answer to `is_complete_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Completeness {
    Complete,
    Incomplete,
    Invalid,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sql_line() {
        let cell = sql_cell("%%sql\nSELECT 1").unwrap().unwrap();
        assert_eq!((cell.engine, cell.keep.as_deref(), cell.sql.as_str()), (Engine::MySql, None, "SELECT 1"));
        assert!(cell.runs_in_kernel());
        let cell = sql_cell("%%sql postgres films <<\nSELECT * FROM f WHERE a = {x} AND b = {x} AND c = {{y}}")
            .unwrap()
            .unwrap();
        assert_eq!((cell.engine, cell.keep.as_deref()), (Engine::Postgres, Some("films")));
        assert_eq!(cell.uses, vec!["x"]);
        assert!(!cell.runs_in_kernel());
        assert_eq!(sql_cell("%%sql films<<\nSELECT 1").unwrap().unwrap().keep.as_deref(), Some("films"));
        assert_eq!(sql_cell("let x = 1;").unwrap(), None);
        // A `{name}` in a comment is not a variable the cell uses (interpolate leaves it alone too).
        assert_eq!(sql_cell("%%sql\nSELECT {a} -- not {b}\n/* {c} */").unwrap().unwrap().uses, ["a"]);
        for bad in ["%%sql\n", "%%sql films\nSELECT 1", "%%sql 1x <<\nSELECT 1", "%%sql fn <<\nSELECT 1", "%%bash\nls"]
        {
            assert!(sql_cell(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn writes_rust_that_checks_each_variable_first() {
        let cell = sql_cell("%%sql films <<\nSELECT \"#\" FROM film WHERE title = {t}").unwrap().unwrap();
        let vars = vec![("t".to_string(), "String".to_string()), ("df".to_string(), "Table".to_string())];
        assert_eq!(
            cell.rust(&vars).unwrap(),
            "let films = sourcelab_notebook::sql_cell(\"mysql\", r##\"SELECT \"#\" FROM film WHERE title = {t}\"##, \
             &[(\"t\", sourcelab_notebook::SqlValue::of(&t))])?;"
        );
        assert!(cell.rust(&[]).unwrap_err().to_string().contains("no variable `t`"));
        let table = sql_cell("%%sql\nSELECT {df}").unwrap().unwrap();
        assert!(table.rust(&vars).unwrap_err().to_string().contains("`df` is a Table"));
    }

    #[test]
    fn knows_when_a_cell_is_complete() {
        use Completeness::*;
        for (code, want) in [
            ("let x = 1;", Complete),
            ("fn f() {", Incomplete),
            ("let s = \"unclosed", Incomplete),
            ("let s = r#\"a \" b\"#; {", Incomplete),
            ("/* open", Incomplete),
            ("let c = '{'; let d = '\\''; fn f<'a>(x: &'a str) {}", Complete),
            ("// comment with {\nlet x = 1;", Complete),
            ("let x = 1; }", Invalid),
            ("%%sql\nSELECT 1", Incomplete),
            ("%%sql\nSELECT 1\n", Complete),
        ] {
            assert_eq!(is_complete(code), want, "{code}");
        }
    }
}
