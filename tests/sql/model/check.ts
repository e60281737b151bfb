// The model's checks after each step: what the invariant census counts (I1-I7), and what it
// cannot see, from the rows that changed in the step (old and new contents) and the answers:
//   (a) a caller without access to a store changed nothing of it;
//   (b) lines of a cart that was not active before the step did not change (I6);
//   (c) every status change follows the lifecycle, and what never changes did not;
//   (d) values the database manages are its own (never a caller's forged value);
//   (e) refused and no-op calls wrote nothing (and nothing was rewritten unchanged);
// plus: the history (public.cart_events) has one event per changed row and none without a
// change; the answers of successful RPCs agree with the rows; a retry with an
// Idempotency-Key gets the first answer and writes nothing; concurrent gets of one key all
// answer the same cart, and concurrent add_item of one product add up on one line. Pure:
// facts in, violations out.
import { ACTOR_STORES, type ActorKey, type Fixture, LOC_STORE, type LocKey } from "./fixture.ts";
import { type About, type Call, HIDDEN_WRITES, OPS, type Step } from "./ops.ts";
import { type Census, type Diff, type Kind, micros, type Mirror, OPEN, type Row } from "./state.ts";

export interface CallResult {
  call: Call;
  sql: string;
  about: About;
  /** "ok", "ok:0" (a write that reported no row), or "SQLSTATE HINT". */
  outcome: string;
  // deno-lint-ignore no-explicit-any
  result?: any;
  message?: string;
  /** A call with an Idempotency-Key the caller used before: "replay" (the same request: the
   * first answer, `first`, and no write) or "reused" (another request: refused). */
  expect?: "replay" | "reused";
  // deno-lint-ignore no-explicit-any
  first?: any;
}

export interface StepFacts {
  step: Step;
  results: CallResult[];
  diffs: Diff[];
  /** Rows of public.cart_events appended in the step. */
  events: Row[];
  census: Census[];
  /** Server time of the previous check: the step's transactions began after it (µs). */
  since: number;
  /** Server time of this check (µs). */
  now: number;
}

export interface Violation {
  /** What kind of check failed: a shrunk reproduction must fail the same check. */
  check: string;
  message: string;
}

/** SQLSTATEs a caller may get: the documented refusals (docs/api.md, "Errors" and "Direct
 * table writes"), a literal out of its column's range (22003), and the transient ones. Any
 * other (a foreign key, not-null or check violation, an internal error) means a write the
 * rules should have refused with a clear answer got through to a constraint, or worse. */
const EXPECTED_ERROR = /^(P0001|PT403|PT404|PT409|PT422|23505|22003|42501|40001|40P01|55P03)$/;
/** The transient ones: the function retries them. */
const TRANSIENT = /^(40001|40P01|55P03)$/;
const TIMESTAMPS = [
  "created_at",
  "updated_at",
  "completed_at",
  "called_at",
  "served_at",
  "removed_at",
  "no_show_at",
];
const CART_NEXT: Record<string, string[]> = {
  active: ["active", "completed", "abandoned", "merged"],
};
const ENTRY_NEXT: Record<string, string[]> = {
  waiting: ["waiting", "called", "served", "removed", "no_show"],
  called: ["called", "served", "removed", "no_show"],
};
/** The timestamp each entry status sets. */
const ENTRY_STAMP: Record<string, string> = {
  called: "called_at",
  served: "served_at",
  removed: "removed_at",
  no_show: "no_show_at",
};

/** A row in a message: long values cut short. */
const short = (r: Row | null | undefined) =>
  r
    ? JSON.stringify(
      r,
      (_, v) => typeof v === "string" && v.length > 40 ? `${v.slice(0, 8)}…(${v.length})` : v,
    )
      .replace(/"(\w+)":/g, "$1:")
    : "none";

