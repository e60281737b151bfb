// Bad input at scale: a seeded generator of at least 10,000 malformed or hostile
// request bodies (deep nesting, huge strings, wrong types, unicode junk, SQL-ish strings,
// duplicate keys, invalid UTF-8) sent through the gateway 16 at a time. No 5xx, no hang, no row
// written. POSCART_CORPUS_SIZE and POSCART_CORPUS_SEED give the long form
// (e.g. POSCART_CORPUS_SIZE=200000).
import {
  assertEquals,
  e2eTest,
  jsonHeaders,
  locationRows,
  pool,
  rawCall,
  seededRandom,
  statusCounts,
  userJwt,
  UUID_RE,
} from "./_lib.ts";

const SIZE = Number(Deno.env.get("POSCART_CORPUS_SIZE") ?? 10_000);
const SEED = Number(Deno.env.get("POSCART_CORPUS_SEED") ?? 20260122);
const CONCURRENCY = 16;
const HANG_MS = 10_000;

const SQLISH = [
  "'; drop table public.carts; --",
  "' or '1'='1",
  "1; update public.carts set status = 'completed'",
  "$$; select pg_sleep(10); $$",
  "') union select * from auth.users --",
  "%' and 1=1 --",
  "\\x00; copy public.carts to program 'sh'",
  "get'); delete from public.location_queue; --",
];
const UNICODE = [
  "\u202egnp.exe",
  "\u200b\u200c\u200d",
  "🛒🧾👨‍👩‍👧",
  "Ａｃｔｉｏｎ",
  "ğ̸̢̛e̶̡͝t̴",
  "\ud800",
  "\udfff\ud800",
  "\u0000\u0001\u0002",
  "ﬀﬁﬂ",
  "𝔤𝔢𝔱",
];
const ACTIONS = [
  "get",
  "add_to_queue",
  "remove_from_queue",
  "call",
  "serve",
  "no_show",
  "complete_cart",
  "list_queue",
];

type Body = { text: string | Uint8Array<ArrayBuffer>; contentType: string };

function makeGenerator(seed: number, locationId: string, customerId: string) {
  const rnd = seededRandom(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: T[]): T => xs[int(xs.length)];

  /** A string that is never a valid UUID. */
  function junkString(): string {
    switch (int(7)) {
      case 0:
        return pick(SQLISH);
      case 1:
        return pick(UNICODE);
      case 2:
        return "x".repeat(1 + int(rnd() < 0.1 ? 60_000 : 300));
      case 3:
        return crypto.randomUUID().slice(0, 8 + int(27));
      case 4:
        return Array.from({ length: 1 + int(40) }, () => String.fromCharCode(int(0x10000)))
          .join("");
      case 5:
        return locationId.replace(/[0-9a-f]/, "z");
      default:
        return pick(SQLISH) + pick(UNICODE);
    }
  }
  function junkValue(depth = 0): unknown {
    switch (int(depth > 2 ? 6 : 8)) {
      case 0:
        return junkString();
      case 1:
        return pick([0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 63]);
      case 2:
        return rnd() < 0.5;
      case 3:
        return null;
      case 4:
        return [];
      case 5:
        return {};
      case 6:
        return Array.from({ length: int(4) }, () => junkValue(depth + 1));
      default:
        return Object.fromEntries(
          Array.from({ length: int(4) }, () => [junkString().slice(0, 20), junkValue(depth + 1)]),
        );
    }
  }
  const idOrJunk = () => (rnd() < 0.5 ? crypto.randomUUID() : junkString());
  const json = (v: unknown): Body => ({ text: JSON.stringify(v), contentType: "application/json" });

  return function next(): Body {
    switch (int(10)) {
      case 0: { // deep nesting, as the body or inside a field
        const depth = 50 + int(20_000);
        const [open, close] = rnd() < 0.5 ? ["[", "]"] : ['{"a":', "}"];
        const nested = open.repeat(depth) + (open === "[" ? "" : "1") + close.repeat(depth);
        const text = rnd() < 0.5
          ? nested
          : `{"action":"get","location_id":${nested},"customer_id":"${customerId}"}`;
        return { text, contentType: "application/json" };
      }
      case 1: // an unknown action with otherwise valid fields and junk everywhere else
        return json({
          action: junkString(),
          location_id: locationId,
          customer_id: customerId,
          device_id: junkString(),
          note: junkString(),
        });
      case 2: { // a known action, the location valid, the customer junk
        const v = junkValue();
        const customer = typeof v === "string" && UUID_RE.test(v) ? 7 : v;
        return json({
          action: pick(["get", "add_to_queue"]),
          location_id: locationId,
          customer_id: customer ?? 7,
        });
      }
      case 3: // a known action with a junk location
        return json({
          action: pick(ACTIONS),
          location_id: junkValue() ?? 7,
          customer_id: customerId,
        });
      case 4: { // duplicate keys, every value invalid
        const a = JSON.stringify(junkString());
        const b = JSON.stringify(junkString());
        return {
          text:
            `{"action":"get","location_id":${a},"customer_id":"${customerId}","location_id":${b}}`,
          contentType: "application/json",
        };
      }
      case 5: // duplicate action keys, neither a real action
        return {
          text: `{"action":${JSON.stringify(junkString())},"location_id":"${locationId}",` +
            `"customer_id":"${customerId}","action":${JSON.stringify(junkString())}}`,
          contentType: "application/json",
        };
      case 6: // wrong types all over, no valid action
        return json(Object.fromEntries(
          ["action", "location_id", "customer_id", "store_id", "cart_id", "queue_entry_id"].map((
            k,
          ) => [k, k === "action" ? pick([1, true, [], {}, null, junkString()]) : junkValue()]),
        ));
      case 7: { // invalid UTF-8 / binary
        const bytes = Uint8Array.from({ length: 1 + int(200) }, () => int(256));
        bytes[0] = 0xc3; // a lead byte followed by junk: never valid UTF-8 JSON
        bytes[bytes.length > 1 ? 1 : 0] = 0x28;
        return {
          text: bytes,
          contentType: pick(["application/json", "application/octet-stream", "text/plain"]),
        };
      }
      case 8: // a transition or checkout with a reference that is not a uuid
        return json({
          action: pick(["remove_from_queue", "call", "serve", "no_show", "complete_cart"]),
          queue_entry_id: junkValue() ?? 7,
          cart_id: junkValue() ?? 7,
        });
      default: { // prototype keys and junk ids
        const text = `{"__proto__":{"action":"get"},"constructor":{"prototype":{}},` +
          `"location_id":${JSON.stringify(idOrJunk())},"customer_id":${
            JSON.stringify(junkString())
          }}`;
        return { text, contentType: "application/json" };
      }
    }
  };
}

