// Stopping the dev command (stack/dev.ts, what `scripts/dev` runs) while its database is still
// being created leaves nothing behind: no temporary directory, no PostgreSQL server. The
// command runs with TMPDIR pointed at a directory of its own, in a session of its own, and is
// stopped as soon as initdb has begun writing the cluster: by Ctrl-C in a terminal (SIGINT to
// the whole process group, initdb included), and by a SIGTERM to the command alone (initdb
// then finishes first). Once running, a second Ctrl-C during the stop (a task runner passing
// its own on) does not cut the stop short. Does I/O: processes, files.
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

/** Reads the child's stdout until it has printed `text`; the rest is read and dropped. */
async function printed(stream: ReadableStream<Uint8Array>, text: string, deadline: number) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes(text)) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = await Promise.race([
      reader.read(),
      new Promise<null>((r) => (timer = setTimeout(() => r(null), deadline - Date.now()))),
    ]);
    clearTimeout(timer);
    if (next === null || next.done) throw new Error(`"${text}" was not printed in time`);
    seen += next.value;
  }
  (async () => {
    while (!(await reader.read()).done) { /* drained */ }
  })().catch(() => {});
}

/** The dev command in a session of its own, with TMPDIR of its own. */
function devCommand(tmp: string) {
  return new Deno.Command("setsid", {
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
    stderr: "null",
  }).spawn();
}

/** Waits for `child` to exit; then nothing may be left in `tmp` or running on `data`. */
async function leavesNothing(child: Deno.ChildProcess, tmp: string, data: string) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    child.status.then(() => true),
    new Promise<false>((r) => (timer = setTimeout(() => r(false), 90_000))),
  ]);
  clearTimeout(timer);
  assert(exited, "the dev command exited after the signal");
  assertEquals([...Deno.readDirSync(tmp)].map((e) => e.name), [], "nothing left in TMPDIR");
  assertEquals(processesMentioning(data), [], "no server left running on the cluster");
}

async function stopDuringInitdb(signalGroup: boolean) {
  const tmp = await Deno.makeTempDir({ prefix: "poscart-early-stop-" });
  // initdb runs as the `postgres` user when the tests run as root: it must reach the cluster.
  await Deno.chmod(tmp, 0o755);
  const child = devCommand(tmp);
  try {
    const data = await initdbBegun(tmp, Date.now() + 90_000);
    if (signalGroup) Deno.kill(-child.pid, "SIGINT");
    else Deno.kill(child.pid, "SIGTERM");
    await leavesNothing(child, tmp, data);
  } finally {
    await cleanUp(child, tmp);
  }
}

async function cleanUp(child: Deno.ChildProcess, tmp: string) {
  try {
    Deno.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
  await child.status.catch(() => {});
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}

Deno.test("the dev command stopped by Ctrl-C during initdb leaves nothing behind", () =>
  stopDuringInitdb(true));

Deno.test("the dev command stopped by SIGTERM during initdb leaves nothing behind", () =>
  stopDuringInitdb(false));

Deno.test("the dev command stopped by two Ctrl-Cs in a row once running leaves nothing behind", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "poscart-early-stop-" });
  await Deno.chmod(tmp, 0o755);
  const child = devCommand(tmp);
  try {
    await printed(child.stdout, "stack is running", Date.now() + 120_000);
    const cluster = [...Deno.readDirSync(tmp)].find((e) => e.name.startsWith("poscart-pg-"));
    assert(cluster, "the cluster directory is in TMPDIR");
    const data = `${tmp}/${cluster.name}/data`;
    // a task runner passes its own Ctrl-C on: the second must not cut the stop short
    Deno.kill(-child.pid, "SIGINT");
    await new Promise((r) => setTimeout(r, 50));
    Deno.kill(-child.pid, "SIGINT");
    await leavesNothing(child, tmp, data);
  } finally {
    await cleanUp(child, tmp);
  }
});
