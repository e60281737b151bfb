// One client connection of the local Realtime, speaking the channel protocol as the Realtime
// service does for `postgres_changes`: heartbeats on `phoenix` answered; `phx_join` on
// `realtime:<name>` with the access token checked (role and exp required), answered with the
// bindings and their ids in binding order, then a `system` message once the subscription is
// live (or why it is not); `access_token` refreshes the claims (a bad token closes the
// channel, as does the token's expiry); `phx_leave` answered and the channel closed; a topic
// that was not joined answered "unmatched topic". The socket itself is abstracted as
// `send`/`close`, so this is testable without a network. No I/O of its own.
import { checkToken } from "./auth.ts";
import { type Binding, parseBinding } from "./bindings.ts";
import {
  decodeFrame,
  encodeFrame,
  EV,
  type Frame,
  PHOENIX_TOPIC,
  ProtocolError,
  push,
  reply,
  type Vsn,
} from "./protocol.ts";

/** A joined channel. */
export interface Channel {
  connection: Connection;
  topic: string;
  /** The topic without `realtime:`, as `system` messages name it. */
  name: string;
  joinRef: string | null;
  token: string;
  role: string;
  claims: Record<string, unknown>;
  bindings: Binding[];
  /** Set by the hub while the channel's postgres_changes subscription is live. */
  subscribed: boolean;
  closed: boolean;
  expiry?: ReturnType<typeof setTimeout>;
}

/** What a connection needs from the rest of Realtime. */
export interface Hub {
  jwtSecret: string;
  /** Subscribes the channel's bindings (validation, replication); sends its `system` messages. */
  subscribe(channel: Channel): void;
  /** Forgets the channel's subscription. */
  unsubscribe(channel: Channel): void;
}

export interface Transport {
  send(text: string): void;
  close(code: number, reason: string): void;
}

/** Longest a channel waits before re-checking a token that expires far in the future. */
const MAX_EXPIRY_TIMER_MS = 3600_000;

export class Connection {
  readonly channels = new Map<string, Channel>();
  #closed = false;

  constructor(
    readonly vsn: Vsn,
    /** The token of the connection (its `apikey`): the access token when a join has none. */
    readonly apiKey: string,
    private readonly transport: Transport,
    private readonly hub: Hub,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  send(frame: Frame): void {
    if (this.#closed) return;
    try {
      this.transport.send(encodeFrame(frame, this.vsn));
    } catch {
      this.onClose();
    }
  }

  /** Pushes a `system` message on a channel. */
  system(channel: Channel, extension: string, status: "ok" | "error", message: string): void {
    if (channel.closed) return;
    this.send(push(channel.topic, channel.joinRef, EV.system, {
      extension,
      status,
      message,
      channel: channel.name,
    }));
  }

  /** Closes a channel from the server side: `system` error, then `phx_close`. */
  shutdown(channel: Channel, message: string): void {
    this.system(channel, "system", "error", message);
    this.#closeChannel(channel);
  }

  async onText(text: string): Promise<void> {
    let frame: Frame;
    try {
      frame = decodeFrame(text, this.vsn);
    } catch (e) {
      if (e instanceof ProtocolError) return this.close(4007, e.message);
      throw e;
    }
    if (frame.topic === PHOENIX_TOPIC && frame.event === EV.heartbeat) {
      return this.send(reply(frame, "ok"));
    }
    if (frame.event === EV.join) return await this.#join(frame);
    const channel = this.channels.get(frame.topic);
    if (!channel || (frame.joinRef !== null && frame.joinRef !== channel.joinRef)) {
      return this.send(reply(frame, "error", { reason: "unmatched topic" }));
    }
    if (frame.event === EV.leave) {
      this.send(reply(frame, "ok"));
      return this.#closeChannel(channel);
    }
    if (frame.event === EV.accessToken) return await this.#refresh(channel, frame.payload);
    // broadcast and presence are not relayed by the local Realtime: ignored, as unknown
    // events are by the service.
  }

  /** The socket went away: forget every channel. */
  onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const ch of this.channels.values()) this.#forget(ch);
    this.channels.clear();
  }

