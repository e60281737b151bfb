//! The function's error type: every way a request can fail, each with a stable snake_case
//! code and a human message. Pure; knows nothing of HTTP (see `http.rs`) or logging.

use std::fmt;

/// One input field that failed validation, named as the client spells it (snake_case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Canonical (snake_case) field name, e.g. `location_id`.
    pub field: &'static str,
    /// What is wrong with it, e.g. `is required`, `must be a UUID`.
    pub problem: String,
}

impl FieldError {
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }
}

/// Everything that can go wrong with a request, from the client's point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// The body is not valid JSON.
    InvalidJson,
    /// The body is JSON but not an object.
    BodyNotObject,
    /// No `action` in the body or the query string.
    MissingAction,
    /// `action` names no known action.
    UnknownAction(String),
    /// One or more fields are invalid; each one is named.
    InvalidFields(Vec<FieldError>),
    /// A business rule of the database rejected the call (hint code from the RPC).
    Rejected {
        status: u16,
        code: &'static str,
        message: &'static str,
    },
    /// No `Authorization` header.
    MissingAuthorization,
    /// The credentials were refused by the database API (bad, expired or anon token).
    Unauthorized,
    /// Authenticated, but not allowed to do this.
    Forbidden,
    /// The HTTP method is not served.
    MethodNotAllowed,
    /// The action exists but may not be requested with GET.
    ActionNeedsPost(&'static str),
    /// The body is larger than the limit.
    PayloadTooLarge { limit: usize },
    /// The body is not declared as JSON.
    UnsupportedMediaType,
    /// The database stayed unavailable after every retry; transient, the client should retry
    /// after `retry_after_s` seconds.
    Unavailable { retry_after_s: u32 },
    /// An edit made from a stale view of the cart; `cart` is the current cart (a JSON object),
    /// sent back so the device can redraw.
    StaleCart { cart: String },
    /// A request with the same `Idempotency-Key` is still running; transient: retry shortly.
    IdempotencyKeyInUse,
    /// Anything internal. The detail goes to the log only, never to the client.
    Internal { detail: String },
    /// The function's configuration (environment) is missing or invalid.
    Misconfigured,
}

impl AppError {
    /// The stable snake_case code clients can switch on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::InvalidJson => "invalid_json",
            AppError::BodyNotObject => "invalid_body",
            AppError::MissingAction => "missing_action",
            AppError::UnknownAction(_) => "unknown_action",
            AppError::InvalidFields(_) => "invalid_argument",
            AppError::Rejected { code, .. } => code,
            AppError::MissingAuthorization => "missing_authorization",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::MethodNotAllowed | AppError::ActionNeedsPost(_) => "method_not_allowed",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::Unavailable { .. } => "service_unavailable",
            AppError::StaleCart { .. } => "stale_cart",
            AppError::IdempotencyKeyInUse => "idempotency_key_in_use",
            AppError::Internal { .. } => "internal_error",
            AppError::Misconfigured => "server_misconfigured",
        }
    }

    /// The public message: a sentence, never internal detail.
    pub fn message(&self) -> String {
        match self {
            AppError::InvalidJson => "The request body is not valid JSON.".into(),
            AppError::BodyNotObject => "The request body must be a JSON object.".into(),
            AppError::MissingAction => {
                "No action given: set \"action\" in the body or ?action= in the URL.".into()
            }
            AppError::UnknownAction(a) => format!("Unknown action \"{}\".", truncate(a, 64)),
            AppError::InvalidFields(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{} {}", f.field, f.problem))
                    .collect();
                format!("Invalid request: {}.", parts.join("; "))
            }
            AppError::Rejected { message, .. } => (*message).into(),
            AppError::MissingAuthorization => "The Authorization header is missing.".into(),
            AppError::Unauthorized => "The credentials were not accepted.".into(),
            AppError::Forbidden => "You are not allowed to do this.".into(),
            AppError::MethodNotAllowed => "Use POST (or GET for get and list_queue).".into(),
            AppError::ActionNeedsPost(a) => format!("The action \"{a}\" needs POST."),
            AppError::PayloadTooLarge { limit } => {
                format!("The request body is larger than {limit} bytes.")
            }
            AppError::UnsupportedMediaType => {
                "The request body must be JSON (Content-Type: application/json).".into()
            }
            AppError::Unavailable { .. } => {
                "The database is temporarily unavailable; retry shortly.".into()
            }
            AppError::StaleCart { .. } => {
                "The cart changed since the version given; it is in \"cart\": redraw and try again."
                    .into()
            }
            AppError::IdempotencyKeyInUse => {
                "A request with this Idempotency-Key is still running; retry shortly.".into()
            }
            AppError::Internal { .. } => "An internal error occurred.".into(),
            AppError::Misconfigured => "The function is not configured correctly.".into(),
        }
    }

    /// The invalid fields, when this is a validation error.
    pub fn fields(&self) -> &[FieldError] {
        match self {
            AppError::InvalidFields(fields) => fields,
            _ => &[],
        }
    }

    /// Detail kept for the log only (never sent to the client).
    pub fn log_detail(&self) -> Option<&str> {
        match self {
            AppError::Internal { detail } => Some(detail),
            _ => None,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for AppError {}

/// Cuts a client-supplied string for echoing in a message.
fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn codes_are_stable_snake_case() {
        let all = [
            AppError::InvalidJson,
            AppError::BodyNotObject,
            AppError::MissingAction,
            AppError::UnknownAction("x".into()),
            AppError::InvalidFields(vec![]),
            AppError::MissingAuthorization,
            AppError::Unauthorized,
            AppError::Forbidden,
            AppError::MethodNotAllowed,
            AppError::PayloadTooLarge { limit: 1 },
            AppError::UnsupportedMediaType,
            AppError::Unavailable { retry_after_s: 1 },
            AppError::Internal { detail: "d".into() },
            AppError::Misconfigured,
        ];
        for e in all {
            let code = e.code();
            assert!(!code.is_empty());
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
        }
    }

    #[test]
    fn field_errors_are_all_named_in_the_message() {
        let e = AppError::InvalidFields(vec![
            FieldError::new("location_id", "is required"),
            FieldError::new("customer_id", "must be a UUID"),
        ]);
        assert_eq!(
            e.message(),
            "Invalid request: location_id is required; customer_id must be a UUID."
        );
        assert_eq!(e.fields().len(), 2);
    }

    #[test]
    fn internal_detail_stays_out_of_the_message() {
        let e = AppError::Internal {
            detail: "relation carts does not exist".into(),
        };
        assert!(!e.message().contains("carts"));
        assert_eq!(e.log_detail(), Some("relation carts does not exist"));
    }

    #[test]
    fn unknown_action_is_truncated_in_the_message() {
        let e = AppError::UnknownAction("a".repeat(1000));
        assert!(e.message().len() < 100);
    }
}
