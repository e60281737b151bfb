// The deploy of a live POS database, tested as it happens: a legacy database of 20,000 carts
// with duplicates and messy rows, 4 pgbench clients sending the old apps' requests (look-up-
// then-insert carts, queue inserts and joins, line inserts, status updates) as PostgREST runs
// them, and every migration applied in the middle, each file as the Supabase CLI sends it
// (the repair committing batch by batch). bench/legacy_load.ts does the run on a throwaway
// cluster of its own; this test reads its result. Afterwards: no migration failed, 0
// duplicates and 0 invariant violations, no invalid index, no pgbench client aborted, no
// request failed before the deploy, and the requests that failed during and after it failed
// only with the errors the old apps meet by design (docs/api.md, "Existing deployments"):
// a duplicate refused, a deadlock chosen, a change the new rules refuse. None waited into its
// statement timeout (57014).
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const EXPECTED = new Set(["23505", "40P01", "PT409", "P0001"]);

Deno.test("deploy under load: 20,000 legacy carts and 4 old-app clients take every migration with 0 duplicates after", async () => {
  const args = ["run", "-A", "bench/legacy_load.ts", "--carts", "20000", "--entries", "2000"];
  args.push("--clients", "4", "--before", "3", "--after", "3");
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const written = text.match(/^written: (.*\.json)$/m)?.[1];
  assert.ok(written, `no result written:\n${text}\n${new TextDecoder().decode(out.stderr)}`);
  const r = JSON.parse(await Deno.readTextFile(written));
  await Deno.remove(written);
  const w = r.workload;
  console.log(
    `migrations ${r.migration.seconds} s (retries ${JSON.stringify(r.migration.retries)}); ` +
      `${w.transactions} requests, longest ${w.longestMs} ms; errors during ` +
      `${JSON.stringify(w.errors.during)}, after ${JSON.stringify(w.errors.after)}`,
  );

  assert.equal(r.migration.failed, null, "every migration applied");
  assert.equal(r.after.violations, 0, JSON.stringify(r.after.census));
  assert.deepEqual(r.after.invalidIndexes, []);
  assert.deepEqual(w.unexpectedAborts, [], "no pgbench client aborted");
  assert.deepEqual(w.errors.before, {}, "no error before the deploy");
  for (const phase of ["during", "after"]) {
    const unexpected = Object.keys(w.errors[phase]).filter((s) => !EXPECTED.has(s));
    assert.deepEqual(
      unexpected,
      [],
      `errors ${phase} the deploy: ${JSON.stringify(w.errors[phase])}`,
    );
  }
  assert.ok(out.success, "bench/legacy_load.ts exited with success");
});
