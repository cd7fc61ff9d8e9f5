// The replica: the phone's copy of everything the resident may see, kept current by the
// sync protocol (README, "Sync protocol"), and the outbox of their edits.
//
// - An edit (`mutate`) is stamped with the next mutation id and an HLC and stored in the
//   outbox before anything else happens, so it survives a closed tab or a dead network. The
//   screens show it as "pending" until the server's answer arrives.
// - `sync` pushes the outbox (in order; every answer is final, applied or rejected with a
//   code) and then pulls pages until `has_more` is false, each page written to IndexedDB in
//   one transaction with its cursor.
// - While online, an event stream (`/api/v1/sync/events`, read with fetch because it needs
//   the bearer token) pokes the replica to pull when anything in the community commits.
// - Offline, nothing is lost: `online` events and a backoff retry sync again.
//
// Screens read the replica through `rows(entity)` and re-render on `subscribe`.
import { Hlc, SCHEMA_VERSION, type Change, type Mutation } from "@linli/sdk";
import { v7 as uuidv7 } from "uuid";
import { Offline, type Auth } from "./session";
import type { Row, Store } from "./store";

export type Entity = Change["entity"];
export type DataOf<E extends Entity> = NonNullable<Extract<Change, { entity: E }>["data"]>;
export type MutationName = Mutation["name"];
export type ArgsOf<N extends MutationName> = Extract<Mutation, { name: N }>["args"];

/** A rejected edit, for the screens to explain in a sentence. */
export type Rejection = { mutation: Mutation; code: string; at: number };

export type Status = {
  /** The browser says it has a network and the last call got an answer. */
  online: boolean;
  /** Pages are still coming (`has_more`), or the outbox is being sent. */
  syncing: boolean;
  /** At least one full pull has finished since this replica began. */
  ready: boolean;
};

export class Replica {
  private rowsByKey = new Map<string, Row>();
  outbox: Mutation[] = [];
  rejections: Rejection[] = [];
  status: Status = { online: navigator.onLine, syncing: false, ready: false };
  private cursor: string | null = null;
  private clientId = "";
  private nextMutationId = 1;
  private clock = new Hlc();
  private listeners = new Set<() => void>();
  private running: Promise<void> | undefined;
  private again = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private backoff = 1000;
  private stream: AbortController | undefined;
  private stopped = false;

  private constructor(
    private readonly store: Store,
    private readonly auth: Auth,
  ) {}

  static async open(store: Store, auth: Auth): Promise<Replica> {
    const replica = new Replica(store, auth);
    const [rows, outbox, cursor, clientId, next, clock, ready] = await Promise.all([
      store.rows(),
      store.outbox(),
      store.get<string | null>("cursor"),
      store.get<string>("clientId"),
      store.get<number>("nextMutationId"),
      store.get<string>("clock"),
      store.get<boolean>("ready"),
    ]);
    for (const row of rows) replica.rowsByKey.set(`${row.entity}:${row.id}`, row);
    replica.outbox = outbox.sort((a, b) => a.id - b.id);
    replica.cursor = cursor ?? null;
    replica.clientId = clientId ?? uuidv7();
    if (!clientId) await store.set("clientId", replica.clientId);
    replica.nextMutationId = next ?? 1;
    if (clock) replica.clock = Hlc.parse(clock);
    replica.status.ready = ready ?? false;
    return replica;
  }

  // ---- reading ----------------------------------------------------------------------------

  rows<E extends Entity>(entity: E): DataOf<E>[] {
    const out: DataOf<E>[] = [];
    for (const row of this.rowsByKey.values()) {
      if (row.entity === entity) out.push(row.data as DataOf<E>);
    }
    return out;
  }

  get<E extends Entity>(entity: E, id: string): DataOf<E> | undefined {
    return this.rowsByKey.get(`${entity}:${id}`)?.data as DataOf<E> | undefined;
  }

