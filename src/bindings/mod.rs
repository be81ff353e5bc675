//! The napi bindings: the only code that knows about JavaScript.

mod session;
