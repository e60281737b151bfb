// The `Prefer` request header as PostgREST reads it (docs/postgrest-standin.md, "Prefer"):
// comma-separated preferences over one or more headers, the first value of each kind wins,
// unknown ones are collected for `handling=strict`, and `tx=` counts only when the server
// allows the override. Builds `Preference-Applied`. Pure.

export interface Preferences {
  resolution?: "merge-duplicates" | "ignore-duplicates";
  missing?: "default" | "null";
  return?: "representation" | "minimal" | "headers-only";
  count?: "exact" | "planned" | "estimated";
  tx?: "commit" | "rollback";
  handling?: "strict" | "lenient";
  /** `max-affected=<n>`: applied under `handling=strict` only, as PostgREST does. */
  maxAffected?: number;
  /** Preferences PostgREST does not know (what `handling=strict` refuses). */
  invalid: string[];
}

const KNOWN: Record<string, [keyof Omit<Preferences, "invalid" | "maxAffected">, string]> = {};
for (
  const [kind, values] of [
    ["resolution", ["merge-duplicates", "ignore-duplicates"]],
    ["missing", ["default", "null"]],
    ["return", ["representation", "minimal", "headers-only"]],
    ["count", ["exact", "planned", "estimated"]],
    ["tx", ["commit", "rollback"]],
    ["handling", ["strict", "lenient"]],
  ] as const
) {
  for (const value of values) KNOWN[`${kind}=${value}`] = [kind, value];
}

/** Reads every `Prefer` header; `allowTx` is the server's `db-tx-end = *-allow-override`. */
export function parsePrefer(headers: Headers, allowTx: boolean): Preferences {
  const prefs: Preferences = { invalid: [] };
  const raw = headers.get("prefer"); // several headers arrive joined by ", "
  if (raw === null) return prefs;
  for (const item of raw.split(",").map((p) => p.trim())) {
    const known = KNOWN[item];
    if (!known) {
      const maxAffected = /^max-affected=(\d+)$/.exec(item);
      if (!maxAffected) prefs.invalid.push(item);
      else prefs.maxAffected ??= Number(maxAffected[1]);
      continue;
    }
    const [kind, value] = known;
    if (kind === "tx" && !allowTx) continue;
    // deno-lint-ignore no-explicit-any
    if ((prefs as any)[kind] === undefined) (prefs as any)[kind] = value;
  }
  return prefs;
}

/** `Preference-Applied` for the preferences named in `kinds` that were honoured. */
export function preferenceApplied(
  prefs: Preferences,
  kinds: (keyof Omit<Preferences, "invalid" | "maxAffected">)[],
): string | null {
  const order = ["resolution", "missing", "return", "count", "tx", "handling"] as const;
  const applied = order.filter((k) => kinds.includes(k) && prefs[k] !== undefined)
    .map((k) => `${k}=${prefs[k]}`);
  return applied.length ? applied.join(", ") : null;
}
