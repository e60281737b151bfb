// Database timeouts as a device meets them, through the gateway and the function.
//
// A row lock held by another session: the writing RPCs wait at most 2 s for a lock
// (SET lock_timeout on each), then the database answers 55P03, which the function retries
// like a serialization failure: the call succeeds once the lock is gone, or answers 503 with
// Retry-After when it outlasts the retry budget. A statement that outlives the role's
// statement_timeout is cancelled (57014): the function answers 503 with Retry-After at once,
// without another attempt. PostgREST's own answer (500 with the SQLSTATE) is checked too, so
// the test shows which of the two the database produced.
import {
  assert,
  assertEquals,
  call,
  e2eTest,
  posClient,
  sleep,
  type Sql,
  userJwt,
} from "./_lib.ts";
import type { Store } from "../_support/fixtures.ts";

/** Holds a FOR UPDATE lock on the cart row in a session of its own until `release()`. */
async function lockCart(sql: Sql, cartId: string) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = sql.begin(async (tx) => {
    await tx`select id from public.carts where id = ${cartId} for update`;
    locked();
    await released;
  });
  await isLocked;
  return { release: async () => (release(), await done) };
}

/** A staff member's client of the store, and the customer's cart it got. */
async function staffWithCart(fx: Store, customer: string) {
  const app = posClient(await userJwt({ storeIds: [fx.storeId] }));
  const got = await call(app, { action: "get", customer_id: customer, location_id: fx.locationId });
  assertEquals(got.status, 200, JSON.stringify(got.body));
  return { app, cartId: got.body.cart.id as string };
}

/** The stand-in reads role settings (as PostgREST does at a schema reload) at most every 5 s. */
const ROLE_SETTINGS_REFRESH_MS = 5500;

e2eTest(
  "a row lock held past the lock timeout: 55P03, retried by the function",
  { customers: 2 },
  async ({ sql, fx }) => {
    const [customer, other] = fx.customerIds;
    const { app, cartId } = await staffWithCart(fx, customer);

    // PostgREST's answer while the lock is held: 500 with SQLSTATE 55P03 after 2 s.
    const held = await lockCart(sql, cartId);
    const direct = await app.rpc("complete_cart", { p_cart_id: cartId });
    assertEquals(direct.error?.code, "55P03", JSON.stringify(direct));

    // Through the function: the lock goes away after 3 s; the retry completes the cart.
    const releaseSoon = sleep(3000).then(() => held.release());
    const retried = await call(app, { action: "complete_cart", cart_id: cartId });
    await releaseSoon;
    console.log(
      `complete_cart behind a 3 s lock: ${retried.status} after ${retried.ms.toFixed(0)} ms`,
    );
    assertEquals(retried.status, 200, JSON.stringify(retried.body));
    assertEquals(retried.body.cart.status, "completed");
    assert(retried.ms >= 2000, `answered in ${retried.ms} ms: it did not wait for the lock`);

    // A lock that outlasts the retry budget (5 s): 503 with Retry-After. Like a lost answer,
    // a 503 leaves the outcome open (the last attempt may still be waiting in the database);
    // the action is idempotent, so the app's retry gets the one result.
    const second = await call(app, {
      action: "get",
      customer_id: other,
      location_id: fx.locationId,
    });
    const long = await lockCart(sql, second.body.cart.id);
    try {
      const gaveUp = await call(app, { action: "complete_cart", cart_id: second.body.cart.id });
      console.log(
        `complete_cart behind a held lock: ${gaveUp.status} after ${gaveUp.ms.toFixed(0)} ms`,
      );
      assertEquals(gaveUp.status, 503, JSON.stringify(gaveUp.body));
      assertEquals(gaveUp.body.error.code, "service_unavailable");
      assert(gaveUp.headers.get("retry-after"), "Retry-After on 503");
    } finally {
      await long.release();
    }
    const again = await call(app, { action: "complete_cart", cart_id: second.body.cart.id });
    assertEquals(again.status, 200, JSON.stringify(again.body));
    assertEquals(again.body.cart.status, "completed");
    const [done] = await sql`select count(*)::int as n from public.carts
    where customer_id = ${other} and location_id = ${fx.locationId}`;
    assertEquals(done.n, 1, "one cart for the customer: the retry completed the same cart");
  },
);

e2eTest(
  "a statement past the statement timeout: 57014, answered 503 at once",
  { customers: 1 },
  async ({ sql, fx }) => {
    const [customer] = fx.customerIds;
    const { app, cartId } = await staffWithCart(fx, customer);

    // The signed-in role's statement timeout (8 s on Supabase) cut to 1 s, shorter than the
    // RPCs' 2 s lock timeout, so that a held lock ends in a statement timeout.
    await sql`alter role authenticated set statement_timeout = '1s'`;
    try {
      await sleep(ROLE_SETTINGS_REFRESH_MS);
      const held = await lockCart(sql, cartId);
      try {
        const direct = await app.rpc("complete_cart", { p_cart_id: cartId });
        assertEquals(direct.error?.code, "57014", JSON.stringify(direct));
        const res = await call(app, { action: "complete_cart", cart_id: cartId });
        console.log(
          `complete_cart past the statement timeout: ${res.status} after ${res.ms.toFixed(0)} ms`,
        );
        assertEquals(res.status, 503, JSON.stringify(res.body));
        assertEquals(res.body.error.code, "service_unavailable");
        assert(res.headers.get("retry-after"), "Retry-After on 503");
        assert(res.ms < 1900, `answered in ${res.ms} ms: a statement timeout is not retried`);
      } finally {
        await held.release();
      }
    } finally {
      await sql`alter role authenticated set statement_timeout = '8s'`;
      await sleep(ROLE_SETTINGS_REFRESH_MS);
    }
    const [still] = await sql`select status from public.carts where id = ${cartId}`;
    assertEquals(still.status, "active", "the cancelled checkout wrote nothing");
  },
);
