//! Tests of request parsing and validation (every field, aliases, routing, limits).

use super::*;
use serde_json::json;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const L: &str = "11111111-1111-4111-8111-111111111111";
const C: &str = "22222222-2222-4222-8222-222222222222";
const S: &str = "33333333-3333-4333-8333-333333333333";
const E: &str = "44444444-4444-4444-8444-444444444444";

fn post(body: Value) -> IncomingRequest {
    post_raw(&body.to_string())
}

fn post_raw(body: &str) -> IncomingRequest {
    IncomingRequest {
        method: "POST".into(),
        url: "http://fn/cart".into(),
        content_type: Some("application/json".into()),
        body: body.into(),
        ..Default::default()
    }
}

fn get(url: &str) -> IncomingRequest {
    IncomingRequest {
        method: "GET".into(),
        url: url.into(),
        ..Default::default()
    }
}

fn fields_of(result: Result<Command, AppError>) -> Vec<(&'static str, String)> {
    match result {
        Err(AppError::InvalidFields(f)) => f.into_iter().map(|f| (f.field, f.problem)).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

fn code_of(result: Result<Command, AppError>) -> &'static str {
    result.expect_err("expected an error").code()
}

#[test]
fn get_with_snake_case_fields() {
    let cmd = parse_command(&post(
        json!({"action": "get", "customer_id": C, "location_id": L,
        "store_id": S, "device_id": "ipad-1"}),
    ))
    .unwrap();
    assert_eq!(
        cmd,
        Command::Get {
            location_id: L.into(),
            customer_id: Some(C.into()),
            store_id: Some(S.into()),
            device_id: Some("ipad-1".into())
        }
    );
}

#[test]
fn camel_case_aliases_are_accepted_for_every_field() {
    let cmd = parse_command(&post(json!({"action": "addToQueue", "customerId": C,
        "locationId": L, "storeId": S, "deviceId": "mac", "partySize": 2, "note": "hi"})))
    .unwrap();
    assert_eq!(
        cmd,
        Command::AddToQueue {
            location_id: L.into(),
            customer_id: C.into(),
            store_id: Some(S.into()),
            device_id: Some("mac".into()),
            party_size: Some(2),
            note: Some("hi".into())
        }
    );
    let cmd = parse_command(&post(json!({"action": "serve", "queueEntryId": E}))).unwrap();
    assert_eq!(cmd.rpc_args()["p_queue_entry_id"], E);
    let cmd = parse_command(&post(json!({"action": "completeCart", "cartId": C}))).unwrap();
    assert_eq!(cmd, Command::CompleteCart { cart_id: C.into() });
}

#[test]
fn same_value_under_both_names_is_fine_different_values_are_not() {
    let ok = post(json!({"action": "get", "location_id": L, "locationId": L, "customer_id": C}));
    assert!(parse_command(&ok).is_ok());
    let bad = post(json!({"action": "get", "location_id": L, "locationId": C, "customer_id": C}));
    let f = fields_of(parse_command(&bad));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].0, "location_id");
}

#[test]
fn a_uuid_under_both_names_may_differ_in_letter_case() {
    let upper = C.to_uppercase();
    let mixed = post(
        json!({"action": "get", "location_id": L, "locationId": L.to_uppercase(),
        "customer_id": upper, "customerId": C}),
    );
    assert_eq!(
        parse_command(&mixed).unwrap(),
        Command::Get {
            location_id: L.into(),
            customer_id: Some(C.into()),
            store_id: None,
            device_id: None
        }
    );
    // Text fields stay case-sensitive: two device ids differing in case are two values.
    let devices = post(
        json!({"action": "get", "location_id": L, "device_id": "iPad",
        "deviceId": "ipad"}),
    );
    assert_eq!(
        fields_of(parse_command(&devices)),
        [(
            "device_id",
            "is given twice (device_id and deviceId) with different values".to_string()
        )]
    );
}

#[test]
fn an_entry_point_serves_its_own_action_only() {
    let mut no_action = post(json!({"customer_id": C, "location_id": L}));
    no_action.entry_action = Some(Action::AddToQueue);
    assert_eq!(
        parse_command(&no_action).unwrap().action(),
        Action::AddToQueue
    );
    let mut same = post(json!({"action": "addToQueue", "customer_id": C, "location_id": L}));
    same.entry_action = Some(Action::AddToQueue);
    assert_eq!(parse_command(&same).unwrap().action(), Action::AddToQueue);
    let mut other = post(json!({"action": "get", "customer_id": C, "location_id": L}));
    other.entry_action = Some(Action::AddToQueue);
    assert_eq!(
        fields_of(parse_command(&other)),
        [(
            "action",
            "is get, but this entry point serves add_to_queue".to_string()
        )]
    );
    let mut by_query = get(&format!("http://fn/cart?location_id={L}&customer_id={C}"));
    by_query.entry_action = Some(Action::Get);
    assert_eq!(parse_command(&by_query).unwrap().action(), Action::Get);
    // The router's own rule still holds for an entry point: GET cannot change state.
    let mut queue_by_get = get(&format!("http://fn/cart?location_id={L}&customer_id={C}"));
    queue_by_get.entry_action = Some(Action::AddToQueue);
    assert_eq!(code_of(parse_command(&queue_by_get)), "method_not_allowed");
}

#[test]
fn uuids_are_normalised_to_lowercase() {
    let upper = L.to_uppercase();
    let cmd = parse_command(&post(json!({"action": "list_queue", "location_id": upper}))).unwrap();
    assert_eq!(
        cmd,
        Command::ListQueue {
            location_id: L.into(),
            store_id: None
        }
    );
}

#[test]
fn every_invalid_field_is_named() {
    let r = parse_command(&post(json!({"action": "add_to_queue", "customer_id": 12,
        "location_id": "not-a-uuid", "store_id": "", "device_id": "", "party_size": 0,
        "note": "x".repeat(501)})));
    let f = fields_of(r);
    let names: Vec<_> = f.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "location_id",
            "customer_id",
            "store_id",
            "device_id",
            "party_size",
            "note"
        ]
    );
    assert_eq!(f[0].1, "must be a UUID");
    assert_eq!(f[1].1, "must be a string");
}

#[test]
fn required_fields_per_action() {
    let cases = [
        (
            json!({"action": "get", "customer_id": C}),
            vec!["location_id"],
        ),
        (
            json!({"action": "add_to_queue"}),
            vec!["location_id", "customer_id"],
        ),
        (json!({"action": "complete_cart"}), vec!["cart_id"]),
        (json!({"action": "list_queue"}), vec!["location_id"]),
    ];
    for (body, expected) in cases {
        let f = fields_of(parse_command(&post(body.clone())));
        let names: Vec<_> = f.iter().map(|(n, p)| (*n, p.as_str())).collect();
        let want: Vec<_> = expected.iter().map(|n| (*n, "is required")).collect();
        assert_eq!(names, want, "{body}");
    }
}

#[test]
fn get_without_customer_needs_a_device() {
    let r = parse_command(&post(json!({"action": "get", "location_id": L})));
    assert_eq!(code_of(r), "device_id_required");
    let cmd = parse_command(&post(
        json!({"action": "get", "location_id": L, "device_id": "d"}),
    ));
    assert!(matches!(
        cmd,
        Ok(Command::Get {
            customer_id: None,
            ..
        })
    ));
}

#[test]
fn transitions_need_an_entry_id_or_location_and_customer() {
    for action in [
        "remove_from_queue",
        "call",
        "serve",
        "no_show",
        "removeFromQueue",
        "noShow",
    ] {
        let r = parse_command(&post(json!({"action": action, "location_id": L})));
        assert_eq!(code_of(r), "queue_entry_ref_required", "{action}");
        let cmd = parse_command(&post(json!({"action": action, "location_id": L,
            "customer_id": C})))
        .unwrap();
        assert_eq!(cmd.rpc_args().len(), 2);
    }
}

#[test]
fn party_size_bounds_and_types() {
    for bad in [json!(0), json!(101), json!(2.5), json!("3"), json!(true)] {
        let r = parse_command(&post(json!({"action": "add_to_queue", "location_id": L,
            "customer_id": C, "party_size": bad})));
        assert_eq!(fields_of(r)[0].0, "party_size", "{bad}");
    }
    let ok = parse_command(&post(json!({"action": "add_to_queue", "location_id": L,
        "customer_id": C, "party_size": 100})));
    assert!(ok.is_ok());
}

#[test]
fn null_counts_as_absent() {
    let cmd = parse_command(&post(json!({"action": "get", "location_id": L,
        "customer_id": null, "device_id": "d", "store_id": null})))
    .unwrap();
    assert!(matches!(
        cmd,
        Command::Get {
            customer_id: None,
            store_id: None,
            ..
        }
    ));
}

