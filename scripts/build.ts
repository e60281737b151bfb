// Builds the `cart` function's wasm as configured in wasm-pack.toml: runs `wasm-pack build`
// with its target, out dir, out name and profile, then `wasm-opt` with the configured
// arguments (when set), then prints the wasm size raw and gzipped. Run:
// `deno run -A scripts/build.ts` (or `deno task build`) after `. scripts/env.sh`, which puts
// wasm-pack and wasm-opt (installed by scripts/bootstrap.sh) on PATH.
// Does I/O: reads the config, spawns wasm-pack and wasm-opt, reads the output.
import { parse } from "smol-toml";

interface BuildConfig {
  target: string;
  outDir: string;
  outName: string;
  profile: "release" | "dev";
  /** Arguments of `wasm-opt` (binaryen) run on the output, or null when it is not run. */
  wasmOpt: string[] | null;
  pack: boolean;
}

const root = new URL("../", import.meta.url);

/** Reads and checks the [build] table of wasm-pack.toml. */
export function readConfig(text: string): BuildConfig {
  const build = (parse(text) as Record<string, unknown>).build as Record<string, unknown>;
  if (!build || typeof build !== "object") throw new Error("wasm-pack.toml: no [build] table");
  const str = (key: string): string => {
    const v = build[key];
    if (typeof v !== "string" || v === "") throw new Error(`wasm-pack.toml: build.${key}`);
    return v;
  };
  const profile = str("profile");
  if (profile !== "release" && profile !== "dev") {
    throw new Error(`wasm-pack.toml: build.profile must be "release" or "dev"`);
  }
  const opt = build["wasm-opt"];
  let wasmOpt: string[] | null = null;
  if (Array.isArray(opt) && opt.length > 0 && opt.every((a) => typeof a === "string" && a)) {
    wasmOpt = opt as string[];
  } else if (opt !== undefined && opt !== false) {
    throw new Error("wasm-pack.toml: build.wasm-opt must be false or a list of wasm-opt arguments");
  }
  return {
    target: str("target"),
    outDir: str("out-dir"),
    outName: str("out-name"),
    profile,
    wasmOpt,
    pack: build["pack"] !== false,
  };
}

/**
 * The wasm-pack command line for a configuration. wasm-pack's own wasm-opt step is always off:
 * it would use whatever `wasm-opt` it finds, or download one; this task runs the configured one.
 */
export function wasmPackArgs(c: BuildConfig): string[] {
  const args = ["build", "--target", c.target, "--out-dir", c.outDir, "--out-name", c.outName];
  args.push(c.profile === "release" ? "--release" : "--dev", "--no-opt");
  if (!c.pack) args.push("--no-pack");
  return args;
}

/** The wasm-opt command line that optimises `wasm` in place, or null when it is not run. */
export function wasmOptArgs(c: BuildConfig, wasm: string): string[] | null {
  return c.wasmOpt ? [...c.wasmOpt, wasm, "-o", wasm] : null;
}

async function gzipSize(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

async function main(): Promise<void> {
  const config = readConfig(await Deno.readTextFile(new URL("wasm-pack.toml", root)));
  const args = wasmPackArgs(config);
  console.log(`wasm-pack ${args.join(" ")}`);
  const status = await new Deno.Command("wasm-pack", {
    args,
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) Deno.exit(status.code || 1);
  const wasmPath = new URL(`${config.outDir}/${config.outName}_bg.wasm`, root).pathname;
  const optArgs = wasmOptArgs(config, wasmPath);
  if (optArgs) {
    const before = (await Deno.stat(wasmPath)).size;
    console.log(`wasm-opt ${optArgs.join(" ")}`);
    let optStatus: Deno.CommandStatus;
    try {
      optStatus = await new Deno.Command("wasm-opt", {
        args: optArgs,
        stdout: "inherit",
        stderr: "inherit",
      }).spawn().status;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      console.error(
        "wasm-opt is not on PATH: run scripts/bootstrap.sh once, then `. scripts/env.sh` " +
          "(or set build.wasm-opt = false in wasm-pack.toml)",
      );
      Deno.exit(1);
    }
    if (!optStatus.success) Deno.exit(optStatus.code || 1);
    console.log(`wasm-opt: ${before} -> ${(await Deno.stat(wasmPath)).size} bytes`);
  }
  const wasm = await Deno.readFile(wasmPath);
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const gzipped = await gzipSize(wasm);
  console.log(
    `wasm size: ${wasm.byteLength} bytes raw (${kib(wasm.byteLength)}), ` +
      `${gzipped} bytes gzipped (${kib(gzipped)})`,
  );
}

if (import.meta.main) await main();
