// Short form of the concurrency stress (bench/stress.ts): 64 pgbench clients for a few
// seconds on a tiny key space, then zero duplicates and every open entry's cart active.
import assert from "node:assert/strict";
import { stackInfo } from "../_support/stack.ts";
import { formatStress, runStress } from "../../bench/stress.ts";

Deno.test("64 concurrent sessions mixing get, add_to_queue, remove, complete leave no duplicate", async () => {
  const r = await runStress({
    adminUrl: stackInfo().dbUrl,
    seconds: 5,
    clients: 64,
    customers: 4,
    locations: 2,
  });
  console.log(formatStress(r));
  assert.ok(r.transactions > 1000, `only ${r.transactions} operations ran`);
  assert.ok(
    r.outcomes.carts_completed > 0 && r.outcomes.entries_removed > 0,
    "the mix did not complete and remove",
  );
  assert.equal(r.failedTransactions, 0);
  assert.equal(r.duplicateActiveCarts, 0);
  assert.equal(r.duplicateOpenEntries, 0);
  assert.equal(r.openEntriesWithInactiveCart, 0);
  assert.equal(r.invariantViolations, 0);
});