#[test]
fn device_id_rejects_control_characters_and_overlong_values() {
    for bad in ["a\nb", "   ", &"d".repeat(201)] {
        let r = parse_command(&post(
            json!({"action": "get", "location_id": L, "device_id": bad}),
        ));
        assert_eq!(fields_of(r)[0].0, "device_id");
    }
}

#[test]
fn action_routing() {
    assert_eq!(
        code_of(parse_command(&post(json!({"location_id": L})))),
        "missing_action"
    );
    assert_eq!(
        code_of(parse_command(&post(json!({"action": "drop"})))),
        "unknown_action"
    );
    assert_eq!(
        fields_of(parse_command(&post(json!({"action": 7}))))[0].0,
        "action"
    );
    let mut from_query = post(json!({"customer_id": C, "location_id": L}));
    from_query.url = "http://fn/cart?action=get".into();
    assert_eq!(parse_command(&from_query).unwrap().action(), Action::Get);
    let mut conflicting = post(json!({"action": "list_queue", "location_id": L}));
    conflicting.url = "http://fn/cart?action=get".into();
    assert_eq!(fields_of(parse_command(&conflicting))[0].0, "action");
    let mut empty_body = post_raw("");
    empty_body.url = format!("http://fn/cart?action=list_queue&location_id={L}");
    assert_eq!(code_of(parse_command(&empty_body)), "invalid_argument");
}

#[test]
fn get_requests_read_the_query_string() {
    let url = format!("http://fn/cart?customerId={C}&location_id={L}&store_id={S}");
    let cmd = parse_command(&get(&url)).unwrap();
    assert_eq!(cmd.action(), Action::Get);
    assert_eq!(cmd.rpc_args()["p_store_id"], S);
    let list = parse_command(&get(&format!(
        "http://fn/cart?action=listQueue&locationId={L}"
    )));
    assert_eq!(list.unwrap().action(), Action::ListQueue);
    let r = parse_command(&get(&format!(
        "http://fn/cart?action=complete_cart&cart_id={C}"
    )));
    assert_eq!(r.unwrap_err(), AppError::ActionNeedsPost("complete_cart"));
    let r = parse_command(&get("http://fn/cart?location_id=nope&customer_id=x"));
    assert_eq!(fields_of(r).len(), 2);
}

#[test]
fn other_methods_are_refused() {
    for m in ["PUT", "DELETE", "PATCH", "HEAD"] {
        let mut r = post(json!({"action": "get"}));
        r.method = m.into();
        assert_eq!(parse_command(&r).unwrap_err(), AppError::MethodNotAllowed);
    }
}

#[test]
fn bodies_over_64_kib_are_refused() {
    let big = post(json!({"action": "get", "note": "x".repeat(MAX_BODY_BYTES)}));
    assert_eq!(code_of(parse_command(&big)), "payload_too_large");
    let mut declared = post_raw("");
    declared.declared_length = Some(MAX_BODY_BYTES as u64 + 1);
    assert_eq!(code_of(parse_command(&declared)), "payload_too_large");
}

#[test]
fn non_json_bodies_are_refused() {
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut r = post(json!({"action": "get"}));
        r.content_type = ct.map(str::to_owned);
        assert_eq!(
            code_of(parse_command(&r)),
            "unsupported_media_type",
            "{ct:?}"
        );
    }
    assert!(is_json_media_type("application/json; charset=utf-8"));
    assert!(is_json_media_type("Application/JSON"));
    assert!(is_json_media_type("application/vnd.api+json"));
}

#[test]
fn broken_and_non_object_json() {
    assert_eq!(
        code_of(parse_command(&post_raw("{\"action\":"))),
        "invalid_json"
    );
    assert_eq!(code_of(parse_command(&post_raw("[1,2]"))), "invalid_body");
    assert_eq!(code_of(parse_command(&post_raw("\"get\""))), "invalid_body");
}

#[test]
fn query_strings_are_decoded() {
    assert_eq!(
        parse_query("http://x/cart?a=1+2&b=%41%zz&c&d=%E2%82%AC#frag"),
        [
            ("a".to_string(), "1 2".to_string()),
            ("b".to_string(), "A%zz".to_string()),
            ("c".to_string(), String::new()),
            ("d".to_string(), "\u{20ac}".to_string())
        ]
    );
    assert!(parse_query("http://x/cart").is_empty());
    assert_eq!(parse_query("http://x/?%")[0].0, "%");
}

