// The model's mirror of the fixture's rows, and the one query that keeps it in step with the
// database: after each step it returns every row of the fixture whose row version changed
// (xmin), with its old and new contents, plus the invariant census. References to rows
// (carts, entries, lines) are symbolic ("the active cart of S1 at A1", "the 2nd closed
// entry of CA1 at A2") and resolved against the mirror when a step runs, so a recorded step
// list replays with the same meaning on a fresh fixture.
import type { Sql } from "../_db.ts";
import type { CustKey, Device, Fixture, LocKey } from "./fixture.ts";

// deno-lint-ignore no-explicit-any
export type Row = Record<string, any>;
export type Kind = "cart" | "entry" | "item" | "store" | "location" | "customer" | "member";
export interface Diff {
  k: Kind;
  id: string;
  old: Row | null;
  new: Row | null;
  /** The row version changed but not its contents. */
  same?: boolean;
}
export interface Census {
  invariant: string;
  violations: number;
}

/** Microseconds since the epoch of a timestamptz as to_jsonb writes it. */
export function micros(ts: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$/.exec(ts);
  if (!m) throw new Error(`not a timestamp: ${ts}`);
  const frac = (m[2] ?? ".0").slice(1).padEnd(6, "0");
  return Date.parse(m[1] + (m[3] === "+00:00" ? "Z" : m[3])) * 1000 + Number(frac);
}

const byCreated = (a: Row, b: Row) =>
  micros(a.created_at) - micros(b.created_at) ||
  (Number(a.queue_seq ?? 0) - Number(b.queue_seq ?? 0)) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export const OPEN = new Set(["waiting", "called"]);

export class Mirror {
  readonly rows: Record<Kind, Map<string, Row>> = {
    cart: new Map(),
    entry: new Map(),
    item: new Map(),
    store: new Map(),
    location: new Map(),
    customer: new Map(),
    member: new Map(),
  };

  get(k: Kind, id: string): Row | undefined {
    return this.rows[k].get(id);
  }

  apply(diffs: Diff[]): void {
    for (const d of diffs) {
      if (d.new) this.rows[d.k].set(d.id, d.new);
      else this.rows[d.k].delete(d.id);
    }
  }

  /** Carts of one owner at one location, oldest first. */
  cartsOf(locId: string, owner: { customer: string } | { device: string }): Row[] {
    const out: Row[] = [];
    for (const c of this.rows.cart.values()) {
      if (c.location_id !== locId) continue;
      if (
        "customer" in owner ? c.customer_id === owner.customer : (
          c.customer_id === null && c.device_id === owner.device
        )
      ) out.push(c);
    }
    return out.sort(byCreated);
  }

  entriesOf(locId: string, custId: string): Row[] {
    const out: Row[] = [];
    for (const e of this.rows.entry.values()) {
      if (e.location_id === locId && e.customer_id === custId) out.push(e);
    }
    return out.sort(byCreated);
  }

  itemsOf(cartId: string): Row[] {
    const out: Row[] = [];
    for (const i of this.rows.item.values()) if (i.cart_id === cartId) out.push(i);
    return out.sort(byCreated);
  }

  /** The open entries of a location in queue order (as list_queue orders them). */
  queueOf(locId: string): Row[] {
    const out: Row[] = [];
    for (const e of this.rows.entry.values()) {
      if (e.location_id === locId && OPEN.has(e.status)) out.push(e);
    }
    return out.sort(byCreated);
  }
}

// ---------------------------------------------------------------------------------------
// Symbolic references

/** Which of a key's rows: its active cart (open entry), the n-th most recent closed one, the
 * n-th oldest of all. */
export type Pick = { mode: "active" } | { mode: "closed" | "any"; n: number };
export type Owner = { cust: CustKey } | { device: Device };
export interface CartRef {
  loc: LocKey;
  owner: Owner;
  pick: Pick;
}
export interface EntryRef {
  loc: LocKey;
  cust: CustKey;
  pick: Pick;
}
export interface ItemRef {
  cart: CartRef;
  n: number;
}

/** The row `pick` names among a key's rows (oldest first): the active one, the n-th most
 * recent closed one, or the n-th oldest of all. */
function pickRow(rows: Row[], pick: Pick, active: (r: Row) => boolean): Row | undefined {
  if (pick.mode === "active") return rows.find(active);
  if (pick.mode === "any") return rows.length ? rows[pick.n % rows.length] : undefined;
  const closed = rows.filter((r) => !active(r));
  return closed.length ? closed[closed.length - 1 - (pick.n % closed.length)] : undefined;
}

/** Resolves references against the mirror; what resolves to nothing is the missing id. */
export class Resolver {
  constructor(readonly f: Fixture, readonly m: Mirror) {}

  cartRow(ref: CartRef): Row | undefined {
    const owner = "cust" in ref.owner
      ? { customer: this.f.cust[ref.owner.cust] }
      : { device: ref.owner.device };
    return pickRow(
      this.m.cartsOf(this.f.loc[ref.loc], owner),
      ref.pick,
      (c) => c.status === "active",
    );
  }

  cart(ref: CartRef): string {
    return this.cartRow(ref)?.id ?? this.f.missing;
  }

  entryRow(ref: EntryRef): Row | undefined {
    return pickRow(
      this.m.entriesOf(this.f.loc[ref.loc], this.f.cust[ref.cust]),
      ref.pick,
      (e) => OPEN.has(e.status),
    );
  }

  entry(ref: EntryRef): string {
    return this.entryRow(ref)?.id ?? this.f.missing;
  }

