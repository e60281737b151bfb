//! Tests of the PostgREST answer translation table.

use super::*;
use serde_json::json;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn reply(status: u16, body: Value) -> Result<RpcReply, TransportError> {
    Ok(RpcReply {
        status,
        body: body.to_string(),
    })
}

fn pg_error(status: u16, code: &str, hint: Option<&str>) -> Result<RpcReply, TransportError> {
    reply(
        status,
        json!({"code": code, "message": "db said no", "details": null, "hint": hint}),
    )
}

/// (status, code) of the client-facing error.
fn failed(result: Result<RpcReply, TransportError>) -> (u16, &'static str) {
    match classify(&result) {
        Outcome::Failed(e) => (crate::http::status_of(&e), e.code()),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn success_passes_the_object_through() {
    let v = json!({"cart": {"id": "c"}, "created": false});
    assert_eq!(
        classify(&reply(200, v.clone())),
        Outcome::Success(v.to_string())
    );
    // The body is answered as PostgREST wrote it (key order, spacing), not re-serialized.
    let raw = r#"{"z": 1, "a": [true, null]}"#;
    let r = Ok(RpcReply {
        status: 200,
        body: raw.into(),
    });
    assert_eq!(classify(&r), Outcome::Success(raw.into()));
    for bad in ["[1]", "\"x\"", "{\"a\":", "{} x", ""] {
        let r = Ok(RpcReply {
            status: 200,
            body: bad.into(),
        });
        assert!(matches!(classify(&r), Outcome::Failed(_)), "{bad}");
    }
}

#[test]
fn non_object_success_is_internal() {
    let r = Ok(RpcReply {
        status: 204,
        body: String::new(),
    });
    assert_eq!(failed(r), (500, "internal_error"));
    assert_eq!(failed(reply(200, json!([1]))), (500, "internal_error"));
}

#[test]
fn business_hints_from_the_rpcs() {
    let table = [
        (400, "P0001", "invalid_argument", 400),
        (400, "P0001", "device_id_required", 400),
        (400, "P0001", "location_store_mismatch", 400),
        (400, "P0001", "queue_entry_ref_required", 400),
        (403, "PT403", "store_forbidden", 403),
        (404, "PT404", "location_not_found", 404),
        (404, "PT404", "customer_not_found", 404),
        (404, "PT404", "cart_not_found", 404),
        (404, "PT404", "queue_entry_not_found", 404),
        (409, "PT409", "cart_not_active", 409),
        (409, "PT409", "invalid_transition", 409),
    ];
    for (http, sqlstate, hint, status) in table {
        assert_eq!(
            failed(pg_error(http, sqlstate, Some(hint))),
            (status, hint),
            "{hint}"
        );
    }
}

#[test]
fn sqlstates_without_a_known_hint() {
    let table: [(u16, &str, (u16, &str)); 12] = [
        (400, "P0001", (400, "invalid_argument")),
        (403, "PT403", (403, "forbidden")),
        (404, "PT404", (404, "not_found")),
        (409, "PT409", (409, "conflict")),
        (409, "23505", (409, "conflict")),
        (400, "22P02", (400, "invalid_argument")),
        (400, "23514", (400, "invalid_argument")),
        (401, "42501", (401, "unauthorized")),
        (403, "42501", (403, "forbidden")),
        (401, "PGRST301", (401, "unauthorized")),
        (401, "PGRST303", (401, "unauthorized")),
        (404, "PGRST202", (500, "internal_error")),
    ];
    for (http, sqlstate, want) in table {
        assert_eq!(failed(pg_error(http, sqlstate, None)), want, "{sqlstate}");
    }
}

#[test]
fn unknown_errors_are_internal_with_detail_for_the_log() {
    match classify(&pg_error(500, "XX000", None)) {
        Outcome::Failed(AppError::Internal { detail }) => {
            assert_eq!(detail, "HTTP 500 XX000: db said no")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(failed(reply(500, json!("<html>"))), (500, "internal_error"));
    assert_eq!(
        failed(reply(401, json!({"msg": "Invalid JWT"}))),
        (401, "unauthorized")
    );
}

#[test]
fn transient_failures_are_marked_for_retry() {
    let net = Err(TransportError("connection refused".into()));
    assert!(matches!(
        classify(&net),
        Outcome::Transient { status: None, .. }
    ));
    for (status, code) in [
        (503, "PGRST001"),
        (500, "40001"),
        (500, "40P01"),
        (500, "55P03"),
        (503, "08006"),
    ] {
        match classify(&pg_error(status, code, None)) {
            Outcome::Transient {
                status: s, code: c, ..
            } => assert_eq!((s, c.as_deref()), (Some(status), Some(code))),
            other => panic!("{code}: {other:?}"),
        }
    }
    let gateway = reply(502, json!({"message": "bad gateway"}));
    assert!(matches!(
        classify(&gateway),
        Outcome::Transient {
            status: Some(502),
            ..
        }
    ));
}

#[test]
fn a_statement_timeout_gives_up_and_names_its_cause() {
    let timeout = reply(
        500,
        json!({"code": "57014", "message": "canceling statement due to statement timeout",
               "details": null, "hint": null}),
    );
    assert_eq!(
        classify(&timeout),
        Outcome::GaveUp {
            detail: "HTTP 500 57014 (statement timeout): canceling statement due to statement \
                     timeout"
                .into()
        }
    );
    match classify(&pg_error(500, "55P03", None)) {
        Outcome::Transient { detail, .. } => {
            assert_eq!(detail, "HTTP 500 55P03 (lock timeout): db said no")
        }
        other => panic!("{other:?}"),
    }
}
