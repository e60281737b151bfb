// Runs pgbench against the database a URL names (its host, port, user, password and database),
// for the stress run and the benchmark's database floor. Does I/O (a process).

/** pgbench's output, after `args` (options and script) against `dbUrl`; throws when it fails. */
export async function runPgbench(dbUrl: string, args: string[]): Promise<string> {
  const url = new URL(dbUrl);
  const out = await new Deno.Command("pgbench", {
    args: [
      ...args,
      "-h",
      url.hostname,
      "-p",
      url.port,
      "-U",
      decodeURIComponent(url.username),
      url.pathname.slice(1) || "postgres",
    ],
    env: { PGPASSWORD: decodeURIComponent(url.password) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`pgbench failed (exit ${out.code}):\n${text}`);
  return text;
}
