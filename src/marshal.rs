//! DynamoDB JSON ("marshal JSON") and plain JSON, converted both ways without losing a digit.
//!
//! DynamoDB stores every attribute value with its type, and its wire format spells the type out:
//!
//! ```text
//! marshal JSON  {"Id": {"N": "101"}, "Authors": {"L": [{"S": "Ada"}]}, "Tags": {"SS": ["a", "b"]}}
//! plain JSON    {"Id": 101,          "Authors": ["Ada"],                "Tags": {"$SS": ["a", "b"]}}
//! ```
//!
//! The ten types and how each one is written in plain JSON:
//!
//! | DynamoDB | marshal JSON | plain JSON |
//! |---|---|---|
//! | S (string) | `{"S": "text"}` | `"text"` |
//! | N (number) | `{"N": "1.50"}` (a string!) | `1.50` — the digits exactly as given, never through a float |
//! | B (binary) | `{"B": "aGk="}` (base64) | `{"$B": "aGk="}` |
//! | BOOL | `{"BOOL": true}` | `true` |
//! | NULL | `{"NULL": true}` | `null` |
//! | M (map) | `{"M": {...}}` | `{...}` |
//! | L (list) | `{"L": [...]}` | `[...]` |
//! | SS, NS, BS (sets) | `{"SS": ["a"]}`, `{"NS": ["1"]}`, `{"BS": ["aGk="]}` | `{"$SS": ["a"]}`, `{"$NS": [1]}`, `{"$BS": ["aGk="]}` |
//!
//! JSON has no sets and no bytes, so plain JSON marks them with a one-key object whose key starts with `$`. A real
//! map that happens to have exactly one such key (`$SS`, `$NS`, `$BS`, `$B` or `$M`) is written `{"$M": {...}}`,
//! and `$M` means nothing else.
//! With that rule plain → marshal → plain gives back exactly what went in, and so does marshal → plain → marshal
//! (numbers compare by value: `+1`, `.5` and `1E+3` come back in JSON's spelling, `1`, `0.5` and `1e+3`).
//!
//! **Which spelling of a number each direction keeps.** DynamoDB JSON keeps the text exactly (`{"N": "1.50"}`
//! stays `"1.50"`, to and from an item). Plain JSON keeps the digits and writes them in JSON's spelling (`1.50`,
//! `+1` → `1`, `1E3` → `1e+3`). DynamoDB itself stores the *value* and gives it back in its canonical spelling —
//! `+1e2` → `100`, `1.0` → `1`, `-0` → `0` — so an item read back from DynamoDB may differ in text from what was
//! written; ask for that spelling with [`Numbers::Canonical`], [`canonical_number`] or [`to_plain_canonical`]
//! (`sourcelab marshal --canonical`) to compare like with like.
//!
//! The course's Python (`TypeDeserializer` plus `float(...)`) turns every number into a float, so `Id` 101 prints
//! as `101.0` and a 38-digit number loses 22 digits. Here numbers stay the decimal text DynamoDB sent.
//!
//! **Checked here, before anything is sent**: everything DynamoDB itself would refuse, with DynamoDB's own wording
//! and the JSON path of the value: NaN and Infinity, more than 38 significant digits, magnitudes outside
//! 1E-130 … 9.99…E+125, empty sets, duplicate set members (numbers compared by value, so `1` and `1.0` are
//! duplicates), nesting deeper than 32 levels, items over 400 KB counted as DynamoDB counts them ([`item_size`]),
//! attribute names that are empty or longer than 65,535 bytes, and empty key attributes ([`check_key_attributes`]). moto, the local server, accepts several of these (see the
//! emulator notes), so without these checks a lab would work locally and fail on AWS.
//!
//! **serde_dynamo**, in our dependency set, maps *Rust structs* to and from items; [`crate::dynamo`] uses it for
//! [`crate::dynamo::Response::items_as`]. It does not serve for JSON: it converts numbers through `i64`/`f64`, so
//! digits beyond a float's 17 are lost, and it has no plain-JSON spelling for sets or binary.

use std::collections::HashMap;
use std::fmt::Write as _;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use serde_json::{Map, Number, Value};

use crate::error::{Error, ErrorKind, Result};

/// A DynamoDB item as the SDK holds it: attribute name → typed value.
pub type Item = HashMap<String, AttributeValue>;

/// The deepest nesting DynamoDB accepts (a top-level attribute is level 1).
pub const MAX_DEPTH: usize = 32;
/// The largest item DynamoDB stores: 400 KB, attribute names included.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// The longest attribute name DynamoDB accepts, in UTF-8 bytes (65,536 is refused); key attributes: 255.
pub const MAX_NAME_BYTES: usize = 65_535;
/// The most significant digits a DynamoDB number holds.
pub const MAX_DIGITS: usize = 38;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const TAGS: [&str; 5] = ["$SS", "$NS", "$BS", "$B", "$M"];

/// Where in a JSON document a value sits, as `$.Tags.SS[1]`; built lazily, only when an error needs it.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        let mut parts = Vec::new();
        let mut p = self;
        loop {
            match p {
                Path::Root => break,
                Path::Key(parent, k) => {
                    parts.push(if is_plain_name(k) { format!(".{k}") } else { format!("[{k:?}]") });
                    p = parent;
                }
                Path::Index(parent, i) => {
                    parts.push(format!("[{i}]"));
                    p = parent;
                }
            }
        }
        let mut out = String::from("$");
        for part in parts.iter().rev() {
            out.push_str(part);
        }
        out
    }
}

fn is_plain_name(k: &str) -> bool {
    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A conversion problem: where (JSON path) and DynamoDB's (or our) wording of what is wrong.
fn bad(path: &Path<'_>, msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Input, "convert DynamoDB item", format!("at {}: {}", path.render(), msg.into()))
        .hint("fix the value at that path; the type table is in the docs of sourcelab::marshal")
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------------------------

/// A decimal number as DynamoDB sees it, read without allocating: the digits before and after the point, how
/// many of them are significant (leading and trailing zeros are not), and the exponent of the first one.
#[derive(Debug, Clone, Copy)]
struct Decimal<'a> {
    negative: bool,
    int: &'a str,
    frac: &'a str,
    /// Significant digits; 0 for zero.
    digits: usize,
    /// Index (into int + frac) of the first significant digit.
    lead: usize,
    /// The power of ten of the first significant digit (1.5E3 → 3); for zero, the written exponent less the
    /// digits after the point (`0.0E+126` → 125).
    exponent: i64,
}

impl Decimal<'_> {
    /// The value as (negative, significant digits, exponent): equal numbers give equal keys (`1` and `1.0`).
    fn key(&self) -> (bool, String, i64) {
        if self.digits == 0 {
            return (false, String::new(), 0);
        }
        let all = self.int.bytes().chain(self.frac.bytes());
        let digits = all.skip(self.lead).take(self.digits).map(char::from).collect();
        (self.negative, digits, self.exponent)
    }
}

