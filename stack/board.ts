// Serves the live queue board (board/) for local use at /board/ on the gateway: its page,
// module and stylesheet, and, at /board/vendor/supabase.js, the browser build of
// @supabase/supabase-js taken from the npm package the project pins (deno.json), so the page
// needs no CDN. Development tool like the rest of stack/, never deployed. Reads files.

const BOARD_DIR = new URL("../board/", import.meta.url);

const FILES: Record<string, { file: URL | (() => Promise<URL>); type: string }> = {
  "": { file: new URL("index.html", BOARD_DIR), type: "text/html; charset=utf-8" },
  "index.html": { file: new URL("index.html", BOARD_DIR), type: "text/html; charset=utf-8" },
  "board.js": { file: new URL("board.js", BOARD_DIR), type: "text/javascript; charset=utf-8" },
  "board.css": { file: new URL("board.css", BOARD_DIR), type: "text/css; charset=utf-8" },
  "vendor/supabase.js": { file: supabaseBrowserBuild, type: "text/javascript; charset=utf-8" },
};

/** The UMD build inside the pinned npm package (downloaded into Deno's cache if missing). */
async function supabaseBrowserBuild(): Promise<URL> {
  const file = () => new URL("umd/supabase.js", import.meta.resolve("@supabase/supabase-js"));
  try {
    await Deno.stat(file());
  } catch {
    await import("@supabase/supabase-js");
  }
  return file();
}

/** Answers GET/HEAD under /board/ (`path` is what follows `/board/`). */
export async function serveBoard(req: Request, path: string): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("method not allowed", { status: 405, headers: { Allow: "GET, HEAD" } });
  }
  const entry = FILES[path];
  if (!entry) return new Response("not found", { status: 404 });
  const url = typeof entry.file === "function" ? await entry.file() : entry.file;
  const body = await Deno.readFile(url);
  return new Response(req.method === "HEAD" ? null : body, {
    headers: {
      "Content-Type": entry.type,
      "Content-Length": String(body.byteLength),
      "Cache-Control": "no-cache",
    },
  });
}
