//! HTTP shape of the function's answers: the status of each error, the JSON error body
//! `{"error": {"code", "message", "request_id", "fields"?}}`, and the headers (content type,
//! `x-request-id`, `Retry-After` on 503, `Allow` on 405, `WWW-Authenticate` on 401), and which
//! strings may be sent as a header value. Pure.

use crate::error::AppError;
use serde_json::Value;

/// A response ready to hand to the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl HttpResponse {
    /// The value of a header (names are compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The HTTP status for an error.
pub fn status_of(error: &AppError) -> u16 {
    match error {
        AppError::InvalidJson
        | AppError::BodyNotObject
        | AppError::MissingAction
        | AppError::UnknownAction(_)
        | AppError::InvalidFields(_) => 400,
        AppError::Rejected { status, .. } => *status,
        AppError::MissingAuthorization | AppError::Unauthorized => 401,
        AppError::Forbidden => 403,
        AppError::MethodNotAllowed | AppError::ActionNeedsPost(_) => 405,
        AppError::PayloadTooLarge { .. } => 413,
        AppError::UnsupportedMediaType => 415,
        AppError::Unavailable { .. } => 503,
        AppError::StaleCart { .. } | AppError::IdempotencyKeyInUse => 409,
        AppError::Internal { .. } | AppError::Misconfigured => 500,
    }
}

/// 200 with the RPC's JSON result (already validated as an object) as the body, unchanged.
pub fn success(result: String, request_id: &str) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: base_headers(request_id),
        body: result,
    }
}

/// The error's status, JSON body and headers.
pub fn error_response(error: &AppError, request_id: &str) -> HttpResponse {
    // Built as a map, not with `json!` or `body[...] =`: those bring serde_json's panicking
    // paths (and their formatting) into the wasm.
    let mut body = serde_json::Map::new();
    body.insert("code".into(), error.code().into());
    body.insert("message".into(), error.message().into());
    body.insert("request_id".into(), request_id.into());
    if !error.fields().is_empty() {
        let mut fields = serde_json::Map::new();
        for f in error.fields() {
            fields.insert(f.field.to_string(), f.problem.clone().into());
        }
        body.insert("fields".into(), Value::Object(fields));
    }
    if let AppError::StaleCart { cart } = error {
        let cart = serde_json::from_str(cart).unwrap_or(Value::Null);
        body.insert("cart".into(), cart);
    }
    let mut headers = base_headers(request_id);
    match error {
        AppError::Unavailable { retry_after_s } => {
            headers.push(("retry-after", retry_after_s.to_string()))
        }
        AppError::IdempotencyKeyInUse => headers.push(("retry-after", "1".into())),
        AppError::MethodNotAllowed | AppError::ActionNeedsPost(_) => {
            headers.push(("allow", "GET, POST, OPTIONS".into()))
        }
        AppError::MissingAuthorization | AppError::Unauthorized => {
            headers.push(("www-authenticate", "Bearer".into()))
        }
        _ => {}
    }
    HttpResponse {
        status: status_of(error),
        headers,
        body: format!("{{\"error\":{}}}", Value::Object(body)),
    }
}

/// Visible ASCII, spaces and tabs only: what an HTTP header value may safely hold. Checked
/// before a value is forwarded or configured as a header (the caller's `Authorization`, the
/// request id, the anon key).
pub fn is_header_value(v: &str) -> bool {
    v.bytes()
        .all(|b| b == b' ' || b == b'\t' || (0x21..=0x7e).contains(&b))
}

fn base_headers(request_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", JSON_CONTENT_TYPE.into()),
        ("x-request-id", request_id.into()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldError;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn body(r: &HttpResponse) -> Value {
        serde_json::from_str(&r.body).unwrap()
    }

    #[test]
    fn statuses() {
        let cases = [
            (AppError::InvalidJson, 400),
            (AppError::UnknownAction("x".into()), 400),
            (AppError::MissingAuthorization, 401),
            (AppError::Unauthorized, 401),
            (AppError::Forbidden, 403),
            (AppError::MethodNotAllowed, 405),
            (AppError::PayloadTooLarge { limit: 65536 }, 413),
            (AppError::UnsupportedMediaType, 415),
            (AppError::Unavailable { retry_after_s: 1 }, 503),
            (AppError::Internal { detail: "x".into() }, 500),
            (AppError::Misconfigured, 500),
            (
                AppError::Rejected {
                    status: 409,
                    code: "cart_not_active",
                    message: "m",
                },
                409,
            ),
        ];
        for (e, s) in cases {
            assert_eq!(status_of(&e), s, "{e}");
            assert_eq!(error_response(&e, "r").status, s);
        }
    }

    #[test]
    fn error_body_has_code_message_request_id_and_named_fields() {
        let e = AppError::InvalidFields(vec![FieldError::new("location_id", "is required")]);
        let r = error_response(&e, "req-1");
        assert_eq!(
            body(&r),
            json!({"error": {"code": "invalid_argument",
                "message": "Invalid request: location_id is required.",
                "request_id": "req-1", "fields": {"location_id": "is required"}}})
        );
        assert_eq!(r.header("Content-Type"), Some(JSON_CONTENT_TYPE));
        assert_eq!(r.header("x-request-id"), Some("req-1"));
    }

    #[test]
    fn unavailable_carries_retry_after() {
        let r = error_response(&AppError::Unavailable { retry_after_s: 2 }, "r");
        assert_eq!(r.header("retry-after"), Some("2"));
        assert_eq!(body(&r)["error"]["code"], "service_unavailable");
    }

    #[test]
    fn method_and_auth_headers() {
        let r = error_response(&AppError::MethodNotAllowed, "r");
        assert_eq!(r.header("allow"), Some("GET, POST, OPTIONS"));
        let r = error_response(&AppError::MissingAuthorization, "r");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        assert_eq!(r.header("retry-after"), None);
    }

    #[test]
    fn internal_errors_have_a_generic_message() {
        let r = error_response(
            &AppError::Internal {
                detail: "secret detail".into(),
            },
            "r",
        );
        assert!(!r.body.contains("secret"));
        assert_eq!(body(&r)["error"]["message"], "An internal error occurred.");
    }

    #[test]
    fn header_values() {
        assert!(is_header_value("Bearer abc.def-ghi_"));
        assert!(!is_header_value("a\r\nb"));
        assert!(!is_header_value("caf\u{e9}"));
    }

    #[test]
    fn success_passes_the_result_through() {
        let v = json!({"cart": {"id": "x"}, "created": true});
        let r = success(v.to_string(), "r");
        assert_eq!((r.status, body(&r)), (200, v));
    }
}
