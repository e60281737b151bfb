//! Tests of the whole handler against a fake port: routing, auth, retries, log records.

use super::*;
use crate::rpc::{RpcReply, TransportError};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const L: &str = "11111111-1111-4111-8111-111111111111";
const C: &str = "22222222-2222-4222-8222-222222222222";
const AUTH: &str = "Bearer user.jwt.token";

/// Runs a future whose awaits all complete immediately (the fake port never blocks).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Scripted RPC answers, a manual clock advanced by `sleep`, fixed jitter.
struct FakePort {
    replies: RefCell<VecDeque<Result<RpcReply, TransportError>>>,
    calls: RefCell<Vec<RpcCall>>,
    sleeps: RefCell<Vec<u64>>,
    timeouts: RefCell<Vec<u64>>,
    warnings: RefCell<Vec<String>>,
    clock: Cell<f64>,
    jitter: f64,
}

impl FakePort {
    fn new(replies: Vec<Result<RpcReply, TransportError>>) -> Self {
        Self {
            replies: RefCell::new(replies.into()),
            calls: RefCell::default(),
            sleeps: RefCell::default(),
            timeouts: RefCell::default(),
            warnings: RefCell::default(),
            clock: Cell::new(1_000_000.0),
            jitter: 0.5,
        }
    }
}

impl Port for &FakePort {
    async fn call_rpc(&self, call: &RpcCall, timeout_ms: u64) -> Result<RpcReply, TransportError> {
        self.calls.borrow_mut().push(call.clone());
        self.timeouts.borrow_mut().push(timeout_ms);
        self.clock.set(self.clock.get() + 3.0);
        self.replies
            .borrow_mut()
            .pop_front()
            .expect("an RPC call nobody scripted")
    }
    async fn sleep(&self, ms: u64) {
        self.sleeps.borrow_mut().push(ms);
        self.clock.set(self.clock.get() + ms as f64);
    }
    fn now_ms(&self) -> f64 {
        self.clock.get()
    }
    fn jitter(&self) -> f64 {
        self.jitter
    }
    fn new_request_id(&self) -> String {
        "generated-id".into()
    }
    fn warn(&self, line: &str) {
        self.warnings.borrow_mut().push(line.into());
    }
}

fn ok(body: Value) -> Result<RpcReply, TransportError> {
    Ok(RpcReply {
        status: 200,
        body: body.to_string(),
    })
}

fn pg(status: u16, code: &str) -> Result<RpcReply, TransportError> {
    Ok(RpcReply {
        status,
        body: json!({"code": code, "message": "m", "details": null, "hint": null}).to_string(),
    })
}

fn request(body: Value) -> IncomingRequest {
    IncomingRequest {
        method: "POST".into(),
        url: "http://fn/cart".into(),
        content_type: Some("application/json".into()),
        authorization: Some(AUTH.into()),
        request_id: Some("req-42".into()),
        body: body.to_string(),
        ..Default::default()
    }
}

fn get_body() -> Value {
    json!({"action": "get", "customer_id": C, "location_id": L})
}

fn run(port: &FakePort, req: &IncomingRequest) -> Handled {
    block_on(Handler::new(port, RetryPolicy::default()).handle(req))
}

fn error_code(h: &Handled) -> String {
    let v: Value = serde_json::from_str(&h.response.body).unwrap();
    v["error"]["code"].as_str().unwrap().to_string()
}

#[test]
fn get_calls_its_rpc_with_the_callers_credentials_and_request_id() {
    let cart = json!({"cart": {"id": C, "status": "active"}, "created": true});
    let port = FakePort::new(vec![ok(cart.clone())]);
    let h = run(&port, &request(get_body()));
    assert_eq!(h.response.status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&h.response.body).unwrap(),
        cart
    );
    assert_eq!(h.response.header("x-request-id"), Some("req-42"));
    let calls = port.calls.borrow();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].name, "get_or_create_cart");
    assert_eq!(calls[0].authorization, AUTH);
    assert_eq!(calls[0].request_id, "req-42");
    assert_eq!(
        Value::Object(calls[0].args.clone()),
        json!({"p_customer_id": C, "p_location_id": L})
    );
}

#[test]
fn log_record_of_a_success() {
    let port = FakePort::new(vec![ok(json!({"cart": {}, "created": false}))]);
    let h = run(&port, &request(get_body()));
    let log = serde_json::to_value(&h.log).unwrap();
    assert_eq!(
        log,
        json!({"ts": "1970-01-01T00:16:40.000Z", "level": "info", "msg": "request",
               "request_id": "req-42", "method": "POST", "action": "get", "status": 200,
               "duration_ms": 3, "attempts": 1, "rpc": "get_or_create_cart", "error_code": null})
    );
    assert!(!h.log.to_json().contains("user.jwt.token"));
}

