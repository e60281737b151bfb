// The live queue board of one location: reads the queue with the `cart` function's
// `list_queue`, then stays current through Realtime (`postgres_changes` on the location's
// `location_queue` rows). Called and waiting entries in queue order, with how long each has
// waited; a visible state while the connection is down. Works against the local stack or a
// real Supabase project: the URL, anon key, staff access token and location come from the
// page's hash (`#url=…&key=…&token=…&location=…`), from the form, or from the last visit.
// Uses the global `supabase` of vendor/supabase.js (the npm package's browser build).

const OPEN = ["waiting", "called"];
const STORAGE_KEY = "poscart-board";
const $ = (id) => document.getElementById(id);

/** The configuration from the hash, else the last one used; null when incomplete. */
function readConfig() {
  const hash = new URLSearchParams(location.hash.slice(1));
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "{}");
  } catch {
    // no saved configuration
  }
  const pick = (k) => hash.get(k) ?? saved[k] ?? "";
  const config = {
    url: pick("url") || (location.protocol.startsWith("http") ? location.origin : ""),
    key: pick("key"),
    token: pick("token"),
    location: pick("location"),
  };
  return Object.values(config).every(Boolean) ? config : null;
}

function setStatus(state, text) {
  const el = $("status");
  el.dataset.state = state;
  el.textContent = text;
}

function showError(message) {
  $("error").hidden = !message;
  $("error").textContent = message ?? "";
}

/** Microseconds since the epoch of an RFC 3339 timestamp (the fraction kept whole). */
function micros(ts) {
  const m = /\.(\d+)/.exec(ts);
  const whole = Date.parse(ts.replace(/\.\d+/, ""));
  return whole * 1000 + Number((m?.[1] ?? "").padEnd(6, "0").slice(0, 6));
}

/** Queue order: joined earlier first; the insertion sequence breaks ties. */
function byQueueOrder(a, b) {
  return micros(a.created_at) - micros(b.created_at) ||
    (a.queue_seq ?? 0) - (b.queue_seq ?? 0) || a.id.localeCompare(b.id);
}

function waited(since, now) {
  const s = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${mm.padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

class Board {
  /** Open entries by id. */
  entries = new Map();
  /** Changes heard while the queue is being read, applied after it. */
  pending = null;

  constructor(config) {
    this.config = config;
    this.client = globalThis.supabase.createClient(config.url, config.key, {
      accessToken: () => Promise.resolve(config.token),
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    });
  }

  async start() {
    $("location").textContent = `location ${this.config.location.slice(0, 8)}…`;
    $("board").hidden = false;
    // Realtime gets the token before the channel joins (otherwise it joins as anon).
    await this.client.realtime.setAuth();
    this.client.channel(`board:${this.config.location}`)
      .on("postgres_changes", {
        event: "*",
        schema: "public",
        table: "location_queue",
        filter: `location_id=eq.${this.config.location}`,
      }, (change) => this.onChange(change))
      .on("system", {}, (message) => this.onSystem(message))
      .subscribe((status, err) => this.onChannel(status, err));
    setInterval(() => this.render(), 1000);
  }

  onChannel(status, err) {
    if (status === "SUBSCRIBED") setStatus("connecting", "connecting…");
    else {
      setStatus("reconnecting", "reconnecting…");
      if (err) console.warn("queue board:", status, err);
    }
  }

  /** The service says whether the database subscription is live; after any gap, re-read. */
  onSystem(message) {
    if (message.extension !== "postgres_changes") return;
    if (message.status === "ok") this.refresh();
    else setStatus("reconnecting", "reconnecting…");
  }

  onChange(change) {
    if (change.errors?.length) return; // a notice without the row
    if (this.pending) this.pending.push(change);
    else {
      this.apply(change);
      this.render();
    }
  }

  apply(change) {
    const row = change.eventType === "DELETE" ? change.old : change.new;
    if (change.eventType !== "DELETE" && OPEN.includes(row.status)) {
      this.entries.set(row.id, { ...this.entries.get(row.id), ...row });
    } else this.entries.delete(row.id);
  }

  async refresh() {
    this.pending = [];
    const { data, error } = await this.client.functions.invoke("cart", {
      body: { action: "list_queue", location_id: this.config.location },
    });
    const heard = this.pending;
    this.pending = null;
    if (error) {
      let message = error.message;
      try {
        message = (await error.context.json()).error.message;
      } catch {
        // not a JSON answer
      }
      showError(`The queue could not be read: ${message}`);
      setStatus("reconnecting", "reconnecting…");
      setTimeout(() => this.refresh(), 3000);
      return;
    }
    showError(null);
    this.entries = new Map(data.entries.map((e) => [e.id, e]));
    for (const change of heard) this.apply(change);
    setStatus("live", "live");
    this.render();
  }

  render() {
    const now = Date.now();
    for (const status of OPEN) {
      const list = $(status);
      const entries = [...this.entries.values()].filter((e) => e.status === status)
        .sort(byQueueOrder);
      list.replaceChildren(...entries.map((e) => {
        const li = document.createElement("li");
        li.dataset.entryId = e.id;
        li.dataset.customerId = e.customer_id;
        const who = document.createElement("span");
        who.className = "customer";
        who.textContent = `Customer ${e.customer_id.slice(0, 4)}…${e.customer_id.slice(-4)}`;
        const called = status === "called" && e.called_at;
        const details = document.createElement("span");
        details.className = "details";
        details.textContent = [
          e.party_size ? `party of ${e.party_size}` : "",
          e.note ?? "",
          called ? `waited ${waited(e.created_at, Date.parse(e.called_at))}` : "",
        ].filter(Boolean).join(" · ");
        const time = document.createElement("span");
        time.className = "waited";
        time.textContent = called
          ? `called ${waited(e.called_at, now)} ago`
          : `waiting ${waited(e.created_at, now)}`;
        li.append(who, time, details);
        return li;
      }));
      $(`${status}-count`).textContent = String(entries.length);
    }
  }
}

function main() {
  const config = readConfig();
  if (!config) {
    const form = $("setup");
    form.hidden = false;
    form.url.value = location.protocol.startsWith("http") ? location.origin : "";
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(form));
      localStorage.setItem(STORAGE_KEY, JSON.stringify(values));
      location.hash = new URLSearchParams({ location: values.location }).toString();
      location.reload();
    });
    setStatus("setup", "not signed in");
    return;
  }
  localStorage.setItem(STORAGE_KEY, JSON.stringify(config));
  new Board(config).start().catch((e) => showError(String(e)));
}

main();
