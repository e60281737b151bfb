// Who may see one change, decided as the Realtime service decides it, in the database:
// the row is typed by the table's own row type (`jsonb_populate_record`), filters compare
// the row's column with the filter value cast to that column's type (a NULL column matches
// nothing), column privileges of each subscriber role shape the payload, and when the table
// has row level security a subscriber receives an INSERT or UPDATE only if, in a read-only
// transaction running as its role with its `request.jwt.claims`, a select of the row by
// primary key finds it: whatever policies exist decide, nothing here knows the product's
// rules. DELETEs pass filters on the old row and reach every matching subscriber with the
// primary key only. Does I/O (queries over `sql`).
import type postgres from "postgres";
import { type Binding, type Condition } from "./bindings.ts";
import {
  type ChangeData,
  type ColumnType,
  ERROR_RLS_FAILED,
  notice,
  noticeReason,
  shapeFor,
} from "./payload.ts";
import { type Change, commitTimestamp, rowObject } from "./wal.ts";

export interface Subscriber {
  /** The role in the subscriber's claims (checked to exist when it joined). */
  role: string;
  claims: Record<string, unknown>;
  /** Its bindings that listen to this change's table and action. */
  bindings: Binding[];
}

export interface Delivery {
  subscriber: Subscriber;
  /** Ids of the bindings the change matches. */
  ids: number[];
  data: ChangeData;
}

/** `"schema"."name"` */
export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

const OPS: Record<string, string> = { eq: "=", neq: "<>", lt: "<", lte: "<=", gt: ">", gte: ">=" };

/** The filter value cast to the column's type, through the table's row type. */
export function castValue(table: string, column: string, valueSql: string): string {
  return `(jsonb_populate_record(null::${table}, jsonb_build_object(${
    literal(column)
  }, ${valueSql}))).${ident(column)}`;
}

/** SQL for a condition on row alias `row`; its value(s) in parameter `$n`. */
export function conditionSql(table: string, row: string, c: Condition, n: number): string {
  const col = `${row}.${ident(c.column)}`;
  const test = c.op === "in"
    ? `${col} = any(array(select ${castValue(table, c.column, "v")} from unnest($${n}::text[]) v))`
    : `${col} ${OPS[c.op]} ${castValue(table, c.column, `$${n}::text`)}`;
  return `coalesce(${c.negate ? `not (${test})` : test}, false)`;
}

/** Keeps the keys of `typed` that `raw` has (the columns the WAL row carried). */
function sameKeys(
  typed: Record<string, unknown> | null,
  raw: Record<string, unknown> | null,
): Record<string, unknown> | null {
  if (!typed || !raw) return null;
  return Object.fromEntries(Object.keys(raw).map((k) => [k, typed[k] ?? null]));
}

type Sql = postgres.Sql | postgres.TransactionSql;

/**
 * Waits until transaction `xid` (32 bits) is visible to new snapshots. Its commit can reach
 * the WAL, and so the decoder, a moment before the committing session marks it done; a row
 * check in that moment would not see its rows.
 */
export async function awaitCommitted(sql: postgres.Sql, xid: number, ms = 2000): Promise<void> {
  if (!xid) return;
  const deadline = Date.now() + ms;
  for (;;) {
    const [r] = await sql`
      with s as (select pg_current_snapshot() as snap),
        x as (select snap, pg_snapshot_xmax(snap)::text::bigint as xmax from s)
      select pg_visible_in_snapshot(
        ((((xmax >> 32) - (case when ${xid}::bigint > (xmax & 4294967295) then 1 else 0 end))
          << 32) | ${xid}::bigint)::text::xid8, snap) as visible
      from x`;
    if (r.visible) return;
    if (Date.now() > deadline) throw new Error(`transaction ${xid} not visible after ${ms} ms`);
    await new Promise((done) => setTimeout(done, 1));
  }
}

/**
 * Every delivery `change` (committed at `walTimestamp`) makes to `subscribers`. `committed`
 * resolves once the change's transaction is visible (awaitCommitted), before rows are checked.
 */