#[test]
fn request_id_is_generated_when_missing_or_unsafe() {
    for id in [None, Some(""), Some("bad id\u{1}"), Some(&*"x".repeat(200))] {
        let port = FakePort::new(vec![]);
        let mut req = request(json!({"action": "nope"}));
        req.request_id = id.map(str::to_owned);
        let h = run(&port, &req);
        assert_eq!(h.response.header("x-request-id"), Some("generated-id"));
        assert_eq!(h.log.request_id, "generated-id");
    }
}

#[test]
fn missing_or_malformed_authorization_is_401_before_any_call() {
    let cases = [
        (None, "missing_authorization"),
        (Some(""), "missing_authorization"),
        (Some("Basic abc"), "unauthorized"),
        (Some("Bearer "), "unauthorized"),
        (Some("Bearer caf\u{e9}"), "unauthorized"),
    ];
    for (auth, code) in cases {
        let port = FakePort::new(vec![]);
        let mut req = request(get_body());
        req.authorization = auth.map(str::to_owned);
        let h = run(&port, &req);
        assert_eq!(
            (h.response.status, error_code(&h).as_str()),
            (401, code),
            "{auth:?}"
        );
        assert_eq!(h.response.header("www-authenticate"), Some("Bearer"));
        assert!(port.calls.borrow().is_empty());
    }
}

#[test]
fn method_size_and_media_type_errors() {
    let port = FakePort::new(vec![]);
    let mut put = request(get_body());
    put.method = "PUT".into();
    put.authorization = None;
    assert_eq!(
        run(&port, &put).response.status,
        405,
        "405 comes before auth"
    );
    let mut big = request(get_body());
    big.declared_length = Some(70_000);
    assert_eq!(run(&port, &big).response.status, 413);
    let mut text = request(get_body());
    text.content_type = Some("text/plain".into());
    assert_eq!(run(&port, &text).response.status, 415);
    assert!(port.calls.borrow().is_empty());
}

#[test]
fn validation_errors_name_fields_and_call_nothing() {
    let port = FakePort::new(vec![]);
    let h = run(
        &port,
        &request(json!({"action": "get", "location_id": "x", "customer_id": 1})),
    );
    assert_eq!(h.response.status, 400);
    let v: Value = serde_json::from_str(&h.response.body).unwrap();
    assert_eq!(
        v["error"]["fields"],
        json!({"location_id": "must be a UUID", "customer_id": "must be a string"})
    );
    assert_eq!(v["error"]["request_id"], "req-42");
    assert_eq!(
        (h.log.attempts, h.log.error_code),
        (0, Some("invalid_argument"))
    );
    assert!(port.calls.borrow().is_empty());
}

#[test]
fn transient_failures_are_retried_then_succeed() {
    let port = FakePort::new(vec![
        Err(TransportError("connection reset".into())),
        pg(500, "40001"),
        ok(json!({"cart": {"id": C}, "created": false})),
    ]);
    let h = run(&port, &request(get_body()));
    assert_eq!(h.response.status, 200);
    assert_eq!(h.log.attempts, 3);
    assert_eq!(
        *port.sleeps.borrow(),
        [25, 50],
        "full jitter 0.5 of 50, 100"
    );
    let warnings = port.warnings.borrow();
    assert_eq!(warnings.len(), 2);
    let w: Value = serde_json::from_str(&warnings[1]).unwrap();
    assert_eq!(
        (
            &w["level"],
            &w["attempt"],
            &w["error_code"],
            &w["status"],
            &w["request_id"]
        ),
        (
            &json!("warn"),
            &json!(2),
            &json!("40001"),
            &json!(500),
            &json!("req-42")
        )
    );
    assert_eq!(port.calls.borrow().len(), 3, "same call each time");
    // Each attempt may use what is left of the 5 s budget: 3 ms per call, then the waits.
    assert_eq!(*port.timeouts.borrow(), [5_000, 4_972, 4_919]);
}

#[test]
fn persistent_unavailability_is_503_with_retry_after() {
    let port = FakePort::new(vec![pg(503, "PGRST001"); 4]);
    let h = run(&port, &request(get_body()));
    assert_eq!(h.response.status, 503);
    assert_eq!(h.response.header("retry-after"), Some("1"));
    assert_eq!(error_code(&h), "service_unavailable");
    assert_eq!(h.log.attempts, 4);
    assert_eq!(h.log.level, "error");
    assert_eq!(
        h.log.detail.as_deref(),
        Some("HTTP 503 PGRST001 (database unreachable): m")
    );
    assert_eq!(port.warnings.borrow().len(), 3);
}

