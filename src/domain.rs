//! The actions the function serves, the validated input of each, and the one RPC (name and
//! named-argument map) each action maps to. Pure.

use serde_json::{Map, Value};

/// An action the function serves. Each maps to exactly one RPC; what an action is called, which
/// RPC performs it and whether GET may ask for it are one row of [`ACTIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Get,
    AddToQueue,
    RemoveFromQueue,
    Call,
    Serve,
    NoShow,
    CompleteCart,
    ListQueue,
    AttachCustomer,
    AddItem,
    SetItemQuantity,
    RemoveItem,
}

/// Everything about an action except its fields (those are read in `request.rs`).
#[derive(Debug)]
pub struct ActionSpec {
    pub action: Action,
    /// The canonical snake_case name, as logged and as documented.
    pub name: &'static str,
    /// The camelCase alias accepted from existing apps (the name itself for one-word names).
    pub alias: &'static str,
    /// The RPC (in schema `public`) that performs the action.
    pub rpc: &'static str,
    /// Whether GET may request it: it only reads, or is an idempotent get-or-create.
    pub allows_get: bool,
}

const fn row(
    action: Action,
    name: &'static str,
    alias: &'static str,
    rpc: &'static str,
    allows_get: bool,
) -> ActionSpec {
    ActionSpec {
        action,
        name,
        alias,
        rpc,
        allows_get,
    }
}

/// The action table, one row per action, in the order of the enum.
#[rustfmt::skip]
pub const ACTIONS: [ActionSpec; 12] = [
    //   action                   name                 alias              RPC                   GET
    row(Action::Get,             "get",               "get",             "get_or_create_cart", true),
    row(Action::AddToQueue,      "add_to_queue",      "addToQueue",      "add_to_queue",       false),
    row(Action::RemoveFromQueue, "remove_from_queue", "removeFromQueue", "remove_from_queue",  false),
    row(Action::Call,            "call",              "call",            "call_queue_entry",   false),
    row(Action::Serve,           "serve",             "serve",           "serve_queue_entry",  false),
    row(Action::NoShow,          "no_show",           "noShow",          "mark_no_show",       false),
    row(Action::CompleteCart,    "complete_cart",     "completeCart",    "complete_cart",      false),
    row(Action::ListQueue,       "list_queue",        "listQueue",       "list_queue",         true),
    row(Action::AttachCustomer,  "attach_customer",   "attachCustomer",  "attach_customer",    false),
    row(Action::AddItem,         "add_item",          "addItem",         "add_item",           false),
    row(Action::SetItemQuantity, "set_item_quantity", "setItemQuantity", "set_item_quantity",  false),
    row(Action::RemoveItem,      "remove_item",       "removeItem",      "remove_item",        false),
];

// Each row sits at its action's index, so `Action::spec` is one array access.
const _: () = {
    let mut i = 0;
    while i < ACTIONS.len() {
        assert!(
            ACTIONS[i].action as usize == i,
            "ACTIONS must follow the enum's order"
        );
        i += 1;
    }
};

impl Action {
    /// The action's row of [`ACTIONS`].
    pub fn spec(self) -> &'static ActionSpec {
        &ACTIONS[self as usize]
    }

    /// Parses an action name: the snake_case name, or its camelCase alias.
    pub fn parse(name: &str) -> Option<Action> {
        ACTIONS
            .iter()
            .find(|s| s.name == name || s.alias == name)
            .map(|s| s.action)
    }

    /// The canonical (snake_case) name.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The RPC (in schema `public`) that performs the action.
    pub fn rpc(self) -> &'static str {
        self.spec().rpc
    }

    /// Whether the action may be requested with GET.
    pub fn allows_get(self) -> bool {
        self.spec().allows_get
    }
}

/// A reference to a queue entry: by id, or by location and customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryRef {
    Id(String),
    LocationCustomer {
        location_id: String,
        customer_id: String,
    },
}

/// A validated command: the action with exactly the inputs its RPC takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Get {
        location_id: String,
        customer_id: Option<String>,
        store_id: Option<String>,
        device_id: Option<String>,
    },
    AddToQueue {
        location_id: String,
        customer_id: String,
        store_id: Option<String>,
        device_id: Option<String>,
        party_size: Option<i64>,
        note: Option<String>,
    },
    /// remove_from_queue, call, serve, no_show.
    Transition {
        action: Action,
        entry: EntryRef,
        store_id: Option<String>,
    },
    CompleteCart {
        cart_id: String,
    },
    ListQueue {
        location_id: String,
        store_id: Option<String>,
    },
    /// Identify the customer on a walk-in cart: by `cart_id`, or by location + device.
    AttachCustomer {
        customer_id: String,
        cart_id: Option<String>,
        location_id: Option<String>,
        device_id: Option<String>,
        store_id: Option<String>,
    },
    AddItem {
        cart_id: String,
        product_id: String,
        quantity: Option<i64>,
        /// The JSON number as the client sent it (the database keeps two decimals).
        unit_price: Option<Value>,
    },
    SetItemQuantity {
        cart_id: String,
        item_id: String,
        quantity: i64,
        expected_version: Option<i64>,
    },
    RemoveItem {
        cart_id: String,
        item_id: String,
        expected_version: Option<i64>,
    },
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Command::Get { .. } => Action::Get,
            Command::AddToQueue { .. } => Action::AddToQueue,
            Command::Transition { action, .. } => *action,
            Command::CompleteCart { .. } => Action::CompleteCart,
            Command::ListQueue { .. } => Action::ListQueue,
            Command::AttachCustomer { .. } => Action::AttachCustomer,
            Command::AddItem { .. } => Action::AddItem,
            Command::SetItemQuantity { .. } => Action::SetItemQuantity,
            Command::RemoveItem { .. } => Action::RemoveItem,
        }
    }

    /// The RPC's named arguments; optional ones are sent only when present.
    pub fn rpc_args(&self) -> Map<String, Value> {
        let mut args = Args::default();
        match self {
            Command::Get {
                location_id,
                customer_id,
                store_id,
                device_id,
            } => {
                args.put("p_location_id", location_id);
                args.opt("p_customer_id", customer_id);
                args.opt("p_store_id", store_id);
                args.opt("p_device_id", device_id);
            }
            Command::AddToQueue {
                location_id,
                customer_id,
                store_id,
                device_id,
                party_size,
                note,
            } => {
                args.put("p_location_id", location_id);
                args.put("p_customer_id", customer_id);
                args.opt("p_store_id", store_id);
                args.opt("p_device_id", device_id);
                args.int("p_party_size", party_size);
                args.opt("p_note", note);
            }
            Command::Transition {
                entry, store_id, ..
            } => {
                match entry {
                    EntryRef::Id(id) => args.put("p_queue_entry_id", id),
                    EntryRef::LocationCustomer {
                        location_id,
                        customer_id,
                    } => {
                        args.put("p_location_id", location_id);
                        args.put("p_customer_id", customer_id);
                    }
                }
                args.opt("p_store_id", store_id);
            }
            Command::CompleteCart { cart_id } => args.put("p_cart_id", cart_id),
            Command::ListQueue {
                location_id,
                store_id,
            } => {
                args.put("p_location_id", location_id);
                args.opt("p_store_id", store_id);
            }
            Command::AttachCustomer {
                customer_id,
                cart_id,
                location_id,
                device_id,
                store_id,
            } => {
                args.put("p_customer_id", customer_id);
                args.opt("p_cart_id", cart_id);
                args.opt("p_location_id", location_id);
                args.opt("p_device_id", device_id);
                args.opt("p_store_id", store_id);
            }
            Command::AddItem {
                cart_id,
                product_id,
                quantity,
                unit_price,
            } => {
                args.put("p_cart_id", cart_id);
                args.put("p_product_id", product_id);
                args.int("p_quantity", quantity);
                if let Some(price) = unit_price {
                    args.0.insert("p_unit_price".into(), price.clone());
                }
            }
            Command::SetItemQuantity {
                cart_id,
                item_id,
                quantity,
                expected_version,
            } => {
                args.put("p_cart_id", cart_id);
                args.put("p_item_id", item_id);
                args.int("p_quantity", &Some(*quantity));
                args.int("p_expected_version", expected_version);
            }
            Command::RemoveItem {
                cart_id,
                item_id,
                expected_version,
            } => {
                args.put("p_cart_id", cart_id);
                args.put("p_item_id", item_id);
                args.int("p_expected_version", expected_version);
            }
        }
        args.0
    }
}

/// Small builder for the argument map.
#[derive(Default)]
struct Args(Map<String, Value>);