export function checkStep(
  f: Fixture,
  before: Mirror,
  facts: StepFacts,
  fixtureStart: number,
): Violation[] {
  const out: Violation[] = [];
  const fail = (check: string, message: string) => out.push({ check, message });
  const single = !facts.step.burst;
  const changed = new Map(facts.diffs.map((d) => [`${d.k}:${d.id}`, d]));
  const after = (k: Kind, id: string | null | undefined): Row | undefined => {
    if (!id) return undefined;
    const d = changed.get(`${k}:${id}`);
    return d ? d.new ?? undefined : before.get(k, id);
  };
  const storeIds = (a: ActorKey) => ACTOR_STORES[a].map((s) => f.store[s]);
  const allowed = new Set(facts.results.flatMap((r) => storeIds(r.call.actor)));

  // The census (I1-I7)
  for (const c of facts.census) {
    if (c.violations !== 0) fail(`census ${c.invariant}`, `${c.invariant}: ${c.violations} rows`);
  }

  // Outcomes
  for (const r of facts.results) {
    const code = r.outcome.split(" ")[0];
    if (!code.startsWith("ok") && !EXPECTED_ERROR.test(code)) {
      fail(`error ${code}`, `${r.call.op} as ${r.call.actor}: ${r.outcome}: ${r.message}`);
    }
    // anon has no privilege at all (a literal out of its column's range fails first)
    if (r.call.actor === "anon" && code !== "42501" && code !== "22003") {
      fail("anon privilege", `${r.call.op} as anon answered ${r.outcome}, not 42501`);
    }
    if (r.call.actor === "nobody" && r.outcome === "ok") {
      fail("no store, yet ok", `${r.call.op} as a user with no store succeeded`);
    }
  }

  // Idempotency-Key: a repeat gets the first answer, another request with the key is refused
  for (const r of facts.results) {
    if (r.expect === "replay" && (r.outcome !== "ok" || !sameJson(r.result, r.first))) {
      fail(
        "idempotency",
        `${r.call.op} as ${r.call.actor} repeated with its key answered ${r.outcome} ${
          JSON.stringify(r.result)?.slice(0, 300)
        }, first ${JSON.stringify(r.first)?.slice(0, 300)}`,
      );
    }
    if (r.expect === "reused" && r.outcome !== "PT422 idempotency_key_reused") {
      fail(
        "idempotency",
        `${r.call.op} as ${r.call.actor} with a key of another request: ${r.outcome}`,
      );
    }
  }

  // (e) Refused calls, repeats and no-op writes write nothing
  const mayWrite = facts.results.some((r) => writes(r, before));
  if (!mayWrite && (facts.diffs.length || facts.events.length)) {
    fail(
      "wrote without a successful write",
      `${facts.results.map((r) => `${r.call.op} -> ${r.outcome}`).join("; ")} changed ${
        facts.diffs.map((d) => `${d.k} ${d.id}: ${short(d.old)} -> ${short(d.new)}`).join("; ")
      }${facts.events.length ? `; events ${facts.events.map((e) => e.event).join(",")}` : ""}`,
    );
  }
  checkHistory(facts, allowed, f, fail);

  for (const d of facts.diffs) {
    const label = `${d.k} ${d.id}`;
    if (d.k !== "cart" && d.k !== "entry" && d.k !== "item") {
      fail("reference rows changed", `${label}: ${short(d.old)} -> ${short(d.new)}`);
      continue;
    }
    if (d.same) fail("row rewritten unchanged", `${label} got a new row version with no change`);
    const row = (d.new ?? d.old)!;
    const store = d.k === "item"
      ? (after("cart", row.cart_id) ?? before.get("cart", row.cart_id))?.store_id
      : row.store_id;
    // (a) nothing of a store the callers may not act for
    if (!allowed.has(store)) {
      fail(
        "changed a store the caller may not act for",
        `${facts.results.map((r) => r.call.actor).join(",")} changed ${label} of store ${store}: ${
          short(d.old)
        } -> ${short(d.new)}`,
      );
    }
    if (d.k === "cart") checkCart(d, single, after, fail);
    if (d.k === "entry") checkEntry(d, single, after, fail);
    if (d.k === "item") {
      // (b) lines change only on carts that were active before the step (or made in it)
      for (const cartId of new Set([d.old?.cart_id, d.new?.cart_id].filter(Boolean))) {
        const was = before.get("cart", cartId);
        if (was ? was.status !== "active" : !after("cart", cartId)) {
          fail(
            "line changed on a cart that was not active",
            `${label} on cart ${cartId} (${was?.status ?? "missing"}): ${short(d.old)} -> ${
              short(d.new)
            }`,
          );
        }
      }
      if (d.old && d.new) {
        if (d.new.created_at !== d.old.created_at) fail("immutable changed", `${label} created_at`);
        if (d.new.cart_id !== d.old.cart_id) {
          const from = after("cart", d.old.cart_id);
          if (from?.status !== "merged" || from.merged_into !== d.new.cart_id) {
            fail("line moved", `${label} moved from ${d.old.cart_id} to ${d.new.cart_id}`);
          }
        }
      }
    }
    // (d) the database's own values
    if (d.new) {
      for (const col of TIMESTAMPS) {
        const v = d.new[col];
        if (v === undefined || v === null) continue;
        const t = micros(v);
        if (t < fixtureStart || t > facts.now) {
          fail("forged or impossible timestamp", `${label}.${col} = ${v}`);
        }
        const fresh = !d.old || d.old[col] !== v;
        if (fresh && t <= facts.since) {
          fail("timestamp not of this step", `${label}.${col} = ${v} set before the step began`);
        }
      }
      if (!d.same && d.new.updated_at === d.old?.updated_at) {
        fail("updated_at not set", `${label} changed but kept updated_at ${d.new.updated_at}`);
      }
      if (d.k === "entry" && !(Number(d.new.queue_seq) > 0)) {
        fail("forged queue_seq", `${label}.queue_seq = ${d.new.queue_seq}`);
      }
    }
  }

  // Answers of successful RPCs
  for (const r of facts.results) {
    if (r.outcome !== "ok" || r.expect === "replay") continue;
    const foreign = storesIn(r.result).filter((s) => !storeIds(r.call.actor).includes(s));
    if (foreign.length) {
      fail("answer shows another store", `${r.call.op} as ${r.call.actor}: ${foreign.join(",")}`);
    }
    checkAnswer(r, single, before, after, changed, fail);
  }

  if (facts.step.burst) {
    checkBurst(facts, f, fail);
    checkItemBurst(facts, before, after, f, fail);
  }
  return out;
}

