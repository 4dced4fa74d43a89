//! DynamoDB JSON ↔ plain JSON (`sourcelab::marshal`), numbers exact, checked as DynamoDB checks.

use std::path::Path;

use serde_json::{Value, json};

use crate::client::call;
use crate::error::Result;

/// Plain JSON (`{"Id": 101}`, sets as `{"$SS": [...]}`) → DynamoDB JSON (`{"Id": {"N": "101"}}`).
pub fn to_marshal(plain: &Value) -> Result<Value> {
    call("marshal.to_marshal", json!({"value": plain}))
}

/// DynamoDB JSON → plain JSON.
pub fn to_plain(marshal: &Value) -> Result<Value> {
    call("marshal.to_plain", json!({"value": marshal}))
}

/// DynamoDB JSON → plain JSON with numbers as DynamoDB gives them back: `{"N": "1.50"}` → `1.5`, `+1e2` → `100`.
pub fn to_plain_canonical(marshal: &Value) -> Result<Value> {
    call("marshal.to_plain_canonical", json!({"value": marshal}))
}

/// Reads a JSON file; a syntax error names the file, line and column.
pub fn read_json(path: &Path) -> Result<Value> {
    call("marshal.read_json", json!({"path": path.to_string_lossy()}))
}
