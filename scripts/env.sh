# Sourced by the project's scripts: where the pinned tools live and how to reach them.
# Tools are installed once into a cache (POSCART_CACHE) and reused by every run.
POSCART_CACHE="${POSCART_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/poscart}"
POSCART_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export POSCART_CACHE POSCART_ROOT
export PATH="$POSCART_CACHE/cargo/bin:$POSCART_CACHE/npm/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# PostgreSQL server binaries (Debian's postgresql package).
export PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
# Versions pinned by the project; wasm-bindgen-cli must equal the crate's exact version.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p; s/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' "$POSCART_ROOT/Cargo.toml" | head -n 1)"
WASM_PACK_VERSION="0.15.1"
DENO_VERSION="2.9.6"
SUPABASE_CLI_VERSION="2.117.0"
SQUAWK_VERSION="2.66.0"
# binaryen's wasm-opt, from npm (Debian's binaryen 108 produces modules that fail to instantiate).
BINARYEN_VERSION="132.0.0"
export WASM_BINDGEN_VERSION WASM_PACK_VERSION DENO_VERSION SUPABASE_CLI_VERSION SQUAWK_VERSION
export BINARYEN_VERSION
export DENO_NO_UPDATE_CHECK=1