/** Whether a call can have written: a successful write, or an RPC that made or moved a row. */
function writes(r: CallResult, before: Mirror): boolean {
  const effect = OPS[r.call.op].effect;
  if (r.outcome === "ok:0") return HIDDEN_WRITES.has(r.call.op);
  if (r.outcome !== "ok" || r.expect === "replay") return false;
  switch (effect) {
    case "write":
      return true;
    case "get":
      return r.result.created === true;
    case "add":
      return r.result.created === true;
    case "transition": {
      const was = before.get("entry", r.result.queue_entry.id);
      return !was || was.status !== r.about.to;
    }
    case "complete":
      return before.get("cart", r.about.cart!)?.status !== "completed";
    case "list":
      return false;
    case "add_item":
    case "set_item":
    case "remove_item":
    case "attach":
      return true;
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

type Fail = (check: string, message: string) => void;
type After = (k: Kind, id: string | null | undefined) => Row | undefined;

function same(d: Diff, cols: string[], fail: Fail) {
  for (const c of cols) {
    if (JSON.stringify(d.old![c]) !== JSON.stringify(d.new![c])) {
      fail("immutable changed", `${d.k} ${d.id}.${c}: ${d.old![c]} -> ${d.new![c]}`);
    }
  }
}

function checkCart(d: Diff, single: boolean, after: After, fail: Fail) {
  const label = `cart ${d.id}`;
  if (!d.new) return fail("cart deleted", `${label} (${short(d.old)}) was deleted`);
  const c = d.new;
  if (!d.old) {
    if (single && c.status !== "active") fail("lifecycle", `${label} was created ${c.status}`);
  } else {
    const o = d.old;
    if (!(CART_NEXT[o.status] ?? [o.status]).includes(c.status)) {
      fail("lifecycle", `${label}: ${o.status} -> ${c.status}`);
    }
    same(d, ["store_id", "location_id", "device_id", "created_at"], fail);
    if (o.customer_id !== c.customer_id && (o.customer_id !== null || o.status !== "active")) {
      fail("immutable changed", `${label}.customer_id: ${o.customer_id} -> ${c.customer_id}`);
    }
    if (o.merged_into !== c.merged_into && !(o.merged_into === null && c.status === "merged")) {
      fail("merged_into", `${label}.merged_into: ${o.merged_into} -> ${c.merged_into}`);
    }
    if (
      o.completed_at !== c.completed_at && !(o.completed_at === null && c.status === "completed")
    ) {
      fail("lifecycle timestamp", `${label}.completed_at: ${o.completed_at} -> ${c.completed_at}`);
    }
  }
  if ((c.status === "completed") !== (c.completed_at !== null)) {
    fail("lifecycle timestamp", `${label} is ${c.status} with completed_at ${c.completed_at}`);
  }
  if (c.status === "merged" && d.old?.status !== "merged") {
    const target = after("cart", c.merged_into);
    if (
      !target || target.location_id !== c.location_id || target.customer_id !== c.customer_id ||
      target.store_id !== c.store_id || (single && target.status !== "active")
    ) {
      fail("merged_into", `${label} merged into ${c.merged_into}: ${short(target)}`);
    }
  }
}

function checkEntry(d: Diff, single: boolean, after: After, fail: Fail) {
  const label = `entry ${d.id}`;
  if (!d.new) return fail("entry deleted", `${label} (${short(d.old)}) was deleted`);
  const e = d.new;
  if (!d.old) {
    if (single && e.status !== "waiting") fail("lifecycle", `${label} was created ${e.status}`);
  } else {
    const o = d.old;
    if (!(ENTRY_NEXT[o.status] ?? [o.status]).includes(e.status)) {
      fail("lifecycle", `${label}: ${o.status} -> ${e.status}`);
    }
    same(
      d,
      ["store_id", "location_id", "customer_id", "device_id", "created_at", "queue_seq"],
      fail,
    );
    if (o.cart_id !== e.cart_id) {
      const from = after("cart", o.cart_id);
      if (from?.status !== "merged" || from.merged_into !== e.cart_id) {
        fail("entry relinked", `${label}.cart_id: ${o.cart_id} -> ${e.cart_id} (${short(from)})`);
      }
    }
    for (const [status, col] of Object.entries(ENTRY_STAMP)) {
      // set once, by the move to its status (in a burst: a call then a close, both in it)
      const passed = !single && status === "called" && o.status === "waiting" &&
        !OPEN.has(e.status);
      if (
        o[col] !== e[col] &&
        !(o[col] === null && (e.status === status || passed) && o.status !== status)
      ) {
        fail(
          "lifecycle timestamp",
          `${label}.${col}: ${o[col]} -> ${e[col]} (${o.status} -> ${e.status})`,
        );
      }
    }
  }
  // the stamps match the status: an open entry has no end stamp, a closed one exactly its own
  for (const [status, col] of Object.entries(ENTRY_STAMP)) {
    const want = status === "called"
      ? (e.status === "called" ? true : e.status === "waiting" ? false : undefined)
      : e.status === status;
    if (want !== undefined && (e[col] !== null) !== want) {
      fail("lifecycle timestamp", `${label} is ${e.status} with ${col} = ${e[col]}`);
    }
  }
}

function storesIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => storesIn(v, out));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "store_id" && typeof v === "string") out.push(v);
      else storesIn(v, out);
    }
  }
  return out;
}

function checkAnswer(
  r: CallResult,
  single: boolean,
  before: Mirror,
  after: After,
  changed: Map<string, Diff>,
  fail: Fail,
) {
  const what = `${r.call.op} as ${r.call.actor}`;
  const isNew = (k: Kind, id: string) => changed.get(`${k}:${id}`)?.old === null;
  const itemsAfter = (cartId: string) => {
    const rows = new Map(before.itemsOf(cartId).map((i) => [i.id, i]));
    for (const d of changed.values()) {
      if (d.k !== "item") continue;
      if (d.new?.cart_id === cartId) rows.set(d.id, d.new);
      else rows.delete(d.id);
    }
    return [...rows.values()].sort((a, b) =>
      micros(a.created_at) - micros(b.created_at) || (a.id < b.id ? -1 : 1)
    );
  };
  const owner = (row: Row | undefined) =>
    row && row.location_id === r.about.loc &&
    (r.about.cust !== undefined
      ? row.customer_id === r.about.cust
      : row.customer_id === null && row.device_id === r.about.device);
  const res = r.result;
  switch (OPS[r.call.op].effect) {
    case "get": {
      // the answer is the key's cart; after a single step it is the active one as answered
      // (in a burst another session may have attached or checked it out since)
      const cart = after("cart", res.cart.id);
      if (!owner(res.cart) || !cart || (single && (!owner(cart) || cart.status !== "active"))) {
        fail("answer", `${what} answered ${short(res.cart)}, the database holds ${short(cart)}`);
      } else if (single) {
        for (const c of ["status", "store_id", "location_id", "customer_id", "device_id"]) {
          if (res.cart[c] !== cart![c]) {
            fail("answer", `${what}: cart.${c} ${res.cart[c]} vs ${cart![c]}`);
          }
        }
      }
      // a cart made in a burst may be another session's: "not created" says nothing then
      if (res.created ? !isNew("cart", res.cart.id) : single && isNew("cart", res.cart.id)) {
        fail("answer", `${what}: created = ${res.created} for cart ${res.cart.id}`);
      }
      break;
    }
    case "add": {
      const entry = after("entry", res.queue_entry.id);
      if (
        !owner(res.queue_entry) || res.queue_entry.cart_id !== res.cart.id || !owner(res.cart) ||
        !entry
      ) {
        fail(
          "answer",
          `${what} answered entry ${short(res.queue_entry)}, the database holds ${short(entry)}`,
        );
      }
      if (single && (!OPEN.has(entry?.status) || after("cart", res.cart.id)?.status !== "active")) {
        fail(
          "answer",
          `${what}: entry ${short(entry)} with cart ${short(after("cart", res.cart.id))}`,
        );
      }
      if (
        res.created
          ? !isNew("entry", res.queue_entry.id)
          : single && isNew("entry", res.queue_entry.id)
      ) {
        fail("answer", `${what}: created = ${res.created} for entry ${res.queue_entry.id}`);
      }
      break;
    }
    case "transition": {
      const entry = after("entry", res.queue_entry.id);
      if (r.about.entry && res.queue_entry.id !== r.about.entry) {
        fail("answer", `${what}: asked for entry ${r.about.entry}, answered ${res.queue_entry.id}`);
      }
      if (
        r.about.cust && (entry?.location_id !== r.about.loc || entry?.customer_id !== r.about.cust)
      ) {
        fail("answer", `${what}: answered an entry of another key: ${short(entry)}`);
      }
      if (single && entry?.status !== r.about.to) {
        fail("answer", `${what}: the entry is ${entry?.status}, not ${r.about.to}`);
      }
      break;
    }
    case "complete": {
      const cart = after("cart", r.about.cart);
      if (res.cart.id !== r.about.cart || cart?.status !== "completed") {
        fail("answer", `${what}: answered ${short(res.cart)}, the database holds ${short(cart)}`);
      }
      break;
    }
    case "list": {
      if (!single) break;
      const want = before.queueOf(r.about.loc!).map((e) => e.id);
      // deno-lint-ignore no-explicit-any
      const got = (res.entries as any[]).map((e) => e.id);
      // deno-lint-ignore no-explicit-any
      const positions = (res.entries as any[]).map((e) => e.position);
      if (JSON.stringify(got) !== JSON.stringify(want) || positions.some((p, i) => p !== i + 1)) {
        fail("answer", `${what}: listed ${got.join(",")}, the queue is ${want.join(",")}`);
      }
      break;
    }
    case "add_item":
    case "set_item":
    case "remove_item": {
      // the cart with its lines and totals, after the change
      if (res.cart?.id !== r.about.cart) {
        fail("answer", `${what}: answered cart ${res.cart?.id}, asked for ${r.about.cart}`);
        break;
      }
      if (!single) break;
      // deno-lint-ignore no-explicit-any
      const lines = (res.cart.lines as any[]).map((l) => `${l.id}:${l.quantity}:${l.version}`);
      const rows = itemsAfter(r.about.cart!);
      const want = rows.map((l) => `${l.id}:${l.quantity}:${l.version}`);
      const total = rows.reduce((n, l) => n + l.quantity, 0);
      if (!sameJson(lines, want) || Number(res.cart.total_quantity) !== total) {
        fail(
          "answer",
          `${what}: answered lines ${
            lines.join(",")
          } (${res.cart.total_quantity}), the cart holds ${want.join(",")} (${total})`,
        );
      }
      if (after("cart", r.about.cart)?.status !== "active") {
        fail("answer", `${what}: the cart is ${after("cart", r.about.cart)?.status}`);
      }
      const line = after("item", r.about.item ?? res.item_id);
      if (OPS[r.call.op].effect === "add_item") {
        const was = before.get("item", res.item_id)?.quantity ?? 0;
        if (!line || line.cart_id !== r.about.cart || line.quantity !== was + r.about.quantity!) {
          fail(
            "answer",
            `${what}: line ${res.item_id} went from ${was} to ${
              short(line)
            }, adding ${r.about.quantity}`,
          );
        }
      }
      if (OPS[r.call.op].effect === "set_item" && line?.quantity !== r.about.quantity) {
        fail("answer", `${what}: line ${short(line)}, quantity ${r.about.quantity} asked`);
      }
      if (OPS[r.call.op].effect === "remove_item" && line) {
        fail("answer", `${what}: line ${short(line)} is still there`);
      }
      break;
    }
    case "attach": {
      // the customer's active cart; the walk-in cart is theirs now, merged into it or not
      const target = after("cart", res.cart.id);
      const walkIn = after("cart", res.walk_in_cart_id);
      if (
        res.cart.customer_id !== r.about.cust || !target || !walkIn ||
        walkIn.customer_id !== r.about.cust ||
        (r.about.cart && res.walk_in_cart_id !== r.about.cart) ||
        (r.about.loc && walkIn.location_id !== r.about.loc)
      ) {
        fail("answer", `${what}: answered ${short(res.cart)} for walk-in ${short(walkIn)}`);
      } else if (single) {
        const merged = walkIn.status === "merged";
        if (
          target.status !== "active" || res.merged !== merged ||
          (merged ? walkIn.merged_into !== target.id : walkIn.id !== target.id)
        ) {
          fail(
            "answer",
            `${what}: merged = ${res.merged}, cart ${short(target)}, walk-in ${short(walkIn)}`,
          );
        }
      }
      break;
    }
    case "write":
      break;
  }
}

/** Concurrent gets and add_to_queue of one key (a "pure" burst) all answer the same cart and
 * entry, make at most one of each, and succeed for every caller of the store. */
function checkBurst(facts: StepFacts, f: Fixture, fail: Fail) {
  const keyed = new Set(["rpc get_or_create_cart (customer)", "rpc add_to_queue"]);
  const calls = facts.step.calls;
  if (!calls.every((c) => keyed.has(c.op))) return;
  const a0 = calls[0].a;
  if (!calls.every((c) => c.a.loc === a0.loc && c.a.cust === a0.cust)) return;
  const store = f.store[LOC_STORE[a0.loc as LocKey]];
  const carts = new Set<string>();
  const entries = new Set<string>();
  let cartsMade = 0;
  let entriesMade = 0;
  for (const r of facts.results) {
    const mine = ACTOR_STORES[r.call.actor].some((s) => f.store[s] === store);
    if (mine && r.outcome !== "ok" && !TRANSIENT.test(r.outcome)) {
      fail(
        "concurrent gets",
        `${r.call.op} as ${r.call.actor} failed in a burst: ${r.outcome} ${r.message}`,
      );
    }
    if (r.outcome !== "ok") continue;
    carts.add(r.result.cart.id);
    if (r.result.queue_entry) {
      entries.add(r.result.queue_entry.id);
      if (r.result.created) entriesMade++;
    } else if (r.result.created) cartsMade++;
  }
  const newCarts = facts.diffs.filter((d) => d.k === "cart" && d.old === null).length;
  const newEntries = facts.diffs.filter((d) => d.k === "entry" && d.old === null).length;
  if (carts.size > 1 || entries.size > 1) {
    fail("concurrent gets", `one key answered ${carts.size} carts and ${entries.size} entries`);
  }
  if (cartsMade > newCarts || newCarts > 1 || newEntries !== entriesMade || newEntries > 1) {
    fail(
      "concurrent gets",
      `created: ${cartsMade} carts and ${entriesMade} entries answered, ${newCarts} and ${newEntries} written`,
    );
  }
}

/** Concurrent add_item of one product on one cart (an "items" burst): the quantities add up,
 * on one line when the cart had none of the product. */
function checkItemBurst(
  facts: StepFacts,
  before: Mirror,
  after: (k: Kind, id: string | null | undefined) => Row | undefined,
  f: Fixture,
  fail: Fail,
) {
  const calls = facts.step.calls;
  if (!calls.every((c) => c.op === "rpc add_item")) return;
  const cartId = facts.results[0].about.cart!;
  const product = facts.results[0].about.product!;
  if (!facts.results.every((r) => r.about.cart === cartId && r.about.product === product)) return;
  const was = before.itemsOf(cartId).filter((i) => i.product_id === product);
  const added = facts.results.filter((r) => r.outcome === "ok")
    .reduce((n, r) => n + r.about.quantity!, 0);
  const ids = new Set([
    ...was.map((i) => i.id),
    ...facts.diffs.filter((d) => d.k === "item" && d.new?.cart_id === cartId).map((d) => d.id),
  ]);
  const now = [...ids].map((id) => after("item", id)).filter((i) =>
    i?.cart_id === cartId && i.product_id === product
  ) as Row[];
  const sum = (rows: Row[]) => rows.reduce((n, i) => n + i.quantity, 0);
  if (sum(now) !== sum(was) + added || now.length !== Math.max(was.length, added ? 1 : 0)) {
    fail(
      "concurrent add_item",
      `cart ${cartId}: ${was.length} lines of ${product} (${
        sum(was)
      }) + ${added} added -> ${now.length} lines (${sum(now)})`,
    );
  }
  void f;
}

/** The event each changed row gets (one per row and change: a single step changes a row once). */
function eventOf(d: Diff): string {
  if (!d.new) return d.k === "item" ? "item_removed" : `${d.k} deleted (no such event)`;
  if (d.k === "cart") {
    if (!d.old) return "cart_created";
    if (d.old.customer_id !== d.new!.customer_id) return "customer_attached";
    if (d.old.status !== d.new!.status) {
      return { completed: "cart_completed", abandoned: "cart_abandoned", merged: "cart_merged" }[
        d.new!.status as string
      ] ?? "cart_changed";
    }
    return "cart_changed";
  }
  if (d.k === "item") return !d.old ? "item_added" : !d.new ? "item_removed" : "item_changed";
  if (!d.old) return "queued";
  return d.old.status !== d.new!.status &&
      ["called", "served", "no_show", "removed"].includes(d.new!.status)
    ? d.new!.status
    : "entry_changed";
}

/** The row an event is about. */
function rowOfEvent(e: Row): string {
  if (e.item_id) return `item:${e.item_id}`;
  if (e.queue_entry_id) return `entry:${e.queue_entry_id}`;
  return `cart:${e.cart_id}`;
}

/** The history: an event for each changed row (exactly the change's, after a single step),
 * none without a change, each of a store the callers may act for, by the caller, in the step. */
function checkHistory(facts: StepFacts, allowed: Set<string>, f: Fixture, fail: Fail) {
  const rows = facts.diffs.filter((d) => !d.same && ["cart", "item", "entry"].includes(d.k));
  const evented = new Map<string, string[]>();
  for (const e of facts.events) {
    if (!allowed.has(e.store_id)) {
      fail("history of a store the caller may not act for", `event ${short(e)}`);
    }
    if (micros(e.created_at) <= facts.since || micros(e.created_at) > facts.now) {
      fail("history", `event ${short(e)} not of this step`);
    }
    evented.set(rowOfEvent(e), [...(evented.get(rowOfEvent(e)) ?? []), e.event]);
  }
  for (const d of rows) {
    const got = evented.get(`${d.k}:${d.id}`) ?? [];
    const want = eventOf(d);
    if (facts.step.burst ? got.length === 0 : got.length !== 1 || got[0] !== want) {
      fail("history", `${d.k} ${d.id} changed (${want}), events: ${got.join(",") || "none"}`);
    }
  }
  if (facts.step.burst) return;
  const changedRows = new Set(rows.map((d) => `${d.k}:${d.id}`));
  for (const [row, events] of evented) {
    if (!changedRows.has(row)) {
      fail("history", `events ${events.join(",")} for ${row}, which did not change`);
    }
  }
  // the acting user and role (a single step has one caller)
  const actor = facts.results[0].call.actor;
  if (actor === "owner") return;
  const claims =
    actor === "memberA" || actor === "claimA" || actor === "claimB" || actor === "nobody"
      ? f.user[actor]
      : null;
  const role = actor === "service" ? "service_role" : actor === "anon" ? "anon" : "authenticated";
  for (const e of facts.events) {
    if (e.actor_id !== claims || e.actor_role !== role) {
      fail("history", `event ${e.event} by ${e.actor_id}/${e.actor_role}, the caller is ${actor}`);
    }
  }
}
