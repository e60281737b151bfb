// The operations of the model test: every RPC and every kind of direct table write on carts,
// cart_items and location_queue (the supported writes of docs/api.md "Direct table writes"
// and the hostile ones), each with a generator of random arguments and a renderer to the SQL
// PostgREST would run. Arguments are symbolic (fixture keys, row references, value names),
// so a recorded call replays with the same meaning on another fixture. Pure; no I/O.
import type { Prng } from "./prng.ts";
import {
  ACTOR_STORES,
  type ActorKey,
  CUST_STORE,
  type CustKey,
  CUSTOMERS,
  type Device,
  DEVICES,
  LOC_STORE,
  LOCATIONS,
  type LocKey,
  type StoreKey,
} from "./fixture.ts";
import type { CartRef, EntryRef, ItemRef, Owner, Pick, Resolver } from "./state.ts";

/** A fixture key, or "X": an id that names nothing. */
type Loc = LocKey | "X";
type Cust = CustKey | "X";
type Store = StoreKey | "X";
// deno-lint-ignore no-explicit-any
export type Args = Record<string, any>;

export interface Call {
  actor: ActorKey;
  op: string;
  a: Args;
  /** Which of the caller's few Idempotency-Keys the call carries, if any. */
  key?: number;
}

/** What the answer of a successful call must agree with (ids resolved for this run). */
export interface About {
  loc?: string;
  cust?: string;
  device?: string | null;
  entry?: string;
  cart?: string;
  item?: string;
  product?: string;
  quantity?: number;
  to?: string;
}

export interface Rendered {
  sql: string;
  about: About;
}

/** What a successful call does: the result checks and "wrote nothing" rules depend on it. */
export type Effect =
  | "get"
  | "add"
  | "transition"
  | "complete"
  | "list"
  | "add_item"
  | "set_item"
  | "remove_item"
  | "attach"
  | "write";

interface OpDef {
  weight: number;
  effect: Effect;
  /** Outcomes a full run must show at least once: each a pattern (a regular expression over
   * the whole outcome: "ok", "ok:0", "SQLSTATE HINT"), so alternatives of one kind count
   * together. */
  mustSee: string[];
  /** Honours an Idempotency-Key (docs/api.md, "Idempotency-Key"). */
  keyed?: boolean;
  gen(g: Gen): Args;
  render(a: Args, r: Resolver): Rendered;
}

// ---------------------------------------------------------------------------------------
// Values, as SQL expressions

export const FORGED = {
  past: "'2001-02-03 04:05:06+00'",
  future: "'2999-12-31 23:59:59+00'",
} as const;
/** A queue_seq no sequence hands out. */
export const FORGED_SEQ = -5;
const DEVICE_ARGS = {
  "ipad-1": ["'ipad-1'", "ipad-1"],
  "mac-2": ["'mac-2'", "mac-2"],
  "till-3": ["'till-3'", "till-3"],
  padded: ["'  ipad-1 '", "ipad-1"],
  empty: ["''", null],
  long: ["repeat('d', 201)", "invalid"],
  control: ["'ipad' || chr(10)", "invalid"],
} as const;
type DeviceArg = keyof typeof DEVICE_ARGS;
const NOTES = {
  short: "'window seat'",
  max: "repeat('n', 500)",
  long: "repeat('n', 501)",
} as const;
const PRODUCTS = {
  "sku-1": "'sku-1'",
  "sku-2": "'sku-2'",
  "sku-3": "'sku-3'",
  empty: "''",
  long: "repeat('p', 201)",
  control: "'sku' || chr(9)",
} as const;
const PRICES = ["0", "3.50", "12.99", "9999999999.99", "-0.01", "10000000000"] as const;
const QUANTITIES = [1, 2, 3, 5, 100000, 0, -1, 100001] as const;
const PARTY_SIZES = [1, 2, 4, 100, 0, 101, -3, 1000] as const;

const lit = (id: string) => `'${id}'`;

// ---------------------------------------------------------------------------------------
// Generation context: random arguments, biased to the caller's own store, with the other
// store's ids and missing ids mixed in. Rows are referred to by key (location + customer or
// device) and by which of the key's rows; the generator never reads the database, so a seed
// always gives the same steps, whatever concurrent bursts made of the rows.

export class Gen {
  constructor(readonly rng: Prng, readonly actor: ActorKey) {}

  /** Whether to aim at the caller's own store (else the other one). */
  own(): boolean {
    return this.rng.chance(0.75);
  }

  homeStore(): StoreKey {
    const stores = ACTOR_STORES[this.actor];
    if (stores.length && this.own()) return this.rng.pick(stores);
    return this.rng.pick(["A", "B"] as const);
  }

  /** A location of (usually) the caller's store; the first one of a store is the busier, so
   * that calls meet on the same rows. */
  realLoc(): LocKey {
    const store = this.homeStore();
    const [busy, quiet] = LOCATIONS.filter((l) => LOC_STORE[l] === store);
    return this.rng.chance(0.7) ? busy : quiet;
  }

  loc(): Loc {
    return this.rng.chance(0.06) ? "X" : this.realLoc();
  }

  /** A customer for a location: shared, the location's store's own, another store's, missing. */
  cust(loc: Loc, pOther = 0.12, pMissing = 0.06): Cust {
    const s = loc === "X" ? this.rng.pick(["A", "B"] as const) : LOC_STORE[loc];
    const r = this.rng.next();
    if (r < pMissing) return "X";
    if (r < pMissing + pOther) {
      return this.rng.pick(CUSTOMERS.filter((c) => CUST_STORE[c] && CUST_STORE[c] !== s));
    }
    const [busy, quiet] = CUSTOMERS.filter((c) => CUST_STORE[c] === s);
    return this.rng.weighted(
      { S1: 35, S2: 15, S3: 5, [busy]: 25, [quiet]: 8 } as Record<CustKey, number>,
    );
  }

  /** The optional store argument: usually absent, else the location's, another, missing. */
  store(loc: Loc, p = 0.2): Store | undefined {
    if (!this.rng.chance(p)) return undefined;
    const r = this.rng.next();
    if (r < 0.6 && loc !== "X") return LOC_STORE[loc];
    if (r < 0.9) return this.rng.pick(["A", "B"] as const);
    return "X";
  }

  device(): DeviceArg {
    return this.rng.weighted({
      "ipad-1": 30,
      "mac-2": 22,
      "till-3": 10,
      padded: 12,
      empty: 12,
      long: 5,
      control: 5,
    });
  }

