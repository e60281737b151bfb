// The pure parts of the local Realtime: frames of both protocol versions, bindings and
// their ids, filters, LSNs and commit timestamps, wal2json reassembly, payload shapes.
import { deepStrictEqual as assertEquals, ok as assert, throws } from "node:assert/strict";
import { bindingMatches, parseBinding, parseFilter } from "../../stack/realtime/bindings.ts";
import {
  ERROR_NO_PK,
  ERROR_UNAUTHORIZED,
  notice,
  noticeReason,
  shapeFor,
} from "../../stack/realtime/payload.ts";
import { decodeFrame, encodeFrame, ProtocolError } from "../../stack/realtime/protocol.ts";
import {
  Assembler,
  commitTimestamp,
  formatLsn,
  parseLsn,
  rowObject,
} from "../../stack/realtime/wal.ts";

Deno.test("frames: 2.0.0 arrays and 1.0.0 objects, both ways", () => {
  assertEquals(decodeFrame('["1","2","realtime:a","phx_join",{"x":1}]', "2.0.0"), {
    joinRef: "1",
    ref: "2",
    topic: "realtime:a",
    event: "phx_join",
    payload: { x: 1 },
  });
  assertEquals(
    decodeFrame('{"topic":"phoenix","event":"heartbeat","payload":{},"ref":7}', "1.0.0"),
    {
      joinRef: null,
      ref: "7",
      topic: "phoenix",
      event: "heartbeat",
      payload: {},
    },
  );
  const frame = { joinRef: null, ref: "3", topic: "t", event: "phx_reply", payload: { a: 1 } };
  assertEquals(encodeFrame(frame, "2.0.0"), '[null,"3","t","phx_reply",{"a":1}]');
  assertEquals(JSON.parse(encodeFrame(frame, "1.0.0")), {
    topic: "t",
    event: "phx_reply",
    payload: { a: 1 },
    ref: "3",
  });
  for (const bad of ["nope", "[1,2,3]", '{"topic":"t"}', '[null,null,"",  "e", {}]']) {
    throws(() => decodeFrame(bad, "2.0.0"), ProtocolError, bad);
  }
  throws(() => decodeFrame('["1","2","t","e",{}]', "1.0.0"), ProtocolError);
});

Deno.test("filters: each operator, negation, quoting, several conditions", () => {
  assertEquals(parseFilter("store_id=eq.5a1e"), [
    { column: "store_id", op: "eq", value: "5a1e", negate: false },
  ]);
  for (const op of ["neq", "lt", "lte", "gt", "gte"]) {
    assertEquals(parseFilter(`n=${op}.3`)[0].op, op);
  }
  assertEquals(parseFilter('status=in.(waiting,called,"a,b")'), [
    { column: "status", op: "in", value: ["waiting", "called", "a,b"], negate: false },
  ]);
  assertEquals(parseFilter('n=not.eq.3,label=eq."x\\"y"'), [
    { column: "n", op: "eq", value: "3", negate: true },
    { column: "label", op: "eq", value: 'x"y', negate: false },
  ]);
  assertEquals(parseFilter("  "), []);
  for (const bad of ["n", "n=like.x%", "n=eq", "n=in.3", "n=in.()", "=eq.3"]) {
    throws(() => parseFilter(bad), /Error parsing `filter` params/, bad);
  }
});

Deno.test("bindings: ids are integers equal for equal entries, errors carried, matching", () => {
  const a = parseBinding({ event: "INSERT", schema: "public", table: "carts", filter: "x=eq.1" });
  const b = parseBinding({ filter: "x=eq.1", table: "carts", schema: "public", event: "INSERT" });
  const c = parseBinding({ event: "*", schema: "public", table: "carts" });
  assert(Number.isInteger(a.id) && a.id >= 0);
  assertEquals(a.id, b.id);
  assert(a.id !== c.id);
  assertEquals(parseBinding({}).error?.startsWith("No subscription params provided"), true);
  assertEquals(parseBinding({ schema: "public", filter: "x=eq.1" }).error !== undefined, true);
  assertEquals(parseBinding({ table: "t", filter: "x=zz.1" }).error !== undefined, true);
  assertEquals(parseBinding({ table: "t" }).schema, "public");
  assertEquals(parseBinding({ schema: "public" }).table, "*");
  assert(bindingMatches(a, "public", "carts", "INSERT"));
  assert(!bindingMatches(a, "public", "carts", "UPDATE"));
  assert(bindingMatches(c, "public", "carts", "DELETE"));
  assert(!bindingMatches(c, "public", "location_queue", "DELETE"));
  assert(bindingMatches(parseBinding({ schema: "public" }), "public", "any", "UPDATE"));
  assertEquals(parseBinding({ table: "t", event: "update" }).event, "UPDATE");
});

