//! SQL scripts: several statements run one after another on one connection, each one's rows or count — what a
//! `%%sql` cell runs, and what [`Db::run_script`] gives a script.
//!
//! A notebook cell that starts with `%%sql` is SQL, as in the course's notebooks (ipython-sql, JupySQL):
//!
//! ```text
//! %%sql
//! SELECT title, length FROM film WHERE length > 180 ORDER BY length DESC LIMIT 3;
//! ```
//!
//! It runs on the env file's MariaDB (`%%sql postgres`: its PostgreSQL) and shows each statement's rows as a
//! table, or how many rows it changed. `%%sql films <<` also keeps the result as a table named `films` for the
//! next Rust cells ([`Script::kept`]). `{name}` in the SQL is the value of the Rust variable `name` (a string or a
//! number), written as a SQL literal, quotes escaped ([`interpolate`]) — so a value can never end the string and
//! smuggle SQL in:
//!
//! ```
//! use sourcelab::config::Engine;
//! use sourcelab::sql::{SqlValue, script::interpolate};
//! let sql = interpolate("SELECT * FROM category WHERE name = {name}", Engine::MySql,
//!     &[("name".into(), SqlValue::from("O'Brien"))]).unwrap();
//! assert_eq!(sql, "SELECT * FROM category WHERE name = 'O''Brien'");
//! ```
//!
//! A cell that only shows a result (no `<<`, no `{…}`) runs in the kernel itself, without compiling anything.

use std::collections::HashMap;
use std::sync::Mutex;

use polars::prelude::{DataFrame, NamedFrom, Series};

use super::{Db, Engine, Pool, execute_mysql, execute_pg, query_mysql, query_pg};
use crate::config::EnvFile;
use crate::error::{Error, ErrorKind, Result};
use crate::frame::{Show, escape_html};
use sourcelab_notebook::values::SqlValue;

/// What one statement of a script gave.
#[derive(Debug, Clone)]
pub enum Step {
    /// The rows it returned (a SELECT, SHOW, …).
    Rows(DataFrame),
    /// How many rows it changed (INSERT, UPDATE, DELETE; 0 for CREATE, DROP, …).
    Changed(u64),
}

/// A script that ran: each statement, one line of it, and what it gave.
#[derive(Debug, Clone)]
pub struct Script {
    /// The database it ran on, password hidden (`mysql://lab:***@127.0.0.1:3307/rentio`).
    pub target: String,
    /// Each statement (its text) and what it gave, in order.
    pub steps: Vec<(String, Step)>,
}

impl Script {
    /// What a SQL cell keeps with `<<`: the rows of the last statement that returned rows; when none did, one row
    /// per statement: `statement`, `rows_affected`.
    pub fn kept(&self) -> Result<DataFrame> {
        if let Some(df) = self.steps.iter().rev().find_map(|(_, s)| match s {
            Step::Rows(df) => Some(df.clone()),
            Step::Changed(_) => None,
        }) {
            return Ok(df);
        }
        let statements: Vec<String> = self.steps.iter().map(|(sql, _)| one_line(sql)).collect();
        let counts: Vec<u64> = self.steps.iter().map(|(_, s)| if let Step::Changed(n) = s { *n } else { 0 }).collect();
        DataFrame::new_infer_height(vec![
            Series::new("statement".into(), statements).into(),
            Series::new("rows_affected".into(), counts).into(),
        ])
        .map_err(|e| Error::new(ErrorKind::Service, "keep the statements' counts as a table", e.to_string()))
    }
}

fn changed_text(n: u64) -> String {
    if n == 1 { "1 row affected.".into() } else { format!("{n} rows affected.") }
}

/// The database, then each statement's rows or count.
impl std::fmt::Display for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, " * {}", self.target)?;
        for (_, step) in &self.steps {
            match step {
                Step::Rows(df) => writeln!(f, "{df}")?,
                Step::Changed(n) => writeln!(f, "{}", changed_text(*n))?,
            }
        }
        Ok(())
    }
}

