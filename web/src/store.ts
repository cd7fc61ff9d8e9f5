// What the phone keeps between visits, in IndexedDB: the replica (every row the server sent,
// keyed `entity:id`), the outbox (edits not yet acknowledged, by mutation id) and a few
// settings (the session, the pull cursor, the clock, the next mutation id, the language).
//
// A pulled page is written in one transaction with its cursor, and a new edit with the next
// mutation id: a tab closed at any moment leaves a replica that matches its cursor and an
// outbox with no gap, which is what the sync protocol's rules need.
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { Change, Mutation } from "@linli/sdk";

export type Row = { entity: Change["entity"]; id: string; data: NonNullable<Change["data"]> };

interface Schema extends DBSchema {
  rows: { key: string; value: Row };
  outbox: { key: number; value: Mutation };
  meta: { key: string; value: unknown };
}

export class Store {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  static async open(name = "linli"): Promise<Store> {
    const db = await openDB<Schema>(name, 1, {
      upgrade(db) {
        db.createObjectStore("rows");
        db.createObjectStore("outbox");
        db.createObjectStore("meta");
      },
    });
    return new Store(db);
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.db.get("meta", key)) as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.db.put("meta", value, key);
  }

  async rows(): Promise<Row[]> {
    return this.db.getAll("rows");
  }

  async outbox(): Promise<Mutation[]> {
    return this.db.getAll("outbox");
  }

  /** Queues an edit and moves the id and clock on, atomically. */
  async queue(mutation: Mutation, clock: string): Promise<void> {
    const tx = this.db.transaction(["outbox", "meta"], "readwrite");
    await Promise.all([
      tx.objectStore("outbox").put(mutation, mutation.id),
      tx.objectStore("meta").put(mutation.id + 1, "nextMutationId"),
      tx.objectStore("meta").put(clock, "clock"),
      tx.done,
    ]);
  }

  /** Applies changes and meta updates, and drops acknowledged edits, in one transaction. */
  async commit(
    changes: Change[],
    meta: Record<string, unknown>,
    acknowledgedThrough?: number,
  ): Promise<void> {
    const tx = this.db.transaction(["rows", "outbox", "meta"], "readwrite");
    const rows = tx.objectStore("rows");
    const work: Promise<unknown>[] = [];
    for (const change of changes) {
      const key = `${change.entity}:${change.id}`;
      if (change.op === "put" && change.data) {
        work.push(rows.put({ entity: change.entity, id: change.id, data: change.data }, key));
      } else {
        work.push(rows.delete(key));
      }
    }
    for (const [key, value] of Object.entries(meta)) {
      work.push(tx.objectStore("meta").put(value, key));
    }
    if (acknowledgedThrough !== undefined) {
      work.push(tx.objectStore("outbox").delete(IDBKeyRange.upperBound(acknowledgedThrough)));
    }
    await Promise.all([...work, tx.done]);
  }

  /** The server forgot this replica's cursor (`410 resync_required`): start again empty. */
  async resetReplica(): Promise<void> {
    const tx = this.db.transaction(["rows", "meta"], "readwrite");
    await Promise.all([
      tx.objectStore("rows").clear(),
      tx.objectStore("meta").put(null, "cursor"),
      tx.objectStore("meta").put(false, "ready"),
      tx.done,
    ]);
  }

  /** Signing out forgets everything that belonged to the resident. */
  async clear(): Promise<void> {
    const tx = this.db.transaction(["rows", "outbox", "meta"], "readwrite");
    const language = await tx.objectStore("meta").get("language");
    await Promise.all([
      tx.objectStore("rows").clear(),
      tx.objectStore("outbox").clear(),
      tx.objectStore("meta").clear(),
    ]);
    if (language !== undefined) await tx.objectStore("meta").put(language, "language");
    await tx.done;
  }
}
