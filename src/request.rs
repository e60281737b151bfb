//! Request parsing and validation: method, size, content type, JSON body or query string,
//! snake_case fields with camelCase aliases, `action` from the body or `?action=`, and one
//! validated `Command` per action (every invalid field named). Pure.

use crate::domain::{Action, Command, EntryRef};
use crate::error::{AppError, FieldError};
use serde_json::{Map, Value};

/// Largest accepted body, in bytes (64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The parts of an HTTP request the function looks at, already read from the runtime.
#[derive(Debug, Clone, Default)]
pub struct IncomingRequest {
    pub method: String,
    /// The full request URL (only its query string is used).
    pub url: String,
    pub content_type: Option<String>,
    /// `Content-Length` as declared, when present; a body declared too large is not read.
    pub declared_length: Option<u64>,
    pub authorization: Option<String>,
    pub request_id: Option<String>,
    /// The `Idempotency-Key` header, when present.
    pub idempotency_key: Option<String>,
    pub body: String,
    /// The action of the entry point that was called (`get`, `add_to_queue`), or `None` for
    /// the router, which takes the action from the body or the query string. An action also
    /// named in the request must then be this one.
    pub entry_action: Option<Action>,
}

/// Parses and validates a request into a command (authorization is checked by the handler).
pub fn parse_command(req: &IncomingRequest) -> Result<Command, AppError> {
    let query = parse_query(&req.url);
    let query_action = query
        .iter()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.clone());
    match req.method.as_str() {
        "GET" => {
            let mut fields = Map::new();
            for (k, v) in query {
                fields.entry(k).or_insert(Value::String(v));
            }
            let action = match query_action {
                None => req.entry_action.unwrap_or(Action::Get),
                Some(name) => named_action(name, req.entry_action)?,
            };
            if !action.allows_get() {
                return Err(AppError::ActionNeedsPost(action.name()));
            }
            validate(action, &fields, true)
        }
        "POST" => {
            check_size(req)?;
            let fields = parse_body(req)?;
            let action = resolve_action(&fields, query_action, req.entry_action)?;
            validate(action, &fields, false)
        }
        _ => Err(AppError::MethodNotAllowed),
    }
}

fn check_size(req: &IncomingRequest) -> Result<(), AppError> {
    let too_large = AppError::PayloadTooLarge {
        limit: MAX_BODY_BYTES,
    };
    match req.declared_length {
        Some(n) if n > MAX_BODY_BYTES as u64 => Err(too_large),
        _ if req.body.len() > MAX_BODY_BYTES => Err(too_large),
        _ => Ok(()),
    }
}

/// An empty body is an empty object; anything else must be declared JSON and be an object.
fn parse_body(req: &IncomingRequest) -> Result<Map<String, Value>, AppError> {
    if req.body.trim().is_empty() {
        return Ok(Map::new());
    }
    if !req.content_type.as_deref().is_some_and(is_json_media_type) {
        return Err(AppError::UnsupportedMediaType);
    }
    match serde_json::from_str::<Value>(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(AppError::BodyNotObject),
        Err(_) => Err(AppError::InvalidJson),
    }
}

/// `application/json`, or any `+json` type, with optional parameters (`; charset=utf-8`).
pub fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The action from the body, else from the query string, else the entry point's; all given
/// must agree.
fn resolve_action(
    fields: &Map<String, Value>,
    query_action: Option<String>,
    entry_action: Option<Action>,
) -> Result<Action, AppError> {
    let body_action = match fields.get("action") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(AppError::InvalidFields(vec![FieldError::new(
                "action",
                "must be a string",
            )]))
        }
    };
    let name = match (body_action, query_action) {
        (Some(b), Some(q)) if b != q => {
            return Err(AppError::InvalidFields(vec![FieldError::new(
                "action",
                "differs between the body and the query string",
            )]))
        }
        (Some(b), _) => b,
        (None, Some(q)) => q,
        (None, None) => return entry_action.ok_or(AppError::MissingAction),
    };
    named_action(name, entry_action)
}

