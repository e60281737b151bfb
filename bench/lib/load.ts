// Closed-loop HTTP load generator for the benchmark: `concurrency` workers each send one
// request, wait for the answer, and send the next, for a warm-up period (not recorded)
// followed by a measured window. Records latency of every request completed inside the
// window, status counts, and which cart id each key was answered with (to spot split
// answers for one customer). Does network I/O (fetch) only.

export interface Target {
  /** Function name as shown in the results ("ours", "ts", "seed"). */
  name: string;
  url: string;
  headers: Record<string, string>;
}

export interface RequestSpec {
  body: Record<string, unknown>;
  /** The customer+location key this request is about (for duplicate accounting). */
  key: string;
}

export interface SliceResult {
  latencies: number[];
  ok: number;
  errors: number;
  /** error label ("http 500", "network") -> count, over the measured window */
  errorKinds: Record<string, number>;
  windowMs: number;
  /** responses over warm-up and window: answers with `created: true` */
  created: number;
  /** key -> set of cart ids answered for it (warm-up included) */
  answers: Map<string, Set<string>>;
}

function cartIdOf(json: unknown): { id?: string; created?: boolean } {
  if (!json || typeof json !== "object") return {};
  const o = json as Record<string, unknown>;
  const cart = (o.cart ?? o.data) as Record<string, unknown> | undefined;
  const id = cart && typeof cart === "object" ? cart.id : undefined;
  return {
    id: typeof id === "string" ? id : undefined,
    created: typeof o.created === "boolean" ? o.created : undefined,
  };
}

/** Runs one slice of load against `target`; `next()` gives each request's body. */
export async function runSlice(
  target: Target,
  next: () => RequestSpec,
  concurrency: number,
  warmupMs: number,
  measureMs: number,
): Promise<SliceResult> {
  const result: SliceResult = {
    latencies: [],
    ok: 0,
    errors: 0,
    errorKinds: {},
    windowMs: measureMs,
    created: 0,
    answers: new Map(),
  };
  const start = performance.now();
  const windowStart = start + warmupMs;
  const windowEnd = windowStart + measureMs;
  const headers = { "content-type": "application/json", ...target.headers };

  const worker = async () => {
    while (performance.now() < windowEnd) {
      const spec = next();
      const t0 = performance.now();
      let label: string | null = null;
      let json: unknown = undefined;
      try {
        const res = await fetch(target.url, {
          method: "POST",
          headers,
          body: JSON.stringify(spec.body),
        });
        const text = await res.text();
        if (res.status !== 200) label = `http ${res.status}`;
        else {
          try {
            json = JSON.parse(text);
          } catch {
            label = "bad json";
          }
        }
      } catch {
        label = "network";
      }
      const t1 = performance.now();
      if (json !== undefined) {
        const { id, created } = cartIdOf(json);
        if (created) result.created++;
        if (id) {
          let set = result.answers.get(spec.key);
          if (!set) result.answers.set(spec.key, set = new Set());
          set.add(id);
        }
      }
      if (t1 >= windowStart && t1 < windowEnd) {
        if (label === null) {
          result.ok++;
          result.latencies.push(t1 - t0);
        } else {
          result.errors++;
          result.errorKinds[label] = (result.errorKinds[label] ?? 0) + 1;
        }
      }
      // A failing target must not spin: back off a little on network errors.
      if (label === "network") await new Promise((r) => setTimeout(r, 5));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return result;
}