#[test]
fn a_lock_timeout_is_retried_like_a_serialization_failure() {
    let port = FakePort::new(vec![
        pg(500, "55P03"),
        ok(json!({"cart": {"id": C}, "created": false})),
    ]);
    let h = run(&port, &request(get_body()));
    assert_eq!((h.response.status, h.log.attempts), (200, 2));
    let w: Value = serde_json::from_str(&port.warnings.borrow()[0]).unwrap();
    assert_eq!(w["error_code"], "55P03");
    assert_eq!(w["detail"], "HTTP 500 55P03 (lock timeout): m");
}

#[test]
fn a_statement_timeout_is_503_with_retry_after_at_once() {
    let port = FakePort::new(vec![pg(500, "57014"), ok(json!({"never": "asked"}))]);
    let h = run(&port, &request(get_body()));
    assert_eq!(h.response.status, 503);
    assert_eq!(h.response.header("retry-after"), Some("1"));
    assert_eq!(error_code(&h), "service_unavailable");
    assert_eq!(h.log.attempts, 1, "not retried within the request");
    assert!(port.sleeps.borrow().is_empty() && port.warnings.borrow().is_empty());
    assert_eq!(h.log.level, "error");
    assert_eq!(
        h.log.detail.as_deref(),
        Some("HTTP 500 57014 (statement timeout): m")
    );
}

#[test]
fn the_budget_stops_retries_early() {
    let port = FakePort::new(vec![pg(504, "PGRST003"); 2]);
    let policy = RetryPolicy {
        max_attempts: 10,
        base_ms: 400,
        cap_ms: 1_000,
        budget_ms: 500,
    };
    let h = block_on(Handler::new(&port, policy).handle(&request(get_body())));
    assert_eq!(h.response.status, 503);
    assert_eq!(
        h.log.attempts, 2,
        "200 ms then a 400 ms wait would pass 500 ms"
    );
}

#[test]
fn an_attempt_that_times_out_ends_the_request_with_503() {
    let timeout = Err(TransportError("no answer within 5000 ms".into()));
    let port = FakePort::new(vec![timeout]);
    let policy = RetryPolicy {
        budget_ms: 3,
        ..RetryPolicy::default()
    };
    let h = block_on(Handler::new(&port, policy).handle(&request(get_body())));
    assert_eq!(h.response.status, 503);
    assert_eq!(*port.timeouts.borrow(), [3]);
    assert_eq!(h.log.attempts, 1, "no budget left for another attempt");
    assert_eq!(h.log.detail.as_deref(), Some("no answer within 5000 ms"));
}

#[test]
fn business_errors_are_not_retried() {
    let port = FakePort::new(vec![Ok(RpcReply {
        status: 409,
        body: json!({"code": "PT409", "message": "cart merged", "hint": "cart_not_active"})
            .to_string(),
    })]);
    let h = run(
        &port,
        &request(json!({"action": "complete_cart", "cart_id": C})),
    );
    assert_eq!(
        (h.response.status, error_code(&h).as_str()),
        (409, "cart_not_active")
    );
    assert_eq!(h.log.attempts, 1);
    assert!(port.sleeps.borrow().is_empty());
}

#[test]
fn internal_errors_keep_detail_in_the_log_only() {
    let port = FakePort::new(vec![pg(404, "PGRST202")]);
    let h = run(&port, &request(get_body()));
    assert_eq!(h.response.status, 500);
    assert!(!h.response.body.contains("PGRST202"));
    assert_eq!(h.log.detail.as_deref(), Some("HTTP 404 PGRST202: m"));
}