/// One HTML block: the database in grey, then each statement's table or count.
impl Show for Script {
    fn mime(&self) -> Vec<(String, String)> {
        let mut html = format!(
            "<div class=\"sourcelab-sql\"><div style=\"color:#777;font-size:85%\">{}</div>",
            escape_html(&self.target)
        );
        for (_, step) in &self.steps {
            match step {
                Step::Rows(df) => {
                    let table = df.mime().into_iter().find(|(m, _)| m == "text/html").map(|(_, h)| h);
                    html.push_str(&table.unwrap_or_default());
                }
                Step::Changed(n) => html.push_str(&format!("<div>{}</div>", changed_text(*n))),
            }
        }
        html.push_str("</div>");
        vec![("text/html".into(), html), ("text/plain".into(), self.to_string())]
    }
}

impl Db {
    /// Runs the statements of `script` (separated by `;`) one after another on one connection, so `SET`, temporary
    /// tables and `BEGIN … COMMIT` carry from one to the next; each statement's rows, or the rows it changed.
    /// A failing statement stops the script; those before it have run.
    pub fn run_script(&self, script: &str) -> Result<Script> {
        let statements: Vec<String> = split_statements(script, self.cfg.engine).into_iter().map(String::from).collect();
        if statements.is_empty() {
            return Err(Error::new(ErrorKind::Input, "run a SQL script", "it has no statement")
                .hint("write at least one SQL statement (comments alone do nothing)"));
        }
        let db = self.clone();
        crate::wait(async move {
            let cfg = &db.cfg;
            let lost = |e: sqlx::Error| super::connect_error(cfg, e);
            let mut steps = Vec::with_capacity(statements.len());
            let ran = |i: usize, e: Error| match i {
                0 => e,
                n => {
                    let hint = e.hint_text().unwrap_or("fix the statement").to_string();
                    let before = if n == 1 {
                        "the statement before it ran".into()
                    } else {
                        format!("the {n} statements before it ran")
                    };
                    e.hint(format!("{hint} ({before})"))
                }
            };
            match &db.pool {
                Pool::MySql(pool) => {
                    let mut conn = pool.acquire().await.map_err(lost)?;
                    for (i, sql) in statements.into_iter().enumerate() {
                        let step = if returns_rows(&sql) {
                            query_mysql(&mut conn, cfg, &sql).await.map(Step::Rows)
                        } else {
                            execute_mysql(&mut conn, cfg, &sql).await.map(|n| Step::Changed(n.iter().sum()))
                        };
                        steps.push((sql, step.map_err(|e| ran(i, e))?));
                    }
                }
                Pool::Postgres(pool) => {
                    let mut conn = pool.acquire().await.map_err(lost)?;
                    for (i, sql) in statements.into_iter().enumerate() {
                        let step = if returns_rows(&sql) {
                            query_pg(&mut conn, cfg, &sql).await.map(Step::Rows)
                        } else {
                            execute_pg(&mut conn, cfg, &sql).await.map(|n| Step::Changed(n.iter().sum()))
                        };
                        steps.push((sql, step.map_err(|e| ran(i, e))?));
                    }
                }
            }
            Ok(Script { target: cfg.url().to_string(), steps })
        })
    }
}

/// The pool SQL cells use for `engine`: the env file's database (`DB*` keys for MySQL, `PG*` for PostgreSQL),
/// made once and kept while the settings stay the same.
pub fn notebook_db(env: &EnvFile, engine: Engine) -> Result<Db> {
    static POOLS: Mutex<Option<HashMap<String, Db>>> = Mutex::new(None);
    let cfg = match engine {
        Engine::MySql => env.mysql()?,
        Engine::Postgres => env.postgres()?,
    };
    let key = cfg.url().expose().to_string();
    if let Some(db) = POOLS.lock().ok().and_then(|p| p.as_ref()?.get(&key).cloned()) {
        return Ok(db);
    }
    let db = Db::connect(&cfg)?;
    if let Ok(mut pools) = POOLS.lock() {
        pools.get_or_insert_with(HashMap::new).insert(key, db.clone());
    }
    Ok(db)
}

/// A SQL cell: `script` with `{name}`s replaced by `values`, run on the env file's database for `engine`.
pub fn cell(engine: Engine, script: &str, values: &[(String, SqlValue)]) -> Result<Script> {
    let script = if values.is_empty() { script.to_string() } else { interpolate(script, engine, values)? };
    notebook_db(&crate::config::load()?, engine)?.run_script(&script)
}

