//! Shared by the integration tests: the local stack, started once per test binary by our own code.
#![allow(dead_code)] // each test binary uses a different part

pub mod proxy;

use std::sync::OnceLock;

use sourcelab::config::EnvFile;
use sourcelab::local::Stack;

/// The checkout's stack, brought up (idempotently) on first use.
pub fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| {
        let stack = Stack::new();
        let rows = stack.up().unwrap_or_else(|e| panic!("sourcelab up failed: {e}"));
        assert!(rows.iter().all(|r| r.healthy), "not every service is healthy: {rows:?}");
        stack
    })
}

/// The local stack's settings (not the user's .env, which may point elsewhere).
pub fn env() -> EnvFile {
    stack().local_env().unwrap_or_else(|e| panic!("{e}"))
}