#[test]
fn entry_and_cart_ids_must_be_uuids() {
    let r = parse_command(&post(json!({"action": "call", "queue_entry_id": "42",
        "customer_id": C, "location_id": L, "store_id": "s"})));
    assert_eq!(
        fields_of(r),
        [
            ("queue_entry_id", "must be a UUID".to_string()),
            ("store_id", "must be a UUID".to_string())
        ]
    );
    let r = parse_command(&post(
        json!({"action": "complete_cart", "cartId": format!("{{{C}}}")}),
    ));
    assert_eq!(fields_of(r), [("cart_id", "must be a UUID".to_string())]);
    let r = parse_command(&post(
        json!({"action": "list_queue", "location_id": L, "storeId": 5}),
    ));
    assert_eq!(fields_of(r), [("store_id", "must be a string".to_string())]);
}

#[test]
fn item_actions_read_and_bound_their_fields() {
    let e = "44444444-4444-4444-8444-444444444444";
    let add = parse_command(&post(
        json!({"action": "addItem", "cartId": C, "productId": "sku-1",
        "quantity": 3, "unitPrice": 4.5}),
    ))
    .unwrap();
    assert_eq!(
        Value::Object(add.rpc_args()),
        json!({"p_cart_id": C, "p_product_id": "sku-1", "p_quantity": 3, "p_unit_price": 4.5})
    );
    let set = parse_command(&post(json!({"action": "set_item_quantity", "cart_id": C,
        "item_id": e, "quantity": 2, "expected_version": 7})))
    .unwrap();
    assert_eq!(
        Value::Object(set.rpc_args()),
        json!({"p_cart_id": C, "p_item_id": e, "p_quantity": 2, "p_expected_version": 7})
    );
    let remove = parse_command(&post(
        json!({"action": "remove_item", "cart_id": C, "item_id": e}),
    ))
    .unwrap();
    assert_eq!(
        Value::Object(remove.rpc_args()),
        json!({"p_cart_id": C, "p_item_id": e})
    );

    let fields = fields_of(parse_command(&post(
        json!({"action": "add_item", "cart_id": C,
        "product_id": " ", "quantity": 0, "unit_price": -1}),
    )));
    let names: Vec<_> = fields.iter().map(|(f, _)| *f).collect();
    assert_eq!(names, ["product_id", "quantity", "unit_price"]);
    let fields = fields_of(parse_command(&post(json!({"action": "set_item_quantity",
        "cart_id": C, "item_id": e, "quantity": 100001, "expected_version": 0}))));
    let names: Vec<_> = fields.iter().map(|(f, _)| *f).collect();
    assert_eq!(names, ["quantity", "expected_version"]);
    let fields = fields_of(parse_command(&post(
        json!({"action": "set_item_quantity", "cart_id": C}),
    )));
    let names: Vec<_> = fields.iter().map(|(f, _)| *f).collect();
    assert_eq!(names, ["item_id", "quantity"]);
    let fields = fields_of(parse_command(&post(
        json!({"action": "add_item", "cart_id": C,
        "product_id": "x", "unit_price": "4.50"}),
    )));
    assert_eq!(fields[0].0, "unit_price", "a price is a JSON number");
}

#[test]
fn attach_customer_takes_a_cart_id_or_a_location_and_device() {
    let by_cart = parse_command(&post(json!({"action": "attach_customer", "customer_id": C,
        "cart_id": L})))
    .unwrap();
    assert_eq!(
        Value::Object(by_cart.rpc_args()),
        json!({"p_customer_id": C, "p_cart_id": L})
    );
    let by_device = parse_command(&post(json!({"action": "attachCustomer", "customerId": C,
        "locationId": L, "deviceId": "till-1"})))
    .unwrap();
    assert_eq!(
        Value::Object(by_device.rpc_args()),
        json!({"p_customer_id": C, "p_location_id": L, "p_device_id": "till-1"})
    );
    let fields = fields_of(parse_command(&post(json!({"action": "attach_customer",
        "location_id": L}))));
    let names: Vec<_> = fields.iter().map(|(f, _)| *f).collect();
    assert_eq!(names, ["customer_id", "cart_id"]);
    assert_eq!(
        code_of(parse_command(&get(&format!(
            "http://fn/cart?action=attach_customer&customer_id={C}&cart_id={L}"
        )))),
        "method_not_allowed"
    );
}
