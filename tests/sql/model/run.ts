// Runs step lists against the database: each run on a fresh fixture, every call in its own
// transaction as PostgREST runs a request (role and JWT claims set locally), bursts as
// concurrent sessions released together; after every step the check query and the model's
// checks. A failing run is shrunk by replaying sub-lists (ddmin) and printed as SQL.
import { asRole, type Sql, type Tx } from "../_db.ts";
import { type CallResult, checkStep, type Violation } from "./check.ts";
import {
  actorClaims,
  actorRole,
  createFixture,
  dropFixture,
  type Fixture,
  fixtureSql,
  newFixture,
} from "./fixture.ts";
import { genStep, OPS, type Step } from "./ops.ts";
import { Prng } from "./prng.ts";
import { ddmin } from "./shrink.ts";
import { changes, Mirror, resetSnapshot, Resolver } from "./state.ts";

export interface Db {
  /** Sessions for the calls (at least 8 connections, for bursts). */
  pool: Sql;
  /** The one session of the check query (it keeps the snapshot in a temp table). */
  check: Sql;
}

export interface Failure {
  /** 0-based index of the failing step. */
  index: number;
  violations: Violation[];
}

export interface RunResult {
  steps: Step[];
  /** The calls as run: SQL and outcome, per step. */
  played: CallResult[][];
  fixture: Fixture;
  failure?: Failure;
  /** op -> outcome -> count. */
  counts: Map<string, Map<string, number>>;
  calls: number;
}

/** Where the steps come from: a recorded list, or a generator that sees the model. */
export type Source = (index: number, f: Fixture, m: Mirror) => Step | undefined;

export const replaySource = (steps: Step[]): Source => (i) => steps[i];

export function randomSource(seed: number, steps: number, burstRate = 0.05): Source {
  const rng = new Prng(seed);
  return (i) => (i < steps ? genStep(rng, burstRate) : undefined);
}

/** Runs steps on a fresh fixture until the source ends or a step breaks a check; `progress`
 * hears of every 1000th step. */
export async function play(
  db: Db,
  source: Source,
  progress?: (steps: number) => void,
): Promise<RunResult> {
  const f = newFixture();
  await createFixture(db.pool, f);
  const m = new Mirror();
  const out: RunResult = { steps: [], played: [], fixture: f, counts: new Map(), calls: 0 };
  try {
    await resetSnapshot(db.check);
    let lastEvent = 0;
    const start = await changes(db.check, f, lastEvent);
    m.apply(start.diffs);
    const dirty = start.census.filter((c) => c.violations !== 0);
    if (dirty.length) {
      throw new Error(`the census is not zero before the first step: ${JSON.stringify(dirty)}`);
    }
    let since = start.now;
    const keys: Keys = new Map();
    for (let i = 0;; i++) {
      const step = source(i, f, m);
      if (!step) break;
      const results = await runStep(db.pool, f, m, step, keys);
      const { diffs, events, census, now } = await changes(db.check, f, lastEvent);
      lastEvent = events.reduce((n, e) => Math.max(n, Number(e.id)), lastEvent);
      const violations = checkStep(
        f,
        m,
        { step, results, diffs, events, census, since, now },
        start.now,
      );
      m.apply(diffs);
      since = now;
      out.steps.push(step);
      out.played.push(results);
      out.calls += results.length;
      if (progress && (i + 1) % 1000 === 0) progress(i + 1);
      for (const r of results) {
        const byOutcome = out.counts.get(r.call.op) ?? new Map<string, number>();
        byOutcome.set(r.outcome, (byOutcome.get(r.outcome) ?? 0) + 1);
        out.counts.set(r.call.op, byOutcome);
      }
      if (violations.length) {
        out.failure = { index: i, violations };
        break;
      }
    }
  } finally {
    await dropFixture(db.pool, f);
  }
  return out;
}

/** The Idempotency-Keys used in a run: caller and key -> the first request and its answer. */
type Keys = Map<string, { sql: string; result: unknown }>;

