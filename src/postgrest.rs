//! The RPC adapter: `POST {SUPABASE_URL}/rest/v1/rpc/<name>` with `apikey` = the anon key, the
//! caller's `Authorization` forwarded as-is, and `x-request-id`. Does network I/O (wasm only).
//!
//! postgrest-rs builds every request (`Postgrest::rpc(name, body)`, then `build()`: URL,
//! headers, body); this module sends it through the runtime's global `fetch` and reads only the
//! status and the body text, leaving out reqwest's own sending and response conversion. What
//! is the same for every call of an RPC (its URL and the `apikey`, `Accept` and
//! `Content-Type` headers) is turned into JavaScript values once per worker; a call passes
//! only what differs from them. Dropping a call's future before its answer is read (the
//! per-attempt deadline in `runtime.rs` won the race) aborts its fetch.

use crate::domain::ACTIONS;
use crate::rpc::{RpcCall, RpcReply, TransportError};
use postgrest::Postgrest;
use reqwest::header::{HeaderName, HeaderValue};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, RequestInit, Response};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch` (Deno, Node, browsers, edge runtimes).
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &js_sys::JsString, init: &RequestInit) -> js_sys::Promise;
}

/// A PostgREST client for one project, built once per worker.
pub struct PostgrestRpc {
    base: Postgrest,
    /// One per RPC of the action table.
    shapes: Vec<Shape>,
}

/// The parts of an RPC's request that are the same on every call, as postgrest-rs builds
/// them, with their JavaScript values.
struct Shape {
    rpc: &'static str,
    url: String,
    url_js: js_sys::JsString,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// The same headers as a plain object, copied for each call.
    headers_js: js_sys::Object,
}

impl PostgrestRpc {
    /// `anon_key` must be a valid header value (checked by `Config`): postgrest-rs's
    /// `insert_header` panics on an invalid one.
    pub fn new(rest_url: &str, anon_key: &str) -> Result<Self, String> {
        let base = Postgrest::new(rest_url).insert_header("apikey", anon_key);
        let shapes = ACTIONS
            .iter()
            .map(|action| Shape::new(&base, action.rpc))
            .collect::<Result<_, _>>()?;
        Ok(Self { base, shapes })
    }

    /// One attempt. `Err` only when no HTTP answer (or no complete body) arrived.
    pub async fn call(&self, call: &RpcCall) -> Result<RpcReply, TransportError> {
        let body = serde_json::to_string(&call.args).unwrap_or_default();
        // Invalid header values (the handler has already refused them) fail here, in
        // `build()`, as an error: nothing invalid reaches the network.
        let request = self
            .base
            .rpc(call.name, body)
            .build()
            .header("authorization", &call.authorization)
            .header("x-request-id", &call.request_id);
        let request = match call.idempotency_key.as_deref() {
            Some(key) => request.header("idempotency-key", key),
            None => request,
        }
        .build()
        .map_err(|_| transport_error("request not built", "invalid URL or header value"))?;
        let failed = |e: JsValue| transport_error("request failed", &describe(&e));
        let shape = self.shapes.iter().find(|s| s.rpc == call.name);
        let (url, headers) = match shape {
            Some(shape) if request.url().as_str() == shape.url => (
                shape.url_js.clone(),
                js_sys::Object::assign(&js_sys::Object::new(), &shape.headers_js),
            ),
            _ => (
                js_sys::JsString::from(request.url().as_str()),
                js_sys::Object::new(),
            ),
        };
        for (name, value) in request.headers() {
            let constant =
                shape.is_some_and(|s| s.headers.iter().any(|(n, v)| n == name && v == value));
            if !constant {
                let value = value.to_str().map_err(|_| {
                    transport_error("request not built", "a header value is not text")
                })?;
                set(&headers, name.as_str(), value).map_err(failed)?;
            }
        }
        let init = RequestInit::new();
        init.set_method(request.method().as_str());
        init.set_headers(&headers);
        if let Some(bytes) = request.body().and_then(|b| b.as_bytes()) {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| transport_error("request not built", "the body is not UTF-8"))?;
            init.set_body(&JsValue::from_str(text));
        }
        let abort = AbortOnDrop::new().map_err(failed)?;
        init.set_signal(Some(&abort.controller.signal()));
        let response: Response = JsFuture::from(global_fetch(&url, &init))
            .await
            .map_err(failed)?
            .unchecked_into();
        let status = response.status();
        let lost = |e: JsValue| transport_error("response body lost", &describe(&e));
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

impl Shape {
    /// The RPC's request as postgrest-rs builds it without a body; every header it has then
    /// is the same on every call.
    fn new(base: &Postgrest, rpc: &'static str) -> Result<Shape, String> {
        let request = base
            .rpc(rpc, "")
            .build()
            .build()
            .map_err(|_| format!("RPC {rpc}: invalid URL or header value"))?;
        let headers_js = js_sys::Object::new();
        let mut headers = Vec::new();
        for (name, value) in request.headers() {
            let text = value
                .to_str()
                .map_err(|_| format!("RPC {rpc}: a header value is not text"))?;
            set(&headers_js, name.as_str(), text).map_err(|e| describe(&e))?;
            headers.push((name.clone(), value.clone()));
        }
        let url = request.url().to_string();
        Ok(Shape {
            rpc,
            url_js: js_sys::JsString::from(url.as_str()),
            url,
            headers,
            headers_js,
        })
    }
}

/// Sets one header on a plain headers object (names are lowercase, one value each).
fn set(headers: &js_sys::Object, name: &str, value: &str) -> Result<bool, JsValue> {
    js_sys::Reflect::set(headers, &JsValue::from_str(name), &JsValue::from_str(value))
}

/// Aborts its fetch when dropped before `disarm`: the call lost its race with the deadline.
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
        None => error
            .as_string()
            .or_else(|| js_sys::JSON::stringify(error).ok()?.as_string())
            .unwrap_or_else(|| "a thrown value that is not an Error".to_string()),
    }
}

/// A one-line, bounded description of a network error, for the log.
fn transport_error(context: &str, text: &str) -> TransportError {
    let first_line: String = text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    TransportError(format!("{context}: {first_line}"))
}
