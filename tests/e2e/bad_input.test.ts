// Table-driven bad input through the gateway with raw `fetch`: wrong types, bad UUIDs, missing
// fields, unknown actions, bodies over 64 KiB, wrong content types, broken JSON, wrong
// methods. Each request must get a 4xx JSON error {"error": {code, message, request_id}} and
// must write nothing.
import {
  assert,
  assertEquals,
  call,
  e2eTest,
  jsonHeaders,
  locationRows,
  newStore,
  pool,
  posClient,
  rawCall,
  type Sql,
  stackInfo,
  statusCounts,
  userJwt,
} from "./_lib.ts";

interface Case {
  name: string;
  method?: string;
  contentType?: string | null;
  body?: string | null;
  query?: string;
  /** The exact status expected, or "4xx" when several client errors are defensible. */
  expect: number | "4xx";
}

const BAD_UUIDS: unknown[] = [
  "",
  "not-a-uuid",
  "123",
  "00000000-0000-0000-0000-00000000000g",
  "6f1c2b1e-8d4a-4b7e-9c3d-2a1b0c9d8e7f0",
  "6f1c2b1e-8d4a-4b7e-9c3d",
  " 6f1c2b1e-8d4a-4b7e-9c3d-2a1b0c9d8e7f ",
  "'; drop table carts; --",
  "6f1c2b1e-8d4a-4b7e-9c3d-2a1b0c9d8e7f' or '1'='1",
  "\u0000",
  "ｇｅｔ",
  42,
  -1,
  3.5,
  true,
  [],
  ["6f1c2b1e-8d4a-4b7e-9c3d-2a1b0c9d8e7f"],
  {},
  { id: "6f1c2b1e-8d4a-4b7e-9c3d-2a1b0c9d8e7f" },
];

const BAD_ACTIONS: unknown[] = [
  "",
  "GET",
  "Get",
  "get ",
  " get",
  "delete",
  "drop table carts",
  "add-to-queue",
  "add_to_queue; drop table carts",
  "complete",
  "__proto__",
  "constructor",
  "ｇｅｔ",
  "get\u0000",
  42,
  true,
  null,
  [],
  ["get"],
  { name: "get" },
];