/// A `%%sql` cell in a script (what the kernel compiles for one that keeps its result or uses a variable): runs
/// `sql` on the env file's database for `engine` (`"mysql"` or `"postgres"`), `{name}`s replaced by `values`
/// (quoted as literals), prints what each statement gave, and returns the rows [`Script::kept`] keeps.
///
/// ```no_run
/// # fn demo() -> sourcelab::Result<()> {
/// use sourcelab::SqlValue;
/// let min = 180;
/// let long = sourcelab::sql_cell("mysql", "SELECT title FROM film WHERE length > {min}", &[("min", SqlValue::of(&min))])?;
/// # Ok(()) }
/// ```
pub fn sql_cell(engine: &str, sql: &str, values: &[(&str, SqlValue)]) -> Result<DataFrame> {
    let values: Vec<(String, SqlValue)> = values.iter().map(|(n, v)| (n.to_string(), v.clone())).collect();
    let script = cell(Engine::from_scheme(engine)?, sql, &values)?;
    println!("{script}");
    script.kept()
}

/// Whether a statement returns rows (`SELECT`, `WITH`, `SHOW`, `VALUES`, `TABLE`, `DESCRIBE`, `EXPLAIN`, or any
/// statement with `RETURNING`), after leading comments and parentheses.
pub(crate) fn returns_rows(sql: &str) -> bool {
    let words = words(sql);
    let first = words.first().map(|w| w.to_ascii_uppercase()).unwrap_or_default();
    matches!(first.as_str(), "SELECT" | "WITH" | "SHOW" | "VALUES" | "TABLE" | "DESCRIBE" | "DESC" | "EXPLAIN")
        || words.iter().any(|w| w.eq_ignore_ascii_case("RETURNING"))
}

/// The words of a statement outside strings and comments.
fn words(sql: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c, kind) in Lexer::new(sql, Engine::Postgres) {
        let word = kind == Kind::Code && (c.is_alphanumeric() || c == '_');
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&sql[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&sql[s..]);
    }
    out
}

/// The statements of a script, split at each `;` outside strings, quoted names and comments; empty statements
/// (and comment-only ones) dropped.
pub fn split_statements(script: &str, engine: Engine) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut content) = (0, false);
    for (i, c, kind) in Lexer::new(script, engine) {
        if kind == Kind::Code && c == ';' {
            if content {
                out.push(script[start..i].trim());
            }
            (start, content) = (i + 1, false);
        } else if kind != Kind::Comment && !c.is_whitespace() {
            content = true;
        }
    }
    if content {
        out.push(script[start..].trim());
    }
    out
}

/// `script` with each `{name}` replaced by `values[name]` as a SQL literal: text in single quotes with its quotes
/// doubled (and, for MySQL, its backslashes too), numbers as written, `TRUE`/`FALSE`, `NULL`. `{{` and `}}` are a
/// literal brace (in strings too). A `{name}` inside a quoted string, or one with no value, is an error that says so.
pub fn interpolate(script: &str, engine: Engine, values: &[(String, SqlValue)]) -> Result<String> {
    fill(script, engine, |name, kind| {
        if kind == Kind::Quoted {
            return Err(Error::new(
                ErrorKind::Input,
                format!("put the value of `{name}` into the SQL"),
                format!("{{{name}}} stands inside quotes"),
            )
            .hint(format!("write {{{name}}} without quotes around it: its value is quoted for you")));
        }
        let value = values.iter().find(|(n, _)| n == name).map(|(_, v)| v).ok_or_else(|| {
            Error::new(ErrorKind::Input, format!("put the value of `{name}` into the SQL"), "it has no value")
                .hint(format!("set it in a Rust cell first, e.g. `let {name} = \"…\";`"))
        })?;
        literal(value, engine, name)
    })
}

/// The names of `script`'s `{name}`s, each once, in order: exactly those [`interpolate`] asks a value for (none in
/// a comment, none escaped as `{{`).
pub fn placeholders(script: &str, engine: Engine) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let _ = fill(script, engine, |name, _| {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
        Ok(String::new())
    });
    names
}

