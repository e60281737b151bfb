// Impersonated role settings, as PostgREST (v12+) applies them: the `ALTER ROLE ... SET`
// settings of the request's role (Supabase sets statement_timeout 3 s for anon and 8 s for
// authenticated), which `SET ROLE` alone would not apply. Read from pg_db_role_setting and
// cached briefly. Does database I/O.
import type postgres from "postgres";

const QUERY = `
select r.rolname as role, s.setconfig as settings
  from pg_db_role_setting s
  join pg_roles r on r.oid = s.setrole
 where s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
 order by s.setdatabase`;

/** Splits `name=value` entries of `setconfig`. */
export function parseSetconfig(entries: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

export class RoleSettings {
  #cache: Map<string, Record<string, string>> | null = null;
  #loadedAt = 0;

  constructor(private readonly sql: () => postgres.Sql, private readonly ttlMs = 5000) {}

  /** The settings of `role` (database-specific ones override global ones). */
  async of(role: string): Promise<Record<string, string>> {
    if (!this.#cache || Date.now() - this.#loadedAt > this.ttlMs) {
      const rows = await this.sql().unsafe(QUERY, [], { prepare: false });
      const cache = new Map<string, Record<string, string>>();
      for (const row of rows as unknown as { role: string; settings: string[] }[]) {
        cache.set(row.role, { ...cache.get(row.role), ...parseSetconfig(row.settings) });
      }
      this.#cache = cache;
      this.#loadedAt = Date.now();
    }
    return this.#cache.get(role) ?? {};
  }
}
