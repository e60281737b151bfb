//! The RPC adapter: `POST {SUPABASE_URL}/rest/v1/rpc/<name>` with `apikey` = the anon key,
//! the caller's `Authorization` forwarded as-is, and `x-request-id`. postgrest-rs shapes each
//! RPC's request (URL, `apikey`, content type) once per worker; every call then copies that
//! prepared header set, adds the caller's two headers and does one global `fetch`, reading
//! only the status and the body text. Returns the raw status and body (`rpc.rs` reads them).
//! Does network I/O (wasm only).

use crate::config::is_header_value;
use crate::domain::Action;
use crate::rpc::{RpcCall, RpcReply, TransportError};
use postgrest::Postgrest;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, RequestInit, Response};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch` (Deno, Node, browsers, edge runtimes).
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &RequestInit) -> js_sys::Promise;
}

/// A PostgREST client for one project, built once per worker.
pub struct PostgrestRpc {
    rpcs: Vec<PreparedRpc>,
}

/// One RPC's request as postgrest-rs builds it, minus the per-call parts.
struct PreparedRpc {
    name: &'static str,
    url: String,
    headers: Headers,
}

impl PostgrestRpc {
    /// `anon_key` must be a valid header value (checked by `Config`); `insert_header` panics
    /// on an invalid one.
    pub fn new(rest_url: &str, anon_key: &str) -> Result<Self, String> {
        let base = Postgrest::new(rest_url).insert_header("apikey", anon_key);
        let rpcs = Action::ALL
            .iter()
            .map(|action| prepare(&base, action.rpc()))
            .collect::<Result<_, _>>()?;
        Ok(Self { rpcs })
    }

    /// One attempt. `Err` only when no HTTP answer (or no complete body) arrived. Dropping
    /// the future before it ends aborts the fetch.
    pub async fn call(&self, call: &RpcCall) -> Result<RpcReply, TransportError> {
        let rpc = self
            .rpcs
            .iter()
            .find(|rpc| rpc.name == call.name)
            .ok_or_else(|| TransportError(format!("request failed: no RPC {}", call.name)))?;
        let failed = |e: JsValue| transport_error("request failed", &e);
        let headers = Headers::new_with_headers(&rpc.headers).map_err(failed)?;
        // The handler has already checked both values; checking again here keeps a bad value
        // from ever reaching the network.
        if is_header_value(&call.authorization) {
            headers
                .set("authorization", &call.authorization)
                .map_err(failed)?;
        }
        if is_header_value(&call.request_id) {
            headers
                .set("x-request-id", &call.request_id)
                .map_err(failed)?;
        }
        let body = serde_json::to_string(&call.args).unwrap_or_default();
        let abort = AbortOnDrop::new().map_err(failed)?;
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(&body));
        init.set_signal(Some(&abort.controller.signal()));
        let response: Response = JsFuture::from(global_fetch(&rpc.url, &init))
            .await
            .map_err(failed)?
            .unchecked_into();
        let status = response.status();
        let lost = |e: JsValue| transport_error("response body lost", &e);
        let text = JsFuture::from(response.text().map_err(lost)?)
            .await
            .map_err(lost)?;
        abort.disarm();
        Ok(RpcReply {
            status,
            body: text.as_string().unwrap_or_default(),
        })
    }
}

/// The RPC's URL and headers (`apikey`, `Content-Type`, any schema header) from postgrest-rs.
fn prepare(base: &Postgrest, name: &'static str) -> Result<PreparedRpc, String> {
    let request = base
        .rpc(name, "{}")
        .build()
        .build()
        .map_err(|e| format!("RPC {name}: {e}"))?;
    let headers = Headers::new().map_err(|e| describe(&e))?;
    for (key, value) in request.headers() {
        let value = value.to_str().map_err(|e| format!("RPC {name}: {e}"))?;
        headers
            .append(key.as_str(), value)
            .map_err(|e| describe(&e))?;
    }
    Ok(PreparedRpc {
        name,
        url: request.url().to_string(),
        headers,
    })
}

/// Aborts its fetch when dropped, unless the response was read to the end.
struct AbortOnDrop {
    controller: AbortController,
    armed: bool,
}

impl AbortOnDrop {
    fn new() -> Result<Self, JsValue> {
        Ok(Self {
            controller: AbortController::new()?,
            armed: true,
        })
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.controller.abort();
        }
    }
}

/// The text of a JavaScript error (`TypeError: ...`), or of any other thrown value.
fn describe(error: &JsValue) -> String {
    match error.dyn_ref::<js_sys::Error>() {
        Some(e) => String::from(e.to_string()),
        None => error.as_string().unwrap_or_else(|| format!("{error:?}")),
    }
}

/// A one-line, bounded description of a network error, for the log.
fn transport_error(context: &str, error: &JsValue) -> TransportError {
    let text = describe(error);
    let first_line: String = text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    TransportError(format!("{context}: {first_line}"))
}