async function runStep(
  pool: Sql,
  f: Fixture,
  m: Mirror,
  step: Step,
  keys: Keys,
): Promise<CallResult[]> {
  const r = new Resolver(f, m);
  const rendered = step.calls.map((call) => {
    const c: Rendered = { call, ...OPS[call.op].render(call.a, r) };
    if (call.key === undefined) return c;
    // unique to the fixture: keys of the service role (no user id) are shared by every run
    c.headers = { "idempotency-key": `model-${f.missing.slice(0, 8)}-${call.actor}-${call.key}` };
    const first = keys.get(`${call.actor}:${call.key}`);
    if (first) {
      c.expect = first.sql === c.sql ? "replay" : "reused";
      c.first = first.result;
    }
    return c;
  });
  for (const c of rendered) {
    if (/undefined|NaN|\[object/.test(c.sql)) {
      throw new Error(`the model rendered bad SQL: ${c.sql}`);
    }
  }
  const ready = step.burst ? barrier(rendered.length) : undefined;
  const results = await Promise.all(rendered.map((c) => runCall(pool, f, c, ready)));
  for (const res of results) {
    const name = `${res.call.actor}:${res.call.key}`;
    if (res.call.key !== undefined && res.outcome === "ok" && !keys.has(name)) {
      keys.set(name, { sql: res.sql, result: res.result });
    }
  }
  return results;
}

type Rendered = Omit<CallResult, "outcome"> & { headers?: Record<string, string> };

/** Resolves once `n` sessions wait on it (or after 2 s, should one never arrive). */
function barrier(n: number): () => Promise<void> {
  let waiting = 0;
  let release = () => {};
  const all = new Promise<void>((resolve) => (release = resolve));
  const timer = setTimeout(release, 2000);
  return () => {
    if (++waiting === n) {
      clearTimeout(timer);
      release();
    }
    return all;
  };
}

async function runCall(
  pool: Sql,
  f: Fixture,
  c: Rendered,
  ready?: () => Promise<void>,
): Promise<CallResult> {
  const { headers, ...base } = c;
  try {
    const role = actorRole(c.call.actor);
    const run = async (tx: Tx) => {
      if (ready) await ready();
      return await tx.unsafe(c.sql);
    };
    const rows = role
      ? await asRole(pool, role, actorClaims(f, c.call.actor), run, headers)
      : await pool.begin(run);
    if (OPS[c.call.op].effect === "write") {
      return { ...base, outcome: rows.count > 0 ? "ok" : "ok:0" };
    }
    return { ...base, outcome: "ok", result: rows[0].r };
  } catch (error) {
    const e = error as { name?: string; code?: string; hint?: string; message?: string };
    if (e.name !== "PostgresError" || !e.code) throw error;
    return { ...base, outcome: [e.code, e.hint].filter(Boolean).join(" "), message: e.message };
  }
}

// ---------------------------------------------------------------------------------------
// Shrinking and the reproduction

export interface Shrunk {
  steps: Step[];
  /** The replay of the minimal list, with its SQL and the violations it ends with. */
  replay: RunResult;
  replays: number;
  reproduced: boolean;
}

/** Shrinks the failing prefix of `run` to a minimal list that fails the check its first
 * violation failed. */
export async function shrink(db: Db, run: RunResult, budgetMs = 180_000): Promise<Shrunk> {
  const failure = run.failure!;
  // the same check as the first violation: shrinking must not drift to another failure
  const check = failure.violations[0].check;
  let replays = 0;
  let last: RunResult | undefined;
  const fails = async (steps: Step[]) => {
    replays++;
    const r = await play(db, replaySource(steps));
    const hit = !!r.failure?.violations.some((v) => v.check === check);
    if (hit) last = r;
    return hit;
  };
  const prefix = run.steps.slice(0, failure.index + 1);
  // A race may need a few tries to show again.
  let reproduced = false;
  for (let i = 0; i < 3 && !reproduced; i++) reproduced = await fails(prefix);
  if (!reproduced) return { steps: prefix, replay: run, replays, reproduced };
  const minimal = await ddmin(prefix, fails, Date.now() + budgetMs);
  if (!(await fails(minimal))) last = undefined;
  return { steps: minimal, replay: last ?? run, replays, reproduced: !!last };
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** A run (usually a shrunk replay) as SQL a reader can paste into psql. */
export function formatRun(run: RunResult, header: string): string {
  const f = run.fixture;
  const lines = [header, "-- fixture, as postgres:", fixtureSql(f)];
  run.played.forEach((results, i) => {
    const burst = run.steps[i].burst;
    lines.push(
      burst
        ? `-- step ${i + 1}: ${results.length} sessions at once, each in its own transaction:`
        : `-- step ${i + 1}:`,
    );
    for (const r of results) {
      const role = actorRole(r.call.actor);
      const claims = JSON.stringify({ ...actorClaims(f, r.call.actor), role });
      lines.push(`begin; -- as ${r.call.actor}: ${r.call.op}`);
      if (role) {
        const headers = r.call.key === undefined ? {} : {
          "idempotency-key": `model-${f.missing.slice(0, 8)}-${r.call.actor}-${r.call.key}`,
        };
        lines.push(
          `select set_config('role', '${role}', true), set_config('request.jwt.claims', ${
            quote(claims)
          }, true), set_config('request.headers', ${quote(JSON.stringify(headers))}, true);`,
        );
      }
      lines.push(
        `${r.sql};`,
        `commit; -- answered ${r.outcome}${
          r.result ? ` ${JSON.stringify(r.result).slice(0, 300)}` : ""
        }`,
      );
    }
  });
  if (run.failure) {
    lines.push("-- then:");
    for (const v of run.failure.violations) lines.push(`--   [${v.check}] ${v.message}`);
  }
  return lines.join("\n");
}

/** op -> outcome counts as an aligned table. */
export function formatCounts(counts: Map<string, Map<string, number>>): string {
  const ops = [...counts.keys()].sort();
  const width = Math.max(...ops.map((o) => o.length));
  return ops.map((op) => {
    const cells = [...counts.get(op)!.entries()].sort((a, b) => b[1] - a[1])
      .map(([o, n]) => `${o} ${n}`).join(", ");
    return `${op.padEnd(width)}  ${cells}`;
  }).join("\n");
}

/** How often each operation showed each outcome it must show in a full run, rarest first
 * (a count of 0: never). */
export function requiredOutcomes(counts: Map<string, Map<string, number>>): [string, number][] {
  const out: [string, number][] = [];
  for (const [op, def] of Object.entries(OPS)) {
    for (const want of def.mustSee) {
      const pattern = new RegExp(`^(${want})$`);
      const seen = [...(counts.get(op) ?? new Map<string, number>()).entries()]
        .filter(([outcome]) => pattern.test(outcome))
        .reduce((sum, [, n]) => sum + n, 0);
      out.push([`${op}: ${want}`, seen]);
    }
  }
  return out.sort((a, b) => a[1] - b[1]);
}
