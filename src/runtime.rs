//! The `Port` implemented for the JavaScript runtime (Deno, Node, browsers): RPCs through
//! `PostgrestRpc`, sleep through the global `setTimeout`, clock `Date.now`, jitter
//! `Math.random`, request ids UUID v4 (WebCrypto), warn lines through `console.warn`.
//! Does I/O (wasm only).

use crate::port::Port;
use crate::postgrest::PostgrestRpc;
use crate::rpc::{RpcCall, RpcReply, TransportError};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: f64) -> JsValue;
}

pub struct JsPort {
    rpc: PostgrestRpc,
}

impl JsPort {
    pub fn new(rpc: PostgrestRpc) -> Self {
        Self { rpc }
    }
}

impl Port for JsPort {
    async fn call_rpc(&self, call: &RpcCall, timeout_ms: u64) -> Result<RpcReply, TransportError> {
        // fetch through reqwest has no timeout on wasm: race the call against a timer. A lost
        // race leaves the fetch to finish unobserved.
        let mut rpc = pin!(self.rpc.call(call));
        let mut timer = pin!(sleep_ms(timeout_ms));
        poll_fn(|cx| {
            if let Poll::Ready(result) = rpc.as_mut().poll(cx) {
                return Poll::Ready(result);
            }
            match timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(TransportError(format!(
                    "no answer within {timeout_ms} ms"
                )))),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    async fn sleep(&self, ms: u64) {
        sleep_ms(ms).await
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn jitter(&self) -> f64 {
        js_sys::Math::random()
    }

    fn new_request_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }

    fn warn(&self, line: &str) {
        web_sys::console::warn_1(&JsValue::from_str(line));
    }
}

/// Resolves after `ms` milliseconds (global `setTimeout`).
async fn sleep_ms(ms: u64) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        set_timeout(&resolve, ms as f64);
    });
    // A timer promise only resolves.
    let _ = JsFuture::from(promise).await;
}