  itemRow(ref: ItemRef): Row | undefined {
    const cart = this.cartRow(ref.cart);
    const items = cart ? this.m.itemsOf(cart.id) : [];
    return items.length ? items[ref.n % items.length] : undefined;
  }

  item(ref: ItemRef): string {
    return this.itemRow(ref)?.id ?? this.f.missing;
  }
}

// ---------------------------------------------------------------------------------------
// The check query

const SNAPSHOT_TABLE = `create temp table if not exists model_prev (
  k text not null, id text not null, x text not null, r jsonb not null)`;

/** The check query: $1-$4 are the fixture's store, location, customer and user ids, $5 the
 * last history event already seen. */
export const CHANGES_SQL = `    with scope as (
      select $1::uuid[] as stores, $2::uuid[] as locs,
        $3::uuid[] as custs, $4::uuid[] as users
    ), cart_ids as (
      select c.id from public.carts c, scope s
      where c.store_id = any(s.stores) or c.location_id = any(s.locs) or c.customer_id = any(s.custs)
    ), cur as (
      select 'cart' as k, t.id::text as id, t.xmin::text as x from public.carts t
      where t.id in (select id from cart_ids)
      union all
      select 'entry', t.id::text, t.xmin::text from public.location_queue t, scope s
      where t.store_id = any(s.stores) or t.location_id = any(s.locs) or t.customer_id = any(s.custs)
      union all
      select 'item', t.id::text, t.xmin::text from public.cart_items t
      where t.cart_id in (select id from cart_ids)
      union all
      select 'store', t.id::text, t.xmin::text from public.stores t, scope s
      where t.id = any(s.stores)
      union all
      select 'location', t.id::text, t.xmin::text from public.locations t, scope s
      where t.id = any(s.locs) or t.store_id = any(s.stores)
      union all
      select 'customer', t.id::text, t.xmin::text from public.customers t, scope s
      where t.id = any(s.custs) or t.store_id = any(s.stores)
      union all
      select 'member', t.store_id || '/' || t.user_id, t.xmin::text from public.store_members t, scope s
      where t.store_id = any(s.stores) or t.user_id = any(s.users)
    ), d as (
      select coalesce(c.k, p.k) as k, coalesce(c.id, p.id) as id, c.x, p.r as old
      from cur c full join pg_temp.model_prev p on p.k = c.k and p.id = c.id
      where c.x is distinct from p.x
    ), n as (
      select d.*, case when d.x is null then null else case d.k
        when 'cart' then (select to_jsonb(t) from public.carts t where t.id = d.id::uuid)
        when 'entry' then (select to_jsonb(t) from public.location_queue t where t.id = d.id::uuid)
        when 'item' then (select to_jsonb(t) from public.cart_items t where t.id = d.id::uuid)
        when 'store' then (select to_jsonb(t) from public.stores t where t.id = d.id::uuid)
        when 'location' then (select to_jsonb(t) from public.locations t where t.id = d.id::uuid)
        when 'customer' then (select to_jsonb(t) from public.customers t where t.id = d.id::uuid)
        else (select to_jsonb(t) from public.store_members t where t.store_id || '/' || t.user_id = d.id)
      end end as new
      from d
    ), forget as (
      delete from pg_temp.model_prev p using n where p.k = n.k and p.id = n.id
    ), remember as (
      insert into pg_temp.model_prev (k, id, x, r) select k, id, x, new from n where new is not null
    )
    select
      (select coalesce(jsonb_agg(jsonb_build_object('k', k, 'id', id, 'old', old, 'new', new)), '[]')
       from n) as diffs,
      (select coalesce(jsonb_agg(jsonb_build_object('invariant', c.invariant, 'violations', c.violations)), '[]')
       from private.invariant_census() c) as census,
      (select coalesce(jsonb_agg(to_jsonb(e) order by e.id), '[]') from public.cart_events e, scope s
       where e.id > $5::bigint
         and (e.store_id = any(s.stores) or e.location_id = any(s.locs) or e.customer_id = any(s.custs)))
        as events,
      to_jsonb(clock_timestamp()) #>> '{}' as now`;

/** Rows of the fixture that got a new row version since the last call (old and new contents),
 * its history events after `lastEvent`, and the invariant census; remembers the versions in a
 * temp table of `conn`'s session. */
export async function changes(
  conn: Sql,
  f: Fixture,
  lastEvent: number,
): Promise<{ diffs: Diff[]; events: Row[]; census: Census[]; now: number }> {
  const arr = (o: Record<string, string>) => `{${Object.values(o).join(",")}}`;
  const [row] = await conn.unsafe(
    CHANGES_SQL,
    [arr(f.store), arr(f.loc), arr(f.cust), arr(f.user), String(lastEvent)],
    {
      prepare: true,
    },
  );
  const diffs = (row.diffs as Diff[]).map((d) => ({
    ...d,
    same: d.old !== null && d.new !== null && JSON.stringify(d.old) === JSON.stringify(d.new),
  }));
  return {
    diffs,
    events: row.events as Row[],
    census: (row.census as Census[]).map((c) => ({ ...c, violations: Number(c.violations) })),
    now: micros(row.now),
  };
}

/** Prepares `conn`'s session for `changes` (an empty snapshot). JIT is off in it: the check
 * query's estimated cost grows past jit_above_cost with the tables, and compiling it would
 * cost ten times its run. */
export async function resetSnapshot(conn: Sql): Promise<void> {
  await conn.unsafe("set jit = off");
  await conn.unsafe(SNAPSHOT_TABLE);
  await conn.unsafe("truncate pg_temp.model_prev");
}
