// Tests of the build task's reading of wasm-pack.toml: the project's own file, the command
// line each setting gives, and the errors for a file that cannot be built from.
import assert from "node:assert/strict";
import { readConfig, wasmOptArgs, wasmPackArgs } from "./build.ts";

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
    "--no-opt",
    ...(config.pack ? [] : ["--no-pack"]),
  ]);
  // wasm-opt runs on the output in place, with the features rustc emits enabled (the stripped
  // module no longer names them).
  const opt = wasmOptArgs(config, "pkg/x.wasm");
  assert.ok(opt, "wasm-opt is configured");
  assert.equal(opt[0], "-Oz");
  assert.ok(opt.includes("--enable-bulk-memory") && opt.includes("--enable-reference-types"));
  assert.deepEqual(opt.slice(-3), ["pkg/x.wasm", "-o", "pkg/x.wasm"]);
});

Deno.test("each setting changes the wasm-pack command line", () => {
  const text = (extra: string) =>
    `[build]\ntarget = "deno"\nout-dir = "out"\nout-name = "x"\n${extra}`;
  const dev = readConfig(text(`profile = "dev"\nwasm-opt = ["-O1"]\n`));
  assert.deepEqual(
    wasmPackArgs(dev),
    ["build", "--target", "deno", "--out-dir", "out", "--out-name", "x", "--dev", "--no-opt"],
  );
  assert.deepEqual(wasmOptArgs(dev, "a.wasm"), ["-O1", "a.wasm", "-o", "a.wasm"]);
  const release = readConfig(text(`profile = "release"\npack = false\nwasm-opt = false\n`));
  assert.deepEqual(wasmPackArgs(release).slice(-3), ["--release", "--no-opt", "--no-pack"]);
  assert.equal(wasmOptArgs(release, "a.wasm"), null);
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
  assert.throws(
    () =>
      readConfig(
        `[build]\ntarget = "web"\nout-dir = "o"\nout-name = "n"\nprofile = "dev"\nwasm-opt = true\n`,
      ),
    /build.wasm-opt/,
  );
});