/// `script` with `{{`/`}}` made single braces and each `{name}` outside comments replaced by `value(name, kind)`.
fn fill(script: &str, engine: Engine, mut value: impl FnMut(&str, Kind) -> Result<String>) -> Result<String> {
    let mut out = String::with_capacity(script.len());
    let chars: Vec<(usize, char, Kind)> = Lexer::new(script, engine).collect();
    let mut k = 0;
    while k < chars.len() {
        let (i, c, kind) = chars[k];
        let next = chars.get(k + 1).map(|&(_, c, _)| c);
        if kind != Kind::Comment && (c == '{' && next == Some('{') || c == '}' && next == Some('}')) {
            out.push(c);
            k += 2;
            continue;
        }
        if c == '{'
            && kind != Kind::Comment
            && let Some(end) = script[i + 1..].find('}')
            && is_identifier(&script[i + 1..i + 1 + end])
        {
            out.push_str(&value(&script[i + 1..i + 1 + end], kind)?);
            // Skip the name and the closing brace.
            let stop = i + 1 + end;
            while k < chars.len() && chars[k].0 <= stop {
                k += 1;
            }
            continue;
        }
        out.push(c);
        k += 1;
    }
    Ok(out)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// A value as a SQL literal for `engine`.
pub fn literal(value: &SqlValue, engine: Engine, name: &str) -> Result<String> {
    Ok(match value {
        SqlValue::Null => "NULL".into(),
        SqlValue::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        SqlValue::Int(i) => i.to_string(),
        SqlValue::Float(f) if f.is_finite() => f.to_string(),
        SqlValue::Float(f) => {
            return Err(Error::new(
                ErrorKind::Input,
                format!("put the value of `{name}` into the SQL"),
                format!("{f} is not a number SQL can hold"),
            ));
        }
        SqlValue::Text(t) if t.contains('\0') => {
            return Err(Error::new(
                ErrorKind::Input,
                format!("put the value of `{name}` into the SQL"),
                "the text holds a NUL character",
            ));
        }
        SqlValue::Text(t) => {
            let mut q = String::with_capacity(t.len() + 2);
            q.push('\'');
            for c in t.chars() {
                match c {
                    '\'' => q.push_str("''"),
                    '\\' if engine == Engine::MySql => q.push_str("\\\\"),
                    c => q.push(c),
                }
            }
            q.push('\'');
            q
        }
    })
}

/// A statement on one line, for the table [`Script::kept`] makes.
fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a character of SQL text is part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Code,
    /// Inside a string or a quoted name (quotes included).
    Quoted,
    Comment,
}

/// Walks SQL text character by character, saying what each is part of ([`Kind`]). It knows `'…'` (with `''`,
/// and backslash escapes in MySQL), `"…"`, `` `…` `` (MySQL), `-- …`, `# …` (MySQL), `/* … */` and PostgreSQL's
/// `$tag$ … $tag$`.
struct Lexer<'a> {
    text: &'a str,
    at: usize,
    engine: Engine,
    state: State,
}

#[derive(Clone, PartialEq)]
enum State {
    Code,
    Quoted(char),
    LineComment,
    BlockComment,
    Dollar(String),
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str, engine: Engine) -> Self {
        Lexer { text, at: 0, engine, state: State::Code }
    }
}

