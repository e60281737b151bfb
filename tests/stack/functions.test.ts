// The function host (stack/functions.ts) and the config it reads (stack/config.ts): a
// throwaway function in a temporary directory gets the Supabase env plus functions/.env,
// its output lines are forwarded, and it stops; verify_jwt / entrypoint come from
// config.toml with the CLI's defaults.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { functionConfig, parseDotenv } from "../../stack/config.ts";
import { startFunction } from "../../stack/functions.ts";

const FUNCTION_SOURCE = `
Deno.serve((req) => {
  console.log(JSON.stringify({ msg: "request", path: new URL(req.url).pathname }));
  return Response.json({
    url: Deno.env.get("SUPABASE_URL"),
    anon: Deno.env.get("SUPABASE_ANON_KEY"),
    service: Deno.env.get("SUPABASE_SERVICE_ROLE_KEY"),
    db: Deno.env.get("SUPABASE_DB_URL"),
    fromDotenv: Deno.env.get("EXTRA_SETTING"),
  });
});
`;

Deno.test("function host: env, .env, log forwarding, stop", {
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "poscart-fn-test-" });
  try {
    await Deno.mkdir(`${dir}/functions/hello`, { recursive: true });
    await Deno.writeTextFile(`${dir}/functions/hello/index.ts`, FUNCTION_SOURCE);
    await Deno.writeTextFile(`${dir}/functions/.env`, "# comment\nEXTRA_SETTING='from dotenv'\n");
    const env = {
      SUPABASE_URL: "http://127.0.0.1:1",
      SUPABASE_ANON_KEY: "anon-key",
      SUPABASE_SERVICE_ROLE_KEY: "service-key",
      SUPABASE_DB_URL: "postgresql://postgres:postgres@127.0.0.1:2/postgres",
    };
    const fn = await startFunction({
      name: "hello",
      entrypoint: `${dir}/functions/hello/index.ts`,
      env,
      dotenvFile: `${dir}/functions/.env`,
      logFile: `${dir}/hello.log`,
    });
    let stopped = false;
    try {
      const res = await fetch(`${fn.url}/hello`);
      assertEquals(await res.json(), {
        url: env.SUPABASE_URL,
        anon: env.SUPABASE_ANON_KEY,
        service: env.SUPABASE_SERVICE_ROLE_KEY,
        db: env.SUPABASE_DB_URL,
        fromDotenv: "from dotenv",
      });
      await fn.stop();
      stopped = true;
      const logLines = (await Deno.readTextFile(`${dir}/hello.log`)).split("\n")
        .filter((l) => l.startsWith("{"));
      assertEquals(logLines.map((l) => JSON.parse(l)), [{ msg: "request", path: "/hello" }]);
      const after = await fetch(fn.url).then(() => "answered", () => "stopped");
      assertEquals(after, "stopped");
    } finally {
      if (!stopped) await fn.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("function config: verify_jwt, entrypoint and import map from config.toml", async () => {
  const dir = await Deno.makeTempDir({ prefix: "poscart-config-test-" });
  try {
    await Deno.mkdir(`${dir}/functions/a`, { recursive: true });
    await Deno.writeTextFile(`${dir}/functions/a/deno.json`, "{}");
    await Deno.writeTextFile(
      `${dir}/config.toml`,
      `[functions.a]\nverify_jwt = false\nentrypoint = "./functions/a/main.ts"\n\n[functions.b]\nenabled = false\n`,
    );
    assertEquals(functionConfig("a", dir), {
      name: "a",
      enabled: true,
      verifyJwt: false,
      entrypoint: `${dir}/functions/a/main.ts`,
      importMap: `${dir}/functions/a/deno.json`,
    });
    assertEquals(functionConfig("b", dir), {
      name: "b",
      enabled: false,
      verifyJwt: true,
      entrypoint: `${dir}/functions/b/index.ts`,
      importMap: null,
    });
    // The project's own config: the cart function verifies JWTs.
    assertEquals(functionConfig("cart").verifyJwt, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dotenv parsing", () => {
  assertEquals(
    parseDotenv('A=1\n# c\nexport B="two words"\nC=3 # trailing\n\nbad line\nD=\n'),
    { A: "1", B: "two words", C: "3", D: "" },
  );
});