/// Parses number text (`-12.5E+3`, `.5`, `+1`), or says why DynamoDB would refuse it (NaN and Infinity too).
fn parse_number(text: &str) -> std::result::Result<Decimal<'_>, String> {
    let refuse = || format!("The parameter cannot be converted to a numeric value: {text}");
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exp_text) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int, frac) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return Err(refuse());
    }
    let exp: i64 = match exp_text {
        None => 0,
        Some(e) => {
            let (neg, body) = match e.as_bytes().first() {
                Some(b'-') => (true, &e[1..]),
                Some(b'+') => (false, &e[1..]),
                _ => (false, e),
            };
            if body.is_empty() || !all_digits(body) {
                return Err(refuse());
            }
            // Saturate: an exponent this large is out of range whatever the digits are.
            let v = body.bytes().fold(0i64, |acc, b| acc.saturating_mul(10).saturating_add(i64::from(b - b'0')));
            if neg { -v } else { v }
        }
    };
    let total = int.len() + frac.len();
    let lead = int.bytes().chain(frac.bytes()).take_while(|&b| b == b'0').count();
    if lead == total {
        // A zero's exponent is judged as written, as a decimal's scale: `0E+126` is out of range, `0.0E+126` not.
        let exponent = exp.saturating_sub(frac.len() as i64);
        return Ok(Decimal { negative: false, int, frac, digits: 0, lead, exponent });
    }
    let trail = int.bytes().chain(frac.bytes()).rev().take_while(|&b| b == b'0').count();
    // The first significant digit sits int.len() - lead - 1 places left of the point (negative: right of it).
    let first = int.len() as i64 - lead as i64 - 1;
    Ok(Decimal { negative, int, frac, digits: total - lead - trail, lead, exponent: first.saturating_add(exp) })
}

/// Number text that DynamoDB surely accepts, told at a glance: an optional `-`, digits, optionally a point and more
/// digits, no exponent, at most 38 digits in all (so within range too: 1E-38 … 1E38).
fn plainly_valid(text: &str) -> bool {
    let body = text.strip_prefix('-').unwrap_or(text).as_bytes();
    let (int, frac) = match body.iter().position(|&b| b == b'.') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    !int.is_empty()
        && int.iter().all(u8::is_ascii_digit)
        && frac.is_none_or(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit))
        && int.len() + frac.map_or(0, <[u8]>::len) <= MAX_DIGITS
}

/// Checks number text as DynamoDB would.
fn check_number(text: &str) -> std::result::Result<Decimal<'_>, String> {
    let d = parse_number(text)?;
    if d.digits > MAX_DIGITS {
        return Err("Attempting to store more than 38 significant digits in a Number".into());
    }
    if d.exponent > 125 {
        return Err("Number overflow. Attempting to store a number with magnitude larger than supported range".into());
    }
    if d.exponent < -130 {
        return Err("Number underflow. Attempting to store a number with magnitude smaller than supported range".into());
    }
    Ok(d)
}

/// The number in JSON's spelling as serde_json writes it: `+1` → `1`, `.5` → `0.5`, `5.` → `5`, `1E3` → `1e+3`.
fn json_number_text(text: &str) -> String {
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'-') => ("-", &text[1..]),
        Some(b'+') => ("", &text[1..]),
        _ => ("", text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (int, frac) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    let int = int.trim_start_matches('0');
    let mut out = String::with_capacity(text.len() + 2);
    out.push_str(sign);
    out.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    // serde_json's own spelling of an exponent, so text we make reads back unchanged: `e`, then a sign.
    if let Some(digits) = exp.get(1..) {
        out.push('e');
        if !digits.starts_with(['+', '-']) {
            out.push('+');
        }
        out.push_str(digits);
    }
    out
}

/// A whole number DynamoDB sent in JSON's own spelling that fits an i64 (`101`, `-7`; not `-0` or `007`), which
/// `Number::from` writes back digit for digit; every other number goes through [`json_number_text`].
fn plain_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical =
        matches!(digits.as_bytes(), [b'1'..=b'9', rest @ ..] if rest.iter().all(u8::is_ascii_digit)) || text == "0";
    if canonical && digits.len() <= 18 { text.parse().ok() } else { None }
}

fn json_number(text: &str, path: &Path<'_>) -> Result<Number> {
    if let Some(i) = plain_integer(text) {
        return Ok(Number::from(i));
    }
    let t = json_number_text(text);
    t.parse::<Number>().map_err(|_| bad(path, format!("The parameter cannot be converted to a numeric value: {text}")))
}

// ---------------------------------------------------------------------------------------------------------------
// JSON → AttributeValue
// ---------------------------------------------------------------------------------------------------------------

/// Which JSON spelling a document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain JSON: `{"Id": 101}`.
    Plain,
    /// DynamoDB JSON: `{"Id": {"N": "101"}}`.
    Marshal,
}

/// `depth` counts levels from the item: a top-level attribute is level 1, a value inside it level 2, and so on.
fn depth_check(path: &Path<'_>, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(bad(
            path,
            "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit",
        ));
    }
    Ok(())
}

fn string_set(values: &[Value], path: &Path<'_>, what: &str) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        match v {
            Value::String(s) => out.push(s.clone()),
            other => return Err(bad(&Path::Index(path, i), format!("{what} members must be strings, got {other}"))),
        }
    }
    Ok(out)
}

fn blob(text: &str, path: &Path<'_>) -> Result<Blob> {
    B64.decode(text)
        .map(Blob::new)
        .map_err(|e| bad(path, format!("Invalid Binary value: not base64 ({e}); binary values are base64 in JSON")))
}

fn blob_set(values: &[Value], path: &Path<'_>) -> Result<Vec<Blob>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) => blob(s, &Path::Index(path, i)),
            other => Err(bad(&Path::Index(path, i), format!("binary set members must be base64 strings, got {other}"))),
        })
        .collect()
}

fn number_set(values: &[Value], path: &Path<'_>, format: Format) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let text = match (format, v) {
            (Format::Marshal, Value::String(s)) => s.clone(),
            (Format::Plain, Value::Number(n)) => n.as_str().to_string(),
            (Format::Marshal, other) => {
                return Err(bad(
                    &Path::Index(path, i),
                    format!("NS members are numbers written as strings, got {other}"),
                ));
            }
            (Format::Plain, other) => {
                return Err(bad(&Path::Index(path, i), format!("$NS members must be JSON numbers, got {other}")));
            }
        };
        check_number(&text).map_err(|m| bad(&Path::Index(path, i), m))?;
        out.push(text);
    }
    Ok(out)
}

/// Whether two of the keys are equal. Sets are usually small: compared pairwise without allocating; large ones
/// through a hash set.
fn has_duplicates<K: Eq + std::hash::Hash>(keys: impl ExactSizeIterator<Item = K> + Clone) -> bool {
    if keys.len() <= 16 {
        return keys.clone().enumerate().any(|(i, a)| keys.clone().skip(i + 1).any(|b| b == a));
    }
    let mut seen = std::collections::HashSet::with_capacity(keys.len());
    keys.into_iter().any(|k| !seen.insert(k))
}

/// How DynamoDB words its refusal of an empty set and of a set with duplicates, per set type. The three differ:
/// the grammar, the double space, the missing space before "of type BS" and the short number-set message are
/// DynamoDB's own, as suites recorded against the real service show.
#[derive(Clone, Copy)]
enum SetKind {
    String,
    Number,
    Binary,
}

