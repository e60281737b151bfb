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

/// The hint codes the migrations raise (native only: it reads files): `hint = '<code>'` literals, the first argument of
/// `private.raise_no_access_or_not_found('<code>', ...)`, and `use_<rpc>` for each
/// `private.refuse_direct_write(..., '<rpc>')`. Read from the files at test time, so a new
/// migration is checked without a change here.
#[cfg(not(target_arch = "wasm32"))]
fn hints_raised_by_migrations() -> std::collections::BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("supabase/migrations");
    let mut found = std::collections::BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("supabase/migrations")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert!(files.len() > 10, "found only {} migrations", files.len());
    for file in files {
        let sql = std::fs::read_to_string(&file).expect("migration");
        let literal_after = |at: usize| -> Option<(String, usize)> {
            let rest = &sql[at..];
            let open = rest.find('\'')?;
            let close = rest[open + 1..].find('\'')? + open + 1;
            Some((rest[open + 1..close].to_string(), at + close + 1))
        };
        for (i, _) in sql.match_indices("hint = '") {
            let (code, end) = literal_after(i).expect("hint literal");
            if !sql[end..].trim_start().starts_with("||") {
                found.insert(code);
            }
        }
        for (i, _) in sql.match_indices("raise_no_access_or_not_found('") {
            found.insert(literal_after(i).expect("hint argument").0);
        }
        for (i, _) in sql.match_indices("refuse_direct_write('") {
            let call_end = sql[i..].find(");").expect("end of call") + i;
            let args = &sql[i..call_end];
            let last = args.rfind('\'').expect("rpc literal");
            let first = args[..last].rfind('\'').expect("rpc literal");
            found.insert(format!("use_{}", &args[first + 1..last]));
        }
    }
    found
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn every_hint_the_migrations_raise_is_in_the_catalogue() {
    let raised = hints_raised_by_migrations();
    assert!(raised.len() >= 15, "found only {raised:?}");
    let missing: Vec<_> = raised
        .iter()
        .filter(|h| !HINTS.iter().any(|e| e.hint == h.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "hints raised but not in HINTS: {missing:?}"
    );
    let stale: Vec<_> = HINTS
        .iter()
        .filter(|e| !raised.contains(e.hint))
        .map(|e| e.hint)
        .collect();
    assert!(
        stale.is_empty(),
        "HINTS entries no migration raises: {stale:?}"
    );
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn every_hint_is_listed_in_the_api_docs() {
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/api.md"),
    )
    .expect("docs/api.md");
    let missing: Vec<_> = HINTS
        .iter()
        .filter(|e| !docs.contains(&format!("`{}`", e.hint)))
        .map(|e| e.hint)
        .collect();
    assert!(
        missing.is_empty(),
        "hints missing from docs/api.md: {missing:?}"
    );
}

#[test]
fn every_catalogued_hint_answers_its_status_and_code() {
    for entry in HINTS.iter().filter(|e| e.sqlstate != "40001") {
        let got = failed(pg_error(400, entry.sqlstate, Some(entry.hint)));
        assert_eq!(got, (entry.status, entry.code), "{entry:?}");
    }
}

#[test]
fn error_bodies_are_read_field_by_field() {
    let e = PostgrestError::parse(r#"{"code": 42, "message": "m", "hint": ["x"]}"#);
    assert_eq!(
        e,
        PostgrestError {
            code: None,
            message: Some("m".into()),
            details: None,
            hint: None,
        }
    );
    assert_eq!(
        PostgrestError::parse("<html>bad gateway</html>"),
        PostgrestError::default()
    );
    assert_eq!(PostgrestError::parse("[1]"), PostgrestError::default());
}
