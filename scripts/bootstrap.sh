#!/usr/bin/env bash
# Installs, once, every tool the build and the tests need into $POSCART_CACHE.
# Safe to run repeatedly: each step is skipped when its tool is already there.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
mkdir -p "$POSCART_CACHE"

say() { printf '[bootstrap] %s\n' "$*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ -z "$WASM_BINDGEN_VERSION" ]; then
  say "cannot read the pinned wasm-bindgen version from Cargo.toml"; exit 1
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # Not --locked: its lockfile asks for crate versions the registry mirror lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$POSCART_CACHE/cargo" --force
fi
if ! wasm-pack --version 2>/dev/null | grep -q " $WASM_PACK_VERSION\$"; then
  say "installing wasm-pack $WASM_PACK_VERSION (a few minutes, once)"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked --root "$POSCART_CACHE/cargo" --force
fi

if ! deno --version 2>/dev/null | grep -q "^deno $DENO_VERSION " ||
  ! supabase --version 2>/dev/null | grep -qx "$SUPABASE_CLI_VERSION" ||
  ! squawk --version 2>/dev/null | grep -qx "squawk $SQUAWK_VERSION"; then
  say "installing deno $DENO_VERSION, the supabase CLI $SUPABASE_CLI_VERSION and the migration linter squawk $SQUAWK_VERSION from npm"
  mkdir -p "$POSCART_CACHE/npm"
  (cd "$POSCART_CACHE/npm" && { [ -f package.json ] || echo '{"private":true}' > package.json; } &&
    npm install --no-audit --no-fund --loglevel=error "deno@$DENO_VERSION" \
      "supabase@$SUPABASE_CLI_VERSION" "squawk-cli@$SQUAWK_VERSION" >&2)
fi

if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  say "PostgreSQL server binaries not found; install them with: apt-get install -y postgresql"
  exit 1
fi

# The extensions a Supabase database offers that the migrations and database tests use:
# pg_cron (scheduled jobs), pgTAP with pg_prove (`supabase test db`), plpgsql_check (`supabase
# db lint`), wal2json (the local Realtime endpoint reads changes with it). Debian packages of
# the server's major version; installed once, when missing.
pg_major=$(basename "$(dirname "$PG_BIN")")
pg_share="/usr/share/postgresql/$pg_major/extension"
missing=()
[ -f "$pg_share/pg_cron.control" ] || missing+=("postgresql-$pg_major-cron")
[ -f "$pg_share/pgtap.control" ] || missing+=("postgresql-$pg_major-pgtap")
[ -f "$pg_share/plpgsql_check.control" ] || missing+=("postgresql-$pg_major-plpgsql-check")
[ -f "/usr/lib/postgresql/$pg_major/lib/wal2json.so" ] || missing+=("postgresql-$pg_major-wal2json")
command -v pg_prove >/dev/null || missing+=(libtap-parser-sourcehandler-pgtap-perl)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing PostgreSQL extensions from Debian (about a minute, once): ${missing[*]}"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  else
    say "missing Debian packages; install them with: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi
