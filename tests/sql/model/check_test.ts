// The model test's own parts, without a database: the checks fail on each kind of broken
// step and pass a sound one, shrinking finds the minimal failing list, and a seed always
// gives the same steps.
import assert from "node:assert/strict";
import { type CallResult, checkStep, type StepFacts } from "./check.ts";
import { type Fixture, newFixture } from "./fixture.ts";
import { type About, type Call, genStep, type Step } from "./ops.ts";
import { Prng } from "./prng.ts";
import { ddmin, split } from "./shrink.ts";
import { type Diff, micros, Mirror, type Row } from "./state.ts";

const T0 = "2026-01-01T10:00:00+00:00";
const at = (s: number) => `2026-01-01T10:00:${String(s).padStart(2, "0")}.5+00:00`;

/** The fixture of the test that runs (facts() writes its history). */
let current: Fixture;

function world() {
  const f = newFixture();
  current = f;
  const cart = (id: string, status: string, extra: Row = {}): Row => ({
    id,
    store_id: f.store.A,
    location_id: f.loc.A1,
    customer_id: f.cust.S1,
    device_id: null,
    status,
    merged_into: null,
    created_at: at(1),
    updated_at: at(2),
    completed_at: status === "completed" ? at(2) : null,
    ...extra,
  });
  const rows = {
    active: cart("c0000000-0000-4000-8000-000000000001", "active"),
    done: cart("c0000000-0000-4000-8000-000000000002", "completed"),
    line: {
      id: "10000000-0000-4000-8000-000000000001",
      cart_id: "c0000000-0000-4000-8000-000000000002",
      product_id: "sku-1",
      quantity: 1,
      unit_price: 3.5,
      created_at: at(1),
      updated_at: at(1),
    },
    served: {
      id: "e0000000-0000-4000-8000-000000000001",
      store_id: f.store.A,
      location_id: f.loc.A1,
      customer_id: f.cust.S1,
      cart_id: "c0000000-0000-4000-8000-000000000002",
      device_id: null,
      status: "served",
      party_size: null,
      note: null,
      queue_seq: 7,
      created_at: at(1),
      called_at: null,
      served_at: at(2),
      removed_at: null,
      no_show_at: null,
      updated_at: at(2),
    },
  };
  const m = new Mirror();
  m.apply([
    { k: "cart", id: rows.active.id, old: null, new: rows.active },
    { k: "cart", id: rows.done.id, old: null, new: rows.done },
    { k: "item", id: rows.line.id, old: null, new: rows.line },
    { k: "entry", id: rows.served.id, old: null, new: rows.served },
  ]);
  return { f, m, rows };
}

/** The history a sound step writes: one event per changed row, by the step's caller. */
function eventsFor(f: Fixture, actor: Call["actor"], diffs: Diff[]): Row[] {
  return diffs.filter((d) => !d.same).map((d, i) => {
    const row = (d.new ?? d.old)!;
    const closed = ["completed", "abandoned", "merged"].includes(row.status);
    const moved = ["called", "served", "no_show", "removed"].includes(row.status);
    const event = d.k === "cart"
      ? (!d.old
        ? "cart_created"
        : d.old.status !== row.status && closed
        ? `cart_${row.status}`
        : "cart_changed")
      : d.k === "item"
      ? (!d.old ? "item_added" : !d.new ? "item_removed" : "item_changed")
      : (!d.old ? "queued" : d.old.status !== row.status && moved ? row.status : "entry_changed");
    return {
      id: i + 1,
      created_at: at(5),
      event,
      store_id: row.store_id ?? f.store.A,
      cart_id: d.k === "cart" ? row.id : row.cart_id,
      item_id: d.k === "item" ? row.id : null,
      queue_entry_id: d.k === "entry" ? row.id : null,
      actor_id: actor in f.user ? f.user[actor as keyof Fixture["user"]] : null,
      actor_role: actor === "service" ? "service_role" : "authenticated",
    };
  });
}

function facts(
  calls: [Call, string, Row?, About?][],
  diffs: Diff[],
  burst = false,
  events?: Row[],
): StepFacts {
  const results: CallResult[] = calls.map(([call, outcome, result, about]) => ({
    call,
    sql: "",
    about: about ?? {},
    outcome,
    result,
  }));
  return {
    step: { calls: calls.map(([c]) => c), burst },
    results,
    diffs,
    events: events ??
      (calls.every(([, o]) => o === "ok" || o === "ok:0")
        ? eventsFor(current, calls[0][0].actor, diffs)
        : []),
    census: [{ invariant: "I1 one active cart per customer + location", violations: 0 }],
    since: micros(at(3)),
    now: micros(at(9)),
  };
}

const write = (actor: Call["actor"]): Call => ({
  actor,
  op: "update carts set status completed",
  a: {},
});
const checks = (f: Fixture, m: Mirror, x: StepFacts) =>
  checkStep(f, m, x, micros(T0)).map((v) => v.check);

Deno.test("model checks: a sound step passes", () => {
  const { f, m, rows } = world();
  const done = { ...rows.active, status: "completed", completed_at: at(4), updated_at: at(4) };
  const x = facts([[write("claimA"), "ok"]], [{
    k: "cart",
    id: rows.active.id,
    old: rows.active,
    new: done,
  }]);
  assert.deepEqual(checks(f, m, x), []);
});

Deno.test("model checks: (a) a change to a store the caller may not act for", () => {
  const { f, m, rows } = world();
  const done = { ...rows.active, status: "completed", completed_at: at(4), updated_at: at(4) };
  const x = facts([[write("claimB"), "ok"]], [{
    k: "cart",
    id: rows.active.id,
    old: rows.active,
    new: done,
  }]);
  assert.deepEqual(checks(f, m, x), [
    "history of a store the caller may not act for",
    "changed a store the caller may not act for",
  ]);
  const y = facts([[write("nobody"), "ok:0"]], []);
  assert.deepEqual(checks(f, m, y), []);
});

Deno.test("model checks: (b) a line of a cart that was not active changed", () => {
  const { f, m, rows } = world();
  const line = { ...rows.line, quantity: 5, updated_at: at(4) };
  const x = facts([[write("claimA"), "ok"]], [{
    k: "item",
    id: rows.line.id,
    old: rows.line,
    new: line,
  }]);
  assert.deepEqual(checks(f, m, x), ["line changed on a cart that was not active"]);
});

Deno.test("model checks: (c) the lifecycle", () => {
  const { f, m, rows } = world();
  const reopened = { ...rows.done, status: "active", completed_at: null, updated_at: at(4) };
  const back = { ...rows.served, status: "waiting", served_at: null, updated_at: at(4) };
  const x = facts([[write("claimA"), "ok"]], [
    { k: "cart", id: rows.done.id, old: rows.done, new: reopened },
    { k: "entry", id: rows.served.id, old: rows.served, new: back },
  ]);
  assert.deepEqual(
    [...new Set(checks(f, m, x))],
    ["lifecycle", "lifecycle timestamp"],
  );
  const gone = facts([[write("claimA"), "ok"]], [{
    k: "cart",
    id: rows.active.id,
    old: rows.active,
    new: null,
  }]);
  assert.deepEqual(checks(f, m, gone), ["history", "cart deleted"]);
});

Deno.test("model checks: (d) a forged timestamp or queue_seq", () => {
  const { f, m, rows } = world();
  const forged = { ...rows.active, created_at: "2001-02-03T04:05:06+00:00", updated_at: at(4) };
  const x = facts([[write("claimA"), "ok"]], [{
    k: "cart",
    id: rows.active.id,
    old: rows.active,
    new: forged,
  }]);
  assert.deepEqual(checks(f, m, x), [
    "immutable changed",
    "forged or impossible timestamp",
    "timestamp not of this step",
  ]);
  const seq = { ...rows.served, queue_seq: -5, updated_at: at(4) };
  const y = facts([[write("claimA"), "ok"]], [{
    k: "entry",
    id: rows.served.id,
    old: rows.served,
    new: seq,
  }]);
  assert.deepEqual(checks(f, m, y), ["immutable changed", "forged queue_seq"]);
  const stale = { ...rows.active, device_id: null, customer_id: rows.active.customer_id, note: 1 };
  const z = facts([[write("claimA"), "ok"]], [{
    k: "cart",
    id: rows.active.id,
    old: rows.active,
    new: stale,
  }]);
  assert.deepEqual(checks(f, m, z), ["updated_at not set"]);
});

Deno.test("model checks: (e) a refused or no-op call wrote", () => {
  const { f, m, rows } = world();
  const done = { ...rows.active, status: "completed", completed_at: at(4), updated_at: at(4) };
  const diff: Diff = { k: "cart", id: rows.active.id, old: rows.active, new: done };
  for (const outcome of ["PT409 cart_not_active", "ok:0", "23505"]) {
    const x = facts([[write("claimA"), outcome]], [diff], false, eventsFor(f, "claimA", [diff]));
    assert.deepEqual(checks(f, m, x), [
      "wrote without a successful write",
    ]);
  }
  // a repeat get (created: false) must write nothing
  const get: Call = { actor: "claimA", op: "rpc get_or_create_cart (customer)", a: {} };
  const answer = { cart: { ...rows.active }, created: false };
  const about = { loc: f.loc.A1, cust: f.cust.S1 };
  const line = { ...rows.line, quantity: 2, updated_at: at(4) };
  const touched: Diff = { k: "item", id: rows.line.id, old: rows.line, new: line };
  assert.deepEqual(checks(f, m, facts([[get, "ok", answer, about]], [])), []);
  const y = facts(
    [[get, "ok", answer, about]],
    [touched],
    false,
    eventsFor(f, "claimA", [touched]),
  );
  assert.deepEqual(checks(f, m, y), [
    "wrote without a successful write",
    "line changed on a cart that was not active",
  ]);
  const same: Diff = { ...diff, new: rows.active, same: true };
  assert.deepEqual(checks(f, m, facts([[write("claimA"), "ok"]], [same])), [
    "row rewritten unchanged",
  ]);
});

