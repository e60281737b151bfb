// PostgREST error shaping: the SQLSTATE -> HTTP status table of
// docs/postgrest-standin.md, "Errors" (one pure function), PostgREST's own PGRSTnnn errors, and the JSON error
// response (`{code,message,details,hint}`, `Proxy-Status`, `WWW-Authenticate` on 401).

/** A PostgREST error body. */
export interface ErrorBody {
  code: string;
  message: string;
  /** A text, or (PGRST201) the relationships an embedding may mean. */
  details: string | null | Record<string, string>[];
  hint: string | null;
}

/** An error with its HTTP status, optional reason phrase and extra headers. */
export interface ApiError {
  status: number;
  body: ErrorBody;
  /** The reason phrase, when not the standard one (`PTxyz`: the error message). */
  statusText?: string;
  headers?: Record<string, string>;
}

/**
 * HTTP status for a database error, first match wins (PostgREST v14 `Error.hs`).
 * `anon` says whether the request ran as the anonymous role (42501 -> 401 instead of 403).
 */
export function httpStatusForSqlState(code: string, message: string, anon: boolean): number {
  const c = code.toUpperCase();
  const cls = c.slice(0, 2);
  if (cls === "08") return 503;
  if (cls === "09") return 500;
  if (cls === "0L" || cls === "0P") return 403;
  if (c === "23503" || c === "23505") return 409;
  if (c === "25006") return 405;
  if (c === "21000") return message.endsWith("requires a WHERE clause") ? 400 : 500;
  if (c === "22023") return /^role .* does not exist$/.test(message) ? 401 : 400;
  if (["25", "2D", "38", "39", "3B"].includes(cls)) return 500;
  if (cls === "28") return 403;
  if (cls === "40") return 500;
  if (c === "53400") return 500;
  if (cls === "53") return 503;
  if (cls === "54" || cls === "55") return 500;
  if (c === "57P01") return 503;
  if (cls === "57") return 500;
  if (["58", "F0", "HV", "XX"].includes(cls)) return 500;
  if (c === "P0001") return 400;
  if (cls === "P0") return 500;
  if (c === "42883" || c === "42P01") return 404;
  if (c === "42P17") return 500;
  if (c === "42501") return anon ? 401 : 403;
  if (cls === "PT") return ptStatus(c) ?? 500;
  return 400;
}

/**
 * `PTxyz` -> xyz when it is a number; `PT40A` and the like: null (500). The stand-in also
 * answers 500 for a number outside 200-599, which its HTTP server cannot send.
 */
function ptStatus(code: string): number | null {
  const digits = code.slice(2);
  if (!/^\d+$/.test(digits)) return null;
  const n = Number(digits);
  return n >= 200 && n <= 599 ? n : null;
}

/** The fields of a PostgreSQL error that PostgREST reports. */
export interface DbErrorFields {
  code: string;
  message: string;
  detail?: string | null;
  hint?: string | null;
}

/** Turns a database error into PostgREST's response (including `RAISE ... 'PGRST'`). */
export function fromDbError(err: DbErrorFields, anon: boolean): ApiError {
  if (err.code === "PGRST") return fromRaisedPgrst(err);
  const status = httpStatusForSqlState(err.code, err.message, anon);
  // PostgREST sends a PTxyz error's message as the reason phrase.
  const pt = err.code.toUpperCase().startsWith("PT") && ptStatus(err.code.toUpperCase()) !== null;
  return {
    status,
    ...(pt ? { statusText: reasonPhrase(err.message) } : {}),
    body: {
      code: err.code,
      message: err.message,
      details: err.detail || null,
      hint: err.hint || null,
    },
  };
}

/** A reason phrase HTTP can carry: printable ASCII on one line. */
function reasonPhrase(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, " ");
}

/**
 * `RAISE sqlstate 'PGRST' USING message = '{json}', detail = '{"status":..,"headers":..}'`
 * (optionally `"status_text"`); anything else is 500 PGRST121 saying which part is wrong.
 */
function fromRaisedPgrst(err: DbErrorFields): ApiError {
  const parse = (text: string | null | undefined) => {
    try {
      const value = JSON.parse(text ?? "");
      return typeof value === "object" && value !== null ? value : null;
    } catch {
      return null;
    }
  };
  const msg = parse(err.message);
  const parseError = (details: string, hint: string) =>
    pgrstError(
      "PGRST121",
      `Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error`,
      details,
      hint,
    );
  const detailHint =
    "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'.";
  if (!msg || typeof msg.code !== "string" || typeof msg.message !== "string") {
    return parseError(
      `Invalid JSON value for MESSAGE: '${err.message}'`,
      "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.",
    );
  }
  if (!err.detail) return parseError("DETAIL is missing in the RAISE statement", detailHint);
  const detail = parse(err.detail);
  if (!detail || typeof detail.status !== "number" || typeof detail.headers !== "object") {
    return parseError(`Invalid JSON value for DETAIL: '${err.detail}'`, detailHint);
  }
  const statusText = typeof detail.status_text === "string"
    ? { statusText: reasonPhrase(detail.status_text) }
    : {};
  return {
    status: detail.status,
    ...statusText,
    headers: detail.headers ?? {},
    body: {
      code: msg.code,
      message: msg.message,
      details: msg.details ?? null,
      hint: msg.hint ?? null,
    },
  };
}

const PGRST_STATUS: Record<string, number> = {
  PGRST000: 503,
  PGRST001: 503,
  PGRST002: 503,
  PGRST003: 504,
  PGRST100: 400,
  PGRST101: 405,
  PGRST102: 400,
  PGRST103: 416,
  PGRST106: 406,
  PGRST107: 406,
  PGRST108: 400,
  PGRST111: 500,
  PGRST112: 500,
  PGRST116: 406,
  PGRST117: 405,
  PGRST121: 500,
  PGRST122: 400,
  PGRST124: 400,
  PGRST128: 400,
  PGRST125: 404,
  PGRST200: 400,
  PGRST201: 300,
  PGRST202: 404,
  PGRST203: 300,
  PGRST204: 400,
  PGRST205: 404,
  PGRST300: 500,
  PGRST301: 401,
  PGRST302: 401,
  PGRST303: 401,
};

/** One of PostgREST's own errors, with its fixed status. */
export function pgrstError(
  code: string,
  message: string,
  details: string | null = null,
  hint: string | null = null,
): ApiError {
  const status = PGRST_STATUS[code];
  if (status === undefined) throw new Error(`unknown PostgREST error code ${code}`);
  return { status, body: { code, message, details, hint } };
}

/** The HTTP response for an error: JSON body, `Proxy-Status`, `WWW-Authenticate` on 401. */
export function errorResponse(err: ApiError): Response {
  const headers = new Headers(err.headers ?? {});
  headers.set("Content-Type", "application/json; charset=utf-8");
  headers.set("Proxy-Status", `PostgREST; error=${err.body.code}`);
  if (err.status === 401 && !headers.has("WWW-Authenticate")) {
    headers.set(
      "WWW-Authenticate",
      err.body.code === "PGRST301" || err.body.code === "PGRST303"
        ? `Bearer error="invalid_token", error_description="${err.body.message}"`
        : "Bearer",
    );
  }
  return new Response(JSON.stringify(err.body), {
    status: err.status,
    statusText: err.statusText,
    headers,
  });
}