Deno.test("LSNs and commit timestamps", () => {
  assertEquals(parseLsn("16/B374D848"), 0x16B374D848n);
  assertEquals(formatLsn(0x16B374D848n), "16/B374D848");
  assertEquals(parseLsn("0/0"), 0n);
  throws(() => parseLsn("16-B3"));
  assertEquals(commitTimestamp("2026-11-28 20:38:14.585193+00"), "2026-11-28T20:38:14.585Z");
  assertEquals(commitTimestamp("2026-11-28 20:38:14+00"), "2026-11-28T20:38:14.000Z");
  assertEquals(commitTimestamp("2026-11-28 22:38:14.5+02"), "2026-11-28T20:38:14.500Z");
  assertEquals(commitTimestamp("2026-11-28 20:38:14.1234+05:30"), "2026-11-28T15:08:14.123Z");
});

Deno.test("wal2json messages reassemble into transactions at their commit", () => {
  const a = new Assembler();
  const ts = "2026-11-28 20:38:14.58722+00";
  assertEquals(a.push({ action: "B", xid: 7421, timestamp: ts, nextlsn: "0/10" }), null);
  assert(a.open);
  assertEquals(
    a.push({
      action: "U",
      schema: "public",
      table: "t",
      columns: [{ name: "id", type: "integer", typeoid: 23, value: 1 }],
      identity: [{ name: "id", type: "integer", typeoid: 23, value: 1 }],
      pk: [{ name: "id", type: "integer", typeoid: 23 }],
    }),
    null,
  );
  assertEquals(a.push({ action: "M", content: "x" }), null);
  const tx = a.push({ action: "C", timestamp: ts, nextlsn: "0/151AFB0" });
  assertEquals([tx?.xid, tx?.endLsn], [7421, 0x151AFB0n]);
  assertEquals(tx?.changes.map((c) => [c.action, c.table, c.pk]), [
    ["UPDATE", "t", [{ name: "id", type: "integer" }]],
  ]);
  assert(!a.open);
  a.push({ action: "B", timestamp: ts });
  a.reset();
  assert(!a.open);
});

Deno.test("rows: json parsed, unchanged TOAST columns taken from the old row", () => {
  assertEquals(
    rowObject(
      [{ name: "id", type: "integer", typeoid: 23, value: 1 }, {
        name: "doc",
        type: "jsonb",
        typeoid: 3802,
        value: '{"a": [1]}',
      }],
      [{ name: "big", type: "text", typeoid: 25, value: "old" }, {
        name: "id",
        type: "integer",
        typeoid: 23,
        value: 0,
      }],
    ),
    { big: "old", id: 1, doc: { a: [1] } },
  );
  assertEquals(rowObject(null), null);
});

Deno.test("payloads: per-role columns, DELETE under RLS keeps the key only, notices", () => {
  const input = {
    schema: "public",
    table: "t",
    action: "UPDATE" as const,
    commitTimestamp: "2026-11-28T20:38:14.585Z",
    record: { id: 1, secret: "s", n: 2 },
    oldRecord: { id: 1, secret: "s", n: 1 },
    rlsEnabled: true,
    pk: ["id"],
  };
  const cols = [{ name: "id", type: "int4" }, { name: "n", type: "int4" }];
  assertEquals(shapeFor(input, cols), {
    schema: "public",
    table: "t",
    commit_timestamp: "2026-11-28T20:38:14.585Z",
    type: "UPDATE",
    columns: cols,
    record: { id: 1, n: 2 },
    old_record: { id: 1, n: 1 },
    errors: null,
  });
  const del = shapeFor({ ...input, action: "DELETE", record: null }, cols);
  assertEquals([del.record, del.old_record], [undefined, { id: 1 }]);
  const open = shapeFor({ ...input, action: "DELETE", record: null, rlsEnabled: false }, cols);
  assertEquals(open.old_record, { id: 1, n: 1 });
  const ins = shapeFor({ ...input, action: "INSERT", oldRecord: null }, cols);
  assertEquals([ins.record, "old_record" in ins], [{ id: 1, n: 2 }, false]);
  assertEquals(noticeReason("INSERT", [], cols), ERROR_NO_PK);
  assertEquals(noticeReason("INSERT", ["id"], [{ name: "n", type: "int4" }]), ERROR_UNAUTHORIZED);
  assertEquals(noticeReason("DELETE", [], []), null);
  assertEquals(noticeReason("UPDATE", ["id"], cols), null);
  assertEquals(notice("public", "t", "INSERT", ERROR_UNAUTHORIZED), {
    schema: "public",
    table: "t",
    commit_timestamp: null,
    type: "INSERT",
    columns: [],
    record: {},
    errors: [ERROR_UNAUTHORIZED],
  });
});