Deno.test("model checks: the census, unexpected errors, concurrent gets", () => {
  const { f, m, rows } = world();
  const x = facts([[write("claimA"), "ok:0"]], []);
  x.census = [{ invariant: "I4 open entry on its customer's active cart", violations: 2 }];
  assert.deepEqual(checks(f, m, x), ["census I4 open entry on its customer's active cart"]);
  assert.deepEqual(checks(f, m, facts([[write("claimA"), "XX000"]], [])), ["error XX000"]);
  assert.deepEqual(checks(f, m, facts([[write("anon"), "ok:0"]], [])), ["anon privilege"]);
  const get = (actor: Call["actor"]): Call => ({
    actor,
    op: "rpc get_or_create_cart (customer)",
    a: { loc: "A1", cust: "S1" },
  });
  const about = { loc: f.loc.A1, cust: f.cust.S1 };
  const other = { ...rows.done, status: "active", completed_at: null };
  const split = facts(
    [
      [get("claimA"), "ok", { cart: rows.active, created: false }, about],
      [get("memberA"), "ok", { cart: other, created: false }, about],
    ],
    [],
    true,
  );
  assert.deepEqual(checks(f, m, split), ["concurrent gets"]);
  const failed = facts(
    [
      [get("claimA"), "PT404 location_not_found"],
      [get("memberA"), "ok", { cart: rows.active, created: false }, about],
    ],
    [],
    true,
  );
  assert.deepEqual(checks(f, m, failed), ["concurrent gets"]);
  const sound = facts(
    [
      [get("claimA"), "ok", { cart: rows.active, created: false }, about],
      [get("claimB"), "PT404 location_not_found"],
      [get("memberA"), "ok", { cart: rows.active, created: false }, about],
    ],
    [],
    true,
  );
  assert.deepEqual(checks(f, m, sound), []);
});

Deno.test("model checks: the history", () => {
  const { f, m, rows } = world();
  const done = { ...rows.active, status: "completed", completed_at: at(4), updated_at: at(4) };
  const diff: Diff = { k: "cart", id: rows.active.id, old: rows.active, new: done };
  const [event] = eventsFor(f, "claimA", [diff]);
  assert.deepEqual(checks(f, m, facts([[write("claimA"), "ok"]], [diff], false, [event])), []);
  assert.deepEqual(checks(f, m, facts([[write("claimA"), "ok"]], [diff], false, [])), ["history"]);
  assert.deepEqual(
    checks(f, m, facts([[write("claimA"), "ok"]], [diff], false, [event, { ...event, id: 9 }])),
    ["history"],
  );
  assert.deepEqual(
    checks(
      f,
      m,
      facts([[write("claimA"), "ok"]], [diff], false, [{ ...event, event: "cart_abandoned" }]),
    ),
    ["history"],
  );
  assert.deepEqual(
    checks(
      f,
      m,
      facts([[write("claimA"), "ok"]], [diff], false, [{ ...event, actor_id: f.user.claimB }]),
    ),
    ["history"],
  );
  assert.deepEqual(
    checks(f, m, facts([[write("claimA"), "ok:0"]], [], false, [event])),
    ["wrote without a successful write", "history"],
  );
  assert.deepEqual(
    checks(
      f,
      m,
      facts([[write("claimA"), "ok"]], [diff], false, [{ ...event, store_id: f.store.B }]),
    ),
    ["history of a store the caller may not act for"],
  );
});

Deno.test("ddmin finds the smallest failing list", async () => {
  const items = Array.from({ length: 40 }, (_, i) => i);
  let replays = 0;
  const fails = (xs: number[]) => {
    replays++;
    return Promise.resolve(xs.includes(3) && xs.includes(31) && xs.indexOf(3) < xs.indexOf(31));
  };
  assert.deepEqual(await ddmin(items, fails), [3, 31]);
  assert.ok(replays < 80, `${replays} replays`);
  assert.deepEqual(await ddmin(items, fails, Date.now() - 1), items);
  assert.deepEqual(split([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4, 5]]);
  assert.deepEqual(split([1, 2], 4), [[1], [2]]);
});

Deno.test("a seed gives the same steps; another seed others", () => {
  const steps = (seed: number): Step[] => {
    const rng = new Prng(seed);
    return Array.from({ length: 300 }, () => genStep(rng));
  };
  assert.deepEqual(steps(42), steps(42));
  assert.notDeepEqual(steps(42), steps(43));
  const a = new Prng(7);
  const values = Array.from({ length: 1000 }, () => a.next());
  assert.ok(values.every((v) => v >= 0 && v < 1));
  assert.ok(Math.abs(values.reduce((s, v) => s + v, 0) / 1000 - 0.5) < 0.05);
});
