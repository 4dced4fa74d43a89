//! IPv4 networks in CIDR notation, for the networking primer of lab 4: [`Cidr`].
//!
//! The type is plain arithmetic on addresses, so it lives in the notebook crate (cells use it without a call into
//! the library) and the library re-exports it; its documentation is there.

pub use sourcelab_notebook::net::Cidr;
