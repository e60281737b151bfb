//! The `#[wasm_bindgen]` exports: `CartFunction` (built once per worker from an env object,
//! `handle(Request) -> Promise<Response>`) and `misconfiguredResponse()`. Converts between
//! web `Request`/`Response` and the pure types, and writes the one log line per request.
//! Does I/O (wasm only).

use crate::config::{Config, ConfigError, Env};
use crate::error::AppError;
use crate::handler::Handler;
use crate::http::{error_response, HttpResponse};
use crate::postgrest::PostgrestRpc;
use crate::request::{IncomingRequest, MAX_BODY_BYTES};
use crate::runtime::JsPort;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{Headers, Request, Response, ResponseInit};

/// The `cart` function.
#[wasm_bindgen]
pub struct CartFunction {
    handler: Rc<Handler<JsPort>>,
}

#[wasm_bindgen]
impl CartFunction {
    /// Builds the function from an environment object (e.g. `Deno.env.toObject()`).
    /// Throws an `Error` naming every missing or invalid setting.
    #[wasm_bindgen(constructor)]
    pub fn new(env: &JsValue) -> Result<CartFunction, JsError> {
        // Reads only the variables `Env` names; a value that is not a string is a problem
        // named like any other.
        let env: Env = serde_wasm_bindgen::from_value(env.clone())
            .map_err(|e| ConfigError(vec![format!("the environment object: {e}")]))?;
        let config = Config::from_env(&env)?;
        let rpc = PostgrestRpc::new(&config.rest_url(), &config.anon_key);
        let handler = Handler::new(JsPort::new(rpc), config.retry);
        Ok(CartFunction {
            handler: Rc::new(handler),
        })
    }

    /// Serves one request; the promise always resolves to a `Response`.
    pub fn handle(&self, request: Request) -> js_sys::Promise {
        let handler = Rc::clone(&self.handler);
        future_to_promise(async move {
            let incoming = read_request(&request).await;
            let handled = handler.handle(&incoming).await;
            web_sys::console::log_1(&JsValue::from_str(&handled.log.to_json()));
            to_response(&handled.response).map(JsValue::from)
        })
    }
}

/// The answer to every request when the function could not be configured: 500
/// `server_misconfigured`.
#[wasm_bindgen(js_name = misconfiguredResponse)]
pub fn misconfigured_response() -> Result<Response, JsValue> {
    let request_id = uuid::Uuid::new_v4().to_string();
    to_response(&error_response(&AppError::Misconfigured, &request_id))
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
        body,
    }
}

async fn read_text(request: &Request) -> Option<String> {
    let promise = request.text().ok()?;
    JsFuture::from(promise).await.ok()?.as_string()
}

fn to_response(response: &HttpResponse) -> Result<Response, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in &response.headers {
        headers.set(name, value)?;
    }
    let init = ResponseInit::new();
    init.set_status(response.status);
    init.set_headers(&headers);
    Response::new_with_opt_str_and_init(Some(&response.body), &init)
}
