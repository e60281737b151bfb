//! The `Port` implemented for the JavaScript runtime (Deno, Node, browsers): RPCs through
//! `PostgrestRpc`, each raced against its deadline (one global `setTimeout` serves the
//! deadlines of every attempt in flight, see `deadline.rs`), sleep through `setTimeout`, clock
//! `Date.now`, jitter `Math.random`, request ids UUID v4 (WebCrypto), warn lines through
//! `console.warn`. Does I/O (wasm only).

use crate::deadline::{DeadlineKey, DeadlineQueue};
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
    deadlines: Rc<Deadlines>,
}

impl JsPort {
    pub fn new(rpc: PostgrestRpc) -> Self {
        Self {
            rpc,
            deadlines: Rc::default(),
        }
    }
}

impl Port for JsPort {
    async fn call_rpc(&self, call: &RpcCall, timeout_ms: u64) -> Result<RpcReply, TransportError> {
        // fetch has no timeout of its own: race the call against its deadline. A lost race
        // drops the call, which aborts its fetch; a won race takes the deadline out of the
        // queue, so nothing of it outlives its request.
        let mut rpc = pin!(self.rpc.call(call));
        let mut deadline = pin!(self.deadlines.after(timeout_ms));
        poll_fn(|cx| {
            if let Poll::Ready(result) = rpc.as_mut().poll(cx) {
                return Poll::Ready(result);
            }
            match deadline.as_mut().poll(cx) {
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

/// Whether a deadline has passed, and the task to wake when it does.
#[derive(Default)]
struct Flag {
    passed: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// A JavaScript timer and the callback it calls.
struct JsTimer {
    handle: JsValue,
    _callback: Closure<dyn FnMut()>,
}

/// The deadlines of the attempts in flight, served by one `setTimeout` at a time.
#[derive(Default)]
struct Deadlines {
    queue: RefCell<DeadlineQueue<Rc<Flag>>>,
    timer: RefCell<Option<JsTimer>>,
    /// The timer that last fired: its callback is still running when the next timer is set,
    /// so it is freed one step later.
    fired: RefCell<Option<JsTimer>>,
}

impl Deadlines {
    /// A deadline `ms` from now.
    fn after(self: &Rc<Self>, ms: u64) -> Deadline {
        let now = js_sys::Date::now() as u64;
        let flag = Rc::new(Flag::default());
        let (key, set_timer) = self
            .queue
            .borrow_mut()
            .add(now.saturating_add(ms), Rc::clone(&flag));
        if let Some(at) = set_timer {
            self.set_timer(at.saturating_sub(now));
        }
        Deadline {
            deadlines: Rc::clone(self),
            key,
            flag,
        }
    }

    fn set_timer(self: &Rc<Self>, in_ms: u64) {
        let weak = Rc::downgrade(self);
        let callback = Closure::once(move || {
            if let Some(deadlines) = weak.upgrade() {
                deadlines.fire();
            }
        });
        let handle = set_timeout(callback.as_ref().unchecked_ref(), in_ms as f64);
        let timer = JsTimer {
            handle,
            _callback: callback,
        };
        if let Some(earlier) = self.timer.borrow_mut().replace(timer) {
            clear_timeout(&earlier.handle);
        }
    }

    /// The timer fired: wake every attempt whose deadline has passed, set the timer for the
    /// next deadline.
    fn fire(self: &Rc<Self>) {
        let fired = self.timer.borrow_mut().take();
        drop(self.fired.replace(fired));
        let (due, next) = self.queue.borrow_mut().fire(js_sys::Date::now() as u64);
        for flag in due {
            flag.passed.set(true);
            if let Some(waker) = flag.waker.borrow_mut().take() {
                waker.wake();
            }
        }
        if let Some(at) = next {
            let now = js_sys::Date::now() as u64;
            self.set_timer(at.saturating_sub(now));
        }
    }
}

/// Resolves when its deadline passes; leaves the queue when dropped.
struct Deadline {
    deadlines: Rc<Deadlines>,
    key: DeadlineKey,
    flag: Rc<Flag>,
}

impl Future for Deadline {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.flag.passed.get() {
            return Poll::Ready(());
        }
        *self.flag.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        self.deadlines.queue.borrow_mut().remove(self.key);
    }
}
