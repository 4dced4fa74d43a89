//! Small values both sides of the notebook boundary use: a [`Secret`] that never prints, the SQL [`Engine`],
//! a [`SqlValue`] for bound parameters, and [`Progress`] for long helpers. The library re-exports them, so a cell
//! and a script name the same types.

use std::fmt;

/// A password or secret key. `Display` and `Debug` print `***`; [`Secret::expose`] gives the value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for handing to a driver. Never print it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Which SQL engine a [`DbConfig`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// MySQL or MariaDB (`mysql://`).
    MySql,
    /// PostgreSQL (`postgres://`).
    Postgres,
}

impl Engine {
    /// The URL scheme.
    pub fn scheme(self) -> &'static str {
        match self {
            Engine::MySql => "mysql",
            Engine::Postgres => "postgres",
        }
    }

    /// The engine a URL scheme names (`mysql`, `mariadb`, `postgres`, `postgresql`).
    pub fn from_scheme(scheme: &str) -> crate::Result<Engine> {
        match scheme {
            "mysql" | "mariadb" => Ok(Engine::MySql),
            "postgres" | "postgresql" => Ok(Engine::Postgres),
            other => Err(crate::Error::new(
                crate::ErrorKind::Input,
                format!("read the database kind {other:?}"),
                "not a SQL engine this kit knows",
            )
            .hint("use mysql:// (MySQL, MariaDB) or postgres:// (PostgreSQL)")),
        }
    }

    /// A human name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Engine::MySql => "MySQL/MariaDB",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

/// A value for the CRUD helpers, always sent as a bound parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text (also dates and decimals, which the server converts: `"2020-09-12 08:00:00"`, `"4.99"`).
    Text(String),
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Int(v)
    }
}
impl From<i32> for SqlValue {
    fn from(v: i32) -> Self {
        SqlValue::Int(v.into())
    }
}
impl From<f64> for SqlValue {
    fn from(v: f64) -> Self {
        SqlValue::Float(v)
    }
}
impl From<bool> for SqlValue {
    fn from(v: bool) -> Self {
        SqlValue::Bool(v)
    }
}
impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_string())
    }
}
impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(v)
    }
}

/// A Rust value that `{name}` in a `%%sql` cell can put into the SQL: text, a number or a boolean.
pub trait SqlParam {
    /// The value as a [`SqlValue`].
    fn sql_value(&self) -> SqlValue;
}

impl SqlParam for str {
    fn sql_value(&self) -> SqlValue {
        SqlValue::Text(self.to_string())
    }
}
impl SqlParam for String {
    fn sql_value(&self) -> SqlValue {
        SqlValue::Text(self.clone())
    }
}
impl SqlParam for bool {
    fn sql_value(&self) -> SqlValue {
        SqlValue::Bool(*self)
    }
}
impl SqlParam for SqlValue {
    fn sql_value(&self) -> SqlValue {
        self.clone()
    }
}
impl<T: SqlParam + ?Sized> SqlParam for &T {
    fn sql_value(&self) -> SqlValue {
        (**self).sql_value()
    }
}
macro_rules! sql_param_numbers {
    (int: $($i:ty),*; float: $($f:ty),*) => {
        $(impl SqlParam for $i {
            fn sql_value(&self) -> SqlValue {
                i64::try_from(*self).map(SqlValue::Int).unwrap_or_else(|_| SqlValue::Text(self.to_string()))
            }
        })*
        $(impl SqlParam for $f {
            fn sql_value(&self) -> SqlValue {
                SqlValue::Float(f64::from(*self))
            }
        })*
    };
}
sql_param_numbers!(int: i8, i16, i32, i64, isize, u8, u16, u32, u64, usize; float: f32, f64);

impl SqlValue {
    /// The SQL value of a Rust string, number or boolean (what `{name}` in a `%%sql` cell sends).
    pub fn of<T: SqlParam + ?Sized>(value: &T) -> SqlValue {
        value.sql_value()
    }

    /// The value as JSON (`null`, a boolean, a number or a string), to cross the notebook boundary.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            SqlValue::Null => serde_json::Value::Null,
            SqlValue::Bool(b) => (*b).into(),
            SqlValue::Int(i) => (*i).into(),
            SqlValue::Float(f) => (*f).into(),
            SqlValue::Text(t) => t.as_str().into(),
        }
    }

    /// The value [`SqlValue::to_json`] wrote (an array or object reads as its JSON text).
    pub fn from_json(v: &serde_json::Value) -> SqlValue {
        match v {
            serde_json::Value::Null => SqlValue::Null,
            serde_json::Value::Bool(b) => SqlValue::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => SqlValue::Int(i),
                None => n.as_f64().map(SqlValue::Float).unwrap_or_else(|| SqlValue::Text(n.to_string())),
            },
            serde_json::Value::String(s) => SqlValue::Text(s.clone()),
            other => SqlValue::Text(other.to_string()),
        }
    }
}

/// How long-running helpers (batch writes, large transfers) report progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Say nothing.
    Quiet,
    /// Print a line at every tenth of the work (and at the end).
    Print,
}