const INVALID: &str = "One or more parameter values were invalid: ";

impl SetKind {
    fn empty(self) -> String {
        match self {
            SetKind::String => format!("{INVALID}An string set  may not be empty"),
            SetKind::Number => format!("{INVALID}An number set  may not be empty"),
            SetKind::Binary => format!("{INVALID}Binary sets should not be empty"),
        }
    }

    fn duplicates(self, members: &[String]) -> String {
        match self {
            SetKind::String => format!("{INVALID}Input collection [{}] contains duplicates.", members.join(", ")),
            SetKind::Number => "Input collection contains duplicates".to_string(),
            SetKind::Binary => {
                format!("{INVALID}Input collection [{}]of type BS contains duplicates.", members.join(", "))
            }
        }
    }
}

/// DynamoDB refuses empty sets and sets with duplicates; this checks both, with DynamoDB's wording.
fn check_set<T>(
    members: &[T],
    duplicates: bool,
    path: &Path<'_>,
    kind: SetKind,
    show: impl Fn(&T) -> String,
) -> Result<()> {
    if members.is_empty() {
        return Err(bad(path, kind.empty()));
    }
    if duplicates {
        let list: Vec<String> = members.iter().map(show).collect();
        let mut e = bad(path, kind.duplicates(&list));
        if matches!(kind, SetKind::Number) {
            // DynamoDB's number-set message names no member; we do, in the hint.
            e = e.hint(format!(
                "numbers in a set compare by value (1 and 1.0 are the same): remove the repeated one from [{}]",
                list.join(", ")
            ));
        }
        return Err(e);
    }
    Ok(())
}

fn ss(v: Vec<String>, path: &Path<'_>) -> Result<AttributeValue> {
    check_set(&v, has_duplicates(v.iter().map(String::as_str)), path, SetKind::String, Clone::clone)?;
    Ok(AttributeValue::Ss(v))
}

fn ns(v: Vec<String>, path: &Path<'_>) -> Result<AttributeValue> {
    // Numbers are equal by value: 1 and 1.0 are duplicates.
    let dup = has_duplicates(v.iter().map(|n| parse_number(n).map(|d| d.key()).ok()));
    check_set(&v, dup, path, SetKind::Number, Clone::clone)?;
    Ok(AttributeValue::Ns(v))
}

fn bs(v: Vec<Blob>, path: &Path<'_>) -> Result<AttributeValue> {
    check_set(&v, has_duplicates(v.iter().map(|b| b.as_ref())), path, SetKind::Binary, |b| B64.encode(b.as_ref()))?;
    Ok(AttributeValue::Bs(v))
}

fn number(text: &str, path: &Path<'_>) -> Result<AttributeValue> {
    if !plainly_valid(text) {
        check_number(text).map_err(|m| bad(path, m))?;
    }
    Ok(AttributeValue::N(text.to_string()))
}