/// The action a request names, which must be the entry point's when it has one.
fn named_action(name: String, entry_action: Option<Action>) -> Result<Action, AppError> {
    let action = Action::parse(&name).ok_or(AppError::UnknownAction(name))?;
    match entry_action {
        Some(entry) if entry != action => Err(AppError::InvalidFields(vec![FieldError::new(
            "action",
            format!(
                "is {}, but this entry point serves {}",
                action.name(),
                entry.name()
            ),
        )])),
        _ => Ok(action),
    }
}

/// Reads fields for one action, collecting every problem before failing.
struct Reader<'a> {
    fields: &'a Map<String, Value>,
    from_query: bool,
    errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    /// The value under the snake_case name or its camelCase alias (null counts as absent).
    /// Both given must be the same value.
    fn raw(&mut self, name: &'static str, alias: &'static str) -> Option<&'a Value> {
        self.pick(name, alias, |x, y| x == y)
    }

    /// Like `raw`, with `same` deciding whether the two spellings hold the same value.
    fn pick(
        &mut self,
        name: &'static str,
        alias: &'static str,
        same: fn(&Value, &Value) -> bool,
    ) -> Option<&'a Value> {
        let a = self.fields.get(name).filter(|v| !v.is_null());
        let b = self.fields.get(alias).filter(|v| !v.is_null());
        match (a, b) {
            (Some(x), Some(y)) if !same(x, y) => {
                if !self.errors.iter().any(|e| e.field == name) {
                    let problem =
                        format!("is given twice ({name} and {alias}) with different values");
                    self.errors.push(FieldError::new(name, problem));
                }
                None
            }
            (Some(x), _) | (None, Some(x)) => Some(x),
            (None, None) => None,
        }
    }

    fn string(&mut self, name: &'static str, alias: &'static str) -> Option<String> {
        let value = self.raw(name, alias)?;
        self.as_string(name, value)
    }

    fn as_string(&mut self, name: &'static str, value: &Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.errors.push(FieldError::new(name, "must be a string"));
                None
            }
        }
    }

    /// A UUID field, answered in canonical lowercase form. The two spellings may give the
    /// same UUID in different letter case.
    fn uuid(&mut self, name: &'static str, alias: &'static str) -> Option<String> {
        let value = self.pick(name, alias, same_uuid)?;
        let s = self.as_string(name, value)?;
        match uuid::Uuid::try_parse(&s) {
            Ok(u) if s.len() == 36 => Some(u.hyphenated().to_string()),
            _ => {
                self.errors.push(FieldError::new(name, "must be a UUID"));
                None
            }
        }
    }

    /// Whether a UUID field is given (under either spelling).
    fn uuid_given(&mut self, name: &'static str, alias: &'static str) -> bool {
        self.pick(name, alias, same_uuid).is_some()
    }

    fn required_text(
        &mut self,
        name: &'static str,
        alias: &'static str,
        max: usize,
    ) -> Option<String> {
        if self.raw(name, alias).is_none() && !self.errors.iter().any(|e| e.field == name) {
            self.errors.push(FieldError::new(name, "is required"));
            return None;
        }
        self.text(name, alias, max)
    }

    fn required_uuid(&mut self, name: &'static str, alias: &'static str) -> Option<String> {
        if !self.uuid_given(name, alias) && !self.errors.iter().any(|e| e.field == name) {
            self.errors.push(FieldError::new(name, "is required"));
        }
        self.uuid(name, alias)
    }

    fn text(&mut self, name: &'static str, alias: &'static str, max: usize) -> Option<String> {
        let s = self.string(name, alias)?;
        let n = s.chars().count();
        if s.trim().is_empty() || n > max || s.chars().any(char::is_control) {
            let problem = format!("must be 1 to {max} characters without control characters");
            self.errors.push(FieldError::new(name, problem));
            return None;
        }
        Some(s)
    }

    /// An integer in `min..=max` (in a GET query string: its digits).
    fn integer(
        &mut self,
        name: &'static str,
        alias: &'static str,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let v = self.raw(name, alias)?;
        let n = match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) if self.from_query => s.parse::<i64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                let problem = format!("must be an integer from {min} to {max}");
                self.errors.push(FieldError::new(name, problem));
                None
            }
        }
    }

    fn required_integer(
        &mut self,
        name: &'static str,
        alias: &'static str,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        if self.raw(name, alias).is_none() && !self.errors.iter().any(|e| e.field == name) {
            self.errors.push(FieldError::new(name, "is required"));
            return None;
        }
        self.integer(name, alias, min, max)
    }

    /// A price: a JSON number from 0 to 9999999999.99, passed on as sent.
    fn price(&mut self, name: &'static str, alias: &'static str) -> Option<Value> {
        let v = self.raw(name, alias)?;
        match v.as_f64() {
            Some(p) if v.is_number() && (0.0..10_000_000_000.0).contains(&p) => Some(v.clone()),
            _ => {
                let problem = "must be a number from 0 to 9999999999.99";
                self.errors.push(FieldError::new(name, problem));
                None
            }
        }
    }

    fn note(&mut self) -> Option<String> {
        let s = self.string("note", "note")?;
        if s.chars().count() > 500 {
            self.errors
                .push(FieldError::new("note", "must be at most 500 characters"));
            return None;
        }
        Some(s)
    }

    /// Fails with every collected field error, if any.
    fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::InvalidFields(self.errors))
        }
    }
}

