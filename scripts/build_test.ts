// Tests of the build task's reading of wasm-pack.toml: the project's own file, the command
// line each setting gives, and the errors for a file that cannot be built from.
import assert from "node:assert/strict";
import { readConfig, wasmPackArgs } from "./build.ts";

Deno.test("the project's wasm-pack.toml builds the function's release wasm into its pkg/", () => {
  const config = readConfig(Deno.readTextFileSync(new URL("../wasm-pack.toml", import.meta.url)));
  assert.equal(config.outDir, "supabase/functions/cart/pkg");
  assert.equal(config.outName, "poscart");
  assert.deepEqual(wasmPackArgs(config), [
    "build",
    "--target",
    config.target,
    "--out-dir",
    "supabase/functions/cart/pkg",
    "--out-name",
    "poscart",
    "--release",
    ...(config.wasmOpt ? [] : ["--no-opt"]),
    ...(config.pack ? [] : ["--no-pack"]),
  ]);
});

Deno.test("each setting changes the wasm-pack command line", () => {
  const text = (extra: string) =>
    `[build]\ntarget = "deno"\nout-dir = "out"\nout-name = "x"\n${extra}`;
  assert.deepEqual(
    wasmPackArgs(readConfig(text(`profile = "dev"\nwasm-opt = true\n`))),
    ["build", "--target", "deno", "--out-dir", "out", "--out-name", "x", "--dev"],
  );
  assert.deepEqual(
    wasmPackArgs(readConfig(text(`profile = "release"\npack = false\n`))).slice(-3),
    ["--release", "--no-opt", "--no-pack"],
  );
});

Deno.test("a file that cannot be built from is refused with the setting named", () => {
  assert.throws(() => readConfig(`[other]\nx = 1\n`), /no \[build\] table/);
  assert.throws(
    () => readConfig(`[build]\ntarget = "web"\nout-dir = "o"\nout-name = "n"\nprofile = "fast"\n`),
    /build.profile/,
  );
  assert.throws(
    () => readConfig(`[build]\ntarget = ""\nout-dir = "o"\nout-name = "n"\nprofile = "dev"\n`),
    /build.target/,
  );
});
