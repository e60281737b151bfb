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
  ! supabase --version 2>/dev/null | grep -qx "$SUPABASE_CLI_VERSION"; then
  say "installing deno $DENO_VERSION and supabase CLI $SUPABASE_CLI_VERSION from npm"
  mkdir -p "$POSCART_CACHE/npm"
  (cd "$POSCART_CACHE/npm" && { [ -f package.json ] || echo '{"private":true}' > package.json; } &&
    npm install --no-audit --no-fund --loglevel=error "deno@$DENO_VERSION" "supabase@$SUPABASE_CLI_VERSION" >&2)
fi

if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  say "PostgreSQL server binaries not found; install them with: apt-get install -y postgresql"
  exit 1
fi