#[test]
fn every_action_reaches_its_rpc() {
    let e = "44444444-4444-4444-8444-444444444444";
    let bodies = [
        (
            json!({"action": "add_to_queue", "customer_id": C, "location_id": L}),
            "add_to_queue",
        ),
        (
            json!({"action": "remove_from_queue", "queue_entry_id": e}),
            "remove_from_queue",
        ),
        (
            json!({"action": "call", "queue_entry_id": e}),
            "call_queue_entry",
        ),
        (
            json!({"action": "serve", "queue_entry_id": e}),
            "serve_queue_entry",
        ),
        (
            json!({"action": "no_show", "queue_entry_id": e}),
            "mark_no_show",
        ),
        (
            json!({"action": "complete_cart", "cart_id": C}),
            "complete_cart",
        ),
        (
            json!({"action": "list_queue", "location_id": L}),
            "list_queue",
        ),
        (
            json!({"action": "attach_customer", "customer_id": C, "cart_id": e}),
            "attach_customer",
        ),
        (
            json!({"action": "add_item", "cart_id": C, "product_id": "sku-1"}),
            "add_item",
        ),
        (
            json!({"action": "set_item_quantity", "cart_id": C, "item_id": e, "quantity": 2}),
            "set_item_quantity",
        ),
        (
            json!({"action": "remove_item", "cart_id": C, "item_id": e}),
            "remove_item",
        ),
    ];
    for (body, rpc) in bodies {
        let port = FakePort::new(vec![ok(json!({"ok": true}))]);
        let h = run(&port, &request(body));
        assert_eq!(h.response.status, 200);
        assert_eq!(port.calls.borrow()[0].name, rpc);
        assert_eq!(h.log.rpc, Some(rpc));
    }
}

#[test]
fn an_idempotency_key_is_forwarded_on_every_attempt() {
    let port = FakePort::new(vec![
        pg(503, "PGRST001"),
        ok(json!({"queue_entry": {}, "cart": {}, "created": true})),
    ]);
    let mut req = request(json!({"action": "add_to_queue", "customer_id": C, "location_id": L}));
    req.idempotency_key = Some("visit-7f3a".into());
    let h = run(&port, &req);
    assert_eq!(h.response.status, 200);
    let calls = port.calls.borrow();
    assert_eq!(calls.len(), 2);
    assert!(calls
        .iter()
        .all(|c| c.idempotency_key.as_deref() == Some("visit-7f3a")));
}

#[test]
fn requests_without_a_key_forward_none() {
    let port = FakePort::new(vec![ok(json!({"cart": {}, "created": false}))]);
    run(&port, &request(get_body()));
    assert_eq!(port.calls.borrow()[0].idempotency_key, None);
}

#[test]
fn a_malformed_idempotency_key_is_a_400_and_reaches_no_rpc() {
    for key in ["", "has space", &"k".repeat(256), "tab\there", "caf\u{e9}"] {
        let port = FakePort::new(vec![]);
        let mut req = request(get_body());
        req.idempotency_key = Some(key.into());
        let h = run(&port, &req);
        assert_eq!(h.response.status, 400, "{key:?}");
        assert!(
            h.response.body.contains("idempotency_key"),
            "{}",
            h.response.body
        );
        assert!(port.calls.borrow().is_empty());
    }
}

#[test]
fn a_stale_edit_answers_409_with_the_current_cart() {
    let cart =
        json!({"id": C, "status": "active", "lines": [{"id": L, "quantity": 3, "version": 4}]});
    let port = FakePort::new(vec![Ok(RpcReply {
        status: 409,
        body: json!({"code": "PT409", "message": "m", "details": cart.to_string(), "hint": "stale_cart"})
            .to_string(),
    })]);
    let h = run(
        &port,
        &request(
            json!({"action": "set_item_quantity", "cart_id": C, "item_id": L,
                        "quantity": 5, "expected_version": 3}),
        ),
    );
    assert_eq!(h.response.status, 409);
    let body: Value = serde_json::from_str(&h.response.body).unwrap();
    assert_eq!(body["error"]["code"], "stale_cart");
    assert_eq!(body["error"]["cart"], cart);
    assert_eq!(port.calls.borrow().len(), 1, "a stale edit is not retried");
}

#[test]
fn a_key_still_in_use_answers_409_with_retry_after_and_a_reused_key_422() {
    let busy = FakePort::new(vec![Ok(RpcReply {
        status: 409,
        body: json!({"code": "PT409", "message": "m", "details": null, "hint": "idempotency_key_in_use"})
            .to_string(),
    })]);
    let mut req = request(json!({"action": "complete_cart", "cart_id": C}));
    req.idempotency_key = Some("k1".into());
    let h = run(&busy, &req);
    assert_eq!(h.response.status, 409);
    assert_eq!(h.response.header("retry-after"), Some("1"));
    assert!(h.response.body.contains("idempotency_key_in_use"));
    let reused = FakePort::new(vec![Ok(RpcReply {
        status: 422,
        body: json!({"code": "PT422", "message": "m", "details": null, "hint": "idempotency_key_reused"})
            .to_string(),
    })]);
    let h = run(&reused, &req);
    assert_eq!(h.response.status, 422);
    assert!(h.response.body.contains("idempotency_key_reused"));
}
