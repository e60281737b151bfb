// Stopping the dev command (stack/dev.ts, what `scripts/dev` runs) while its database is still
// being created leaves nothing behind: no temporary directory, no PostgreSQL server. The
// command runs with TMPDIR pointed at a directory of its own, in a session of its own, and is
// stopped as soon as initdb has begun writing the cluster: by Ctrl-C in a terminal (SIGINT to
// the whole process group, initdb included), and by a SIGTERM to the command alone (initdb
// then finishes first). Does I/O: processes, files.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { freePort } from "../../stack/wait.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Processes whose command line mentions `text`. */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " ");
      if (cmdline.includes(text)) found.push(`${entry.name}: ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The cluster directory initdb is writing, once it has written its first file. */
async function initdbBegun(tmp: string, deadline: number): Promise<string> {
  while (Date.now() < deadline) {
    for (const entry of Deno.readDirSync(tmp)) {
      if (!entry.name.startsWith("poscart-pg-")) continue;
      const data = `${tmp}/${entry.name}/data`;
      try {
        if (Deno.statSync(`${data}/PG_VERSION`).isFile) return data;
      } catch {
        // not yet
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("initdb did not begin within the time allowed");
}

async function stopDuringInitdb(signalGroup: boolean) {
  const tmp = await Deno.makeTempDir({ prefix: "poscart-early-stop-" });
  // initdb runs as the `postgres` user when the tests run as root: it must reach the cluster.
  await Deno.chmod(tmp, 0o755);
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), "run", "-A", "stack/dev.ts"],
    cwd: ROOT,
    env: {
      TMPDIR: tmp,
      POSCART_API_PORT: String(freePort()),
      POSCART_DB_PORT: String(freePort()),
      POSCART_SEED: "0",
      POSCART_STACK_INFO: "",
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  try {
    const data = await initdbBegun(tmp, Date.now() + 90_000);
    if (signalGroup) Deno.kill(-child.pid, "SIGINT");
    else Deno.kill(child.pid, "SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      output.then(() => true),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), 90_000))),
    ]);
    clearTimeout(timer);
    assert(exited, "the dev command exited after the signal");
    assertEquals([...Deno.readDirSync(tmp)].map((e) => e.name), [], "nothing left in TMPDIR");
    assertEquals(processesMentioning(data), [], "no server left running on the cluster");
  } finally {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
    await output.catch(() => {});
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

Deno.test("the dev command stopped by Ctrl-C during initdb leaves nothing behind", () =>
  stopDuringInitdb(true));

Deno.test("the dev command stopped by SIGTERM during initdb leaves nothing behind", () =>
  stopDuringInitdb(false));
