//! The port between the pure handler and the runtime: call an RPC, sleep, read the clock,
//! draw jitter and request ids, write a warn line. The wasm build implements it over
//! postgrest-rs and JavaScript globals (`runtime.rs`); tests implement it with a fake.
//! Defines no I/O itself.

use crate::rpc::{RpcCall, RpcReply, TransportError};

/// What the handler needs from the outside world.
#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait Port {
    /// Performs one RPC attempt. `Err` when no HTTP answer arrived, or none within
    /// `timeout_ms` (the rest of the request's retry budget).
    async fn call_rpc(&self, call: &RpcCall, timeout_ms: u64) -> Result<RpcReply, TransportError>;
    /// Waits `ms` milliseconds.
    async fn sleep(&self, ms: u64);
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
    /// A uniform random number in [0, 1), for back-off jitter.
    fn jitter(&self) -> f64;
    /// A fresh request id (UUID v4).
    fn new_request_id(&self) -> String;
    /// Writes one structured warn line (a retry), as JSON.
    fn warn(&self, line: &str);
}