impl Iterator for Lexer<'_> {
    /// (byte offset, character, what it is part of)
    type Item = (usize, char, Kind);

    fn next(&mut self) -> Option<Self::Item> {
        let i = self.at;
        let rest = &self.text[i..];
        let c = rest.chars().next()?;
        self.at += c.len_utf8();
        let mysql = self.engine == Engine::MySql;
        let kind = match std::mem::replace(&mut self.state, State::Code) {
            State::Code => {
                if c == '\'' || c == '"' || (c == '`' && mysql) {
                    self.state = State::Quoted(c);
                    Kind::Quoted
                } else if rest.starts_with("--") || (c == '#' && mysql) {
                    self.state = State::LineComment;
                    Kind::Comment
                } else if rest.starts_with("/*") {
                    self.state = State::BlockComment;
                    self.at += 1;
                    Kind::Comment
                } else if let Some(tag) = (c == '$' && !mysql).then(|| dollar_tag(rest)).flatten() {
                    self.at = i + tag.len();
                    self.state = State::Dollar(tag.to_string());
                    Kind::Quoted
                } else {
                    Kind::Code
                }
            }
            State::Quoted(q) => {
                let after = &self.text[self.at..];
                if c == '\\' && q == '\'' && mysql {
                    // The escaped character belongs to the string.
                    self.at += after.chars().next().map_or(0, char::len_utf8);
                    self.state = State::Quoted(q);
                } else if c == q && after.starts_with(q) {
                    self.at += q.len_utf8();
                    self.state = State::Quoted(q);
                } else if c != q {
                    self.state = State::Quoted(q);
                }
                Kind::Quoted
            }
            State::LineComment => {
                if c != '\n' {
                    self.state = State::LineComment;
                }
                Kind::Comment
            }
            State::BlockComment => {
                if c == '*' && self.text[self.at..].starts_with('/') {
                    self.at += 1;
                } else {
                    self.state = State::BlockComment;
                }
                Kind::Comment
            }
            State::Dollar(tag) => {
                if rest.starts_with(&tag) {
                    self.at = i + tag.len();
                } else {
                    self.state = State::Dollar(tag);
                }
                Kind::Quoted
            }
        };
        Some((i, c, kind))
    }
}

/// `$tag$` (or `$$`) at the start of `rest`.
fn dollar_tag(rest: &str) -> Option<&str> {
    let n = rest[1..].find('$')?;
    rest[1..1 + n].chars().all(|c| c.is_alphanumeric() || c == '_').then(|| &rest[..n + 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_semicolons_outside_strings_and_comments() {
        let script = "SELECT ';' AS a; -- one; two\nUPDATE t SET b = 'x;y' /* ; */ ;\n\n;  -- only a comment\n";
        assert_eq!(
            split_statements(script, Engine::MySql),
            vec!["SELECT ';' AS a", "-- one; two\nUPDATE t SET b = 'x;y' /* ; */"]
        );
        assert_eq!(split_statements("SELECT $$a;b$$; SELECT 2", Engine::Postgres), vec!["SELECT $$a;b$$", "SELECT 2"]);
        assert_eq!(
            split_statements("SELECT 'it\\'s;' ; SELECT 2", Engine::MySql),
            vec!["SELECT 'it\\'s;'", "SELECT 2"]
        );
        assert!(split_statements("  -- nothing\n/* at all */ ;", Engine::MySql).is_empty());
    }

    #[test]
    fn knows_which_statements_return_rows() {
        assert!(returns_rows("-- look\n  select 1"));
        assert!(returns_rows("(SELECT 1) UNION (SELECT 2)"));
        assert!(returns_rows("INSERT INTO t VALUES (1) RETURNING id"));
        assert!(!returns_rows("UPDATE t SET note = 'SELECT'"));
        assert!(!returns_rows("CREATE TABLE t (a INT)"));
    }

    #[test]
    fn interpolates_values_as_quoted_literals() {
        let values = vec![("name".to_string(), SqlValue::from("it's a \\ test")), ("n".to_string(), SqlValue::Int(3))];
        let sql = "SELECT * FROM t WHERE a = {name} AND b < {n} AND c = '{{x}}' AND d = {{n}}";
        assert_eq!(
            interpolate(sql, Engine::MySql, &values).unwrap(),
            "SELECT * FROM t WHERE a = 'it''s a \\\\ test' AND b < 3 AND c = '{x}' AND d = {n}"
        );
        assert_eq!(interpolate("SELECT {name}", Engine::Postgres, &values).unwrap(), "SELECT 'it''s a \\ test'");
        let quoted = interpolate("SELECT '{name}'", Engine::MySql, &values).unwrap_err();
        assert!(quoted.to_string().contains("without quotes"), "{quoted}");
        let missing = interpolate("SELECT {who}", Engine::MySql, &values).unwrap_err();
        assert!(missing.to_string().contains("let who ="), "{missing}");
    }
}
