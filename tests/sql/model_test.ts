// The model-based test of the SQL core: seeded random sequences of RPC calls and direct table
// writes (supported and hostile) by staff of two stores, a user with no store, anon and
// service_role, with bursts of concurrent sessions on one key, checked after every step
// against the invariant census and the model (tests/sql/model/check.ts). A failing seed is
// shrunk to a short list of steps, printed as SQL.
//
//   POSCART_MODEL_SEED=<n>    re-run one seed (default: a fresh one, printed)
//   POSCART_MODEL_STEPS=<n>   steps of the run (default 8000)
//   POSCART_MODEL_SHRINK_SECONDS=<n>  how long shrinking a failure may take (default 180)
// The steps are a function of the seed alone (the generator never reads the database); what
// the database answers to a concurrent burst may differ from run to run.
import assert from "node:assert/strict";
import { adminSql } from "../_support/stack.ts";
import { freshSeed } from "./model/prng.ts";
import { type Call, SABOTAGE, type Step } from "./model/ops.ts";
import {
  type Db,
  formatCounts,
  formatRun,
  play,
  randomSource,
  requiredOutcomes,
  shrink,
  type Source,
} from "./model/run.ts";

const SEED = Number(Deno.env.get("POSCART_MODEL_SEED") ?? freshSeed()) >>> 0;
const STEPS = Number(Deno.env.get("POSCART_MODEL_STEPS") ?? 8000);
const SHRINK_SECONDS = Number(Deno.env.get("POSCART_MODEL_SHRINK_SECONDS") ?? 180);
/** Fewer steps than this do not reach every outcome of every operation. */
const FULL_RUN = 8000;

// As PostgREST's connections: statements and lock waits end after 8 s.
const pool = adminSql({ max: 10, connection: { statement_timeout: 8000, lock_timeout: 8000 } });

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const check = await pool.reserve();
  try {
    return await fn({ pool, check });
  } finally {
    check.release();
  }
}

Deno.test(`model: ${STEPS} seeded random steps keep every invariant`, async () => {
  console.log(
    `model test: seed ${SEED}, ${STEPS} steps (re-run: POSCART_MODEL_SEED=${SEED} POSCART_MODEL_STEPS=${STEPS})`,
  );
  await withDb(async (db) => {
    const started = performance.now();
    const run = await play(db, randomSource(SEED, STEPS), (n) => {
      console.log(`  ${n} steps, ${((performance.now() - started) / 1000).toFixed(1)} s`);
    });
    const seconds = (performance.now() - started) / 1000;
    const bursts = run.steps.filter((s) => s.burst).length;
    console.log(
      `${run.steps.length} steps (${bursts} concurrent bursts), ${run.calls} calls, ${
        seconds.toFixed(1)
      } s; outcomes per operation:\n${formatCounts(run.counts)}`,
    );
    if (run.failure) {
      const first = run.failure.violations.map((v) => `[${v.check}] ${v.message}`).join("\n");
      console.log(`seed ${SEED}: step ${run.failure.index + 1} broke:\n${first}\nshrinking...`);
      const shrunk = await shrink(db, run, SHRINK_SECONDS * 1000);
      const header = shrunk.reproduced
        ? `-- seed ${SEED}: ${shrunk.steps.length} steps reproduce it on a fresh fixture (from ${
          run.failure.index + 1
        }, ${shrunk.replays} replays)`
        : `-- seed ${SEED}: the failure did not show again on replay (a race?); the steps up to it`;
      console.log(formatRun(shrunk.replay, header));
      assert.fail(`seed ${SEED}: step ${run.failure.index + 1} broke:\n${first}`);
    }
    assert.equal(run.steps.length, STEPS);
    const required = requiredOutcomes(run.counts);
    console.log(
      `rarest required outcomes: ${
        required.slice(0, 6).map(([what, n]) => `${what} (${n})`).join("; ")
      }`,
    );
    if (STEPS >= FULL_RUN) {
      assert.deepEqual(
        required.filter(([, n]) => n === 0).map(([what]) => what),
        [],
        "each operation succeeds and is refused at least once in a full run",
      );
    }
  });
});

Deno.test("model: a rule broken on purpose is caught after its step and shrunk to it", async () => {
  // A customer's cart is made and checked out, 40 random steps run, then the database owner
  // (trusted with the business rules) abandons that completed cart: the lifecycle check must
  // catch it, and shrinking must find the three steps that matter among the 43.
  const staff = (op: string, a: Call["a"]): Step => ({
    calls: [{ actor: "claimA", op, a }],
    burst: false,
  });
  const first = { loc: "A1", owner: { cust: "S1" } };
  const planted: Step[] = [
    staff("rpc get_or_create_cart (customer)", { loc: "A1", cust: "S1" }),
    staff("rpc complete_cart", { cart: { ...first, pick: { mode: "active" } } }),
  ];
  const sabotage: Step = {
    calls: [{
      actor: "owner",
      op: SABOTAGE,
      a: { cart: { ...first, pick: { mode: "any", n: 0 } } },
    }],
    burst: false,
  };
  // single calls only: no step both makes and closes a cart, so three steps are the minimum
  const filler = randomSource(SEED, 40, 0);
  const source: Source = (i, f, m) =>
    i < 2 ? planted[i] : i < 42 ? filler(i - 2, f, m) : i === 42 ? sabotage : undefined;
  await withDb(async (db) => {
    const run = await play(db, source);
    assert.equal(
      run.failure?.index,
      42,
      `the run failed at another step: ${JSON.stringify(run.failure)}`,
    );
    assert.ok(
      run.failure.violations.some((v) => v.check === "lifecycle"),
      JSON.stringify(run.failure),
    );
    const shrunk = await shrink(db, run);
    const sql = formatRun(shrunk.replay, `-- seed ${SEED}: the planted failure`);
    console.log(`shrunk 43 steps to ${shrunk.steps.length} in ${shrunk.replays} replays:\n${sql}`);
    assert.ok(shrunk.reproduced);
    assert.equal(shrunk.steps.length, 3);
    assert.equal(shrunk.steps[2], sabotage);
    assert.match(sql, /update public\.carts set status = 'abandoned' where id = '[0-9a-f-]{36}';/);
    assert.match(sql, /\[lifecycle\] cart [0-9a-f-]{36}: completed -> abandoned/);
  });
});

Deno.test({
  name: "model: close the connection pool",
  fn: () => pool.end(),
  sanitizeOps: false,
  sanitizeResources: false,
});
