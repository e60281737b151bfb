// Small process helpers for the local stack: a free TCP port on 127.0.0.1, and waiting
// until an HTTP server answers. Does network I/O.

/** A TCP port that is free on 127.0.0.1 right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Polls `url` until any HTTP answer arrives; throws after `timeoutMs`, or as soon as
 * `exited` (a child process's status) settles.
 */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  exited?: Promise<Deno.CommandStatus>,
): Promise<void> {
  let gone: Deno.CommandStatus | null = null;
  exited?.then((s) => (gone = s));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) {
      throw new Error(
        `${url}: the process exited (code ${(gone as Deno.CommandStatus).code}) before answering`,
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}