function buildCases(
  fx: { storeId: string; locationId: string; customerId: string; entryId: string; cartId: string },
  otherStoreId: string,
): Case[] {
  const cases: Case[] = [];
  const json = (name: string, body: unknown, expect: number | "4xx" = 400) =>
    cases.push({ name, body: JSON.stringify(body), expect });
  const loc = fx.locationId;
  const cust = fx.customerId;

  // Unknown actions.
  for (const action of BAD_ACTIONS) {
    json(`unknown action ${JSON.stringify(action)}`, {
      action,
      location_id: loc,
      customer_id: cust,
    });
  }
  json("no action at all", { location_id: loc, customer_id: cust });

  // Bad UUIDs and wrong types in every id field of every action, other fields valid.
  const templates: [string, Record<string, unknown>, string[]][] = [
    ["get", { action: "get", location_id: loc, customer_id: cust }, ["location_id", "customer_id"]],
    ["get(store)", { action: "get", location_id: loc, customer_id: cust, store_id: fx.storeId }, [
      "store_id",
    ]],
    ["add_to_queue", { action: "add_to_queue", location_id: loc, customer_id: cust }, [
      "location_id",
      "customer_id",
    ]],
    ["call", { action: "call", queue_entry_id: fx.entryId }, ["queue_entry_id"]],
    ["complete_cart", { action: "complete_cart", cart_id: fx.cartId }, ["cart_id"]],
    ["list_queue", { action: "list_queue", location_id: loc }, ["location_id"]],
  ];
  for (const [label, base, fields] of templates) {
    for (const field of fields) {
      for (const bad of BAD_UUIDS) {
        json(`${label}: ${field}=${JSON.stringify(bad)}`, { ...base, [field]: bad });
      }
    }
  }

  // Missing required fields.
  json("get without location", { action: "get", customer_id: cust });
  json("get without customer or device", { action: "get", location_id: loc });
  json("add_to_queue without customer", { action: "add_to_queue", location_id: loc });
  json("add_to_queue without location", { action: "add_to_queue", customer_id: cust });
  json("add_to_queue with device only", {
    action: "add_to_queue",
    location_id: loc,
    device_id: "ipad",
  });
  for (const action of ["remove_from_queue", "call", "serve", "no_show"]) {
    json(`${action} without any entry reference`, { action });
    json(`${action} with location but no customer`, { action, location_id: loc });
    json(`${action} with customer but no location`, { action, customer_id: cust });
  }
  json("complete_cart without cart_id", { action: "complete_cart" });
  json("list_queue without location", { action: "list_queue" });
  json("null location", { action: "get", location_id: null, customer_id: cust });

  // Wrong types in the other fields.
  for (const bad of [5, true, [], {}, ["ipad"], { d: 1 }]) {
    json(`device_id=${JSON.stringify(bad)}`, { action: "get", location_id: loc, device_id: bad });
  }
  for (const bad of ["two", true, [], {}, 1.5, [2]]) {
    json(`party_size=${JSON.stringify(bad)}`, {
      action: "add_to_queue",
      location_id: loc,
      customer_id: cust,
      party_size: bad,
    });
  }
  for (const bad of [5, true, [], { text: "hi" }]) {
    json(`note=${JSON.stringify(bad)}`, {
      action: "add_to_queue",
      location_id: loc,
      customer_id: cust,
      note: bad,
    });
  }

  // Bodies that are JSON but not an object.
  for (const body of ["[]", "123", '"get"', "null", "true", '[{"action":"get"}]']) {
    cases.push({ name: `non-object body ${body}`, body, expect: 400 });
  }

  // Broken JSON.
  for (
    const body of [
      "{",
      '{"action":',
      '{"action":"get"',
      "{'action':'get'}",
      '{"action":"get",}',
      `{"action":"get","location_id":"${loc}",}`,
      "{action:get}",
      '{"action":"get"}}',
      "NaN",
      "undefined",
      '{"action":"get" "location_id":"x"}',
      "\u0000",
      "\ufeff{",
      '{"a":1e999999}x',
    ]
  ) cases.push({ name: `broken JSON ${JSON.stringify(body).slice(0, 30)}`, body, expect: 400 });
  cases.push({ name: "empty body", body: "", expect: 400 });

  // Bodies over 64 KiB.
  for (const size of [65 * 1024, 70 * 1024, 256 * 1024, 1024 * 1024]) {
    cases.push({
      name: `body of ${size} bytes`,
      body: JSON.stringify({
        action: "add_to_queue",
        location_id: loc,
        customer_id: cust,
        note: "x".repeat(size),
      }),
      expect: 413,
    });
  }
  cases.push({
    name: "body over 64 KiB of whitespace",
    body: `{"action":"get","location_id":"${loc}","customer_id":"${cust}"}` +
      " ".repeat(66 * 1024),
    expect: 413,
  });

  // Wrong content types.
  for (
    const contentType of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
      "text/html",
      "application/octet-stream",
      "image/png",
    ]
  ) {
    cases.push({
      name: `content-type ${contentType}`,
      contentType,
      body: JSON.stringify({ action: "get", location_id: loc, customer_id: cust }),
      expect: 415,
    });
  }

  // Wrong methods.
  for (const method of ["PUT", "PATCH", "DELETE"]) {
    cases.push({
      name: `method ${method}`,
      method,
      body: JSON.stringify({ action: "get", location_id: loc, customer_id: cust }),
      expect: 405,
    });
  }
  for (const action of ["add_to_queue", "complete_cart", "call", "remove_from_queue"]) {
    cases.push({
      name: `GET of the write action ${action}`,
      method: "GET",
      contentType: null,
      body: null,
      query: new URLSearchParams({ action, location_id: loc, customer_id: cust }).toString(),
      expect: "4xx",
    });
  }

  // GET with bad query parameters.
  for (
    const query of [
      `location_id=nope&customer_id=${cust}`,
      `location_id=${loc}&customer_id=nope`,
      `customer_id=${cust}`,
      `action=frobnicate&location_id=${loc}&customer_id=${cust}`,
      `location_id=${loc}`,
      `location_id=${loc}&customer_id=${cust}%27%3B%20drop%20table%20carts`,
    ]
  ) {
    cases.push({
      name: `GET ?${query.slice(0, 40)}`,
      method: "GET",
      contentType: null,
      body: null,
      query,
      expect: 400,
    });
  }

  // Valid shapes that the database refuses: unknown ids, a store that does not own the location.
  json("get at an unknown location", {
    action: "get",
    location_id: crypto.randomUUID(),
    customer_id: cust,
  }, 404);
  json("get for an unknown customer", {
    action: "get",
    location_id: loc,
    customer_id: crypto.randomUUID(),
  }, 404);
  json("add_to_queue at an unknown location", {
    action: "add_to_queue",
    location_id: crypto.randomUUID(),
    customer_id: cust,
  }, 404);
  json("get with a store that does not own the location", {
    action: "get",
    location_id: loc,
    customer_id: cust,
    store_id: otherStoreId,
  }, 400);
  json("add_to_queue with a store that does not own the location", {
    action: "add_to_queue",
    location_id: loc,
    customer_id: cust,
    store_id: otherStoreId,
  }, 400);
  json("serve an unknown entry", { action: "serve", queue_entry_id: crypto.randomUUID() }, 404);
  json("complete an unknown cart", { action: "complete_cart", cart_id: crypto.randomUUID() }, 404);
  json("list an unknown location", { action: "list_queue", location_id: crypto.randomUUID() }, 404);
  return cases;
}