  close(code: number, reason: string): void {
    this.onClose();
    try {
      this.transport.close(code, reason);
    } catch {
      // already closed
    }
  }

  async #join(frame: Frame): Promise<void> {
    if (!frame.topic.startsWith("realtime:")) {
      return this.send(reply(frame, "error", { reason: "unmatched topic" }));
    }
    const name = frame.topic.slice("realtime:".length);
    if (name === "") {
      return this.send(reply(frame, "error", {
        reason: "TopicNameRequired: You must provide a topic name",
      }));
    }
    const payload = (frame.payload ?? {}) as Record<string, unknown>;
    const config = (payload.config ?? {}) as Record<string, unknown>;
    const raw = payload.access_token ?? payload.user_token;
    const token = typeof raw === "string" && !raw.startsWith("sb_") ? raw : this.apiKey;
    const checked = await checkToken(token, this.hub.jwtSecret);
    if (this.#closed) return;
    if (!checked.ok) return this.send(reply(frame, "error", { reason: checked.reason }));
    if (config.private === true) {
      return this.send(reply(frame, "error", {
        reason:
          `Unauthorized: You do not have permissions to read from this Channel topic: ${name}` +
          " (the local Realtime serves public channels only)",
      }));
    }
    const previous = this.channels.get(frame.topic);
    if (previous) this.#closeChannel(previous); // a second join replaces the first
    const entries = Array.isArray(config.postgres_changes) ? config.postgres_changes : [];
    const bindings = entries.filter((e) => e != null).map(parseBinding);
    const channel: Channel = {
      connection: this,
      topic: frame.topic,
      name,
      joinRef: frame.joinRef ?? frame.ref,
      token,
      role: checked.role,
      claims: checked.claims,
      bindings,
      subscribed: false,
      closed: false,
    };
    this.channels.set(frame.topic, channel);
    this.#armExpiry(channel, checked.exp);
    this.send(reply(frame, "ok", {
      postgres_changes: bindings.map((b) => ({ ...b.params, id: b.id })),
    }));
    if (bindings.length) this.hub.subscribe(channel);
  }

  async #refresh(channel: Channel, payload: unknown): Promise<void> {
    const token = (payload as Record<string, unknown> | null)?.access_token;
    if (typeof token !== "string" || token === channel.token || token.startsWith("sb_")) return;
    const checked = await checkToken(token, this.hub.jwtSecret);
    if (channel.closed) return;
    if (!checked.ok) return this.shutdown(channel, checked.reason);
    channel.token = token;
    channel.role = checked.role;
    channel.claims = checked.claims;
    this.#armExpiry(channel, checked.exp);
    if (channel.bindings.length) {
      this.hub.unsubscribe(channel);
      this.hub.subscribe(channel);
    }
  }

  #armExpiry(channel: Channel, exp: number): void {
    clearTimeout(channel.expiry);
    const ms = Math.min(Math.max(0, exp * 1000 - Date.now()), MAX_EXPIRY_TIMER_MS);
    channel.expiry = setTimeout(async () => {
      if (channel.closed) return;
      const checked = await checkToken(channel.token, this.hub.jwtSecret);
      if (!checked.ok) this.shutdown(channel, checked.reason);
      else this.#armExpiry(channel, checked.exp);
    }, ms);
  }

  #closeChannel(channel: Channel): void {
    if (channel.closed) return;
    this.send({
      joinRef: channel.joinRef,
      ref: channel.joinRef,
      topic: channel.topic,
      event: EV.close,
      payload: {},
    });
    this.#forget(channel);
    if (this.channels.get(channel.topic) === channel) this.channels.delete(channel.topic);
  }

  #forget(channel: Channel): void {
    channel.closed = true;
    clearTimeout(channel.expiry);
    this.hub.unsubscribe(channel);
  }
}