/// One marshal-JSON value (`{"S": "x"}`) → AttributeValue.
fn from_marshal_value(v: &Value, path: &Path<'_>, depth: usize) -> Result<AttributeValue> {
    depth_check(path, depth)?;
    let obj = match v {
        Value::Object(o) => o,
        other => {
            return Err(bad(
                path,
                format!("expected a typed value like {{\"S\": \"text\"}} or {{\"N\": \"1\"}}, got {other}"),
            ));
        }
    };
    let mut entries = obj.iter();
    let (ty, inner) = match (entries.next(), entries.next()) {
        (Some(e), None) => e,
        (None, _) => {
            return Err(bad(
                path,
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(bad(
                path,
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ));
        }
    };
    let here = Path::Key(path, ty);
    let wrong = |want: &str| bad(&here, format!("a {ty} value must be {want}, got {inner}"));
    Ok(match (ty.as_str(), inner) {
        ("S", Value::String(s)) => AttributeValue::S(s.clone()),
        ("S", _) => return Err(wrong("a JSON string")),
        ("N", Value::String(s)) => number(s, &here)?,
        ("N", _) => return Err(wrong("a number written as a string, like \"1.5\"")),
        ("B", Value::String(s)) => AttributeValue::B(blob(s, &here)?),
        ("B", _) => return Err(wrong("a base64 string")),
        ("BOOL", Value::Bool(b)) => AttributeValue::Bool(*b),
        ("BOOL", _) => return Err(wrong("true or false")),
        ("NULL", Value::Bool(true)) => AttributeValue::Null(true),
        ("NULL", _) => {
            return Err(bad(
                &here,
                "One or more parameter values were invalid: Null attribute value types must have the value of true",
            ));
        }
        ("M", Value::Object(m)) => AttributeValue::M(marshal_map(m, &here, depth + 1)?),
        ("M", _) => return Err(wrong("a JSON object")),
        ("L", Value::Array(l)) => AttributeValue::L(
            l.iter()
                .enumerate()
                .map(|(i, x)| from_marshal_value(x, &Path::Index(&here, i), depth + 1))
                .collect::<Result<_>>()?,
        ),
        ("L", _) => return Err(wrong("a JSON array")),
        ("SS", Value::Array(a)) => ss(string_set(a, &here, "SS")?, &here)?,
        ("NS", Value::Array(a)) => ns(number_set(a, &here, Format::Marshal)?, &here)?,
        ("BS", Value::Array(a)) => bs(blob_set(a, &here)?, &here)?,
        ("SS" | "NS" | "BS", _) => return Err(wrong("a JSON array")),
        (other, _) => {
            return Err(bad(
                path,
                format!("unknown DynamoDB type {other:?}; the types are S, N, B, BOOL, NULL, M, L, SS, NS, BS"),
            ));
        }
    })
}

fn marshal_map(m: &Map<String, Value>, path: &Path<'_>, depth: usize) -> Result<Item> {
    let mut out = Item::with_capacity(m.len());
    for (k, v) in m {
        out.insert(k.clone(), from_marshal_value(v, &Path::Key(path, k), depth)?);
    }
    Ok(out)
}

/// One plain-JSON value → AttributeValue.
fn from_plain_value(v: &Value, path: &Path<'_>, depth: usize) -> Result<AttributeValue> {
    depth_check(path, depth)?;
    Ok(match v {
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Number(n) => number(n.as_str(), path)?,
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Null => AttributeValue::Null(true),
        Value::Array(l) => AttributeValue::L(
            l.iter()
                .enumerate()
                .map(|(i, x)| from_plain_value(x, &Path::Index(path, i), depth + 1))
                .collect::<Result<_>>()?,
        ),
        Value::Object(m) => {
            if m.len() == 1 {
                let (tag, inner) = m.iter().next().expect("one entry");
                if TAGS.contains(&tag.as_str()) {
                    return tagged(tag, inner, &Path::Key(path, tag), depth);
                }
            }
            AttributeValue::M(plain_map(m, path, depth + 1)?)
        }
    })
}

/// `{"$SS": [...]}` and the other plain-JSON tags.
fn tagged(tag: &str, inner: &Value, path: &Path<'_>, depth: usize) -> Result<AttributeValue> {
    let wrong = |want: &str| bad(path, format!("{tag} must be {want}, got {inner}"));
    match (tag, inner) {
        ("$SS", Value::Array(a)) => ss(string_set(a, path, "$SS")?, path),
        ("$NS", Value::Array(a)) => ns(number_set(a, path, Format::Plain)?, path),
        ("$BS", Value::Array(a)) => bs(blob_set(a, path)?, path),
        ("$B", Value::String(s)) => Ok(AttributeValue::B(blob(s, path)?)),
        ("$M", Value::Object(m)) if m.len() == 1 && m.keys().all(|k| TAGS.contains(&k.as_str())) => {
            Ok(AttributeValue::M(plain_map(m, path, depth + 1)?))
        }
        ("$M", Value::Object(_)) => Err(bad(
            path,
            "$M marks a map whose only key is $SS, $NS, $BS, $B or $M; write any other map as a plain object",
        )),
        ("$B", _) => Err(wrong("a base64 string")),
        ("$M", _) => Err(wrong("a JSON object")),
        _ => Err(wrong("a JSON array")),
    }
}

fn plain_map(m: &Map<String, Value>, path: &Path<'_>, depth: usize) -> Result<Item> {
    let mut out = Item::with_capacity(m.len());
    for (k, v) in m {
        out.insert(k.clone(), from_plain_value(v, &Path::Key(path, k), depth)?);
    }
    Ok(out)
}

/// An item (a JSON object of attributes) in the given spelling → the SDK's item, checked as DynamoDB would.
pub fn item_from_json(item: &Value, format: Format) -> Result<Item> {
    let root = Path::Root;
    let obj = match item {
        Value::Object(o) => o,
        other => return Err(bad(&root, format!("an item is a JSON object of attributes, got {}", kind_of(other)))),
    };
    check_names(obj)?;
    let out = match format {
        Format::Plain => plain_map(obj, &root, 1)?,
        Format::Marshal => marshal_map(obj, &root, 1)?,
    };
    check_size(&out)?;
    Ok(out)
}

/// DynamoDB's limits on a (top-level) attribute name: not empty, at most [`MAX_NAME_BYTES`] UTF-8 bytes. (The
/// wording is ours: the suites we checked against record only that DynamoDB's starts with "Attribute name".)
fn check_names(obj: &Map<String, Value>) -> Result<()> {
    for name in obj.keys() {
        if name.is_empty() {
            return Err(bad(&Path::Key(&Path::Root, name), "Attribute name is empty: every attribute needs a name")
                .hint("give the attribute a name of 1 to 65535 bytes"));
        }
        if name.len() > MAX_NAME_BYTES {
            let start: String = name.chars().take(24).collect();
            return Err(bad(
                &Path::Root,
                format!(
                    "Attribute name is too long: the attribute {start:?}… has a name of {} bytes, the limit is {MAX_NAME_BYTES}",
                    name.len()
                ),
            )
            .hint("use a short name; keep long text in a value"));
        }
    }
    Ok(())
}

/// Plain JSON item → the SDK's item.
pub fn item_from_plain(item: &Value) -> Result<Item> {
    item_from_json(item, Format::Plain)
}

/// Marshal (DynamoDB) JSON item → the SDK's item.
pub fn item_from_marshal(item: &Value) -> Result<Item> {
    item_from_json(item, Format::Marshal)
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Size and keys
// ---------------------------------------------------------------------------------------------------------------

/// The size DynamoDB charges and limits an item by, in bytes.
///
/// Attribute names count their UTF-8 bytes; strings their UTF-8 bytes; binary its raw bytes; BOOL and NULL 1 byte;
/// a list or map 3 bytes plus 1 per element plus the elements (a map's elements include their names); a set the
/// sum of its members. A number is stored as base-100 digits (pairs of decimal digits aligned on the decimal point,
/// so `1.5` takes two pairs, `0`+`1` and `5`+`0`, and `15` one) plus a byte for the exponent and one for a minus
/// sign; zero takes 1 byte. So `12` is 2 bytes, `1.2` 3, `-1.2` 4: the developer guide's "1 byte per two
/// significant digits plus 1" is short by a byte for half of all numbers.
pub fn item_size(item: &Item) -> usize {
    size_with(item, number_size)
}

fn size_with(item: &Item, number: fn(&str) -> usize) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v, number)).sum()
}

/// DynamoDB's size of a number (see [`item_size`]).
fn number_size(text: &str) -> usize {
    match parse_number(text) {
        Ok(d) if d.digits == 0 => 1,
        Ok(d) => {
            // Significant digits run from 10^exponent down to 10^last; pairs start at even powers of ten.
            let last = d.exponent.saturating_sub(d.digits as i64 - 1);
            let pairs = (d.exponent.div_euclid(2) - last.div_euclid(2) + 1) as usize;
            1 + pairs.min(d.digits / 2 + 1) + usize::from(d.negative)
        }
        Err(_) => number_size_bound(text),
    }
}

/// At least [`number_size`]: a number never has more significant digits than characters, so at most
/// `len / 2 + 1` pairs, plus the exponent and sign bytes.
fn number_size_bound(text: &str) -> usize {
    text.len() / 2 + 3
}

fn value_size(v: &AttributeValue, number: fn(&str) -> usize) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(l) => 3 + l.iter().map(|x| 1 + value_size(x, number)).sum::<usize>(),
        AttributeValue::M(m) => 3 + m.iter().map(|(k, x)| 1 + k.len() + value_size(x, number)).sum::<usize>(),
        AttributeValue::Ss(s) => s.iter().map(String::len).sum(),
        AttributeValue::Ns(n) => n.iter().map(|x| number(x)).sum(),
        AttributeValue::Bs(b) => b.iter().map(|x| x.as_ref().len()).sum(),
        _ => 0,
    }
}

fn check_size(item: &Item) -> Result<()> {
    // The bound needs no number parsing; only an item near the limit is counted exactly.
    if size_with(item, number_size_bound) <= MAX_ITEM_BYTES {
        return Ok(());
    }
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        return Err(bad(&Path::Root, "Item size has exceeded the maximum allowed size").hint(format!(
            "this item counts {size} bytes as DynamoDB counts them (limit {MAX_ITEM_BYTES}); store large values in S3 and keep their key in the item"
        )));
    }
    Ok(())
}

