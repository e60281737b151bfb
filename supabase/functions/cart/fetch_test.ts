// Tests of the built wasm module's RPC calls (`deno test -A supabase/functions/cart/`, after
// the build), against a PostgREST double on a free local port: the request postgrest-rs builds
// goes out through the global `fetch` with its URL, headers and body; the entry points `get`
// and `add_to_queue` serve their own action; an attempt that outlives its deadline has its
// fetch aborted; a statement timeout is answered 503 at once. Does I/O: a local server.
import assert from "node:assert/strict";
import { CartFunction, initSync } from "./pkg/poscart.js";

initSync({ module: await Deno.readFile(new URL("./pkg/poscart_bg.wasm", import.meta.url)) });

const L = "11111111-1111-4111-8111-111111111111";
const C = "22222222-2222-4222-8222-222222222222";

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A PostgREST double: records each request, then answers with `answer`. */
function upstream(answer: (req: Request, seen: Seen) => Promise<Response> | Response) {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const record: Seen = {
      method: req.method,
      path: new URL(req.url).pathname,
      headers: Object.fromEntries(req.headers),
      body: JSON.parse(await req.text()),
    };
    seen.push(record);
    return await answer(req, record);
  });
  return { seen, server, url: `http://127.0.0.1:${server.addr.port}` };
}

function cartFunction(url: string, extra: Record<string, string> = {}) {
  return new CartFunction({ SUPABASE_URL: url, SUPABASE_ANON_KEY: "anon-key", ...extra });
}

/** Runs `fn` with console.log and console.warn silenced (the function's log lines). */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const { log, warn } = console;
  console.log = console.warn = () => {};
  try {
    return await fn();
  } finally {
    Object.assign(console, { log, warn });
  }
}

const post = (body: unknown, headers: Record<string, string> = {}) =>
  new Request("http://localhost/functions/v1/cart", {
    method: "POST",
    headers: { authorization: "bearer user.jwt", "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

Deno.test("the request postgrest-rs builds goes out through fetch as built", async () => {
  const up = upstream(() => Response.json({ queue_entry: { id: "e" }, created: true }));
  try {
    const cart = cartFunction(up.url);
    const res: Response = await quietly(() =>
      cart.add_to_queue(post({ customerId: C, location_id: L, party_size: 2 }, {
        "x-request-id": "fetch-test-1",
      }))
    );
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { queue_entry: { id: "e" }, created: true });
    assert.equal(up.seen.length, 1);
    const [call] = up.seen;
    assert.equal(call.method, "POST");
    assert.equal(call.path, "/rest/v1/rpc/add_to_queue");
    assert.deepEqual(call.body, { p_customer_id: C, p_location_id: L, p_party_size: 2 });
    // postgrest-rs's constant headers, and the caller's credentials forwarded as they came.
    assert.equal(call.headers["accept"], "application/json");
    assert.equal(call.headers["content-type"], "application/json");
    assert.equal(call.headers["apikey"], "anon-key");
    assert.equal(call.headers["authorization"], "bearer user.jwt");
    assert.equal(call.headers["x-request-id"], "fetch-test-1");
  } finally {
    await up.server.shutdown();
  }
});

Deno.test("the entry points serve their own action and refuse another", async () => {
  const up = upstream(() => Response.json({ cart: { id: C }, created: false }));
  try {
    const cart = cartFunction(up.url);
    const byQuery = new Request(`http://localhost/cart?location_id=${L}&device_id=ipad-1`, {
      headers: { authorization: "Bearer t" },
    });
    const got: Response = await quietly(() => cart.get(byQuery));
    assert.equal(got.status, 200);
    await got.body?.cancel();
    assert.equal(up.seen[0].path, "/rest/v1/rpc/get_or_create_cart");
    assert.deepEqual(up.seen[0].body, { p_location_id: L, p_device_id: "ipad-1" });

    const other: Response = await quietly(() =>
      cart.get(post({ action: "add_to_queue", customer_id: C, location_id: L }))
    );
    assert.equal(other.status, 400);
    const body = await other.json();
    assert.deepEqual(body.error.fields, {
      action: "is add_to_queue, but this entry point serves get",
    });
    assert.equal(up.seen.length, 1, "nothing sent for a refused request");
  } finally {
    await up.server.shutdown();
  }
});

Deno.test("an attempt past its deadline has its fetch aborted", async () => {
  // A server that reads the request and never answers; the fetch's connection closing is
  // the sign that the caller aborted it.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connectionClosed = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(4096);
    try {
      while ((await conn.read(buf)) !== null) { /* the request, then nothing */ }
    } catch { /* reset by the peer: closed too */ }
    conn.close();
    return performance.now();
  })();
  try {
    const cart = cartFunction(`http://127.0.0.1:${listener.addr.port}`, {
      CART_RETRY_MAX_ATTEMPTS: "1",
      CART_RETRY_BUDGET_MS: "300",
    });
    const started = performance.now();
    const res: Response = await quietly(() =>
      cart.handle(post({ action: "get", customer_id: C, location_id: L }))
    );
    const answeredMs = performance.now() - started;
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    await res.body?.cancel();
    assert.ok(answeredMs >= 290 && answeredMs < 2000, `answered after ${answeredMs.toFixed(0)} ms`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const notClosed = new Promise<number>((r) => (timer = setTimeout(() => r(Infinity), 3000)));
    const closedMs = (await Promise.race([connectionClosed, notClosed])) - started;
    clearTimeout(timer);
    assert.ok(closedMs < 2000, `fetch aborted after ${closedMs.toFixed(0)} ms`);
  } finally {
    listener.close();
  }
});

Deno.test("one timer serves the deadlines of attempts in flight together", async () => {
  // A server that never answers; it counts the connections it saw closed.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let closed = 0;
  const serving = (async () => {
    const conns: Promise<void>[] = [];
    for (let n = 0; n < 2; n++) {
      const conn = await listener.accept();
      conns.push((async () => {
        const buf = new Uint8Array(4096);
        try {
          while ((await conn.read(buf)) !== null) { /* the request, then nothing */ }
        } catch { /* reset: closed too */ }
        conn.close();
        closed++;
      })());
    }
    await Promise.all(conns);
  })();
  try {
    const cart = cartFunction(`http://127.0.0.1:${listener.addr.port}`, {
      CART_RETRY_MAX_ATTEMPTS: "1",
      CART_RETRY_BUDGET_MS: "300",
    });
    const timed = async () => {
      const started = performance.now();
      const res: Response = await cart.handle(
        post({ action: "get", customer_id: C, location_id: L }),
      );
      await res.body?.cancel();
      return { status: res.status, ms: performance.now() - started, at: performance.now() };
    };
    const [a, b] = await quietly(async () => {
      const first = timed();
      await new Promise((r) => setTimeout(r, 120));
      return await Promise.all([first, timed()]);
    });
    // Each answers on its own deadline, 300 ms after it began, the later one later.
    for (const x of [a, b]) {
      assert.equal(x.status, 503);
      assert.ok(x.ms >= 290 && x.ms < 1500, `answered after ${x.ms.toFixed(0)} ms`);
    }
    assert.ok(b.at - a.at >= 80, `the second answered ${(b.at - a.at).toFixed(0)} ms later`);
    await serving;
    assert.equal(closed, 2, "both fetches aborted");
  } finally {
    listener.close();
  }
});

Deno.test("a statement timeout is answered 503 without another attempt", async () => {
  const up = upstream(() =>
    Response.json({
      code: "57014",
      message: "canceling statement due to statement timeout",
      details: null,
      hint: null,
    }, { status: 500 })
  );
  const lines: string[] = [];
  const { log } = console;
  console.log = (line: string) => lines.push(line);
  try {
    const cart = cartFunction(up.url);
    const res: Response = await cart.handle(
      post({ action: "get", customer_id: C, location_id: L }),
    );
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.equal((await res.json()).error.code, "service_unavailable");
    assert.equal(up.seen.length, 1);
  } finally {
    console.log = log;
    await up.server.shutdown();
  }
  const line = JSON.parse(lines[0]);
  assert.equal(line.attempts, 1);
  assert.match(line.detail, /57014 \(statement timeout\)/);
});
