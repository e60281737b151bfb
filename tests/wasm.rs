//! Tests of the wasm boundary: a JS `Request` in, a JS `Response` out, through the exported
//! `CartFunction` (`wasm-pack test --node`, and headless Chrome with
//! `WASM_BINDGEN_USE_BROWSER=1`). Errors are JSON with the right status and headers; a
//! database that stays unreachable gives 503 with `Retry-After` after the retries.
#![cfg(target_arch = "wasm32")]

use js_sys::{Object, Reflect};
use poscart::wasm::{misconfigured_response, CartFunction};
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test as test;
use web_sys::{Headers, Request, RequestInit, Response};

const L: &str = "11111111-1111-4111-8111-111111111111";
const C: &str = "22222222-2222-4222-8222-222222222222";
/// A local port with nothing listening: every RPC attempt is a network error.
const CLOSED: &str = "http://127.0.0.1:59997";

fn env(pairs: &[(&str, &str)]) -> JsValue {
    let obj = Object::new();
    for (k, v) in pairs {
        Reflect::set(&obj, &JsValue::from_str(k), &JsValue::from_str(v)).unwrap();
    }
    obj.into()
}

/// A function whose database is unreachable, with tiny retry settings, adding one CORS header
/// to every response.
fn function() -> CartFunction {
    let cors: Object = env(&[("Access-Control-Allow-Origin", "*")]).into();
    CartFunction::new(
        &env(&[
            ("SUPABASE_URL", CLOSED),
            ("SUPABASE_ANON_KEY", "anon-key"),
            ("CART_RETRY_MAX_ATTEMPTS", "3"),
            ("CART_RETRY_BASE_MS", "2"),
            ("CART_RETRY_CAP_MS", "5"),
            ("CART_RETRY_BUDGET_MS", "2000"),
        ]),
        Some(cors),
    )
    .expect("valid configuration")
}

fn request(method: &str, headers: &[(&str, &str)], body: Option<&str>) -> Request {
    let h = Headers::new().unwrap();
    for (k, v) in headers {
        h.set(k, v).unwrap();
    }
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers(&h);
    if let Some(b) = body {
        init.set_body(&JsValue::from_str(b));
    }
    Request::new_with_str_and_init("http://localhost/functions/v1/cart", &init).unwrap()
}

fn post_json(body: &Value) -> Request {
    let headers = [
        ("authorization", "Bearer user.jwt.token"),
        ("content-type", "application/json"),
        ("x-request-id", "test-req-1"),
    ];
    request("POST", &headers, Some(&body.to_string()))
}

struct Answer {
    status: u16,
    headers: Headers,
    body: Value,
}

async fn send(f: &CartFunction, req: Request) -> Answer {
    let resp: Response = JsFuture::from(f.handle(req))
        .await
        .unwrap()
        .dyn_into()
        .unwrap();
    read(resp).await
}

async fn read(resp: Response) -> Answer {
    let text = JsFuture::from(resp.text().unwrap()).await.unwrap();
    Answer {
        status: resp.status(),
        headers: resp.headers(),
        body: serde_json::from_str(&text.as_string().unwrap()).expect("a JSON body"),
    }
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).unwrap()
    }
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

#[test]
fn missing_configuration_is_a_clear_error_at_construction() {
    let err = CartFunction::new(&env(&[]), None)
        .err()
        .expect("construction fails");
    let message = JsValue::from(err);
    let text = Reflect::get(&message, &"message".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert_eq!(
        text,
        "invalid function configuration: SUPABASE_URL is not set; SUPABASE_ANON_KEY is not set"
    );
}

#[test]
fn the_environment_object_is_read_for_its_own_variables_only() {
    // Deno.env.toObject() holds every variable; only the function's own are read.
    let ok = env(&[
        ("SUPABASE_URL", "http://127.0.0.1:54321"),
        ("SUPABASE_ANON_KEY", "anon-key"),
        ("PATH", "/usr/bin"),
    ]);
    assert!(CartFunction::new(&ok, None).is_ok());
    // A value that is not a string is named, like a missing one.
    Reflect::set(&ok, &"CART_RETRY_BASE_MS".into(), &JsValue::from(5)).unwrap();
    let err = JsValue::from(
        CartFunction::new(&ok, None)
            .err()
            .expect("construction fails"),
    );
    let text = Reflect::get(&err, &"message".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert_eq!(
        text,
        "invalid function configuration: CART_RETRY_BASE_MS must be a string"
    );
}

#[test]
async fn misconfigured_response_is_a_500_json_error() {
    let a = read(misconfigured_response(None).unwrap()).await;
    assert_eq!((a.status, a.code()), (500, "server_misconfigured"));
    assert!(a.header("x-request-id").is_some());
}

#[test]
async fn invalid_fields_are_named_in_a_400() {
    let a = send(
        &function(),
        post_json(&json!({"action": "get", "location_id": "x"})),
    )
    .await;
    assert_eq!((a.status, a.code()), (400, "invalid_argument"));
    assert_eq!(
        a.body["error"]["fields"],
        json!({"location_id": "must be a UUID"})
    );
    assert_eq!(a.body["error"]["request_id"], "test-req-1");
    assert_eq!(a.header("x-request-id").as_deref(), Some("test-req-1"));
    assert_eq!(
        a.header("content-type").as_deref(),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        a.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
}

#[test]
async fn broken_json_and_unknown_actions_are_400() {
    let f = function();
    let headers = [
        ("authorization", "Bearer t"),
        ("content-type", "application/json"),
    ];
    let a = send(&f, request("POST", &headers, Some("{\"action\": "))).await;
    assert_eq!((a.status, a.code()), (400, "invalid_json"));
    let a = send(&f, post_json(&json!({"action": "drop_tables"}))).await;
    assert_eq!((a.status, a.code()), (400, "unknown_action"));
}

#[test]
async fn wrong_method_is_405_with_allow() {
    let a = send(
        &function(),
        request("PUT", &[("authorization", "Bearer t")], None),
    )
    .await;
    assert_eq!((a.status, a.code()), (405, "method_not_allowed"));
    assert_eq!(a.header("allow").as_deref(), Some("GET, POST, OPTIONS"));
}

#[test]
async fn body_over_64_kib_is_413() {
    let body = json!({"action": "get", "note": "x".repeat(70_000)});
    let a = send(&function(), post_json(&body)).await;
    assert_eq!((a.status, a.code()), (413, "payload_too_large"));
}

#[test]
async fn non_json_body_is_415() {
    let headers = [
        ("authorization", "Bearer t"),
        ("content-type", "text/plain"),
    ];
    let a = send(&function(), request("POST", &headers, Some("action=get"))).await;
    assert_eq!((a.status, a.code()), (415, "unsupported_media_type"));
}

#[test]
async fn missing_authorization_is_401() {
    let headers = [("content-type", "application/json")];
    let body = json!({"action": "get", "location_id": L, "customer_id": C}).to_string();
    let a = send(&function(), request("POST", &headers, Some(&body))).await;
    assert_eq!((a.status, a.code()), (401, "missing_authorization"));
    assert_eq!(a.header("www-authenticate").as_deref(), Some("Bearer"));
    let generated = a.header("x-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");
}

#[test]
async fn unreachable_database_is_503_with_retry_after_after_retries() {
    let body = json!({"action": "get", "location_id": L, "customer_id": C});
    let a = send(&function(), post_json(&body)).await;
    assert_eq!((a.status, a.code()), (503, "service_unavailable"));
    assert_eq!(a.header("retry-after").as_deref(), Some("1"));
    assert_eq!(a.body["error"]["request_id"], "test-req-1");
}
