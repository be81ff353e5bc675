//! permessage-deflate (RFC 7692): the codec and its negotiation.

pub(crate) mod codec;
pub(crate) mod negotiation;

pub use codec::{Compressor, CompressorSettings, Inflater};
