//! DynamoDB JSON ↔ plain JSON (`sourcelab::marshal`), numbers exact, checked as DynamoDB checks.

pub use crate::declared::marshal::*;