export async function evaluate(
  sql: postgres.Sql,
  change: Change,
  walTimestamp: string,
  subscribers: Subscriber[],
  committed: () => Promise<void> = () => Promise.resolve(),
): Promise<Delivery[]> {
  if (subscribers.length === 0) return [];
  const table = qualified(change.schema, change.table);
  const del = change.action === "DELETE";
  const newRow = del ? null : rowObject(change.columns, change.identity);
  const oldRow = change.action === "INSERT" ? null : rowObject(change.identity);

  const conditions = new Map<string, Condition>();
  for (const s of subscribers) {
    for (const b of s.bindings) for (const c of b.conditions) conditions.set(JSON.stringify(c), c);
  }
  const condKeys = [...conditions.keys()];
  const roles = [...new Set(subscribers.map((s) => s.role))];
  const condParams = condKeys.map((k) => conditions.get(k)!.value);
  const condSql = condKeys.map((k, i) =>
    conditionSql(table, del ? "old_row" : "new_row", conditions.get(k)!, 4 + i)
  );
  const [meta] = await sql.unsafe(
    `select c.relrowsecurity as rls, to_jsonb(new_row.*) as record,
       to_jsonb(old_row.*) as old_record,
       (select coalesce(jsonb_object_agg(r.role, coalesce(x.cols, '[]')), '{}')
        from unnest($3::text[]) r(role)
        left join lateral (
          select jsonb_agg(jsonb_build_object('name', a.attname, 'type', t.typname)
                           order by a.attnum) as cols
          from pg_attribute a join pg_type t on t.oid = a.atttypid
          where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            and has_column_privilege(r.role, a.attrelid, a.attnum, 'SELECT')) x on true
       ) as columns,
       array[${condSql.join(", ") || "null"}]::bool[] as conditions
     from pg_class c
     left join lateral jsonb_populate_record(null::${table}, $1::jsonb) new_row
       on $1::jsonb is not null
     left join lateral jsonb_populate_record(null::${table}, $2::jsonb) old_row
       on $2::jsonb is not null
     where c.oid = ${literal(table)}::regclass`,
    [newRow, oldRow, roles, ...condParams] as postgres.ParameterOrJSON<never>[],
  );
  const passed = new Map(condKeys.map((k, i) => [k, meta.conditions[i] === true]));
  const columnsOf = (role: string): ColumnType[] => meta.columns[role] ?? [];
  const pk = change.pk.map((k) => k.name);
  const shape = {
    schema: change.schema,
    table: change.table,
    action: change.action,
    commitTimestamp: commitTimestamp(walTimestamp),
    record: sameKeys(meta.record, newRow),
    oldRecord: sameKeys(meta.old_record, oldRow),
    rlsEnabled: meta.rls === true,
    pk,
  };

  const deliveries: Delivery[] = [];
  const toCheck: { s: Subscriber; ids: number[] }[] = [];
  for (const s of subscribers) {
    const reason = noticeReason(change.action, pk, columnsOf(s.role));
    if (reason) {
      // Filters cannot be evaluated on columns the role may not read: every binding hears it.
      const ids = s.bindings.map((b) => b.id);
      deliveries.push({ subscriber: s, ids, data: noticeFor(change, reason) });
      continue;
    }
    const ids = s.bindings
      .filter((b) => b.conditions.every((c) => passed.get(JSON.stringify(c))))
      .map((b) => b.id);
    if (ids.length === 0) continue;
    if (shape.rlsEnabled && !del) toCheck.push({ s, ids });
    else deliveries.push({ subscriber: s, ids, data: shapeFor(shape, columnsOf(s.role)) });
  }
  if (toCheck.length) {
    await committed();
    const key = Object.fromEntries(pk.map((k) => [k, newRow?.[k] ?? null]));
    const verdicts = await rlsVerdicts(sql, table, pk, key, toCheck.map((t) => t.s));
    toCheck.forEach(({ s, ids }, i) => {
      if (verdicts[i] === "visible") {
        deliveries.push({ subscriber: s, ids, data: shapeFor(shape, columnsOf(s.role)) });
      } else if (verdicts[i] === "error") {
        deliveries.push({ subscriber: s, ids, data: noticeFor(change, ERROR_RLS_FAILED) });
      }
    });
  }
  return deliveries;
}

function noticeFor(change: Change, reason: string): ChangeData {
  return notice(change.schema, change.table, change.action, reason);
}

type Verdict = "visible" | "hidden" | "error";

/**
 * For each subscriber: whether its role and claims may select the row with primary key `key`
 * now. One read-only transaction per distinct role + claims, the statements pipelined; a
 * policy that raises is contained to the subscribers it raised for.
 */
async function rlsVerdicts(
  sql: postgres.Sql,
  table: string,
  pk: string[],
  key: Record<string, unknown>,
  subscribers: Subscriber[],
): Promise<Verdict[]> {
  const where = pk.map((k) => `row_.${ident(k)} = key_.${ident(k)}`).join(" and ");
  const existsSql = `select exists(select 1 from ${table} row_,
    jsonb_populate_record(null::${table}, $1::jsonb) key_ where ${where}) as visible`;
  const groups = new Map<string, { role: string; claims: string }>();
  for (const s of subscribers) {
    const claims = JSON.stringify(s.claims);
    groups.set(`${s.role}\n${claims}`, { role: s.role, claims });
  }
  const check = (tx: Sql, g: { role: string; claims: string }) => [
    tx`select set_config('role', ${g.role}, true), set_config('request.jwt.claims', ${g.claims}, true)`,
    tx.unsafe(existsSql, [key as postgres.ParameterOrJSON<never>]),
  ];
  const entries = [...groups.entries()];
  const verdict = new Map<string, Verdict>();
  try {
    const results = await sql.begin("read only", (tx) => entries.flatMap(([, g]) => check(tx, g)));
    entries.forEach(([k], i) => {
      verdict.set(
        k,
        (results[2 * i + 1] as unknown as { visible: boolean }[])[0].visible ? "visible" : "hidden",
      );
    });
  } catch (e) {
    if (!isPolicyError(e)) throw e;
    // Some policy raised: evaluate each group on its own to contain the error.
    for (const [k, g] of entries) {
      try {
        const r = await sql.begin("read only", (tx) => check(tx, g));
        verdict.set(
          k,
          (r[1] as unknown as { visible: boolean }[])[0].visible ? "visible" : "hidden",
        );
      } catch (err) {
        if (!isPolicyError(err)) throw err;
        verdict.set(k, "error");
      }
    }
  }
  return subscribers.map((s) => verdict.get(`${s.role}\n${JSON.stringify(s.claims)}`)!);
}

/** An error raised by SQL (a policy, a cast of a claim), not a lost connection. */
function isPolicyError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) return false;
  return !code.startsWith("08") && !code.startsWith("57") && !code.startsWith("53");
}