  /** Edits of `name` still waiting for the server, newest last. */
  pending<N extends MutationName>(name: N): Extract<Mutation, { name: N }>[] {
    return this.outbox.filter((m) => m.name === name) as Extract<Mutation, { name: N }>[];
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  // ---- writing ----------------------------------------------------------------------------

  /** Queues an edit (stored before this resolves) and starts sending it. */
  async mutate<N extends MutationName>(name: N, args: ArgsOf<N>): Promise<number> {
    const mutation = { id: this.nextMutationId++, hlc: this.clock.tick(), name, args } as Mutation;
    await this.store.queue(mutation, this.clock.toString());
    this.outbox.push(mutation);
    this.changed();
    void this.sync();
    return mutation.id;
  }

  dismiss(rejection: Rejection): void {
    this.rejections = this.rejections.filter((r) => r !== rejection);
    this.changed();
  }

  // ---- syncing ----------------------------------------------------------------------------

  /** Starts syncing: now, on every poke, when the network returns. */
  start(): void {
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    void this.sync();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    this.stream?.abort();
    clearTimeout(this.retry);
  }

  private onOnline = () => {
    this.backoff = 1000;
    void this.sync();
  };

  private onOffline = () => {
    this.setOnline(false);
    this.stream?.abort();
  };

  private setOnline(online: boolean): void {
    if (this.status.online !== online) {
      this.status = { ...this.status, online };
      this.changed();
    }
  }

  /** One sync at a time; a sync asked for while one runs runs again right after it. */
  sync(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.round();
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    if (!navigator.onLine) {
      this.setOnline(false);
      return;
    }
    clearTimeout(this.retry);
    // "Syncing" shows while edits are being sent or pages are still coming, not for the
    // quick pull every poke makes (a flickering banner would only distract).
    if (this.outbox.length > 0 || !this.status.ready) {
      this.status = { ...this.status, syncing: true };
      this.changed();
    }
    try {
      while (this.outbox.length > 0) await this.push();
      await this.pull();
      this.backoff = 1000;
      this.setOnline(true);
      this.listen();
    } catch (e) {
      if (!(e instanceof Offline) && !(e instanceof TypeError)) console.error(e);
      this.setOnline(false);
      // Try again later, waiting longer each time (up to a minute).
      this.retry = setTimeout(() => void this.sync(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 60_000);
    } finally {
      if (this.status.syncing) {
        this.status = { ...this.status, syncing: false };
        this.changed();
      }
    }
  }

  private async push(): Promise<void> {
    const body = {
      client_id: this.clientId,
      schema_version: SCHEMA_VERSION,
      mutations: this.outbox.slice(0, 100),
    };
    const answer = await this.auth.api.POST("/api/v1/sync/push", { body });
    if (!answer.data) throw new Offline(`push answered ${answer.response.status}`);
    const out = answer.data;
    const changes: Change[] = [];
    for (const result of out.results) {
      if (result.data) changes.push(result.data);
      if (result.status === "rejected") {
        const mutation = this.outbox.find((m) => m.id === result.id);
        if (mutation) {
          this.rejections = [
            ...this.rejections,
            { mutation, code: result.code ?? "invalid_mutation", at: Date.now() },
          ];
        }
      }
    }
    this.clock.observe(out.server_time);
    await this.store.commit(changes, { clock: this.clock.toString() }, out.last_mutation_id);
    this.applyInMemory(changes);
    this.outbox = this.outbox.filter((m) => m.id > out.last_mutation_id);
    this.changed();
  }

  private async pull(): Promise<void> {
    for (;;) {
      const body = { client_id: this.clientId, schema_version: SCHEMA_VERSION, cursor: this.cursor };
      const answer = await this.auth.api.POST("/api/v1/sync/pull", { body });
      if (answer.response.status === 410) {
        // The server forgot this cursor's past (compaction): start again from nothing.
        await this.store.resetReplica();
        this.cursor = null;
        this.rowsByKey.clear();
        this.status = { ...this.status, ready: false };
        continue;
      }
      if (!answer.data) throw new Offline(`pull answered ${answer.response.status}`);
      const page = answer.data;
      this.clock.observe(page.server_time);
      const ready = !page.has_more || this.status.ready;
      await this.store.commit(page.changes, {
        cursor: page.cursor,
        clock: this.clock.toString(),
        ready,
      });
      this.cursor = page.cursor;
      this.applyInMemory(page.changes);
      this.status = { ...this.status, ready, syncing: page.has_more || this.outbox.length > 0 };
      this.changed();
      if (!page.has_more) return;
    }
  }

  private applyInMemory(changes: Change[]): void {
    for (const change of changes) {
      const key = `${change.entity}:${change.id}`;
      if (change.op === "put" && change.data) {
        this.rowsByKey.set(key, { entity: change.entity, id: change.id, data: change.data });
      } else {
        this.rowsByKey.delete(key);
      }
    }
  }

  /** Keeps one event stream open while online; every poke asks for a sync. */
  private listen(): void {
    if (this.stream || this.stopped) return;
    const controller = new AbortController();
    this.stream = controller;
    void (async () => {
      try {
        const answer = await this.auth.api.GET("/api/v1/sync/events", {
          parseAs: "stream",
          signal: controller.signal,
        });
        const body = answer.response.ok ? answer.response.body : null;
        if (!body) return;
        const reader = body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (/^event: ?poke$/m.test(frame)) void this.sync();
          }
        }
      } catch {
        // Aborted, or the connection dropped: the next sync opens a new stream.
      } finally {
        if (this.stream === controller) this.stream = undefined;
        // The stream ends when the access token does: reconnect (with a fresh token) soon.
        if (!this.stopped && navigator.onLine && !controller.signal.aborted) {
          this.retry = setTimeout(() => void this.sync(), 1000);
        }
      }
    })();
  }
}
