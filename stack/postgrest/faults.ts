// The PostgREST stand-in's fault hook (docs/architecture.md, "PostgREST stand-in fault
// hook"): a small state machine that decides, per RPC, whether to answer with a fixed
// error status, drop the connection before running the call, or run and commit the call
// and then drop the connection. Pure state; the server applies the decision.

export type FaultMode = "off" | "status" | "drop" | "drop_after_commit";

/** What `POST {faultUrl}` accepts. */
export interface FaultSpec {
  mode: FaultMode;
  /** For mode "status": the HTTP status to answer with. */
  status?: number;
  /** Error body code for mode "status" (default by status: 503 PGRST001, 504 PGRST003). */
  code?: string;
  message?: string;
  /** How many RPCs the fault applies to ... */
  count?: number;
  /** ... or for how long, in milliseconds. */
  durationMs?: number;
}

/** The decision for one RPC. */
export type Fault =
  | { mode: "status"; status: number; code: string; message: string }
  | { mode: "drop" }
  | { mode: "drop_after_commit" };

export interface FaultSnapshot {
  mode: FaultMode;
  status?: number;
  remaining?: number;
  untilMs?: number;
  applied: number;
}

function defaultCode(status: number): { code: string; message: string } {
  if (status === 503) {
    return { code: "PGRST001", message: "Database client error. Retrying the connection." };
  }
  if (status === 504) {
    return { code: "PGRST003", message: "Timed out acquiring connection from connection pool." };
  }
  return { code: "PGRST000", message: `Fault injected by the local stack (HTTP ${status})` };
}

/** Checks a spec from the wire; returns an error message or null. */
export function validateFaultSpec(spec: unknown): string | null {
  if (typeof spec !== "object" || spec === null) return "body must be a JSON object";
  const s = spec as Record<string, unknown>;
  if (!["off", "status", "drop", "drop_after_commit"].includes(s.mode as string)) {
    return 'mode must be one of "off", "status", "drop", "drop_after_commit"';
  }
  if (s.mode === "off") return null;
  if (s.mode === "status") {
    if (!Number.isInteger(s.status) || (s.status as number) < 100 || (s.status as number) > 599) {
      return "mode status needs an integer status 100-599";
    }
  }
  const hasCount = s.count !== undefined;
  const hasDuration = s.durationMs !== undefined;
  if (hasCount === hasDuration) return "give exactly one of count or durationMs";
  const n = hasCount ? s.count : s.durationMs;
  if (!Number.isInteger(n) || (n as number) < 1) {
    return "count/durationMs must be a positive integer";
  }
  return null;
}

export class FaultState {
  #spec: FaultSpec = { mode: "off" };
  #remaining = 0;
  #until = 0;
  #applied = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Replaces the current fault (the spec must have passed `validateFaultSpec`). */
  set(spec: FaultSpec): void {
    this.#spec = spec;
    this.#applied = 0;
    this.#remaining = spec.count ?? 0;
    this.#until = spec.durationMs !== undefined ? this.now() + spec.durationMs : 0;
  }

  #active(): boolean {
    if (this.#spec.mode === "off") return false;
    if (this.#spec.count !== undefined) return this.#remaining > 0;
    return this.now() < this.#until;
  }

  /** The fault for the next RPC, consuming one use; null when none applies. */
  take(): Fault | null {
    if (!this.#active()) {
      if (this.#spec.mode !== "off") this.#spec = { mode: "off" };
      return null;
    }
    if (this.#spec.count !== undefined) this.#remaining--;
    this.#applied++;
    const spec = this.#spec;
    if (spec.mode === "status") {
      const status = spec.status!;
      const d = defaultCode(status);
      return {
        mode: "status",
        status,
        code: spec.code ?? d.code,
        message: spec.message ?? d.message,
      };
    }
    return { mode: spec.mode as "drop" | "drop_after_commit" };
  }

  snapshot(): FaultSnapshot {
    const active = this.#active();
    const mode = active ? this.#spec.mode : "off";
    const snap: FaultSnapshot = { mode, applied: this.#applied };
    if (active && this.#spec.status !== undefined) snap.status = this.#spec.status;
    if (active && this.#spec.count !== undefined) snap.remaining = this.#remaining;
    if (active && this.#spec.durationMs !== undefined) snap.untilMs = this.#until;
    return snap;
  }
}