  /** A stored device id (for references to anonymous carts). */
  storedDevice(): Device {
    return this.rng.weighted({ "ipad-1": 5, "mac-2": 3, "till-3": 2 });
  }

  #pick(pActive: number): Pick {
    if (this.rng.chance(pActive)) return { mode: "active" };
    return { mode: this.rng.chance(0.8) ? "closed" : "any", n: this.rng.int(4) };
  }

  /** A location and customer that rows likely exist for: the busiest keys, mostly. */
  #rowKey(): { loc: LocKey; cust: CustKey } {
    const store = this.homeStore();
    const [busy, quiet] = LOCATIONS.filter((l) => LOC_STORE[l] === store);
    const loc = this.rng.chance(0.85) ? busy : quiet;
    const [own1, own2] = CUSTOMERS.filter((c) => CUST_STORE[c] === store);
    const [other] = CUSTOMERS.filter((c) => CUST_STORE[c] && CUST_STORE[c] !== store);
    const cust = this.rng.weighted(
      { S1: 40, [own1]: 30, S2: 15, [own2]: 5, S3: 3, [other]: 4 } as Record<CustKey, number>,
    );
    return { loc, cust };
  }

  /** A cart: `pActive` of the time its key's active cart, else an older one; `pDevice` of the
   * time an anonymous device's; sometimes a missing id. */
  cartRef(pActive = 0.7, pDevice = 0.25): CartRef | "X" {
    if (this.rng.chance(0.06)) return "X";
    const { loc, cust } = this.#rowKey();
    const owner: Owner = this.rng.chance(pDevice) ? { device: this.storedDevice() } : { cust };
    return { loc, owner, pick: this.#pick(pActive) };
  }

  /** A queue entry: `pOpen` of the time its key's open entry, else an older one. */
  entryRef(pOpen = 0.7): EntryRef | "X" {
    if (this.rng.chance(0.06)) return "X";
    return { ...this.#rowKey(), pick: this.#pick(pOpen) };
  }

  /** A line of a cart (usually an active one). */
  itemRef(pActive = 0.8): ItemRef | "X" {
    if (this.rng.chance(0.06)) return "X";
    const cart = this.cartRef(pActive);
    return cart === "X" ? "X" : { cart, n: this.rng.int(4) };
  }

  forged(): keyof typeof FORGED {
    return this.rng.pick(["past", "future"] as const);
  }
}

// ---------------------------------------------------------------------------------------
// Rendering helpers

function ids(r: Resolver) {
  return {
    loc: (k: Loc) => (k === "X" ? r.f.missing : r.f.loc[k]),
    cust: (k: Cust) => (k === "X" ? r.f.missing : r.f.cust[k]),
    store: (k: Store) => (k === "X" ? r.f.missing : r.f.store[k]),
    cart: (ref: CartRef | "X") => (ref === "X" ? r.f.missing : r.cart(ref)),
    entry: (ref: EntryRef | "X") => (ref === "X" ? r.f.missing : r.entry(ref)),
    item: (ref: ItemRef | "X") => (ref === "X" ? r.f.missing : r.item(ref)),
  };
}

function rpc(name: string, args: [string, string | number | undefined | null][]): string {
  const list = args.filter(([, v]) => v !== undefined && v !== null).map(([n, v]) =>
    `${n} => ${v}`
  );
  return `select public.${name}(${list.join(", ")}) as r`;
}

function insert(table: string, cols: [string, string | number | undefined | null][]): string {
  const set = cols.filter(([, v]) => v !== undefined && v !== null);
  return `insert into public.${table} (${set.map(([c]) => c).join(", ")}) values (${
    set.map(([, v]) => v).join(", ")
  })`;
}

function update(table: string, sets: [string, string | number | null][], id: string): string {
  return `update public.${table} set ${
    sets.map(([c, v]) => `${c} = ${v === null ? "null" : v}`).join(", ")
  } where id = ${lit(id)}`;
}

/** The cart, line and expected version a line edit names: the version the mirror holds
 * ("seen"), one it does not ("stale"), or none. */
function line(r: Resolver, ref: ItemRef | "X", version?: "seen" | "stale" | "none") {
  if (ref === "X") return { cart: r.f.missing, item: r.f.missing, version: undefined };
  const row = r.itemRow(ref);
  const seen = Number(row?.version ?? 1);
  return {
    cart: r.cart(ref.cart),
    item: row?.id ?? r.f.missing,
    version: version === "seen" ? seen : version === "stale" ? seen + 1 : undefined, // "none"
  };
}

// ---------------------------------------------------------------------------------------
// The operations

const TRANSITIONS = {
  call_queue_entry: "called",
  serve_queue_entry: "served",
  mark_no_show: "no_show",
  remove_from_queue: "removed",
} as const;

function transitionOps(): Record<string, OpDef> {
  const out: Record<string, OpDef> = {};
  const weights = {
    call_queue_entry: 3.5,
    serve_queue_entry: 3,
    mark_no_show: 3,
    remove_from_queue: 3,
  };
  for (const [fn, to] of Object.entries(TRANSITIONS)) {
    out[`rpc ${fn} (id)`] = {
      keyed: true,
      weight: weights[fn as keyof typeof weights] * 0.8,
      effect: "transition",
      mustSee: ["ok", "PT409 invalid_transition|PT404 queue_entry_not_found"],
      gen: (g) => {
        // calling needs a waiting entry; the others meet closed ones more often
        const entry = g.entryRef(fn === "call_queue_entry" ? 0.75 : 0.55);
        const r = g.rng.next();
        return {
          entry,
          loc: r < 0.08 ? g.loc() : undefined,
          store: r > 0.9 ? g.rng.pick(["A", "B", "X"] as const) : undefined,
        };
      },
      render: (a, r) => {
        const i = ids(r);
        const entry = i.entry(a.entry);
        return {
          sql: rpc(fn, [
            ["p_queue_entry_id", lit(entry)],
            ["p_location_id", a.loc && lit(i.loc(a.loc))],
            ["p_store_id", a.store && lit(i.store(a.store))],
          ]),
          about: { entry, to },
        };
      },
    };
    out[`rpc ${fn} (location, customer)`] = {
      keyed: true,
      weight: weights[fn as keyof typeof weights] * 0.5,
      effect: "transition",
      mustSee: ["ok", "PT409 invalid_transition|PT404 queue_entry_not_found"],
      gen: (g) => {
        const loc = g.loc();
        return { loc, cust: g.cust(loc), store: g.store(loc, 0.1) };
      },
      render: (a, r) => {
        const i = ids(r);
        return {
          sql: rpc(fn, [
            ["p_location_id", lit(i.loc(a.loc))],
            ["p_customer_id", lit(i.cust(a.cust))],
            ["p_store_id", a.store && lit(i.store(a.store))],
          ]),
          about: { loc: i.loc(a.loc), cust: i.cust(a.cust), to },
        };
      },
    };
  }
  return out;
}

export const OPS: Record<string, OpDef> = {
  "rpc get_or_create_cart (customer)": {
    weight: 7,
    effect: "get",
    mustSee: ["ok", "PT404 (customer|location)_not_found"],
    gen: (g) => {
      const loc = g.loc();
      return { loc, cust: g.cust(loc), store: g.store(loc) };
    },
    render: (a, r) => {
      const i = ids(r);
      return {
        sql: rpc("get_or_create_cart", [
          ["p_location_id", lit(i.loc(a.loc))],
          ["p_customer_id", lit(i.cust(a.cust))],
          ["p_store_id", a.store && lit(i.store(a.store))],
        ]),
        about: { loc: i.loc(a.loc), cust: i.cust(a.cust) },
      };
    },
  },
  "rpc get_or_create_cart (device)": {
    weight: 6,
    effect: "get",
    mustSee: ["ok", "P0001 (invalid_argument|device_id_required)"],
    gen: (g) => {
      const loc = g.loc();
      return { loc, dev: g.device(), store: g.store(loc) };
    },
    render: (a, r) => {
      const i = ids(r);
      const [expr, stored] = DEVICE_ARGS[a.dev as DeviceArg];
      return {
        sql: rpc("get_or_create_cart", [
          ["p_location_id", lit(i.loc(a.loc))],
          ["p_device_id", expr],
          ["p_store_id", a.store && lit(i.store(a.store))],
        ]),
        about: { loc: i.loc(a.loc), device: stored },
      };
    },
  },
  "rpc add_to_queue": {
    keyed: true,
    weight: 8,
    effect: "add",
    mustSee: ["ok", "P0001 invalid_argument|PT404 (location|customer)_not_found"],
    gen: (g) => {
      const loc = g.loc();
      return {
        loc,
        cust: g.cust(loc),
        store: g.store(loc),
        dev: g.rng.chance(0.3) ? g.device() : undefined,
        party: g.rng.chance(0.4) ? g.rng.pick(PARTY_SIZES) : undefined,
        note: g.rng.chance(0.25) ? g.rng.pick(Object.keys(NOTES)) : undefined,
      };
    },
    render: (a, r) => {
      const i = ids(r);
      return {
        sql: rpc("add_to_queue", [
          ["p_location_id", lit(i.loc(a.loc))],
          ["p_customer_id", lit(i.cust(a.cust))],
          ["p_store_id", a.store && lit(i.store(a.store))],
          ["p_device_id", a.dev && DEVICE_ARGS[a.dev as DeviceArg][0]],
          ["p_party_size", a.party],
          ["p_note", a.note && NOTES[a.note as keyof typeof NOTES]],
        ]),
        about: { loc: i.loc(a.loc), cust: i.cust(a.cust) },
      };
    },
  },
  ...transitionOps(),
  "rpc complete_cart": {
    keyed: true,
    weight: 4,
    effect: "complete",
    mustSee: ["ok", "PT409 cart_not_active|PT404 cart_not_found"],
    gen: (g) => ({ cart: g.cartRef(0.5) }),
    render: (a, r) => {
      const cart = ids(r).cart(a.cart);
      return { sql: rpc("complete_cart", [["p_cart_id", lit(cart)]]), about: { cart } };
    },
  },
  "rpc list_queue": {
    weight: 3,
    effect: "list",
    mustSee: ["ok", "PT404 location_not_found"],
    gen: (g) => {
      const loc = g.loc();
      return { loc, store: g.store(loc, 0.15) };
    },
    render: (a, r) => {
      const i = ids(r);
      return {
        sql: rpc("list_queue", [
          ["p_location_id", lit(i.loc(a.loc))],
          ["p_store_id", a.store && lit(i.store(a.store))],
        ]),
        about: { loc: i.loc(a.loc) },
      };
    },
  },

  // cart lines and walk-in carts through their RPCs ---------------------------------------
  "rpc add_item": {
    weight: 5,
    effect: "add_item",
    keyed: true,
    mustSee: ["ok", "PT409 cart_not_active|PT404 cart_not_found|P0001 invalid_argument"],
    gen: (g) => ({
      cart: g.cartRef(0.85),
      product: g.rng.weighted({ "sku-1": 30, "sku-2": 25, "sku-3": 20, empty: 3, control: 3 }),
      qty: g.rng.chance(0.9) ? g.rng.pick(QUANTITIES.slice(0, 4)) : g.rng.pick(QUANTITIES),
      price: g.rng.chance(0.5) ? g.rng.pick(PRICES.slice(0, 3)) : undefined,
    }),
    render: (a, r) => {
      const cart = ids(r).cart(a.cart);
      return {
        sql: rpc("add_item", [
          ["p_cart_id", lit(cart)],
          ["p_product_id", PRODUCTS[a.product as keyof typeof PRODUCTS]],
          ["p_quantity", a.qty],
          ["p_unit_price", a.price],
        ]),
        about: { cart, product: a.product, quantity: a.qty },
      };
    },
  },
  "rpc set_item_quantity": {
    weight: 4.5,
    effect: "set_item",
    keyed: true,
    mustSee: ["ok", "PT409 (stale_cart|cart_not_active)|P0001 invalid_argument"],
    gen: (g) => ({
      item: g.itemRef(0.8),
      qty: g.rng.chance(0.85) ? g.rng.pick(QUANTITIES.slice(0, 5)) : g.rng.pick(QUANTITIES),
      version: g.rng.weighted({ seen: 5, none: 3, stale: 2 }),
    }),
    render: (a, r) => {
      const { cart, item, version } = line(r, a.item, a.version);
      return {
        sql: rpc("set_item_quantity", [
          ["p_cart_id", lit(cart)],
          ["p_item_id", lit(item)],
          ["p_quantity", a.qty],
          ["p_expected_version", version],
        ]),
        about: { cart, item, quantity: a.qty },
      };
    },
  },
  "rpc remove_item": {
    weight: 2.5,
    effect: "remove_item",
    keyed: true,
    mustSee: ["ok", "PT409 (stale_cart|cart_not_active)|PT404 cart_not_found"],
    gen: (g) => ({ item: g.itemRef(0.75), version: g.rng.pick(["seen", "stale", undefined]) }),
    render: (a, r) => {
      const { cart, item, version } = line(r, a.item, a.version);
      return {
        sql: rpc("remove_item", [
          ["p_cart_id", lit(cart)],
          ["p_item_id", lit(item)],
          ["p_expected_version", version],
        ]),
        about: { cart, item },
      };
    },
  },
  "rpc attach_customer (cart)": {
    weight: 2.5,
    effect: "attach",
    keyed: true,
    mustSee: ["ok", "PT409 (cart_has_customer|cart_not_active)|PT404 (cart|customer)_not_found"],
    gen: (g) => {
      const cart = g.cartRef(0.85, 0.8);
      return { cart, cust: g.cust(cart === "X" ? "X" : cart.loc), store: g.store("X", 0.1) };
    },
    render: (a, r) => {
      const i = ids(r);
      const cart = i.cart(a.cart);
      return {
        sql: rpc("attach_customer", [
          ["p_customer_id", lit(i.cust(a.cust))],
          ["p_cart_id", lit(cart)],
          ["p_store_id", a.store && lit(i.store(a.store))],
        ]),
        about: { cart, cust: i.cust(a.cust) },
      };
    },
  },
  "rpc attach_customer (location, device)": {
    weight: 2,
    effect: "attach",
    keyed: true,
    mustSee: ["ok", "PT404 (cart|location|customer)_not_found|P0001 invalid_argument"],
    gen: (g) => {
      const loc = g.loc();
      return { loc, dev: g.device(), cust: g.cust(loc) };
    },
    render: (a, r) => {
      const i = ids(r);
      return {
        sql: rpc("attach_customer", [
          ["p_customer_id", lit(i.cust(a.cust))],
          ["p_location_id", lit(i.loc(a.loc))],
          ["p_device_id", DEVICE_ARGS[a.dev as DeviceArg][0]],
        ]),
        about: { loc: i.loc(a.loc), cust: i.cust(a.cust) },
      };
    },
  },

  // carts ---------------------------------------------------------------------------------
  "insert carts (customer)": {
    weight: 3.5,
    effect: "write",
    mustSee: ["ok", "23505|P0001 location_store_mismatch|PT404 location_not_found"],
    gen: (g) => {
      const loc = g.loc();
      // planting: the caller's store with another store's location
      const store = g.rng.chance(0.25) ? g.homeStore() : g.store(loc);
      return { loc, cust: g.cust(loc), store, forge: g.rng.chance(0.3) ? g.forged() : undefined };
    },
    render: (a, r) => {
      const i = ids(r);
      const f = a.forge && FORGED[a.forge as keyof typeof FORGED];
      return {
        sql: insert("carts", [
          ["store_id", a.store && lit(i.store(a.store))],
          ["location_id", lit(i.loc(a.loc))],
          ["customer_id", lit(i.cust(a.cust))],
          ["created_at", f],
          ["updated_at", f],
          ["completed_at", f],
        ]),
        about: {},
      };
    },
  },
  "insert carts (device)": {
    weight: 2.5,
    effect: "write",
    mustSee: ["ok", "23505|P0001 (device_id_required|invalid_argument)"],
    gen: (g) => {
      const loc = g.loc();
      return { loc, dev: g.device(), store: g.store(loc) };
    },
    render: (a, r) => {
      const i = ids(r);
      return {
        sql: insert("carts", [
          ["store_id", a.store && lit(i.store(a.store))],
          ["location_id", lit(i.loc(a.loc))],
          ["device_id", DEVICE_ARGS[a.dev as DeviceArg][0]],
        ]),
        about: {},
      };
    },
  },
  "insert carts (closed, merged)": {
    weight: 1,
    effect: "write",
    mustSee: ["PT409 use_get_or_create_cart"],
    gen: (g) => {
      const loc = g.loc();
      return {
        loc,
        cust: g.rng.chance(0.5) ? g.cust(loc) : undefined,
        dev: g.storedDevice(),
        status: g.rng.pick(["completed", "abandoned", "merged", undefined]),
        into: g.rng.chance(0.5) ? g.cartRef() : undefined,
      };
    },
    render: (a, r) => {
      const i = ids(r);
      return {
        sql: insert("carts", [
          ["location_id", lit(i.loc(a.loc))],
          ["customer_id", a.cust && lit(i.cust(a.cust))],
          ["device_id", lit(a.dev)],
          ["status", a.status && `'${a.status}'`],
          ["merged_into", a.into && lit(i.cart(a.into))],
        ]),
        about: {},
      };
    },
  },
  "update carts set status completed": {
    weight: 4,
    effect: "write",
    mustSee: ["ok", "PT409 cart_not_active"],
    gen: (g) => ({
      cart: g.cartRef(0.4),
      forge: g.rng.chance(0.4) ? g.forged() : undefined,
    }),
    render: (a, r) => {
      const f = a.forge && FORGED[a.forge as keyof typeof FORGED];
      const sets: [string, string][] = [["status", "'completed'"]];
      if (f) sets.push(["completed_at", f], ["updated_at", f]);
      return { sql: update("carts", sets, ids(r).cart(a.cart)), about: {} };
    },
  },
  "update carts set status abandoned": {
    weight: 2,
    effect: "write",
    mustSee: ["ok", "PT409 cart_not_active"],
    gen: (g) => ({ cart: g.cartRef(0.5) }),
    render: (a, r) => ({
      sql: update("carts", [["status", "'abandoned'"]], ids(r).cart(a.cart)),
      about: {},
    }),
  },
  "update carts set customer_id (attach)": {
    weight: 3,
    effect: "write",
    mustSee: ["ok", "PT409 (use_attach_customer|cart_not_active)|PT404 customer_not_found"],
    gen: (g) => {
      const cart = g.cartRef(0.85, 0.8);
      const loc = cart === "X" ? g.loc() : cart.loc;
      return { cart, cust: g.cust(loc) };
    },
    render: (a, r) => {
      const i = ids(r);
      return {
        sql: update("carts", [["customer_id", lit(i.cust(a.cust))]], i.cart(a.cart)),
        about: {},
      };
    },
  },
  "update carts set status active (reopen)": {
    weight: 1.2,
    effect: "write",
    mustSee: ["PT409 cart_not_active"],
    gen: (g) => ({ cart: g.cartRef(0.1) }),
    render: (a, r) => ({
      sql: update("carts", [["status", "'active'"]], ids(r).cart(a.cart)),
      about: {},
    }),
  },
  "update carts set status merged / merged_into": {
    weight: 2,
    effect: "write",
    mustSee: ["PT409 (use_attach_customer|cart_not_active)"],
    gen: (g) => ({
      cart: g.cartRef(),
      how: g.rng.pick(["status", "into", "both", "into null"]),
      into: g.cartRef(),
    }),
    render: (a, r) => {
      const i = ids(r);
      const into = lit(i.cart(a.into));
      const sets: [string, string | null][] = a.how === "status"
        ? [["status", "'merged'"]]
        : a.how === "into"
        ? [["merged_into", into]]
        : a.how === "both"
        ? [["status", "'merged'"], ["merged_into", into]]
        : [["merged_into", null]];
      return { sql: update("carts", sets, i.cart(a.cart)), about: {} };
    },
  },
  "update carts forged timestamps": {
    weight: 1,
    effect: "write",
    mustSee: ["ok:0"],
    gen: (g) => ({
      cart: g.cartRef(),
      cols: g.rng.pick([["created_at"], ["updated_at"], ["completed_at"], [
        "created_at",
        "updated_at",
        "completed_at",
      ]]),
      value: g.forged(),
    }),
    render: (a, r) => ({
      sql: update(
        "carts",
        (a.cols as string[]).map((c) => [c, FORGED[a.value as keyof typeof FORGED]]),
        ids(r).cart(a.cart),
      ),
      about: {},
    }),
  },
  "update carts set location_id / store_id / device_id": {
    weight: 1.5,
    effect: "write",
    mustSee: ["PT409 (use_get_or_create_cart|cart_not_active)"],
    gen: (g) => {
      const field = g.rng.pick(["location_id", "store_id", "device_id", "id"]);
      return {
        cart: g.cartRef(),
        field,
        loc: g.loc(),
        store: g.rng.pick(["A", "B", "X"] as const),
        dev: g.storedDevice(),
      };
    },
    render: (a, r) => {
      const i = ids(r);
      const value = a.field === "location_id"
        ? lit(i.loc(a.loc))
        : a.field === "store_id"
        ? lit(i.store(a.store))
        : a.field === "device_id"
        ? lit(a.dev)
        : lit(r.f.missing);
      return { sql: update("carts", [[a.field, value]], i.cart(a.cart)), about: {} };
    },
  },
  "update carts set customer_id (another customer, null)": {
    weight: 1.5,
    effect: "write",
    mustSee: ["PT409 (use_attach_customer|cart_not_active)"],
    gen: (g) => {
      const cart = g.cartRef(0.6, 0);
      return { cart, cust: g.rng.chance(0.3) ? null : g.cust(cart === "X" ? "X" : cart.loc) };
    },
    render: (a, r) => {
      const i = ids(r);
      return {
        sql: update(
          "carts",
          [["customer_id", a.cust ? lit(i.cust(a.cust)) : null]],
          i.cart(a.cart),
        ),
        about: {},
      };
    },
  },
  "update carts set status (unknown value)": {
    weight: 1,
    effect: "write",
    mustSee: ["P0001 invalid_argument"],
    gen: (g) => ({
      cart: g.cartRef(1),
      value: g.rng.pick(["'paid'", "'ACTIVE'", "'open'", "'completed '"]),
    }),
    render: (a, r) => ({
      sql: update("carts", [["status", a.value]], ids(r).cart(a.cart)),
      about: {},
    }),
  },
  "delete carts": {
    weight: 1,
    effect: "write",
    mustSee: ["PT409 use_complete_cart"],
    gen: (g) => ({ cart: g.cartRef() }),
    render: (a, r) => ({
      sql: `delete from public.carts where id = ${lit(ids(r).cart(a.cart))}`,
      about: {},
    }),
  },
  "update carts set status by location + customer": {
    weight: 1,
    effect: "write",
    mustSee: ["ok"],
    gen: (g) => {
      const loc = g.loc();
      return { loc, cust: g.cust(loc), to: g.rng.pick(["completed", "abandoned"]) };
    },
    render: (a, r) => {
      const i = ids(r);
      return {
        sql: `update public.carts set status = '${a.to}' where location_id = ${
          lit(i.loc(a.loc))
        } and customer_id = ${lit(i.cust(a.cust))} and status = 'active'`,
        about: {},
      };
    },
  },

  // cart_items ----------------------------------------------------------------------------
  "insert cart_items": {
    weight: 10,
    effect: "write",
    mustSee: ["ok", "PT409 cart_not_active|P0001 invalid_argument"],
    gen: (g) => ({
      cart: g.cartRef(0.85),
      product: g.rng.weighted({
        "sku-1": 30,
        "sku-2": 25,
        "sku-3": 20,
        empty: 4,
        long: 3,
        control: 3,
      }),
      qty: g.rng.chance(0.85) ? g.rng.pick(QUANTITIES.slice(0, 4)) : g.rng.pick(QUANTITIES),
      price: g.rng.chance(0.85) ? g.rng.pick(PRICES.slice(0, 3)) : g.rng.pick(PRICES),
      forge: g.rng.chance(0.15) ? g.forged() : undefined,
    }),
    render: (a, r) => {
      const f = a.forge && FORGED[a.forge as keyof typeof FORGED];
      return {
        sql: insert("cart_items", [
          ["cart_id", lit(ids(r).cart(a.cart))],
          ["product_id", PRODUCTS[a.product as keyof typeof PRODUCTS]],
          ["quantity", a.qty],
          ["unit_price", a.price],
          ["created_at", f],
          ["updated_at", f],
        ]),
        about: {},
      };
    },
  },
  "update cart_items quantity / unit_price / product_id": {
    weight: 5,
    effect: "write",
    mustSee: ["ok", "PT409 cart_not_active|P0001 invalid_argument"],
    gen: (g) => ({
      item: g.itemRef(0.65),
      col: g.rng.pick(["quantity", "quantity", "unit_price", "product_id"]),
      qty: g.rng.chance(0.8) ? g.rng.pick(QUANTITIES.slice(0, 5)) : g.rng.pick(QUANTITIES),
      price: g.rng.pick(PRICES),
      product: g.rng.pick(Object.keys(PRODUCTS)),
    }),
    render: (a, r) => {
      const value = a.col === "quantity"
        ? a.qty
        : a.col === "unit_price"
        ? a.price
        : PRODUCTS[a.product as keyof typeof PRODUCTS];
      return { sql: update("cart_items", [[a.col, value]], ids(r).item(a.item)), about: {} };
    },
  },
  "update cart_items set cart_id (move a line)": {
    weight: 3,
    effect: "write",
    mustSee: ["PT409 (use_add_item|cart_not_active)"],
    gen: (g) => ({ item: g.itemRef(), cart: g.cartRef() }),
    render: (a, r) => {
      const i = ids(r);
      return {
        sql: update("cart_items", [["cart_id", lit(i.cart(a.cart))]], i.item(a.item)),
        about: {},
      };
    },
  },
  "update cart_items forged timestamps": {
    weight: 0.8,
    effect: "write",
    mustSee: ["ok:0"],
    gen: (g) => ({ item: g.itemRef(), value: g.forged() }),
    render: (a, r) => {
      const f = FORGED[a.value as keyof typeof FORGED];
      return {
        sql: update("cart_items", [["created_at", f], ["updated_at", f]], ids(r).item(a.item)),
        about: {},
      };
    },
  },
  "delete cart_items": {
    weight: 4.5,
    effect: "write",
    mustSee: ["ok", "PT409 cart_not_active"],
    gen: (g) => ({ item: g.itemRef(0.5) }),
    render: (a, r) => ({
      sql: `delete from public.cart_items where id = ${lit(ids(r).item(a.item))}`,
      about: {},
    }),
  },

  // location_queue --------------------------------------------------------------------------
  "insert location_queue": {
    weight: 4.5,
    effect: "write",
    mustSee: ["ok", "23505|P0001 invalid_argument"],
    gen: (g) => {
      const loc = g.loc();
      return {
        loc,
        cust: g.cust(loc),
        store: g.rng.chance(0.15) ? g.homeStore() : undefined,
        dev: g.rng.chance(0.25) ? g.device() : undefined,
        party: g.rng.chance(0.35) ? g.rng.pick(PARTY_SIZES) : undefined,
        note: g.rng.chance(0.2) ? g.rng.pick(Object.keys(NOTES)) : undefined,
      };
    },
    render: (a, r) => {
      const i = ids(r);
      return {
        sql: insert("location_queue", [
          ["store_id", a.store && lit(i.store(a.store))],
          ["location_id", lit(i.loc(a.loc))],
          ["customer_id", lit(i.cust(a.cust))],
          ["device_id", a.dev && DEVICE_ARGS[a.dev as DeviceArg][0]],
          ["party_size", a.party],
          ["note", a.note && NOTES[a.note as keyof typeof NOTES]],
        ]),
        about: {},
      };
    },
  },
  "insert location_queue (cart_id, status, forged values)": {
    weight: 4.5,
    effect: "write",
    mustSee: ["ok", "P0001 invalid_argument|PT409 (use_add_to_queue|cart_not_active)"],
    gen: (g) => {
      const loc = g.loc();
      const cust = g.cust(loc);
      const how = g.rng.pick(["cart", "cart", "cart", "cart", "status", "forged"]);
      // the cart: the customer's own active one (allowed), or another customer's, another
      // store's, a closed one
      const own = loc !== "X" && cust !== "X" && g.rng.chance(0.35);
      return {
        loc,
        cust,
        how,
        cart: own ? { loc, owner: { cust }, pick: { mode: "active" } } : g.cartRef(0.4),
        status: g.rng.pick(["called", "served", "removed", "no_show", "waiting"]),
        forge: g.forged(),
      };
    },
    render: (a, r) => {
      const i = ids(r);
      const f = FORGED[a.forge as keyof typeof FORGED];
      const cols: [string, string | number | undefined][] = [
        ["location_id", lit(i.loc(a.loc))],
        ["customer_id", lit(i.cust(a.cust))],
      ];
      if (a.how === "cart") cols.push(["cart_id", lit(i.cart(a.cart))]);
      if (a.how === "status") cols.push(["status", `'${a.status}'`]);
      if (a.how === "forged") {
        for (const c of ["created_at", "called_at", "served_at", "updated_at"]) cols.push([c, f]);
        cols.push(["queue_seq", FORGED_SEQ]);
      }
      return { sql: insert("location_queue", cols), about: {} };
    },
  },
  "update location_queue set status": {
    weight: 4,
    effect: "write",
    mustSee: ["ok", "PT409 invalid_transition"],
    gen: (g) => ({
      entry: g.entryRef(0.65),
      to: g.rng.weighted({
        called: 5,
        served: 4,
        removed: 3,
        no_show: 2,
        waiting: 3,
        seated: 0.5,
      }),
      forge: g.rng.chance(0.3) ? g.forged() : undefined,
    }),
    render: (a, r) => {
      const sets: [string, string][] = [["status", `'${a.to}'`]];
      const f = a.forge && FORGED[a.forge as keyof typeof FORGED];
      if (f) {
        for (const c of ["called_at", "served_at", "removed_at", "no_show_at"]) sets.push([c, f]);
      }
      return { sql: update("location_queue", sets, ids(r).entry(a.entry)), about: {} };
    },
  },
  "update location_queue set party_size / note": {
    weight: 3,
    effect: "write",
    mustSee: ["ok", "P0001 invalid_argument|PT409 invalid_transition"],
    gen: (g) => ({
      entry: g.entryRef(0.85),
      col: g.rng.pick(["party_size", "note"]),
      party: g.rng.chance(0.7) ? g.rng.pick(PARTY_SIZES.slice(0, 4)) : g.rng.pick(PARTY_SIZES),
      note: g.rng.pick(Object.keys(NOTES)),
    }),
    render: (a, r) => ({
      sql: update(
        "location_queue",
        [[a.col, a.col === "party_size" ? a.party : NOTES[a.note as keyof typeof NOTES]]],
        ids(r).entry(a.entry),
      ),
      about: {},
    }),
  },
  "update location_queue set cart_id / customer_id / location_id / store_id / device_id": {
    weight: 2,
    effect: "write",
    mustSee: ["PT409 (use_add_to_queue|invalid_transition)"],
    gen: (g) => ({
      entry: g.entryRef(),
      col: g.rng.pick([
        "cart_id",
        "cart_id",
        "customer_id",
        "location_id",
        "store_id",
        "device_id",
      ]),
      cart: g.rng.chance(0.2) ? null : g.cartRef(),
      cust: g.cust("X"),
      loc: g.loc(),
      store: g.rng.pick(["A", "B", "X"] as const),
    }),
    render: (a, r) => {
      const i = ids(r);
      const value = a.col === "cart_id"
        ? a.cart && lit(i.cart(a.cart))
        : a.col === "customer_id"
        ? lit(i.cust(a.cust))
        : a.col === "location_id"
        ? lit(i.loc(a.loc))
        : a.col === "store_id"
        ? lit(i.store(a.store))
        : "'other-device'";
      return { sql: update("location_queue", [[a.col, value]], i.entry(a.entry)), about: {} };
    },
  },
  "update location_queue forged timestamps / queue_seq": {
    weight: 0.8,
    effect: "write",
    mustSee: ["ok:0"],
    gen: (g) => ({
      entry: g.entryRef(),
      cols: g.rng.pick([
        ["created_at"],
        ["called_at", "served_at", "removed_at", "no_show_at"],
        ["updated_at"],
        ["queue_seq"],
      ]),
      value: g.forged(),
    }),
    render: (a, r) => ({
      sql: update(
        "location_queue",
        (a.cols as string[]).map((c) => [
          c,
          c === "queue_seq" ? FORGED_SEQ : FORGED[a.value as keyof typeof FORGED],
        ]),
        ids(r).entry(a.entry),
      ),
      about: {},
    }),
  },
  "delete location_queue": {
    weight: 2,
    effect: "write",
    // the row is kept (status removed): the DELETE reports no row deleted
    mustSee: ["ok:0"],
    gen: (g) => ({ entry: g.entryRef(0.8) }),
    render: (a, r) => ({
      sql: `delete from public.location_queue where id = ${lit(ids(r).entry(a.entry))}`,
      about: {},
    }),
  },

  // several rows at once, and upserts (PostgREST's bulk PATCH/DELETE with a filter, arrays
  // in a POST, Prefer: resolution=merge-duplicates / ignore-duplicates) -------------------
  "update carts set status by location (bulk)": {
    weight: 0.6,
    effect: "write",
    mustSee: ["ok"],
    gen: (g) => ({ loc: g.loc(), to: g.rng.pick(["completed", "abandoned"]) }),
    render: (a, r) => ({
      sql: `update public.carts set status = '${a.to}' where location_id = ${
        lit(ids(r).loc(a.loc))
      } and status = 'active'`,
      about: {},
    }),
  },
  "update location_queue set status by location (bulk)": {
    weight: 1.5,
    effect: "write",
    mustSee: ["ok", "PT409 invalid_transition"],
    gen: (g) => ({
      loc: g.loc(),
      to: g.rng.pick(["called", "served", "removed", "no_show", "waiting"]),
      open: g.rng.chance(0.6),
    }),
    render: (a, r) => ({
      sql: `update public.location_queue set status = '${a.to}' where location_id = ${
        lit(ids(r).loc(a.loc))
      }${a.open ? " and status in ('waiting', 'called')" : ""}`,
      about: {},
    }),
  },
  "delete location_queue by location (bulk)": {
    weight: 0.4,
    effect: "write",
    mustSee: ["ok:0"],
    gen: (g) => ({ loc: g.loc() }),
    render: (a, r) => ({
      sql: `delete from public.location_queue where location_id = ${lit(ids(r).loc(a.loc))}`,
      about: {},
    }),
  },
  "delete cart_items of a cart (bulk)": {
    weight: 4,
    effect: "write",
    mustSee: ["ok", "PT409 cart_not_active"],
    gen: (g) => ({ cart: g.cartRef(0.55) }),
    render: (a, r) => ({
      sql: `delete from public.cart_items where cart_id = ${lit(ids(r).cart(a.cart))}`,
      about: {},
    }),
  },
  "insert cart_items (two lines, two carts)": {
    weight: 3,
    effect: "write",
    mustSee: ["ok", "PT409 cart_not_active"],
    gen: (g) => ({
      carts: [g.cartRef(0.9), g.cartRef(0.7)],
      product: g.rng.pick(["sku-1", "sku-2"]),
    }),
    render: (a, r) => {
      const i = ids(r);
      const rows = (a.carts as (CartRef | "X")[]).map((c) =>
        `(${lit(i.cart(c))}, '${a.product}', 1, 2.00)`
      );
      return {
        sql: `insert into public.cart_items (cart_id, product_id, quantity, unit_price) values ${
          rows.join(", ")
        }`,
        about: {},
      };
    },
  },
  "insert location_queue (two rows)": {
    weight: 2.5,
    effect: "write",
    mustSee: ["ok", "23505"],
    gen: (g) => {
      // two of the quieter customers (likely not queued yet), or one twice
      const loc = g.realLoc();
      const [, quiet] = CUSTOMERS.filter((c) => CUST_STORE[c] === LOC_STORE[loc]);
      const [first, second] = g.rng.chance(0.5) ? ["S3", quiet] : [quiet, "S2"];
      return { loc, custs: [first, g.rng.chance(0.15) ? first : second] };
    },
    render: (a, r) => {
      const i = ids(r);
      const rows = (a.custs as Cust[]).map((c) => `(${lit(i.loc(a.loc))}, ${lit(i.cust(c))})`);
      return {
        sql: `insert into public.location_queue (location_id, customer_id) values ${
          rows.join(", ")
        }`,
        about: {},
      };
    },
  },
  "upsert carts (on conflict id)": {
    weight: 2,
    effect: "write",
    mustSee: ["ok:0", "PT409 (cart_not_active|use_get_or_create_cart)"],
    gen: (g) => {
      const cart = g.cartRef(0.5);
      return {
        cart: cart === "X" ? g.cartRef(1) : cart,
        status: g.rng.chance(0.75) ? "active" : g.rng.pick(["completed", "abandoned"]),
        ignore: g.rng.chance(0.5),
      };
    },
    render: (a, r) => {
      const ref = a.cart as CartRef | "X";
      // a key without such a cart: a new id (an insert), never the id that names nothing
      const id = (ref !== "X" && r.cartRow(ref)?.id) || crypto.randomUUID();
      const i = ids(r);
      const loc = ref === "X" ? r.f.missing : i.loc(ref.loc);
      const [col, owner] = ref !== "X" && "cust" in ref.owner
        ? ["customer_id", lit(i.cust(ref.owner.cust))]
        : ["device_id", lit(ref === "X" ? "ipad-1" : (ref.owner as { device: string }).device)];
      return {
        sql: `insert into public.carts (id, location_id, ${col}, status) values (${lit(id)}, ${
          lit(loc)
        }, ${owner}, '${a.status}') on conflict (id) ${
          a.ignore
            ? "do nothing"
            : `do update set location_id = excluded.location_id, ${col} = excluded.${col}, status = excluded.status`
        }`,
        about: {},
      };
    },
  },
  "upsert location_queue (on conflict id)": {
    weight: 2,
    effect: "write",
    mustSee: ["ok:0", "PT409 (invalid_transition|use_add_to_queue)"],
    gen: (g) => {
      const entry = g.entryRef(0.5);
      return {
        entry: entry === "X" ? g.entryRef(1) : entry,
        other: g.rng.chance(0.2) ? g.cust("X", 0, 0) : undefined,
        status: g.rng.chance(0.7) ? "waiting" : g.rng.pick(["called", "served", "removed"]),
        ignore: g.rng.chance(0.5),
      };
    },
    render: (a, r) => {
      const ref = a.entry as EntryRef | "X";
      const id = (ref !== "X" && r.entryRow(ref)?.id) || crypto.randomUUID();
      const i = ids(r);
      const loc = ref === "X" ? r.f.missing : i.loc(ref.loc);
      // the entry's own customer, or (hostile) another one
      const cust = a.other ? i.cust(a.other) : ref === "X" ? r.f.missing : i.cust(ref.cust);
      return {
        sql: `insert into public.location_queue (id, location_id, customer_id, status) values (${
          lit(id)
        }, ${lit(loc)}, ${lit(cust)}, '${a.status}') on conflict (id) ${
          a.ignore
            ? "do nothing"
            : "do update set location_id = excluded.location_id, customer_id = excluded.customer_id, status = excluded.status"
        }`,
        about: {},
      };
    },
  },
};

/** Not a caller's operation: the database owner (trusted with the business rules) abandons a
 * cart whatever its status. Never generated; the self-check of the model test plants it to
 * show that a broken lifecycle is caught and shrunk. */
export const SABOTAGE = "owner: update carts set status abandoned, whatever the status";
OPS[SABOTAGE] = {
  weight: 0,
  effect: "write",
  mustSee: [],
  gen: (g) => ({ cart: g.cartRef() }),
  render: (a, r) => ({
    sql: update("carts", [["status", "'abandoned'"]], ids(r).cart(a.cart)),
    about: {},
  }),
};

/** Writes whose effect is carried out by the table rules although no row is reported. */
export const HIDDEN_WRITES = new Set([
  "delete location_queue",
  "delete location_queue by location (bulk)",
]);

// ---------------------------------------------------------------------------------------
// Steps: one call, or a burst of concurrent calls on one customer + location

export type Step = { calls: Call[]; burst: boolean };

const ACTOR_WEIGHTS: Record<ActorKey, number> = {
  memberA: 22,
  claimA: 22,
  claimB: 24,
  service: 12,
  nobody: 7,
  anon: 7,
  owner: 0,
};
const OP_WEIGHTS = Object.fromEntries(
  Object.entries(OPS).filter(([, v]) => v.weight > 0).map(([k, v]) => [k, v.weight]),
);

/** One random step: a single call, or (with probability `burstRate`) a burst. */
export function genStep(rng: Prng, burstRate = 0.05): Step {
  if (rng.chance(burstRate)) return { calls: genBurst(rng), burst: true };
  const actor = rng.weighted(ACTOR_WEIGHTS);
  const op = rng.weighted(OP_WEIGHTS);
  const call: Call = { actor, op, a: OPS[op].gen(new Gen(rng, actor)) };
  if (OPS[op].keyed && rng.chance(0.2)) call.key = rng.int(3);
  return { calls: [call], burst: false };
}

/** 5-8 sessions at once on one customer + location, as devices of a store do: gets and
 * add_to_queue alone (they must all answer the same cart), add_item of one product alone
 * (the quantities must add up on one line), or a mix with checkout, attach, queue moves,
 * lines and direct writes of the same key. */
export function genBurst(rng: Prng): Call[] {
  const store = rng.pick(["A", "B"] as const);
  const loc = rng.pick(LOCATIONS.filter((l) => LOC_STORE[l] === store));
  const cust = rng.pick(CUSTOMERS.filter((c) => CUST_STORE[c] === null || CUST_STORE[c] === store));
  const dev = rng.pick(DEVICES);
  const staff: ActorKey[] = store === "A"
    ? ["memberA", "claimA", "service"]
    : ["claimB", "service"];
  const shape = rng.weighted({ gets: 3, items: 1.5, mixed: 5.5 });
  const size = rng.between(5, 8);
  const active: CartRef = { loc, owner: { cust }, pick: { mode: "active" } };
  const devCart: CartRef = { loc, owner: { device: dev }, pick: { mode: "active" } };
  const open: EntryRef = { loc, cust, pick: { mode: "active" } };
  const calls: Call[] = [];
  for (let i = 0; i < size; i++) {
    const actor = rng.chance(0.12)
      ? rng.pick(["claimA", "claimB", "nobody", "anon"] as const)
      : rng.pick(staff);
    const kind = shape === "gets"
      ? rng.pick(["get", "add"])
      : shape === "items"
      ? "addItem"
      : rng.weighted({
        get: 3,
        add: 3,
        complete: 1.5,
        completeByKey: 1,
        attach: 1.2,
        attachRpc: 1.2,
        getDevice: 1,
        transition: 1.5,
        enqueue: 1,
        line: 1.5,
        addItem: 1.5,
        dequeue: 0.7,
      });
    const call = (op: string, a: Args): Call => ({ actor, op, a });
    switch (kind) {
      case "get":
        calls.push(call("rpc get_or_create_cart (customer)", { loc, cust }));
        break;
      case "add":
        calls.push(call("rpc add_to_queue", { loc, cust }));
        break;
      case "complete":
        calls.push(call("rpc complete_cart", { cart: active }));
        break;
      case "completeByKey":
        calls.push(
          call("update carts set status by location + customer", { loc, cust, to: "completed" }),
        );
        break;
      case "attach":
        calls.push(call("update carts set customer_id (attach)", { cart: devCart, cust }));
        break;
      case "attachRpc":
        calls.push(call("rpc attach_customer (location, device)", { loc, dev, cust }));
        break;
      case "addItem":
        calls.push(call("rpc add_item", { cart: active, product: "sku-1", qty: 1 }));
        break;
      case "getDevice":
        calls.push(call("rpc get_or_create_cart (device)", { loc, dev }));
        break;
      case "transition": {
        const fn = rng.pick(Object.keys(TRANSITIONS));
        calls.push(call(`rpc ${fn} (location, customer)`, { loc, cust }));
        break;
      }
      case "enqueue":
        calls.push(call("insert location_queue", { loc, cust }));
        break;
      case "line":
        calls.push(call("insert cart_items", {
          cart: rng.chance(0.6) ? active : devCart,
          product: rng.pick(["sku-1", "sku-2"]),
          qty: 1,
          price: "3.50",
        }));
        break;
      case "dequeue":
        calls.push(call("delete location_queue", { entry: open }));
        break;
    }
  }
  return calls;
}
