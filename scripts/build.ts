// Builds the `cart` function's wasm as configured in wasm-pack.toml: runs `wasm-pack build`
// with its target, out dir, out name, profile and wasm-opt setting, then prints the wasm
// size raw and gzipped. Run: `deno run -A scripts/build.ts` (or `deno task build`).
// Does I/O: reads the config, spawns wasm-pack, reads the output.
import { parse } from "smol-toml";

interface BuildConfig {
  target: string;
  outDir: string;
  outName: string;
  profile: "release" | "dev";
  wasmOpt: boolean;
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
  return {
    target: str("target"),
    outDir: str("out-dir"),
    outName: str("out-name"),
    profile,
    wasmOpt: build["wasm-opt"] === true,
    pack: build["pack"] !== false,
  };
}

/** The wasm-pack command line for a configuration. */
export function wasmPackArgs(c: BuildConfig): string[] {
  const args = ["build", "--target", c.target, "--out-dir", c.outDir, "--out-name", c.outName];
  args.push(c.profile === "release" ? "--release" : "--dev");
  if (!c.wasmOpt) args.push("--no-opt");
  if (!c.pack) args.push("--no-pack");
  return args;
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
  const wasm = await Deno.readFile(new URL(`${config.outDir}/${config.outName}_bg.wasm`, root));
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const gzipped = await gzipSize(wasm);
  console.log(
    `wasm size: ${wasm.byteLength} bytes raw (${kib(wasm.byteLength)}), ` +
      `${gzipped} bytes gzipped (${kib(gzipped)})`,
  );
}

if (import.meta.main) await main();
