//! The `Port` implemented for the JavaScript runtime (Deno, Node, browsers): RPCs through
//! `PostgrestRpc`, sleep through the global `setTimeout`, clock `Date.now`, jitter
//! `Math.random`, request ids UUID v4 (WebCrypto), warn lines through `console.warn`.
//! Does I/O (wasm only).

use crate::port::Port;
use crate::postgrest::PostgrestRpc;
use crate::rpc::{RpcCall, RpcReply, TransportError};
use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
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
        // fetch has no timeout of its own: race the call against a timer. A lost race drops
        // the call, which aborts its fetch; a won race clears the timer, so no timer outlives
        // its request.
        let mut rpc = pin!(self.rpc.call(call));
        let timer = Timer::new(timeout_ms);
        let mut timer = pin!(timer.elapsed());
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
        Timer::new(ms).elapsed().await
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

/// A global `setTimeout` timer, cleared when dropped (a no-op once it has fired). Its callback
/// sets a flag and wakes the task waiting on it: no promise in between.
struct Timer {
    handle: JsValue,
    state: Rc<TimerState>,
    // Kept alive until the timer is cleared: the JS function calls into it.
    _callback: Closure<dyn FnMut()>,
}

#[derive(Default)]
struct TimerState {
    fired: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Timer {
    fn new(ms: u64) -> Self {
        let state = Rc::new(TimerState::default());
        let on_fire = Rc::clone(&state);
        let callback = Closure::once(move || {
            on_fire.fired.set(true);
            if let Some(waker) = on_fire.waker.borrow_mut().take() {
                waker.wake();
            }
        });
        let handle = set_timeout(callback.as_ref().unchecked_ref(), ms as f64);
        Timer {
            handle,
            state,
            _callback: callback,
        }
    }

    /// Resolves when the timer fires.
    async fn elapsed(self) {
        poll_fn(|cx| {
            if self.state.fired.get() {
                Poll::Ready(())
            } else {
                *self.state.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}
