// The assembled stack (stack/mod.ts) on a throwaway Supabase project directory: the
// migrations are applied, the info file is written, a function is reachable through the
// gateway with verify_jwt from config.toml and gets the stack's env, an RPC is reachable
// through /rest/v1, and stop() leaves no server and no directory behind.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { startStack } from "../../stack/mod.ts";
import { freePort } from "../../stack/wait.ts";
import { userToken } from "../_support/jwt.ts";

const FUNCTION_SOURCE = `
Deno.serve(async (req) => {
  const rpc = await fetch(Deno.env.get("SUPABASE_URL") + "/rest/v1/rpc/project_answer", {
    method: "POST",
    headers: {
      apikey: Deno.env.get("SUPABASE_ANON_KEY"),
      Authorization: req.headers.get("authorization"),
      "Content-Type": "application/json",
    },
    body: "{}",
  });
  return Response.json({ viaRest: await rpc.json(), db: Deno.env.get("SUPABASE_DB_URL") });
});
`;

Deno.test("startStack: a whole stack on a throwaway project", {
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const project = await Deno.makeTempDir({ prefix: "poscart-project-test-" });
  try {
    await Deno.mkdir(`${project}/functions/answer`, { recursive: true });
    await Deno.mkdir(`${project}/migrations`);
    await Deno.writeTextFile(`${project}/functions/answer/index.ts`, FUNCTION_SOURCE);
    await Deno.writeTextFile(`${project}/config.toml`, "[functions.answer]\nverify_jwt = true\n");
    await Deno.writeTextFile(
      `${project}/migrations/20260101000000_create_answer.sql`,
      "create function public.project_answer() returns jsonb language sql as $$ select jsonb_build_object('answer', 42, 'uid', auth.uid()) $$;",
    );
    const infoFile = `${project}/stack.json`;
    const stack = await startStack({
      apiPort: freePort(),
      dbPort: freePort(),
      faults: true,
      functions: ["answer"],
      infoFile,
      supabaseDir: project,
      functionLogs: "file",
      handleSignals: false,
    });
    let stopped = false;
    try {
      const info = JSON.parse(await Deno.readTextFile(infoFile));
      assertEquals(info, stack.info);
      assertEquals(info.migrations.length, 1);
      assertEquals([info.postgrestKind, typeof info.faultUrl], ["stand-in", "string"]);

      const user = await userToken();
      const denied = await fetch(`${info.apiUrl}/functions/v1/answer`, { method: "POST" });
      assertEquals([denied.status, (await denied.json()).code], [
        401,
        "UNAUTHORIZED_NO_AUTH_HEADER",
      ]);
      const res = await fetch(`${info.apiUrl}/functions/v1/answer`, {
        method: "POST",
        headers: { Authorization: `Bearer ${user.token}`, apikey: info.anonKey },
      });
      assertEquals(await res.json(), {
        viaRest: { answer: 42, uid: user.sub },
        db: info.dbUrl,
      });
      await stack.stop();
      stopped = true;
      for (const url of [info.apiUrl, info.postgrestUrl, info.functions.answer]) {
        assertEquals(await fetch(url).then(() => "up", () => "down"), "down", url);
      }
      assertEquals(await Deno.stat(info.pgData).then(() => "kept", () => "removed"), "removed");
    } finally {
      if (!stopped) await stack.stop();
    }
  } finally {
    await Deno.remove(project, { recursive: true });
  }
});
