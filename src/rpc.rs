//! One RPC call as the handler sees it, and the translation of PostgREST's answer: success
//! value, transient failure (to retry), or a client-facing `AppError` (the PostgREST error
//! table of the RPCs, by SQLSTATE and hint code). Pure.

use crate::error::AppError;
use crate::retry::{cause, failure, Failure};
use serde_json::{Map, Value};

/// A call to `POST /rest/v1/rpc/<name>` on behalf of the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcCall {
    pub name: &'static str,
    pub args: Map<String, Value>,
    /// The caller's `Authorization` header, forwarded as-is.
    pub authorization: String,
    pub request_id: String,
    /// The caller's `Idempotency-Key` header (validated), forwarded as-is: the same key on
    /// every attempt of the call, so the database carries the request out once.
    pub idempotency_key: Option<String>,
}

/// What came back over HTTP (any status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcReply {
    pub status: u16,
    pub body: String,
}

/// No HTTP answer at all (connection refused, reset, DNS...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError(pub String);

/// PostgREST's error body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostgrestError {
    pub code: Option<String>,
    pub message: Option<String>,
    pub details: Option<String>,
    pub hint: Option<String>,
}

impl PostgrestError {
    /// Reads PostgREST's error body; a field that is absent or not a string is `None`, and a
    /// body that is not a JSON object gives every field `None`.
    pub fn parse(body: &str) -> PostgrestError {
        let value: Value = serde_json::from_str(body).unwrap_or_default();
        let field = |name: &str| value.get(name).and_then(|v| v.as_str()).map(str::to_string);
        PostgrestError {
            code: field("code"),
            message: field("message"),
            details: field("details"),
            hint: field("hint"),
        }
    }
}

/// The handler's view of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The RPC's JSON object, as PostgREST sent it (validated, not re-serialized).
    Success(String),
    /// Worth another attempt; `status` is `None` for a network error.
    Transient {
        status: Option<u16>,
        code: Option<String>,
        detail: String,
    },
    /// The database gave up on the call (statement timeout): answer 503 with `Retry-After`
    /// now, without another attempt; `detail` names the cause, for the log.
    GaveUp {
        detail: String,
    },
    Failed(AppError),
}

/// Classifies one attempt's result.
pub fn classify(result: &Result<RpcReply, TransportError>) -> Outcome {
    let reply = match result {
        Ok(reply) => reply,
        Err(TransportError(detail)) => {
            return Outcome::Transient {
                status: None,
                code: None,
                detail: detail.clone(),
            }
        }
    };
    if (200..300).contains(&reply.status) {
        return if is_json_object(&reply.body) {
            Outcome::Success(reply.body.clone())
        } else {
            Outcome::Failed(AppError::Internal {
                detail: format!("RPC answered {} with a non-object body", reply.status),
            })
        };
    }
    let err = PostgrestError::parse(&reply.body);
    match failure(Some(reply.status), err.code.as_deref()) {
        Failure::Retry => Outcome::Transient {
            status: Some(reply.status),
            code: err.code.clone(),
            detail: describe(reply.status, &err),
        },
        Failure::GiveUp => Outcome::GaveUp {
            detail: describe(reply.status, &err),
        },
        Failure::Final => Outcome::Failed(translate(reply.status, &err)),
    }
}

/// Whether `text` is one valid JSON object: it opens with `{` and parses, without building
/// a value (the body is answered as it came).
fn is_json_object(text: &str) -> bool {
    text.trim_start().starts_with('{')
        && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// A short description of a PostgREST error, for the log only: status, code, the cause the
/// code names when it is a known transient one, and PostgREST's message.
pub fn describe(status: u16, err: &PostgrestError) -> String {
    let code = err.code.as_deref().unwrap_or("-");
    let message = err.message.as_deref().unwrap_or("-");
    match cause(code) {
        Some(cause) => format!("HTTP {status} {code} ({cause}): {message}"),
        None => format!("HTTP {status} {code}: {message}"),
    }
}

/// Translates a non-retryable PostgREST error into the function's error.
pub fn translate(status: u16, err: &PostgrestError) -> AppError {
    let code = err.code.as_deref().unwrap_or("");
    match (code, err.hint.as_deref()) {
        ("PT409", Some("stale_cart")) => {
            if let Some(cart) = err.details.as_deref().filter(|d| is_json_object(d)) {
                return AppError::StaleCart {
                    cart: cart.to_owned(),
                };
            }
        }
        ("PT409", Some("idempotency_key_in_use")) => return AppError::IdempotencyKeyInUse,
        _ => {}
    }
    if let Some(rejected) = business_error(code, err.hint.as_deref()) {
        return rejected;
    }
    match code {
        "42501" if status == 403 => AppError::Forbidden,
        "42501" | "PGRST301" | "PGRST302" | "PGRST303" => AppError::Unauthorized,
        "PT403" => AppError::Forbidden,
        "P0001" => rejected(400, "invalid_argument", "An argument was rejected."),
        "PT404" => rejected(404, "not_found", "Not found."),
        "PT409" | "23505" | "23503" => rejected(
            409,
            "conflict",
            "The request conflicts with the current state.",
        ),
        c if c.starts_with("22") || c == "23502" || c == "23514" => {
            rejected(400, "invalid_argument", "An argument was rejected.")
        }
        _ if status == 401 => AppError::Unauthorized,
        _ => AppError::Internal {
            detail: describe(status, err),
        },
    }
}

fn rejected(status: u16, code: &'static str, message: &'static str) -> AppError {
    AppError::Rejected {
        status,
        code,
        message,
    }
}

/// One code the database raises in `HINT`, and the function's answer to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HintEntry {
    /// The SQLSTATE the database raises it with.
    pub sqlstate: &'static str,
    /// The stable snake_case code in `HINT`.
    pub hint: &'static str,
    /// The function's HTTP status and error code for it.
    pub status: u16,
    pub code: &'static str,
    pub message: &'static str,
}

