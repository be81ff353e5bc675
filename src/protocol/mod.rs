//! The RFC 6455 wire format: frame headers, close codes, masking and UTF-8
//! validation.

pub(crate) mod close;
pub(crate) mod frame;
pub(crate) mod mask;
pub(crate) mod utf8;
