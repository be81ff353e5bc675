//! permessage-deflate (RFC 7692): the codec and its negotiation.

pub mod codec;
pub mod negotiation;

pub use codec::{Compressor, CompressorSettings, Inflater};
