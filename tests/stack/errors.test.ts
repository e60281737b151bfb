// The SQLSTATE -> HTTP table and PostgREST's error response (stack/postgrest/errors.ts),
// row by row against docs/postgrest-standin.md, "Errors". Pure: no database.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  errorResponse,
  fromDbError,
  httpStatusForSqlState,
  pgrstError,
} from "../../stack/postgrest/errors.ts";
import { fromThrown } from "../../stack/postgrest/handler.ts";
import postgres from "postgres";

Deno.test("SQLSTATE -> HTTP status, first match wins", () => {
  const cases: [string, number, string?, boolean?][] = [
    ["08000", 503],
    ["08006", 503],
    ["09000", 500],
    ["0L000", 403],
    ["0P000", 403],
    ["23503", 409],
    ["23505", 409],
    ["25006", 405],
    ["21000", 400, "UPDATE requires a WHERE clause"],
    ["21000", 500, "more than one row returned by a subquery used as an expression"],
    ["22023", 401, 'role "nobody" does not exist'],
    ["22023", 400, "invalid parameter value"],
    ["25001", 500],
    ["2D000", 500],
    ["38000", 500],
    ["39000", 500],
    ["3B000", 500],
    ["28000", 403],
    ["28P01", 403],
    ["40001", 500],
    ["40P01", 500],
    ["53400", 500],
    ["53300", 503],
    ["53100", 503],
    ["54000", 500],
    ["55P03", 500],
    ["57P01", 503],
    ["57014", 500],
    ["58030", 500],
    ["F0000", 500],
    ["HV000", 500],
    ["XX000", 500],
    ["P0001", 400],
    ["P0002", 500],
    ["P0004", 500],
    ["42883", 404],
    ["42P01", 404],
    ["42P17", 500],
    ["42501", 401, "permission denied", true],
    ["42501", 403, "permission denied", false],
    ["PT403", 403],
    ["PT404", 404],
    ["PT409", 409],
    ["PT402", 402],
    ["PT40A", 500],
    ["PTABC", 500],
    ["23502", 400],
    ["23514", 400],
    ["22P02", 400],
    ["42703", 400],
    ["42601", 400],
  ];
  for (const [code, status, message = "m", anon = false] of cases) {
    assertEquals(httpStatusForSqlState(code, message, anon), status, `${code} ${message}`);
  }
});

Deno.test("database errors keep code, message, details and hint (null when empty)", () => {
  assertEquals(
    fromDbError({ code: "PT404", message: "no cart", detail: "", hint: "cart_not_found" }, false),
    {
      status: 404,
      statusText: "no cart",
      body: { code: "PT404", message: "no cart", details: null, hint: "cart_not_found" },
    },
  );
});

Deno.test("RAISE SQLSTATE 'PGRST' takes status and headers from the DETAIL JSON", () => {
  const raised = fromDbError({
    code: "PGRST",
    message: '{"code":"123","message":"Payment Required","details":"d","hint":"h"}',
    detail: '{"status":402,"headers":{"X-Powered-By":"Nerd Rage"}}',
  }, false);
  assertEquals(raised, {
    status: 402,
    headers: { "X-Powered-By": "Nerd Rage" },
    body: { code: "123", message: "Payment Required", details: "d", hint: "h" },
  });
  const malformed = fromDbError({ code: "PGRST", message: "not json", detail: "{}" }, false);
  assertEquals([malformed.status, malformed.body.code], [500, "PGRST121"]);
});

Deno.test("PostgREST's own errors have fixed statuses", () => {
  const statuses = Object.fromEntries(
    [
      "PGRST000",
      "PGRST001",
      "PGRST003",
      "PGRST101",
      "PGRST102",
      "PGRST116",
      "PGRST202",
      "PGRST203",
      "PGRST301",
      "PGRST303",
    ]
      .map((c) => [c, pgrstError(c, "m").status]),
  );
  assertEquals(statuses, {
    PGRST000: 503,
    PGRST001: 503,
    PGRST003: 504,
    PGRST101: 405,
    PGRST102: 400,
    PGRST116: 406,
    PGRST202: 404,
    PGRST203: 300,
    PGRST301: 401,
    PGRST303: 401,
  });
});

Deno.test("error responses carry Proxy-Status, and WWW-Authenticate on every 401", async () => {
  const jwt = errorResponse(pgrstError("PGRST303", "JWT expired"));
  assertEquals(jwt.status, 401);
  assertEquals(jwt.headers.get("proxy-status"), "PostgREST; error=PGRST303");
  assertEquals(
    jwt.headers.get("www-authenticate"),
    'Bearer error="invalid_token", error_description="JWT expired"',
  );
  assertEquals(await jwt.json(), {
    code: "PGRST303",
    message: "JWT expired",
    details: null,
    hint: null,
  });
  const denied = errorResponse(fromDbError({ code: "42501", message: "permission denied" }, true));
  assertEquals([denied.status, denied.headers.get("www-authenticate")], [401, "Bearer"]);
  await denied.body?.cancel();
  const conflict = errorResponse(fromDbError({ code: "23505", message: "dup" }, false));
  assertEquals([conflict.status, conflict.headers.get("www-authenticate")], [409, null]);
  assertEquals(conflict.headers.get("content-type"), "application/json; charset=utf-8");
  await conflict.body?.cancel();
});

Deno.test("client-side connection errors are 503 PGRST001, even with a 5-letter code", () => {
  const epipe = Object.assign(new Error("This socket has been ended by the other party"), {
    code: "EPIPE",
  });
  const mapped = fromThrown(epipe, false);
  assertEquals([mapped.status, mapped.body.code], [503, "PGRST001"]);
  const serverSent = new postgres.PostgresError({ code: "23505", message: "dup" } as never);
  assertEquals(fromThrown(serverSent, false).status, 409);
  const startingUp = new postgres.PostgresError(
    { code: "57P03", message: "the database system is starting up" } as never,
  );
  assertEquals(
    [fromThrown(startingUp, false).status, fromThrown(startingUp, false).body.code],
    [503, "PGRST001"],
  );
});

Deno.test("a PTxyz error's message is the reason phrase (RpcSpec PT402 case)", () => {
  const err = fromDbError({ code: "PT402", message: "Payment Required" }, false);
  assertEquals([err.status, err.statusText], [402, "Payment Required"]);
  const bad = fromDbError({ code: "PT40A", message: "Wrong" }, false);
  assertEquals([bad.status, bad.statusText], [500, undefined]);
  const raised = fromDbError({
    code: "PGRST",
    message: '{"code":"123","message":"ABC"}',
    detail: '{"status":332,"status_text":"My Custom Status","headers":{"X-Header":"str"}}',
  }, false);
  assertEquals([raised.status, raised.statusText, raised.headers], [332, "My Custom Status", {
    "X-Header": "str",
  }]);
});
