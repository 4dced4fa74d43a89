//! The connectivity doctor (`sourcelab::doctor`): why a database or an S3 object cannot be reached, one layer at
//! a time (name, TCP, handshake, login, database; bucket, key, permission).

pub use crate::declared::doctor::*;