/// Checks that each key attribute is present and not an empty string or binary, as DynamoDB does.
pub fn check_key_attributes(item: &Item, keys: &[&str]) -> Result<()> {
    for k in keys {
        let path = Path::Key(&Path::Root, k);
        match item.get(*k) {
            None => {
                return Err(bad(
                    &path,
                    format!("One or more parameter values were invalid: Missing the key {k} in the item"),
                )
                .hint("every item needs its table's key attributes"));
            }
            Some(AttributeValue::S(s)) if s.is_empty() => {
                return Err(bad(
                    &path,
                    format!(
                        "One or more parameter values were invalid: An AttributeValue may not contain an empty string. Key: {k}"
                    ),
                ));
            }
            Some(AttributeValue::B(b)) if b.as_ref().is_empty() => {
                return Err(bad(
                    &path,
                    format!(
                        "One or more parameter values were invalid: An AttributeValue may not contain an empty binary value. Key: {k}"
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// AttributeValue → JSON
// ---------------------------------------------------------------------------------------------------------------

// The converters below take the SDK's values by value and move their strings into the JSON (no copy); the `&Item`
// functions clone the item first. One piece of logic serves both.

fn unknown(path: &Path<'_>) -> Error {
    bad(path, "a value of a type this SDK version does not know; update sourcelab's aws-sdk-dynamodb")
}

fn base64_strings(blobs: Vec<Blob>) -> Value {
    blobs.iter().map(|x| Value::String(B64.encode(x.as_ref()))).collect()
}

fn to_marshal_value(v: AttributeValue, path: &Path<'_>) -> Result<Value> {
    let (ty, inner) = match v {
        AttributeValue::S(s) => ("S", Value::String(s)),
        AttributeValue::N(n) => ("N", Value::String(n)),
        AttributeValue::B(b) => ("B", Value::String(B64.encode(b.as_ref()))),
        AttributeValue::Bool(b) => ("BOOL", Value::Bool(b)),
        AttributeValue::Null(_) => ("NULL", Value::Bool(true)),
        AttributeValue::M(m) => ("M", Value::Object(map_to_json(m, path, Format::Marshal)?)),
        AttributeValue::L(l) => ("L", list_to_json(l, path, Format::Marshal)?),
        AttributeValue::Ss(s) => ("SS", s.into_iter().map(Value::String).collect()),
        AttributeValue::Ns(n) => ("NS", n.into_iter().map(Value::String).collect()),
        AttributeValue::Bs(b) => ("BS", base64_strings(b)),
        _ => return Err(unknown(path)),
    };
    Ok(one(ty, inner))
}

fn one(tag: &str, v: Value) -> Value {
    let mut m = Map::with_capacity(1);
    m.insert(tag.to_string(), v);
    Value::Object(m)
}

fn to_plain_value(v: AttributeValue, path: &Path<'_>) -> Result<Value> {
    Ok(match v {
        AttributeValue::S(s) => Value::String(s),
        AttributeValue::N(n) => Value::Number(json_number(&n, path)?),
        AttributeValue::B(b) => one("$B", Value::String(B64.encode(b.as_ref()))),
        AttributeValue::Bool(b) => Value::Bool(b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::M(m) => {
            let needs_escape = m.len() == 1 && m.keys().all(|k| TAGS.contains(&k.as_str()));
            let obj = Value::Object(map_to_json(m, path, Format::Plain)?);
            if needs_escape { one("$M", obj) } else { obj }
        }
        AttributeValue::L(l) => list_to_json(l, path, Format::Plain)?,
        AttributeValue::Ss(s) => one("$SS", s.into_iter().map(Value::String).collect()),
        AttributeValue::Ns(n) => {
            let nums = n
                .iter()
                .enumerate()
                .map(|(i, x)| json_number(x, &Path::Index(path, i)).map(Value::Number))
                .collect::<Result<_>>()?;
            one("$NS", Value::Array(nums))
        }
        AttributeValue::Bs(b) => one("$BS", base64_strings(b)),
        _ => return Err(unknown(path)),
    })
}

fn value_to_json(v: AttributeValue, path: &Path<'_>, format: Format) -> Result<Value> {
    match format {
        Format::Plain => to_plain_value(v, path),
        Format::Marshal => to_marshal_value(v, path),
    }
}

fn list_to_json(l: Vec<AttributeValue>, path: &Path<'_>, format: Format) -> Result<Value> {
    l.into_iter().enumerate().map(|(i, x)| value_to_json(x, &Path::Index(path, i), format)).collect::<Result<_>>()
}

/// Attributes sorted by name, so the same item always prints the same way (the SDK's map has no order).
fn map_to_json(m: Item, path: &Path<'_>, format: Format) -> Result<Map<String, Value>> {
    let mut entries: Vec<(String, AttributeValue)> = m.into_iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut out = Map::with_capacity(entries.len());
    for (k, v) in entries {
        let v = value_to_json(v, &Path::Key(path, &k), format)?;
        out.insert(k, v);
    }
    Ok(out)
}

/// The SDK's item → JSON in the given spelling; attributes sorted by name. Takes the item by value and moves its
/// strings into the JSON: the fastest way when the item is not needed afterwards.
pub fn item_into_json(item: Item, format: Format) -> Result<Value> {
    map_to_json(item, &Path::Root, format).map(Value::Object)
}

/// The SDK's item → JSON in the given spelling (a copy; see [`item_into_json`]).
pub fn item_to_json(item: &Item, format: Format) -> Result<Value> {
    item_into_json(item.clone(), format)
}

/// The SDK's item → plain JSON.
pub fn item_to_plain(item: &Item) -> Result<Value> {
    item_to_json(item, Format::Plain)
}

/// The SDK's item → marshal (DynamoDB) JSON.
pub fn item_to_marshal(item: &Item) -> Result<Value> {
    item_to_json(item, Format::Marshal)
}

/// One value → plain JSON (used for list, map and set cells in DataFrames).
pub(crate) fn value_to_plain(v: &AttributeValue) -> Result<Value> {
    to_plain_value(v.clone(), &Path::Root)
}

/// A plain-JSON item → marshal JSON, checked as DynamoDB would check it.
///
/// ```
/// use serde_json::json;
/// let m = sourcelab::marshal::to_marshal(&json!({"Id": 101, "Tags": {"$SS": ["a"]}})).unwrap();
/// assert_eq!(m, json!({"Id": {"N": "101"}, "Tags": {"SS": ["a"]}}));
/// ```
pub fn to_marshal(plain: &Value) -> Result<Value> {
    item_into_json(item_from_plain(plain)?, Format::Marshal)
}

/// A marshal-JSON item → plain JSON, numbers exact.
///
/// ```
/// use serde_json::json;
/// let p = sourcelab::marshal::to_plain(&json!({"Price": {"N": "12345678901234567890.123456789"}})).unwrap();
/// assert_eq!(p.to_string(), r#"{"Price":12345678901234567890.123456789}"#);
/// ```
pub fn to_plain(marshal: &Value) -> Result<Value> {
    item_into_json(item_from_marshal(marshal)?, Format::Plain)
}

// ---------------------------------------------------------------------------------------------------------------
// Whole documents: single items, lists of items, batch-write files
// ---------------------------------------------------------------------------------------------------------------

/// Converts a whole document from one spelling to the other: one item, a JSON array of items, or a batch-write
/// file (`{"Table": [{"PutRequest": {"Item": {...}}}, {"DeleteRequest": {"Key": {...}}}]}`).
pub fn convert_document(doc: &Value, from: Format, numbers: Numbers) -> Result<Value> {
    let to = match from {
        Format::Plain => Format::Marshal,
        Format::Marshal => Format::Plain,
    };
    let item = |v: &Value, at: String| -> Result<Value> {
        let mut it = item_from_json(v, from).map_err(|e| at_prefix(e, &at))?;
        if numbers == Numbers::Canonical {
            it = canonical_item(it)?;
        }
        item_into_json(it, to)
    };
    match doc {
        Value::Array(items) => items.iter().enumerate().map(|(i, v)| item(v, format!("[{i}]"))).collect(),
        Value::Object(tables) if is_batch(doc) => {
            let mut out = Map::with_capacity(tables.len());
            for (table, requests) in tables {
                let requests = requests.as_array().map(Vec::as_slice).unwrap_or_default();
                let mut converted = Vec::with_capacity(requests.len());
                for (i, r) in requests.iter().enumerate() {
                    let (op, field) = batch_request(r).expect("checked by is_batch");
                    let at = format!("[{table:?}][{i}].{op}.{field}");
                    let v = item(&r[op][field], at)?;
                    converted.push(one(op, one(field, v)));
                }
                out.insert(table.clone(), Value::Array(converted));
            }
            Ok(Value::Object(out))
        }
        _ => item(doc, String::new()),
    }
}

/// How numbers are spelled in a conversion's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Numbers {
    /// Every digit as given (`1.50` stays `1.50`, `1E+2` stays `1E+2`): what went in comes back.
    #[default]
    AsGiven,
    /// DynamoDB's canonical spelling, as it returns a number it stored ([`canonical_number`]).
    Canonical,
}

/// A number the way DynamoDB spells it when it gives it back: no exponent, no `+`, no leading or trailing zeros,
/// no point without a fraction, and zero as `0` (`+1e2` → `100`, `1.0` → `1`, `-0` → `0`, `.50` → `0.5`).
/// Text DynamoDB would refuse is refused with its message.
///
/// ```
/// use sourcelab::marshal::canonical_number;
/// assert_eq!(canonical_number("+1e2").unwrap(), "100");
/// assert_eq!(canonical_number("-0012.3400E-4").unwrap(), "-0.001234");
/// assert_eq!(canonical_number("-0").unwrap(), "0");
/// ```
pub fn canonical_number(text: &str) -> Result<String> {
    let d = check_number(text).map_err(|m| bad(&Path::Root, m))?;
    let (negative, digits, exponent) = d.key();
    if digits.is_empty() {
        return Ok("0".into());
    }
    let mut out = String::with_capacity(digits.len() + exponent.unsigned_abs() as usize + 3);
    if negative {
        out.push('-');
    }
    if exponent < 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
        out.push_str(&digits);
    } else {
        let int = exponent as usize + 1;
        if digits.len() <= int {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', int - digits.len()));
        } else {
            out.push_str(&digits[..int]);
            out.push('.');
            out.push_str(&digits[int..]);
        }
    }
    Ok(out)
}

/// `item` with every number (in N, NS, and inside lists and maps) in DynamoDB's canonical spelling.
pub fn canonical_item(item: Item) -> Result<Item> {
    item.into_iter().map(|(k, v)| Ok((k, canonical_value(v)?))).collect()
}

fn canonical_value(v: AttributeValue) -> Result<AttributeValue> {
    Ok(match v {
        AttributeValue::N(n) => AttributeValue::N(canonical_number(&n)?),
        AttributeValue::Ns(ns) => AttributeValue::Ns(ns.iter().map(|n| canonical_number(n)).collect::<Result<_>>()?),
        AttributeValue::L(l) => AttributeValue::L(l.into_iter().map(canonical_value).collect::<Result<_>>()?),
        AttributeValue::M(m) => AttributeValue::M(canonical_item(m)?),
        other => other,
    })
}

/// A marshal-JSON item → plain JSON with numbers as DynamoDB gives them back (`{"N": "1.50"}` → `1.5`).
pub fn to_plain_canonical(marshal: &Value) -> Result<Value> {
    item_into_json(canonical_item(item_from_marshal(marshal)?)?, Format::Plain)
}

/// `{"PutRequest": {"Item": …}}` → ("PutRequest", "Item"); `{"DeleteRequest": {"Key": …}}` → ("DeleteRequest", "Key").
pub(crate) fn batch_request(r: &Value) -> Option<(&'static str, &'static str)> {
    let o = r.as_object().filter(|o| o.len() == 1)?;
    let (op, field) = if o.contains_key("PutRequest") {
        ("PutRequest", "Item")
    } else if o.contains_key("DeleteRequest") {
        ("DeleteRequest", "Key")
    } else {
        return None;
    };
    r[op].as_object().filter(|inner| inner.len() == 1 && inner.contains_key(field))?;
    Some((op, field))
}

/// Is this a batch-write document: every value an array of put or delete requests?
pub(crate) fn is_batch(doc: &Value) -> bool {
    doc.as_object().is_some_and(|tables| {
        !tables.is_empty()
            && tables.values().all(|reqs| {
                reqs.as_array().is_some_and(|a| !a.is_empty() && a.iter().all(|r| batch_request(r).is_some()))
            })
    })
}

/// Puts the document position in front of an item-level JSON path: `at $.Tags` → `at $["Reply"][2].PutRequest.Item.Tags`.
fn at_prefix(e: Error, at: &str) -> Error {
    if at.is_empty() {
        return e;
    }
    let cause = e.cause().replacen("at $", &format!("at ${at}"), 1);
    let hint = e.hint_text().map(str::to_string);
    let out = Error::new(e.kind(), e.what(), cause);
    match hint {
        Some(h) => out.hint(h),
        None => out,
    }
}

/// Reads a JSON file; a syntax error names the file, line and column.
pub fn read_json(path: &std::path::Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
    parse_json(&text, &path.display().to_string())
}

/// Parses JSON text; `source` names where it came from in errors (a file name, or "stdin").
pub fn parse_json(text: &str, source: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        let mut cause = String::new();
        let _ = write!(cause, "line {}, column {}: {e}", e.line(), e.column());
        Error::new(ErrorKind::Input, format!("read JSON from {source}"), cause)
            .hint("fix the JSON syntax there (a missing comma or quote is the usual cause)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value, f: Format) -> String {
        item_from_json(&v, f).unwrap_err().to_string()
    }

    #[test]
    fn numbers_keep_every_digit_both_ways() {
        for n in [
            "1E-130",
            "-1E-130",
            "9.9999999999999999999999999999999999999E+125",
            "-9.9999999999999999999999999999999999999E+125",
            "12345678901234567890123456789012345678",
            "0.00000000000000000000000000000000000001",
            "0",
            "-0",
            "1.50",
        ] {
            // serde_json writes the exponent as `e`; the digits and the value stay exactly as given.
            let m = json!({ "n": { "N": n } });
            let p = to_plain(&m).unwrap();
            assert_eq!(
                p["n"].to_string().to_ascii_uppercase().replace("E+", "E"),
                n.replace("E+", "E"),
                "plain of {n}"
            );
            let back = to_marshal(&p).unwrap();
            assert_eq!(parse_number(back["n"]["N"].as_str().unwrap()).unwrap().key(), parse_number(n).unwrap().key());
        }
    }

    #[test]
    fn numbers_dynamodb_refuses_are_refused_with_its_wording() {
        let cases = [
            ("NaN", "cannot be converted to a numeric value: NaN"),
            ("Infinity", "cannot be converted to a numeric value: Infinity"),
            ("-inf", "cannot be converted to a numeric value: -inf"),
            ("abc", "cannot be converted to a numeric value: abc"),
            ("1e", "cannot be converted"),
            ("", "cannot be converted"),
            ("123456789012345678901234567890123456789", "more than 38 significant digits"),
            ("1E+126", "Number overflow"),
            ("1E+99999999999999999999999", "Number overflow"),
            ("1E-131", "Number underflow"),
            ("0.1E-130", "Number underflow"),
        ];
        for (n, want) in cases {
            let e = err(json!({"x": {"N": n}}), Format::Marshal);
            assert!(e.contains(want) && e.contains("at $.x.N"), "{n}: {e}");
        }
        // Zeros and trailing zeros are not significant.
        assert!(check_number("100000000000000000000000000000000000000000000").is_ok());
        // A zero's exponent counts as written: 0E+126 is out of range, 0.0E+126 and 0E+125 are not.
        for (zero, ok) in [
            ("0E+126", false),
            ("0E+999", false),
            ("0.0E+126", true),
            ("0E+125", true),
            ("0E-131", false),
            ("0E-130", true),
        ] {
            assert_eq!(check_number(zero).is_ok(), ok, "{zero}");
        }
        let e = err(json!({"x": {"N": "0E+126"}}), Format::Marshal);
        assert!(
            e.contains(
                "at $.x.N: Number overflow. Attempting to store a number with magnitude larger than supported range"
            ),
            "{e}"
        );
    }

    #[test]
    fn number_parts() {
        let d = parse_number("-0012.3400E+2").unwrap();
        assert_eq!(d.key(), (true, "1234".to_string(), 3));
        assert_eq!(parse_number(".005").unwrap().key(), (false, "5".to_string(), -3));
        assert_eq!(parse_number("1.0").unwrap().key(), parse_number("1").unwrap().key());
        assert_eq!(parse_number("-0.0E7").unwrap().key(), parse_number("0").unwrap().key());
        assert_eq!(parse_number("100").unwrap().digits, 1);
        assert_eq!(json_number_text("+.5"), "0.5");
        assert_eq!(json_number_text("-5."), "-5");
        assert_eq!(json_number_text("007e3"), "7e+3");
        assert_eq!(json_number_text("1E-3"), "1e-3");
        for text in
            ["0", "-12.50", "007", "12345678901234567890123456789012345678", "0.0000000000000000000000000000000000001"]
        {
            assert!(plainly_valid(text) && check_number(text).is_ok(), "{text}");
        }
        for text in ["", "-", ".5", "5.", "1e3", "+1", "1.2.3", "123456789012345678901234567890123456789", "NaN", "1_0"]
        {
            assert!(!plainly_valid(text), "{text}");
        }
        for (text, fast) in [("101", true), ("-7", true), ("0", true), ("-0", false), ("007", false), ("1.0", false)] {
            assert_eq!(plain_integer(text).is_some(), fast, "{text}");
            assert_eq!(json_number(text, &Path::Root).unwrap().as_str(), json_number_text(text), "{text}");
        }
    }

    #[test]
    fn sets_empty_or_duplicate_are_refused() {
        let e = err(json!({"t": {"SS": []}}), Format::Marshal);
        assert!(
            e.contains("at $.t.SS: One or more parameter values were invalid: An string set  may not be empty"),
            "{e}"
        );
        let e = err(json!({"t": {"$NS": []}}), Format::Plain);
        assert!(e.contains("An number set  may not be empty"), "{e}");
        let e = err(json!({"t": {"SS": ["a", "a"]}}), Format::Marshal);
        assert!(e.contains("Input collection [a, a] contains duplicates."), "{e}");
        // DynamoDB's whole message for each set type (its grammar and spacing), after the JSON path.
        let e = err(json!({"t": {"NS": ["1", "1.0"]}}), Format::Marshal);
        assert!(
            e.contains("at $.t.NS: Input collection contains duplicates\n")
                || e.ends_with("at $.t.NS: Input collection contains duplicates"),
            "{e}"
        );
        assert!(e.contains("[1, 1.0]"), "the hint names the members: {e}");
        let e = err(json!({"t": {"BS": ["aGk=", "aGk="]}}), Format::Marshal);
        assert!(e.contains("at $.t.BS: One or more parameter values were invalid: Input collection [aGk=, aGk=]of type BS contains duplicates."), "{e}");
        let e = err(json!({"t": {"BS": []}}), Format::Marshal);
        assert!(
            e.contains("at $.t.BS: One or more parameter values were invalid: Binary sets should not be empty"),
            "{e}"
        );
        assert!(item_from_marshal(&json!({"t": {"NS": ["1", "10"]}})).is_ok());
    }

    #[test]
    fn nesting_of_32_levels_passes_and_33_fails() {
        let nest = |levels: usize| {
            let mut v = json!("leaf");
            for _ in 1..levels {
                v = json!([v]);
            }
            json!({ "a": v })
        };
        // The attribute is level 1; the string inside 31 lists sits at level 32.
        assert!(item_from_plain(&nest(32)).is_ok());
        let e = err(nest(33), Format::Plain);
        assert!(
            e.contains("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"),
            "{e}"
        );
    }

    #[test]
    fn a_number_counts_its_digit_pairs_aligned_on_the_point_and_its_sign() {
        for (n, size) in [
            ("0", 1),
            ("-0", 1),
            ("0E+125", 1),
            ("1", 2),
            ("12", 2),
            ("1.2", 3),
            ("-1.2", 4),
            ("123", 3),
            ("12.3", 3),
            ("1.23", 3),
            ("123.4", 4),
            ("1234", 3),
            ("100", 2),
            ("1000", 2),
            ("0.01", 2),
            ("0.1", 2),
            ("-12345", 5),
            ("12345678901234567890123456789012345678", 20),
            ("1.2345678901234567890123456789012345678", 21),
            ("1E+125", 2),
            ("11E+124", 2),
        ] {
            assert_eq!(number_size(n), size, "{n}");
            assert!(number_size_bound(n) >= size, "the bound of {n}");
        }
    }

    #[test]
    fn an_item_at_the_limit_passes_and_one_byte_more_fails_whatever_its_numbers() {
        // Each filler number costs a byte more than the developer guide's formula says (odd alignment, a sign).
        for (number, cost) in [("1.2", 3), ("-12", 3), ("-1.2", 4), ("123.4", 4), ("0", 1)] {
            let fixed = 1 + cost + 1; // "a" + its number + "b"
            let item = |total: usize| json!({ "a": serde_json::Number::from_string_unchecked(number.into()), "b": "x".repeat(total - fixed) });
            let at = item_from_plain(&item(MAX_ITEM_BYTES)).unwrap_or_else(|e| panic!("{number}: {e}"));
            assert_eq!(item_size(&at), MAX_ITEM_BYTES, "{number}");
            let e = err(item(MAX_ITEM_BYTES + 1), Format::Plain);
            assert!(
                e.contains("Item size has exceeded the maximum allowed size") && e.contains("409601 bytes"),
                "{number}: {e}"
            );
        }
    }

    #[test]
    fn attribute_names_must_be_one_to_65535_bytes() {
        let e = err(json!({"": 1}), Format::Plain);
        assert!(e.contains("at $[\"\"]: Attribute name is empty"), "{e}");
        let e = err(json!({"": {"S": "x"}}), Format::Marshal);
        assert!(e.contains("Attribute name is empty"), "{e}");
        let longest = "n".repeat(MAX_NAME_BYTES);
        assert!(item_from_plain(&json!({ longest.clone(): 1 })).is_ok());
        let e = err(json!({ format!("{longest}n"): 1 }), Format::Plain);
        assert!(e.contains("Attribute name is too long") && e.contains("65536 bytes") && e.len() < 400, "{e}");
        // A name of multi-byte letters counts bytes, not letters.
        let e = err(json!({ "é".repeat(32_768): 1 }), Format::Plain);
        assert!(e.contains("65536 bytes"), "{e}");
    }

    #[test]
    fn canonical_numbers_are_dynamodbs_spelling() {
        for (given, canonical) in [
            ("+1e2", "100"),
            ("1.0", "1"),
            ("-0", "0"),
            ("0.0E+7", "0"),
            (".50", "0.5"),
            ("007", "7"),
            ("-1.23E-3", "-0.00123"),
            ("1.5E1", "15"),
            ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
            ("1E+3", "1000"),
            ("1E-130", &format!("0.{}1", "0".repeat(129))),
        ] {
            assert_eq!(canonical_number(given).unwrap(), canonical, "{given}");
            assert_eq!(canonical_number(canonical).unwrap(), canonical, "{canonical} is already canonical");
        }
        assert!(canonical_number("NaN").unwrap_err().to_string().contains("cannot be converted"));
        let p =
            to_plain_canonical(&json!({"a": {"N": "1.50"}, "s": {"NS": ["+1e2", "2.0"]}, "l": {"L": [{"N": "-0"}]}}))
                .unwrap();
        assert_eq!(p.to_string(), r#"{"a":1.5,"l":[0],"s":{"$NS":[100,2]}}"#);
        let doc = json!([{"n": 1.0}]);
        assert_eq!(convert_document(&doc, Format::Plain, Numbers::Canonical).unwrap(), json!([{"n": {"N": "1"}}]));
        assert_eq!(convert_document(&doc, Format::Plain, Numbers::AsGiven).unwrap(), json!([{"n": {"N": "1.0"}}]));
    }

    #[test]
    fn item_size_counts_as_dynamodb_does() {
        let item = item_from_plain(&json!({"ab": "xyz", "n": 12345, "m": {"k": true}, "l": [null]})).unwrap();
        // ab:2+3; n:1+(3+1); m:1+3+(1+1+1); l:1+3+(1+1)
        assert_eq!(item_size(&item), 5 + 5 + 7 + 6);
        let name_and_text = |total: usize| json!({ "a": "x".repeat(total - 1) });
        assert!(item_from_plain(&name_and_text(MAX_ITEM_BYTES)).is_ok());
        let e = err(name_and_text(MAX_ITEM_BYTES + 1), Format::Plain);
        assert!(e.contains("Item size has exceeded the maximum allowed size") && e.contains("409601 bytes"), "{e}");
    }

    #[test]
    fn tags_and_escapes_round_trip() {
        let plain = json!({
            "b": {"$B": "AAEC"},
            "bs": {"$BS": ["AA==", "AQ=="]},
            "ns": {"$NS": [1, 2.5]},
            "ss": {"$SS": ["x"]},
            "m": {"$M": {"$SS": ["not a set, a map key"]}},
            "nested": {"$M": {"$M": {}}},
            "plain_map": {"k": [1, "two", null, false]}
        });
        let m = to_marshal(&plain).unwrap();
        assert_eq!(m["m"], json!({"M": {"$SS": {"L": [{"S": "not a set, a map key"}]}}}));
        assert_eq!(m["ns"], json!({"NS": ["1", "2.5"]}));
        assert_eq!(to_plain(&m).unwrap(), plain);
    }

    #[test]
    fn malformed_marshal_json_names_the_path() {
        let e = err(json!({"a": {"L": [{"S": "ok"}, {"X": 1}]}}), Format::Marshal);
        assert!(e.contains("at $.a.L[1]: unknown DynamoDB type \"X\""), "{e}");
        let e = err(json!({"a": {}}), Format::Marshal);
        assert!(e.contains("Supplied AttributeValue is empty"), "{e}");
        let e = err(json!({"a": {"S": "x", "N": "1"}}), Format::Marshal);
        assert!(e.contains("more than one datatypes"), "{e}");
        let e = err(json!({"a": {"NULL": false}}), Format::Marshal);
        assert!(e.contains("Null attribute value types must have the value of true"), "{e}");
        let e = err(json!({"a": {"B": "not base64!"}}), Format::Marshal);
        assert!(e.contains("at $.a.B: Invalid Binary value"), "{e}");
        let e = err(json!({"odd key": {"N": 5}}), Format::Marshal);
        assert!(e.contains("at $[\"odd key\"].N: a N value must be a number written as a string"), "{e}");
        assert!(err(json!([1]), Format::Plain).contains("an item is a JSON object"));
    }

    #[test]
    fn empty_key_attributes_are_refused() {
        let item = item_from_plain(&json!({"Id": "", "x": ""})).unwrap();
        let e = check_key_attributes(&item, &["Id"]).unwrap_err().to_string();
        assert!(e.contains("An AttributeValue may not contain an empty string. Key: Id"), "{e}");
        let e = check_key_attributes(&item, &["Name"]).unwrap_err().to_string();
        assert!(e.contains("Missing the key Name in the item"), "{e}");
    }

    #[test]
    fn batch_documents_convert_request_by_request() {
        let doc = json!({"T": [
            {"PutRequest": {"Item": {"Id": 1, "s": {"$SS": ["a"]}}}},
            {"DeleteRequest": {"Key": {"Id": 2}}}
        ]});
        assert!(is_batch(&doc));
        let m = convert_document(&doc, Format::Plain, Numbers::AsGiven).unwrap();
        assert_eq!(m["T"][0]["PutRequest"]["Item"], json!({"Id": {"N": "1"}, "s": {"SS": ["a"]}}));
        assert_eq!(m["T"][1]["DeleteRequest"]["Key"], json!({"Id": {"N": "2"}}));
        assert_eq!(convert_document(&m, Format::Marshal, Numbers::AsGiven).unwrap(), doc);
        let bad = json!({"T": [{"PutRequest": {"Item": {"Id": {"$SS": []}}}}]});
        let e = convert_document(&bad, Format::Plain, Numbers::AsGiven).unwrap_err().to_string();
        assert!(e.contains("at $[\"T\"][0].PutRequest.Item.Id.$SS: "), "{e}");
    }

    #[test]
    fn json_syntax_errors_name_line_and_column() {
        let e = parse_json("{\n  \"a\": 1,\n}", "items.json").unwrap_err().to_string();
        assert!(e.starts_with("read JSON from items.json: line 3, column 1:"), "{e}");
    }
}
