// What each step of the size-optimised build gives (the table "Size of the wasm" in
// bench/README.md). Builds the crate for wasm32 once per step, the release profile of
// Cargo.toml overridden through CARGO_PROFILE_RELEASE_* variables (steps are cumulative,
// starting from cargo's defaults), in a target directory of its own; runs wasm-bindgen as the
// build does, then wasm-opt with the arguments of wasm-pack.toml on the last steps; prints a
// Markdown table of raw and gzipped sizes (default gzip, as the benchmark) and the median
// time to compile and instantiate each module (its real glue, `initSync`).
//
// Run: `. scripts/env.sh && deno run -A bench/size_steps.ts` (each step rebuilds every crate:
// about 15 minutes on 2 cores). Does I/O: cargo, wasm-bindgen and wasm-opt processes, files.
import { readConfig } from "../scripts/build.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const config = readConfig(await Deno.readTextFile(`${ROOT}wasm-pack.toml`));
const targetDir = `${Deno.env.get("CARGO_TARGET_DIR") ?? `${ROOT}target`}/size-steps`;

interface Step {
  label: string;
  profile: Record<string, string>;
  wasmOpt: boolean;
}

const defaults = { OPT_LEVEL: "3", LTO: "false", CODEGEN_UNITS: "16", STRIP: "none" };
const steps: Step[] = [
  { label: "cargo's default release profile", profile: defaults, wasmOpt: false },
  { label: '+ opt-level = "z"', profile: { ...defaults, OPT_LEVEL: "z" }, wasmOpt: false },
];
steps.push({
  label: "+ lto = true",
  profile: { ...steps[1].profile, LTO: "true" },
  wasmOpt: false,
});
steps.push({
  label: "+ codegen-units = 1",
  profile: { ...steps[2].profile, CODEGEN_UNITS: "1" },
  wasmOpt: false,
});
steps.push({
  label: '+ panic = "abort"',
  profile: { ...steps[3].profile, PANIC: "abort" },
  wasmOpt: false,
});
steps.push({
  label: "+ strip = true",
  profile: { ...steps[4].profile, STRIP: "true" },
  wasmOpt: false,
});
steps.push({ label: "+ wasm-opt (wasm-pack.toml)", profile: steps[5].profile, wasmOpt: true });
steps.push({
  label: 'the same with opt-level = "s"',
  profile: { ...steps[5].profile, OPT_LEVEL: "s" },
  wasmOpt: true,
});
steps.push({
  label: "the same with opt-level = 3",
  profile: { ...steps[5].profile, OPT_LEVEL: "3" },
  wasmOpt: true,
});

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

async function gzipSize(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows: string[] = [];
const work = await Deno.makeTempDir({ prefix: "poscart-size-" });
try {
  for (const [i, step] of steps.entries()) {
    const env = Object.fromEntries(
      Object.entries(step.profile).map(([k, v]) => [`CARGO_PROFILE_RELEASE_${k}`, v]),
    );
    console.error(`[size] ${step.label}: cargo build (${JSON.stringify(step.profile)})`);
    await run("cargo", [
      "build",
      "--lib",
      "--release",
      "--locked",
      "--target",
      "wasm32-unknown-unknown",
      "--target-dir",
      targetDir,
    ], env);
    const out = `${work}/${i}`;
    await run("wasm-bindgen", [
      "--target",
      config.target,
      "--out-dir",
      out,
      "--out-name",
      config.outName,
      `${targetDir}/wasm32-unknown-unknown/release/poscart.wasm`,
    ]);
    const wasmPath = `${out}/${config.outName}_bg.wasm`;
    if (step.wasmOpt && config.wasmOpt) {
      await run("wasm-opt", [...config.wasmOpt, wasmPath, "-o", wasmPath]);
    }
    const bytes = await Deno.readFile(wasmPath);
    const compile: number[] = [];
    for (let n = 0; n < 7; n++) {
      const t0 = performance.now();
      new WebAssembly.Module(bytes);
      compile.push(performance.now() - t0);
    }
    const glue = await import(`file://${out}/${config.outName}.js`);
    const module = new WebAssembly.Module(bytes);
    const t0 = performance.now();
    glue.initSync({ module });
    const instantiate = performance.now() - t0;
    const kib = (n: number) => (n / 1024).toFixed(1);
    rows.push(
      `| ${step.label} | ${kib(bytes.length)} KiB | ${kib(await gzipSize(bytes))} KiB | ` +
        `${(median(compile) + instantiate).toFixed(2)} ms |`,
    );
    console.error(`[size] ${rows.at(-1)}`);
  }
} finally {
  await Deno.remove(work, { recursive: true });
}
console.log("| build | raw | gzipped | compile + instantiate |");
console.log("|---|---:|---:|---:|");
for (const row of rows) console.log(row);