async function globalCounts(sql: Sql) {
  const [row] = await sql`
    select (select count(*) from public.carts)::int as carts,
           (select count(*) from public.location_queue)::int as queue`;
  return row;
}

e2eTest(
  "bad input: 4xx JSON errors, nothing written",
  { customers: 1 },
  async ({ sql, fx: base }) => {
    const other = await newStore(sql);
    const jwt = await userJwt({ storeIds: [base.storeId] });
    // One real entry and cart, so that id fields have something valid to be replaced.
    const seeded = await call(posClient(jwt), {
      action: "add_to_queue",
      location_id: base.locationId,
      customer_id: base.customerIds[0],
    });
    assertEquals(seeded.status, 200, JSON.stringify(seeded.body));
    const fx = {
      storeId: base.storeId,
      locationId: base.locationId,
      customerId: base.customerIds[0],
      entryId: seeded.body.queue_entry.id,
      cartId: seeded.body.cart.id,
    };
    const cases = buildCases(fx, other.storeId);
    assert(cases.length >= 200, `at least 200 cases (have ${cases.length})`);

    const before = await locationRows(sql, fx.locationId);
    const countsBefore = await globalCounts(sql);
    const headers = jsonHeaders(jwt);
    const results = await pool(cases, 8, async (c) => {
      const h: Record<string, string> = { ...headers };
      if (c.contentType === null) delete h["content-type"];
      else if (c.contentType) h["content-type"] = c.contentType;
      const res = await rawCall({
        method: c.method ?? "POST",
        headers: h,
        body: c.body ?? null,
        query: c.query,
      });
      return { c, res };
    });

    const failures: string[] = [];
    for (const { c, res } of results) {
      const ok = c.expect === "4xx"
        ? res.status >= 400 && res.status < 500
        : res.status === c.expect;
      const err = res.body?.error;
      const shaped = err && typeof err.code === "string" && /^[a-z][a-z0-9_]*$/.test(err.code) &&
        typeof err.message === "string" && err.message.length > 0 &&
        typeof err.request_id === "string" && err.request_id.length > 0;
      const json = (res.headers.get("content-type") ?? "").includes("application/json");
      if (!ok || !shaped || !json) {
        failures.push(
          `${c.name}: expected ${c.expect}, got ${res.status} ${
            res.networkError ?? JSON.stringify(res.body)?.slice(0, 200)
          }`,
        );
      }
    }
    console.log(
      `bad input: ${cases.length} requests, statuses ${
        JSON.stringify(statusCounts(
          results.map((r) => r.res),
        ))
      }, ${failures.length} not as expected`,
    );
    if (failures.length) console.log(failures.slice(0, 40).join("\n"));

    const after = await locationRows(sql, fx.locationId);
    const countsAfter = await globalCounts(sql);
    assertEquals(after, before, "no row at the location was written or changed");
    assertEquals(countsAfter, countsBefore, "no cart or queue row was written anywhere");
    assertEquals(failures, []);
  },
);

e2eTest("bad input: the request id is echoed from the request", async () => {
  const requestId = crypto.randomUUID();
  const res = await rawCall({
    headers: { ...jsonHeaders(await userJwt()), "x-request-id": requestId },
    body: "{",
  });
  assertEquals(res.status, 400);
  assertEquals(res.headers.get("x-request-id"), requestId);
  assertEquals(res.body.error.request_id, requestId);
  assert(stackInfo().apiUrl.startsWith("http"));
});
