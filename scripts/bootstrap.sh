#!/usr/bin/env bash
# Installs, once, every tool the build and the tests need into $POSCART_CACHE (and the
# PostgreSQL extensions from Debian). Safe to run repeatedly: each step is skipped when its
# tool is already there. Before installing anything it prints what is missing, why the
# project needs it and about how long it takes; each step then prints how long it took.
# Prints nothing when everything is there.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
mkdir -p "$POSCART_CACHE"

say() { printf '[bootstrap] %s\n' "$*" >&2; }

if [ -z "$WASM_BINDGEN_VERSION" ]; then
  say "cannot read the pinned wasm-bindgen version from Cargo.toml"; exit 1
fi
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  say "PostgreSQL server binaries not found; install them with: apt-get install -y postgresql"
  exit 1
fi

# The extensions a Supabase database offers that the migrations and database tests use:
# pg_cron (scheduled jobs), pgTAP with pg_prove (`supabase test db`), plpgsql_check (`supabase
# db lint`), wal2json (the local Realtime endpoint reads changes with it). Debian packages of
# the server's major version.
pg_major=$(basename "$(dirname "$PG_BIN")")
pg_share="/usr/share/postgresql/$pg_major/extension"
missing=()
[ -f "$pg_share/pg_cron.control" ] || missing+=("postgresql-$pg_major-cron")
[ -f "$pg_share/pgtap.control" ] || missing+=("postgresql-$pg_major-pgtap")
[ -f "$pg_share/plpgsql_check.control" ] || missing+=("postgresql-$pg_major-plpgsql-check")
[ -f "/usr/lib/postgresql/$pg_major/lib/wal2json.so" ] || missing+=("postgresql-$pg_major-wal2json")
command -v pg_prove >/dev/null || missing+=(libtap-parser-sourcehandler-pgtap-perl)
if [ ${#missing[@]} -gt 0 ] && { [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; }; then
  say "missing Debian packages; install them with: sudo apt-get install -y ${missing[*]}"
  exit 1
fi

need_target=0 need_bindgen=0 need_pack=0
rustup target list --installed | grep -qx wasm32-unknown-unknown || need_target=1
wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$" || need_bindgen=1
wasm-pack --version 2>/dev/null | grep -q " $WASM_PACK_VERSION\$" || need_pack=1
# npm packages: each missing one with why the project needs it.
npm_packages=() npm_reasons=()
deno --version 2>/dev/null | grep -q "^deno $DENO_VERSION " || {
  npm_packages+=("deno@$DENO_VERSION")
  npm_reasons+=("deno $DENO_VERSION: runs the function, the local stack and the tests")
}
supabase --version 2>/dev/null | grep -qx "$SUPABASE_CLI_VERSION" || {
  npm_packages+=("supabase@$SUPABASE_CLI_VERSION")
  npm_reasons+=("the supabase CLI $SUPABASE_CLI_VERSION: checks supabase/config.toml, deploys")
}
squawk --version 2>/dev/null | grep -qx "squawk $SQUAWK_VERSION" || {
  npm_packages+=("squawk-cli@$SQUAWK_VERSION")
  npm_reasons+=("squawk $SQUAWK_VERSION: lints the migrations")
}
wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*} " || {
  npm_packages+=("binaryen@$BINARYEN_VERSION")
  npm_reasons+=("binaryen $BINARYEN_VERSION: its wasm-opt shrinks the wasm")
}
need_npm=0
[ ${#npm_packages[@]} -eq 0 ] || need_npm=1
if [ $((need_target + need_bindgen + need_pack + need_npm + ${#missing[@]})) -eq 0 ]; then
  exit 0
fi

minutes=0
say "installing what is missing, once (later runs reuse it; tools go to $POSCART_CACHE):"
if [ $need_target -eq 1 ]; then
  say "  - rust target wasm32-unknown-unknown: the function is compiled to WebAssembly (a download, under a minute)"
  minutes=$((minutes + 1))
fi
if [ $need_bindgen -eq 1 ]; then
  say "  - wasm-bindgen-cli $WASM_BINDGEN_VERSION: writes the JavaScript glue around the wasm; it must be the crate's exact version, so it is compiled from source (about 5-7 minutes on 2 cores)"
  minutes=$((minutes + 7))
fi
if [ $need_pack -eq 1 ]; then
  say "  - wasm-pack $WASM_PACK_VERSION: runs the wasm build and the wasm tests; its npm package downloads from GitHub, so it is compiled from source too (about 4-6 minutes on 2 cores)"
  minutes=$((minutes + 6))
fi
if [ $need_npm -eq 1 ]; then
  for reason in "${npm_reasons[@]}"; do say "  - from npm, $reason (a download)"; done
  minutes=$((minutes + 1))
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "  - from Debian: ${missing[*]}: PostgreSQL extensions and tools the migrations and database tests use (about a minute)"
  minutes=$((minutes + 1))
fi
say "expected time: up to about $minutes minute(s)"

step_started=0
begin() { step_started=$(date +%s); say "$*"; }
done_step() { say "  done in $(($(date +%s) - step_started)) s"; }

if [ $need_target -eq 1 ]; then
  begin "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
  done_step
fi
if [ $need_bindgen -eq 1 ]; then
  begin "compiling wasm-bindgen-cli $WASM_BINDGEN_VERSION (cargo install)"
  # Not --locked: its lockfile asks for crate versions the registry mirror lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$POSCART_CACHE/cargo" --force
  done_step
fi
if [ $need_pack -eq 1 ]; then
  begin "compiling wasm-pack $WASM_PACK_VERSION (cargo install)"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked --root "$POSCART_CACHE/cargo" --force
  done_step
fi
if [ $need_npm -eq 1 ]; then
  begin "installing from npm: ${npm_packages[*]}"
  mkdir -p "$POSCART_CACHE/npm"
  (cd "$POSCART_CACHE/npm" && { [ -f package.json ] || echo '{"private":true}' > package.json; } &&
    npm install --no-audit --no-fund --loglevel=error "${npm_packages[@]}" >&2)
  done_step
fi
if [ ${#missing[@]} -gt 0 ]; then
  begin "installing from Debian: ${missing[*]}"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  done_step
fi
