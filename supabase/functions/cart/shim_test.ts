// Tests of the `cart` shim as a process (`deno test -A supabase/functions/cart/`, after the
// build): it serves on DENO_SERVE_ADDRESS, answers preflights, adds CORS headers, forwards the
// caller's credentials and request id to PostgREST, logs one JSON line per request without
// secrets, and answers 500 `server_misconfigured` when its environment is incomplete.
// Does I/O: spawns the shim, runs a small PostgREST double on a free local port.
import assert from "node:assert/strict";

const SHIM = new URL("./index.ts", import.meta.url).pathname;
const L = "11111111-1111-4111-8111-111111111111";
const C = "22222222-2222-4222-8222-222222222222";
const TOKEN = "user.jwt.token-that-must-not-be-logged";

interface Seen {
  path: string;
  body: unknown;
  apikey: string | null;
  authorization: string | null;
  requestId: string | null;
}

/** A PostgREST double that records each RPC and answers a fixed cart. */
function startPostgrest(seen: Seen[]): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    seen.push({
      path: new URL(req.url).pathname,
      body: await req.json(),
      apikey: req.headers.get("apikey"),
      authorization: req.headers.get("authorization"),
      requestId: req.headers.get("x-request-id"),
    });
    return Response.json({ cart: { id: C, status: "active" }, created: false });
  });
}

/** Where Deno keeps its cache; nothing else of this process's environment reaches the shim. */
function passThrough(): Record<string, string> {
  const keep = ["HOME", "DENO_DIR", "XDG_CACHE_HOME", "PATH"];
  return Object.fromEntries(keep.flatMap((k) => Deno.env.has(k) ? [[k, Deno.env.get(k)!]] : []));
}

/** Starts the shim with `env`; resolves once it listens. */
async function startShim(env: Record<string, string>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "--allow-read", SHIM],
    env: { ...passThrough(), ...env, DENO_SERVE_ADDRESS: "tcp:127.0.0.1:0", NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      lines.push(...chunk.split("\n").filter((l) => l.trim() !== ""));
    }
  };
  const done = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let url = "";
  for (let i = 0; i < 300 && !url; i++) {
    const listening = lines.find((l) => l.includes("Listening on http://"));
    url = listening?.match(/http:\/\/[0-9.:]+/)?.[0] ?? "";
    if (!url) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(url, `the shim did not start:\n${lines.join("\n")}`);
  const stop = async () => {
    child.kill("SIGTERM");
    await child.status;
    await done;
  };
  return { url, lines, stop };
}

Deno.test("the shim serves the wasm handler with CORS, forwarding credentials", async () => {
  const seen: Seen[] = [];
  const postgrest = startPostgrest(seen);
  const shim = await startShim({
    SUPABASE_URL: `http://127.0.0.1:${postgrest.addr.port}`,
    SUPABASE_ANON_KEY: "anon-key",
  });
  try {
    const preflight = await fetch(shim.url, { method: "OPTIONS" });
    await preflight.body?.cancel();
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /x-request-id/);
    // Only the methods the function serves are advertised.
    assert.equal(preflight.headers.get("access-control-allow-methods"), "GET, POST, OPTIONS");

    const res = await fetch(shim.url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${TOKEN}`,
        "content-type": "application/json",
        "x-request-id": "shim-test-1",
      },
      body: JSON.stringify({ action: "get", customerId: C, location_id: L }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { cart: { id: C, status: "active" }, created: false });
    assert.equal(res.headers.get("x-request-id"), "shim-test-1");
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.deepEqual(seen, [{
      path: "/rest/v1/rpc/get_or_create_cart",
      body: { p_customer_id: C, p_location_id: L },
      apikey: "anon-key",
      authorization: `Bearer ${TOKEN}`,
      requestId: "shim-test-1",
    }]);

    const bad = await fetch(shim.url, { method: "PUT", headers: { authorization: "Bearer x" } });
    assert.equal(bad.status, 405);
    assert.equal(bad.headers.get("allow"), "GET, POST, OPTIONS");
    assert.equal(bad.headers.get("access-control-allow-methods"), "GET, POST, OPTIONS");
    assert.equal((await bad.json()).error.code, "method_not_allowed");
    assert.equal(bad.headers.get("access-control-allow-origin"), "*");
  } finally {
    await shim.stop();
    await postgrest.shutdown();
  }
  const logs = shim.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  const request = logs.find((l) => l.request_id === "shim-test-1");
  assert.equal(request?.status, 200);
  assert.equal(request?.rpc, "get_or_create_cart");
  assert.equal(logs.filter((l) => l.msg === "request").length, 2, "one line per request");
  assert.ok(!shim.lines.some((l) => l.includes(TOKEN) || l.includes("anon-key")), "no secrets");
});

Deno.test("without its configuration the shim answers 500 server_misconfigured", async () => {
  const shim = await startShim({ SUPABASE_URL: "http://127.0.0.1:9" });
  try {
    const res = await fetch(shim.url, {
      method: "POST",
      headers: { authorization: "Bearer x", "content-type": "application/json" },
      body: JSON.stringify({ action: "get", customer_id: C, location_id: L }),
    });
    assert.equal(res.status, 500);
    assert.equal((await res.json()).error.code, "server_misconfigured");
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
  } finally {
    await shim.stop();
  }
  assert.ok(shim.lines.some((l) => l.includes("SUPABASE_ANON_KEY is not set")));
});
