//! The RPC adapter over postgrest-rs: `POST {SUPABASE_URL}/rest/v1/rpc/<name>` with
//! `apikey` = the anon key, the caller's `Authorization` forwarded as-is, and
//! `x-request-id`. Returns the raw status and body (postgrest-rs answers `Ok` for 4xx/5xx
//! too; `rpc.rs` reads them). Does network I/O (wasm only: reqwest over `fetch`; dropping
//! the call's future aborts its fetch).
//!
//! Every call goes through postgrest-rs's `execute()`. Measured against a PostgREST that
//! answers at once, building the request and reading the answer through postgrest-rs and
//! reqwest costs about 0.1 ms per call more than one hand-made `fetch` (see
//! `bench/README.md`); the project keeps the client library for its request shaping.

use crate::http::is_header_value;
use crate::rpc::{RpcCall, RpcReply, TransportError};
use postgrest::Postgrest;

/// A PostgREST client for one project, built once per worker.
pub struct PostgrestRpc {
    base: Postgrest,
}

impl PostgrestRpc {
    /// `anon_key` must be a valid header value (checked by `Config`); `insert_header` panics
    /// on an invalid one.
    pub fn new(rest_url: &str, anon_key: &str) -> Self {
        Self {
            base: Postgrest::new(rest_url).insert_header("apikey", anon_key),
        }
    }

    /// One attempt. `Err` only when no HTTP answer (or no complete body) arrived.
    pub async fn call(&self, call: &RpcCall) -> Result<RpcReply, TransportError> {
        let mut client = self.base.clone();
        // The handler has already checked both values; checking again here keeps
        // `insert_header` from ever panicking.
        if is_header_value(&call.authorization) {
            client = client.insert_header("authorization", &call.authorization);
        }
        if is_header_value(&call.request_id) {
            client = client.insert_header("x-request-id", &call.request_id);
        }
        let body = serde_json::to_string(&call.args).unwrap_or_default();
        let response = client
            .rpc(call.name, body)
            .execute()
            .await
            .map_err(|e| transport_error("request failed", &e))?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|e| transport_error("response body lost", &e))?;
        Ok(RpcReply { status, body })
    }
}

/// A one-line, bounded description of a network error, for the log.
fn transport_error(context: &str, error: &dyn std::fmt::Display) -> TransportError {
    let text = error.to_string();
    let first_line: String = text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    TransportError(format!("{context}: {first_line}"))
}