e2eTest(
  `${SIZE} hostile bodies: no 5xx, no hang, nothing written`,
  { customers: 1 },
  async ({ sql, fx }) => {
    const next = makeGenerator(SEED, fx.locationId, fx.customerIds[0]);
    const bodies = Array.from({ length: SIZE }, next);
    const bytes = bodies.reduce((n, b) => n + b.text.length, 0);
    const headers = jsonHeaders(await userJwt({ storeIds: [fx.storeId] }));
    const before = await locationRows(sql, fx.locationId);
    const [countsBefore] = await sql`
    select (select count(*) from public.carts)::int as carts,
           (select count(*) from public.location_queue)::int as queue`;

    const started = performance.now();
    const results = await pool(bodies, CONCURRENCY, (b) =>
      rawCall({
        headers: { ...headers, "content-type": b.contentType },
        body: b.text,
        timeoutMs: HANG_MS,
      }));
    const seconds = (performance.now() - started) / 1000;
    const statuses = statusCounts(results);
    const serverErrors = results.filter((r) => r.status >= 500);
    const hung = results.filter((r) => r.status === 0);
    const slowest = Math.max(...results.map((r) => r.ms));
    console.log(
      `hostile corpus: ${SIZE} bodies (seed ${SEED}, ${(bytes / 1e6).toFixed(1)} MB) in ` +
        `${seconds.toFixed(1)} s, statuses ${
          JSON.stringify(statuses)
        }, 5xx ${serverErrors.length}, ` +
        `no answer ${hung.length}, slowest ${slowest.toFixed(0)} ms`,
    );
    for (const r of [...serverErrors, ...hung].slice(0, 5)) {
      console.log(`  ${r.status} ${r.networkError ?? JSON.stringify(r.body).slice(0, 200)}`);
    }
    const after = await locationRows(sql, fx.locationId);
    const [countsAfter] = await sql`
    select (select count(*) from public.carts)::int as carts,
           (select count(*) from public.location_queue)::int as queue`;
    assertEquals(serverErrors.length, 0, "no 5xx");
    assertEquals(hung.length, 0, `no request without an answer within ${HANG_MS} ms`);
    assertEquals(results.filter((r) => r.status === 200).length, 0, "nothing accepted");
    assertEquals(after, before, "nothing written at the location");
    assertEquals(countsAfter, countsBefore, "nothing written anywhere");
  },
);