impl Args {
    fn put(&mut self, key: &str, value: &str) {
        self.0.insert(key.into(), Value::from(value));
    }
    fn opt(&mut self, key: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.put(key, v);
        }
    }
    fn int(&mut self, key: &str, value: &Option<i64>) {
        if let Some(n) = value {
            self.0.insert(key.into(), Value::from(*n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const L: &str = "11111111-1111-4111-8111-111111111111";
    const C: &str = "22222222-2222-4222-8222-222222222222";

    #[test]
    fn every_action_parses_by_both_names_and_maps_to_its_rpc() {
        let rpcs: Vec<_> = ACTIONS.iter().map(|s| s.action.rpc()).collect();
        assert_eq!(
            rpcs,
            [
                "get_or_create_cart",
                "add_to_queue",
                "remove_from_queue",
                "call_queue_entry",
                "serve_queue_entry",
                "mark_no_show",
                "complete_cart",
                "list_queue",
                "attach_customer",
                "add_item",
                "set_item_quantity",
                "remove_item"
            ]
        );
        for s in &ACTIONS {
            assert_eq!(s.action.spec().name, s.name);
            assert_eq!(Action::parse(s.name), Some(s.action));
            assert_eq!(Action::parse(s.alias), Some(s.action));
            let camel = s
                .name
                .split('_')
                .enumerate()
                .fold(String::new(), |mut out, (i, w)| {
                    let mut chars = w.chars();
                    if let (true, Some(first)) = (i > 0, chars.next()) {
                        out.push(first.to_ascii_uppercase());
                        out.extend(chars);
                    } else {
                        out.push_str(w);
                    }
                    out
                });
            assert_eq!(s.alias, camel, "the alias is the camelCase of the name");
        }
        let gets: Vec<_> = ACTIONS
            .iter()
            .filter(|s| s.allows_get)
            .map(|s| s.name)
            .collect();
        assert_eq!(gets, ["get", "list_queue"]);
        assert_eq!(Action::parse("delete_everything"), None);
        assert_eq!(Action::parse("GET"), None);
    }

    #[test]
    fn get_sends_only_present_arguments() {
        let cmd = Command::Get {
            location_id: L.into(),
            customer_id: Some(C.into()),
            store_id: None,
            device_id: None,
        };
        assert_eq!(
            Value::Object(cmd.rpc_args()),
            json!({"p_location_id": L, "p_customer_id": C})
        );
    }

    #[test]
    fn add_to_queue_sends_party_size_as_a_number() {
        let cmd = Command::AddToQueue {
            location_id: L.into(),
            customer_id: C.into(),
            store_id: None,
            device_id: Some("ipad-1".into()),
            party_size: Some(3),
            note: Some("window".into()),
        };
        assert_eq!(
            Value::Object(cmd.rpc_args()),
            json!({"p_location_id": L, "p_customer_id": C, "p_device_id": "ipad-1",
                   "p_party_size": 3, "p_note": "window"})
        );
    }

    #[test]
    fn transitions_reference_the_entry_by_id_or_by_location_and_customer() {
        let by_id = Command::Transition {
            action: Action::Serve,
            entry: EntryRef::Id(C.into()),
            store_id: None,
        };
        assert_eq!(by_id.action().rpc(), "serve_queue_entry");
        assert_eq!(
            Value::Object(by_id.rpc_args()),
            json!({"p_queue_entry_id": C})
        );
        let by_pair = Command::Transition {
            action: Action::NoShow,
            entry: EntryRef::LocationCustomer {
                location_id: L.into(),
                customer_id: C.into(),
            },
            store_id: Some(L.into()),
        };
        assert_eq!(
            Value::Object(by_pair.rpc_args()),
            json!({"p_location_id": L, "p_customer_id": C, "p_store_id": L})
        );
    }

    #[test]
    fn complete_and_list_arguments() {
        let c = Command::CompleteCart { cart_id: C.into() };
        assert_eq!(Value::Object(c.rpc_args()), json!({"p_cart_id": C}));
        let l = Command::ListQueue {
            location_id: L.into(),
            store_id: None,
        };
        assert_eq!(Value::Object(l.rpc_args()), json!({"p_location_id": L}));
        assert!(Action::ListQueue.allows_get() && !Action::CompleteCart.allows_get());
    }
}
