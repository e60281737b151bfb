//! The `#[wasm_bindgen]` exports: `CartFunction` (built once per worker from an env object)
//! with the router `handle(Request) -> Promise<Response>` (the action named in the request)
//! and the entry points `get` and `add_to_queue` (one action each, same code), and
//! `misconfiguredResponse()`. Converts between web `Request`/`Response` and the pure types,
//! and writes the one log line per request. Does I/O (wasm only).

use crate::config::{Config, ConfigError, Env, Var};
use crate::domain::Action;
use crate::error::AppError;
use crate::handler::Handler;
use crate::http::{error_response, HttpResponse};
use crate::postgrest::PostgrestRpc;
use crate::request::{IncomingRequest, MAX_BODY_BYTES};
use crate::runtime::JsPort;
use serde::Serialize;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{Request, Response, ResponseInit};

/// The `cart` function.
#[wasm_bindgen]
pub struct CartFunction {
    handler: Rc<Handler<JsPort>>,
    /// Headers added to every response (the CORS headers), as a plain object.
    response_headers: Rc<js_sys::Object>,
}

#[wasm_bindgen]
impl CartFunction {
    /// Builds the function from an environment object (e.g. `Deno.env.toObject()`) and the
    /// headers to add to every response (name -> value, e.g. the CORS headers; optional).
    /// Throws an `Error` naming every missing or invalid setting.
    #[wasm_bindgen(constructor)]
    pub fn new(
        env: &JsValue,
        response_headers: Option<js_sys::Object>,
    ) -> Result<CartFunction, JsError> {
        // Reads only the variables `Env` names; a value that is not a string is a problem
        // named like any other.
        let env = Env::read(|name| {
            match js_sys::Reflect::get(env, &JsValue::from_str(name)) {
                Ok(v) if v.is_undefined() || v.is_null() => Var::Unset,
                Ok(v) => v.as_string().map_or(Var::NotText, Var::Text),
                // Not an object: nothing is set.
                Err(_) => Var::Unset,
            }
        });
        let config = Config::from_env(&env)?;
        let rpc = PostgrestRpc::new(&config.rest_url(), &config.anon_key)
            .map_err(|e| ConfigError(vec![e]))?;
        let handler = Handler::new(JsPort::new(rpc), config.retry);
        Ok(CartFunction {
            handler: Rc::new(handler),
            response_headers: Rc::new(response_headers.unwrap_or_default()),
        })
    }

    /// Serves one request for the action it names (`action` in the body or the query
    /// string; GET without one is `get`); the promise always resolves to a `Response`.
    pub fn handle(&self, request: Request) -> js_sys::Promise {
        self.serve(request, None)
    }

    /// Serves one request as the `get` action: the request may leave `action` out, and may
    /// name no other.
    pub fn get(&self, request: Request) -> js_sys::Promise {
        self.serve(request, Some(Action::Get))
    }

    /// Serves one request as the `add_to_queue` action: the request may leave `action` out,
    /// and may name no other.
    pub fn add_to_queue(&self, request: Request) -> js_sys::Promise {
        self.serve(request, Some(Action::AddToQueue))
    }
}

impl CartFunction {
    fn serve(&self, request: Request, entry_action: Option<Action>) -> js_sys::Promise {
        let handler = Rc::clone(&self.handler);
        let response_headers = Rc::clone(&self.response_headers);
        future_to_promise(async move {
            let mut incoming = read_request(&request).await;
            incoming.entry_action = entry_action;
            let handled = handler.handle(&incoming).await;
            web_sys::console::log_1(&JsValue::from_str(&handled.log.to_json()));
            to_response(&handled.response, &response_headers).map(JsValue::from)
        })
    }
}

/// The answer to every request when the function could not be configured: 500
/// `server_misconfigured`, with `response_headers` (as for `CartFunction`) added.
#[wasm_bindgen(js_name = misconfiguredResponse)]
pub fn misconfigured_response(
    response_headers: Option<js_sys::Object>,
) -> Result<Response, JsValue> {
    let request_id = uuid::Uuid::new_v4().to_string();
    to_response(
        &error_response(&AppError::Misconfigured, &request_id),
        &response_headers.unwrap_or_default(),
    )
}

/// Reads what the handler needs. A body declared larger than the limit is not read; a body
/// that cannot be read is passed on as unparseable, so it answers 400/415, never a crash.
async fn read_request(request: &Request) -> IncomingRequest {
    let headers = request.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    let declared_length = header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    let method = request.method();
    let body = if method == "POST" && declared_length.is_none_or(|n| n <= MAX_BODY_BYTES as u64) {
        read_text(request)
            .await
            .unwrap_or_else(|| "\u{fffd}".into())
    } else {
        String::new()
    };
    IncomingRequest {
        method,
        url: request.url(),
        content_type: header("content-type"),
        declared_length,
        authorization: header("authorization"),
        request_id: header("x-request-id"),
        idempotency_key: header("idempotency-key"),
        body,
        entry_action: None,
    }
}

async fn read_text(request: &Request) -> Option<String> {
    let promise = request.text().ok()?;
    JsFuture::from(promise).await.ok()?.as_string()
}

/// The web `Response`. Its headers are handed over as one plain object (`extra` first, then the
/// response's own), which the `Response` constructor reads once.
fn to_response(response: &HttpResponse, extra: &js_sys::Object) -> Result<Response, JsValue> {
    let own = HeaderObject(&response.headers).serialize(&HEADER_OBJECT)?;
    let headers = js_sys::Object::assign(&js_sys::Object::new(), extra);
    let headers = js_sys::Object::assign(&headers, own.unchecked_ref());
    let init = ResponseInit::new();
    init.set_status(response.status);
    init.set_headers(&headers);
    Response::new_with_opt_str_and_init(Some(&response.body), &init)
}

/// A response's headers, serialized by serde-wasm-bindgen as one plain object (name -> value).
struct HeaderObject<'a>(&'a [(&'static str, String)]);

impl Serialize for HeaderObject<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, value)| (name, value)))
    }
}

/// Maps become plain objects, not `Map`s.
const HEADER_OBJECT: serde_wasm_bindgen::Serializer =
    serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