const fn hint(
    sqlstate: &'static str,
    hint: &'static str,
    status: u16,
    code: &'static str,
    message: &'static str,
) -> HintEntry {
    HintEntry {
        sqlstate,
        hint,
        status,
        code,
        message,
    }
}

/// The error catalogue: every code the migrations raise in `HINT` (a test reads
/// `supabase/migrations/` and fails on one missing here, and on one missing from
/// docs/api.md). `40001 retry` is retried like any serialization failure, so it only
/// reaches a caller as 503 once the retries are spent. The `use_<rpc>` codes refuse direct
/// table writes, which the function itself never makes.
pub const HINTS: &[HintEntry] = &[
    hint(
        "P0001",
        "invalid_argument",
        400,
        "invalid_argument",
        "An argument was rejected.",
    ),
    hint(
        "P0001",
        "device_id_required",
        400,
        "device_id_required",
        "A cart without a customer needs device_id.",
    ),
    hint(
        "P0001",
        "location_store_mismatch",
        400,
        "location_store_mismatch",
        "The location does not belong to that store.",
    ),
    hint(
        "P0001",
        "queue_entry_ref_required",
        400,
        "queue_entry_ref_required",
        "Give queue_entry_id, or location_id and customer_id.",
    ),
    hint(
        "PT403",
        "store_forbidden",
        403,
        "store_forbidden",
        "No store is granted to this user.",
    ),
    hint(
        "PT404",
        "location_not_found",
        404,
        "location_not_found",
        "Location not found.",
    ),
    hint(
        "PT404",
        "customer_not_found",
        404,
        "customer_not_found",
        "Customer not found.",
    ),
    hint(
        "PT404",
        "cart_not_found",
        404,
        "cart_not_found",
        "Cart not found.",
    ),
    hint(
        "PT404",
        "queue_entry_not_found",
        404,
        "queue_entry_not_found",
        "Queue entry not found.",
    ),
    hint(
        "PT409",
        "cart_not_active",
        409,
        "cart_not_active",
        "The cart is no longer active.",
    ),
    hint(
        "PT409",
        "cart_has_customer",
        409,
        "cart_has_customer",
        "The cart belongs to another customer.",
    ),
    hint(
        "PT409",
        "customer_has_carts",
        409,
        "conflict",
        "A customer with carts or queue entries stays in their store.",
    ),
    hint(
        "PT409",
        "stale_cart",
        409,
        "stale_cart",
        "The cart changed since the version given; redraw it and try again.",
    ),
    hint(
        "PT409",
        "idempotency_key_in_use",
        409,
        "idempotency_key_in_use",
        "A request with this Idempotency-Key is still running; try again shortly.",
    ),
    hint(
        "PT422",
        "idempotency_key_reused",
        422,
        "idempotency_key_reused",
        "This Idempotency-Key was used for another request.",
    ),
    hint(
        "PT409",
        "history_is_append_only",
        409,
        "conflict",
        "The history is never changed.",
    ),
    hint(
        "PT409",
        "invalid_transition",
        409,
        "invalid_transition",
        "The queue entry cannot make that change from its current status.",
    ),
    hint(
        "40001",
        "retry",
        503,
        "service_unavailable",
        "The service is temporarily unavailable.",
    ),
    hint(
        "PT409",
        "use_get_or_create_cart",
        409,
        "conflict",
        "Carts are created and found with the get action.",
    ),
    hint(
        "PT409",
        "use_attach_customer",
        409,
        "conflict",
        "Carts are merged only by attaching a customer.",
    ),
    hint(
        "PT409",
        "use_complete_cart",
        409,
        "conflict",
        "Carts are never deleted: complete them.",
    ),
    hint(
        "PT409",
        "use_add_to_queue",
        409,
        "conflict",
        "Queue entries are created with add_to_queue and move through its transitions.",
    ),
    hint(
        "PT409",
        "use_add_item",
        409,
        "conflict",
        "Cart lines never move to another cart.",
    ),
];

/// The RPCs' business errors: SQLSTATE `P0001` / `PTnnn` with a stable code in `hint`.
fn business_error(sqlstate: &str, hint: Option<&str>) -> Option<AppError> {
    let hint = hint?;
    let entry = HINTS
        .iter()
        .find(|e| e.sqlstate == sqlstate && e.hint == hint)?;
    Some(rejected(entry.status, entry.code, entry.message))
}

#[cfg(test)]
#[path = "rpc_tests.rs"]
mod tests;