/// Builds the command for `action` from the fields, naming every invalid one.
fn validate(
    action: Action,
    fields: &Map<String, Value>,
    from_query: bool,
) -> Result<Command, AppError> {
    let mut r = Reader {
        fields,
        from_query,
        errors: Vec::new(),
    };
    let command = match action {
        Action::Get => {
            let location_id = r.required_uuid("location_id", "locationId");
            let customer_id = r.uuid("customer_id", "customerId");
            let store_id = r.uuid("store_id", "storeId");
            let device_id = r.text("device_id", "deviceId", 200);
            let device_given = r.raw("device_id", "deviceId").is_some();
            let customer_given = r.uuid_given("customer_id", "customerId");
            r.finish()?;
            if !customer_given && !device_given {
                return Err(rejected_device_id_required());
            }
            Command::Get {
                location_id: location_id.unwrap_or_default(),
                customer_id,
                store_id,
                device_id,
            }
        }
        Action::AddToQueue => {
            let location_id = r.required_uuid("location_id", "locationId");
            let customer_id = r.required_uuid("customer_id", "customerId");
            let store_id = r.uuid("store_id", "storeId");
            let device_id = r.text("device_id", "deviceId", 200);
            let party_size = r.integer("party_size", "partySize", 1, 100);
            let note = r.note();
            r.finish()?;
            Command::AddToQueue {
                location_id: location_id.unwrap_or_default(),
                customer_id: customer_id.unwrap_or_default(),
                store_id,
                device_id,
                party_size,
                note,
            }
        }
        Action::RemoveFromQueue | Action::Call | Action::Serve | Action::NoShow => {
            let entry_id = r.uuid("queue_entry_id", "queueEntryId");
            let location_id = r.uuid("location_id", "locationId");
            let customer_id = r.uuid("customer_id", "customerId");
            let store_id = r.uuid("store_id", "storeId");
            r.finish()?;
            let entry = match (entry_id, location_id, customer_id) {
                (Some(id), _, _) => EntryRef::Id(id),
                (None, Some(location_id), Some(customer_id)) => EntryRef::LocationCustomer {
                    location_id,
                    customer_id,
                },
                _ => return Err(rejected_entry_ref_required()),
            };
            Command::Transition {
                action,
                entry,
                store_id,
            }
        }
        Action::CompleteCart => {
            let cart_id = r.required_uuid("cart_id", "cartId");
            r.finish()?;
            Command::CompleteCart {
                cart_id: cart_id.unwrap_or_default(),
            }
        }
        Action::ListQueue => {
            let location_id = r.required_uuid("location_id", "locationId");
            let store_id = r.uuid("store_id", "storeId");
            r.finish()?;
            Command::ListQueue {
                location_id: location_id.unwrap_or_default(),
                store_id,
            }
        }
        Action::AttachCustomer => {
            let customer_id = r.required_uuid("customer_id", "customerId");
            let cart_id = r.uuid("cart_id", "cartId");
            let location_id = r.uuid("location_id", "locationId");
            let device_id = r.text("device_id", "deviceId", 200);
            let store_id = r.uuid("store_id", "storeId");
            let by_cart = r.raw("cart_id", "cartId").is_some();
            let by_device = r.raw("location_id", "locationId").is_some()
                && r.raw("device_id", "deviceId").is_some();
            if !by_cart && !by_device {
                let problem = "give cart_id, or location_id and device_id";
                r.errors.push(FieldError::new("cart_id", problem));
            }
            r.finish()?;
            Command::AttachCustomer {
                customer_id: customer_id.unwrap_or_default(),
                cart_id,
                location_id,
                device_id,
                store_id,
            }
        }
        Action::AddItem => {
            let cart_id = r.required_uuid("cart_id", "cartId");
            let product_id = r.required_text("product_id", "productId", 200);
            let quantity = r.integer("quantity", "quantity", 1, 100_000);
            let unit_price = r.price("unit_price", "unitPrice");
            r.finish()?;
            Command::AddItem {
                cart_id: cart_id.unwrap_or_default(),
                product_id: product_id.unwrap_or_default(),
                quantity,
                unit_price,
            }
        }
        Action::SetItemQuantity => {
            let cart_id = r.required_uuid("cart_id", "cartId");
            let item_id = r.required_uuid("item_id", "itemId");
            let quantity = r.required_integer("quantity", "quantity", 1, 100_000);
            let expected_version =
                r.integer("expected_version", "expectedVersion", 1, i32::MAX as i64);
            r.finish()?;
            Command::SetItemQuantity {
                cart_id: cart_id.unwrap_or_default(),
                item_id: item_id.unwrap_or_default(),
                quantity: quantity.unwrap_or_default(),
                expected_version,
            }
        }
        Action::RemoveItem => {
            let cart_id = r.required_uuid("cart_id", "cartId");
            let item_id = r.required_uuid("item_id", "itemId");
            let expected_version =
                r.integer("expected_version", "expectedVersion", 1, i32::MAX as i64);
            r.finish()?;
            Command::RemoveItem {
                cart_id: cart_id.unwrap_or_default(),
                item_id: item_id.unwrap_or_default(),
                expected_version,
            }
        }
    };
    Ok(command)
}

/// Two spellings of a UUID field agree when they are equal, or the same text up to letter case
/// (UUIDs are case-insensitive).
fn same_uuid(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
        _ => x == y,
    }
}

fn rejected_device_id_required() -> AppError {
    AppError::Rejected {
        status: 400,
        code: "device_id_required",
        message: "A cart without a customer needs device_id.",
    }
}

fn rejected_entry_ref_required() -> AppError {
    AppError::Rejected {
        status: 400,
        code: "queue_entry_ref_required",
        message: "Give queue_entry_id, or location_id and customer_id.",
    }
}

/// Decoded `key=value` pairs of the URL's query string (`+` is a space, `%XX` decoded).
pub fn parse_query(url: &str) -> Vec<(String, String)> {
    let Some((_, rest)) = url.split_once('?') else {
        return Vec::new();
    };
    let query = rest.split('#').next().unwrap_or("");
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
