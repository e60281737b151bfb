// The Phoenix channel wire format that @supabase/realtime-js speaks, as the Realtime service
// answers it. vsn 2.0.0 (the client's default): every text frame is a JSON array
// `[join_ref, ref, topic, event, payload]`. vsn 1.0.0: a JSON object `{topic, event, payload,
// ref}` (the server's 1.0.0 serializer sends no join_ref). Binary frames carry broadcasts
// only, which the local Realtime does not relay. Pure: no I/O.

export type Vsn = "1.0.0" | "2.0.0";
export const VSNS: readonly Vsn[] = ["1.0.0", "2.0.0"];

/** Channel lifecycle and Realtime events. */
export const EV = {
  join: "phx_join",
  leave: "phx_leave",
  reply: "phx_reply",
  close: "phx_close",
  error: "phx_error",
  heartbeat: "heartbeat",
  accessToken: "access_token",
  postgresChanges: "postgres_changes",
  system: "system",
} as const;

/** The topic of socket-level messages (heartbeats). */
export const PHOENIX_TOPIC = "phoenix";

export interface Frame {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

export class ProtocolError extends Error {}

function refOf(value: unknown, what: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new ProtocolError(`${what} must be a string or null`);
}

/** Parses one text frame sent by a client. Throws ProtocolError on anything malformed. */
export function decodeFrame(text: string, vsn: Vsn): Frame {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError("frame is not JSON");
  }
  let joinRef: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown;
  if (vsn === "2.0.0") {
    if (!Array.isArray(raw) || raw.length !== 5) {
      throw new ProtocolError("a 2.0.0 frame is an array [join_ref, ref, topic, event, payload]");
    }
    [joinRef, ref, topic, event, payload] = raw;
  } else {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw new ProtocolError("a 1.0.0 frame is an object {topic, event, payload, ref}");
    }
    const o = raw as Record<string, unknown>;
    ({ join_ref: joinRef, ref, topic, event, payload } = o);
  }
  if (typeof topic !== "string" || topic === "") throw new ProtocolError("topic must be a string");
  if (typeof event !== "string" || event === "") throw new ProtocolError("event must be a string");
  return {
    joinRef: refOf(joinRef, "join_ref"),
    ref: refOf(ref, "ref"),
    topic,
    event,
    payload: payload ?? {},
  };
}

/** Serializes a frame the server sends. */
export function encodeFrame(frame: Frame, vsn: Vsn): string {
  if (vsn === "2.0.0") {
    return JSON.stringify([frame.joinRef, frame.ref, frame.topic, frame.event, frame.payload]);
  }
  return JSON.stringify({
    topic: frame.topic,
    event: frame.event,
    payload: frame.payload,
    ref: frame.ref,
  });
}

/** The `phx_reply` answering `request`. */
export function reply(
  request: Frame,
  status: "ok" | "error",
  response: Record<string, unknown> = {},
): Frame {
  return {
    joinRef: request.joinRef,
    ref: request.ref,
    topic: request.topic,
    event: EV.reply,
    payload: { status, response },
  };
}

/** A message the server pushes on a joined channel (`system`, `phx_close`, ...). */
export function push(
  topic: string,
  joinRef: string | null,
  event: string,
  payload: unknown,
): Frame {
  return { joinRef, ref: null, topic, event, payload };
}
