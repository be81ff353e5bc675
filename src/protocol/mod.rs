//! The RFC 6455 wire format: frame headers, masking and UTF-8 validation.

pub mod close;
pub mod frame;
pub mod mask;
pub mod utf8;
