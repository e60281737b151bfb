// The auth matrix through the gateway: no Authorization, the anon key only, an
// expired JWT, a JWT signed with the wrong secret, a garbage token, a JWT whose
// app_metadata.store_ids excludes the location, one that includes it, and the service-role
// key. Each gets its documented status, and the refused ones write nothing.
import { createClient } from "@supabase/supabase-js";
import {
  assertEquals,
  call,
  type CallResult,
  e2eTest,
  locationRows,
  newStore,
  posClient,
  rawCall,
  stackInfo,
  userJwt,
} from "./_lib.ts";

e2eTest(
  "the auth matrix: 401 without a valid token, 403 outside the stores granted, 200 inside; refused callers write nothing",
  { customers: 2 },
  async ({ sql, fx }) => {
    const otherStore = await newStore(sql);
    const [customer, fresh] = fx.customerIds;
    const info = stackInfo();

    // An existing cart and entry, so that refused writes have something to change.
    const staff = posClient(await userJwt({ storeIds: [fx.storeId] }));
    const seeded = await call(staff, {
      action: "add_to_queue",
      customer_id: customer,
      location_id: fx.locationId,
    });
    assertEquals(seeded.status, 200, JSON.stringify(seeded.body));

    const requests = [
      { action: "get", customer_id: fresh, location_id: fx.locationId },
      { action: "add_to_queue", customer_id: fresh, location_id: fx.locationId },
      { action: "call", queue_entry_id: seeded.body.queue_entry.id },
      { action: "complete_cart", cart_id: seeded.body.cart.id },
    ];
    const viaClient = (token?: string) => (body: Record<string, unknown>) =>
      call(posClient(token), body);
    const wrongSecret = "another-secret-that-is-at-least-32-characters-long";
    const matrix: [string, number, (b: Record<string, unknown>) => Promise<CallResult>][] = [
      ["no Authorization header", 401, (body) =>
        rawCall({
          headers: { "content-type": "application/json", apikey: info.anonKey },
          body: JSON.stringify(body),
        })],
      ["anon key only", 401, viaClient()],
      ["expired JWT", 401, viaClient(await userJwt({ expiresIn: -3600 }))],
      ["JWT signed with the wrong secret", 401, viaClient(await userJwt({ secret: wrongSecret }))],
      ["garbage bearer token", 401, viaClient("not.a.jwt")],
      // Default deny: a signed-in user without any store (a plain sign-up) is refused.
      ["signed-in user without a store", 403, viaClient(await userJwt())],
      ["store_ids: [] (no store)", 403, viaClient(await userJwt({ storeIds: [] }))],
      // Another store's staff: the rows and the location answer as if they did not exist.
      [
        "store_ids excluding the location",
        404,
        viaClient(await userJwt({ storeIds: [otherStore.storeId] })),
      ],
    ];

    const before = await locationRows(sql, fx.locationId);
    const seen: string[] = [];
    for (const [label, expected, send] of matrix) {
      for (const body of requests) {
        const res = await send(body);
        seen.push(`${label} / ${body.action}: ${res.status}`);
        assertEquals(
          res.status,
          expected,
          `${label} / ${body.action}: ${res.status} ${JSON.stringify(res.body)}`,
        );
      }
    }
    const after = await locationRows(sql, fx.locationId);
    assertEquals(after, before, "refused callers wrote nothing");

    // The function's own refusals carry the product's error body; another store's location
    // answers exactly as a location that does not exist.
    const forbidden = await viaClient(await userJwt())(requests[0]);
    assertEquals(forbidden.body?.error?.code, "store_forbidden", JSON.stringify(forbidden.body));
    const foreign = await viaClient(await userJwt({ storeIds: [otherStore.storeId] }))(
      requests[0],
    );
    const missing = await viaClient(await userJwt({ storeIds: [otherStore.storeId] }))({
      ...requests[0],
      location_id: crypto.randomUUID(),
    });
    assertEquals(foreign.status, 404);
    assertEquals(
      { ...foreign.body.error, request_id: null },
      { ...missing.body.error, request_id: null },
    );

    // Allowed: a user scoped to this store, and the service-role key.
    const scoped = await viaClient(await userJwt({ storeIds: [fx.storeId] }))(requests[0]);
    seen.push(`store_ids including the location / get: ${scoped.status}`);
    assertEquals(scoped.status, 200, JSON.stringify(scoped.body));
    const service = createClient(info.apiUrl, info.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    });
    const asService = await call(service, requests[0]);
    seen.push(`service_role key / get: ${asService.status}`);
    assertEquals(asService.status, 200, JSON.stringify(asService.body));
    assertEquals(asService.body.cart.id, scoped.body.cart.id);
    console.log("auth matrix:\n  " + seen.join("\n  "));
  },
);

e2eTest(
  "open sign-ups: a user who signs up sees and changes nothing of any store until the service role grants one",
  { customers: 1 },
  async ({ sql, fx }) => {
    const info = stackInfo();
    const [customer] = fx.customerIds;
    const options = { auth: { persistSession: false, autoRefreshToken: false } };
    const app = createClient(info.apiUrl, info.anonKey, options);
    const signedUp = await app.auth.signUp({
      email: `signup-${crypto.randomUUID().slice(0, 8)}@example.com`,
      password: "open sign-ups",
    });
    assertEquals(signedUp.error, null);
    const before = await locationRows(sql, fx.locationId);

    const get = { action: "get", location_id: fx.locationId, customer_id: customer };
    const denied = await call(app, get);
    assertEquals([denied.status, denied.body.error.code], [403, "store_forbidden"]);
    for (const table of ["stores", "locations", "customers", "carts", "location_queue"]) {
      const { status, data } = await app.from(table).select("id");
      assertEquals([table, status, data], [table, 200, []]);
    }
    const insert = await app.from("carts").insert({
      location_id: fx.locationId,
      customer_id: customer,
    });
    assertEquals([insert.status, insert.error?.code, insert.error?.hint], [
      403,
      "PT403",
      "store_forbidden",
    ]);
    assertEquals(await locationRows(sql, fx.locationId), before, "nothing written");

    // granted as docs/api.md shows: the service role sets the claim, the next token carries it
    const admin = createClient(info.apiUrl, info.serviceRoleKey, options).auth.admin;
    const granted = await admin.updateUserById(signedUp.data.user!.id, {
      app_metadata: { store_ids: [fx.storeId] },
    });
    assertEquals(granted.error, null);
    assertEquals((await app.auth.refreshSession()).error, null);
    const allowed = await call(app, get);
    assertEquals([allowed.status, allowed.body.cart.customer_id], [200, customer]);
  },
);
