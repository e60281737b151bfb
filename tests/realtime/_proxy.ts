// A TCP forwarder between a browser and the local stack, so a test can cut the network
// under a page: `cut()` closes every forwarded connection and refuses new ones until
// `restore()`. Does network I/O.

export interface Forwarder {
  /** `http://127.0.0.1:<port>`: use it where the page expects the API URL. */
  url: string;
  cut(): void;
  restore(): void;
  close(): void;
}

export function forward(targetPort: number): Forwarder {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let down = false;
  const shut = (c: Deno.Conn) => {
    open.delete(c);
    try {
      c.close();
    } catch {
      // already closed
    }
  };
  (async () => {
    for await (const client of listener) {
      if (down) {
        shut(client);
        continue;
      }
      Deno.connect({ hostname: "127.0.0.1", port: targetPort }).then((upstream) => {
        open.add(client);
        open.add(upstream);
        const pipe = (from: Deno.Conn, to: Deno.Conn) =>
          from.readable.pipeTo(to.writable).catch(() => {}).finally(() => {
            shut(from);
            shut(to);
          });
        pipe(client, upstream);
        pipe(upstream, client);
      }, () => shut(client));
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    cut() {
      down = true;
      for (const c of [...open]) shut(c);
    },
    restore() {
      down = false;
    },
    close() {
      down = true;
      for (const c of [...open]) shut(c);
      listener.close();
    },
  };
}
