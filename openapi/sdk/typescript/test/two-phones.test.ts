// Two phones, one weekly choir practice, and a trip offline.
//
// This is the example to copy when writing a linli client: `Phone` below is a small but real
// offline-first client built only on @linli/sdk. It keeps an outbox of edits with increasing
// mutation ids and hybrid-logical-clock stamps, a pull cursor, and a local store keyed by
// entity and id that it updates from push results and pulls (README, "Sync protocol").
//
// The test starts a real linli (`LINLI_BIN`, default target/debug/linli) on a fresh SQLite
// database and plays the README's rules out between the committee president's phone and a
// choir leader's:
//   - both edit the same series while one of them is offline: per field, the greater
//     (hlc, client_id) wins, whatever order the pushes arrive in;
//   - the offline phone asks for a seat the other phone has meanwhile filled: it is
//     waitlisted, with its position, because the server decides in arrival order.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { v5 as uuidv5, v7 as uuidv7 } from "uuid";

import {
  createLinliClient,
  Hlc,
  SCHEMA_VERSION,
  type Change,
  type LinliClient,
  type Mutation,
  type PushResponse,
  type SeriesUpdateArgs,
  type Session,
} from "../src/index.js";

// ---------------------------------------------------------------------------------------------
// The client: what an app keeps on the phone.
// ---------------------------------------------------------------------------------------------

type Entity = Change["entity"];
type DataOf<E extends Entity> = NonNullable<Extract<Change, { entity: E }>["data"]>;
type MutationName = Mutation["name"];
type ArgsOf<N extends MutationName> = Extract<Mutation, { name: N }>["args"];

/** Returns a call's `data`, or throws with the problem the server answered. */
function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    throw new Error(
      `${result.response.url}: ${result.response.status} ${JSON.stringify(result.error)}`,
    );
  }
  return result.data;
}

class Phone {
  /** Made once per installation, kept forever. */
  readonly clientId = uuidv7();
  readonly api: LinliClient;
  online = true;
  /** Edits not yet acknowledged by the server, in mutation-id order. */
  outbox: Mutation[] = [];
  cursor: string | undefined;
  /** The newest of this phone's mutations whose effects a pull has included. */
  lastMutationId = 0;
  /** The local replica: `entity:id` → the object as the server last said. */
  readonly store = new Map<string, Change["data"]>();
  residentId = "";
  private session: Session | undefined;
  private nextMutationId = 1;
  private readonly clock = new Hlc();

  constructor(
    readonly owner: string,
    baseUrl: string,
  ) {
    this.api = createLinliClient(baseUrl, { getToken: () => this.session?.access_token });
  }

  async signIn(phone: string, password: string): Promise<void> {
    this.signedIn(ok(await this.api.POST("/api/v1/auth/login", { body: { phone, password } })));
  }

  async register(phone: string, password: string, communityId: string): Promise<void> {
    const body = { phone, password, display_name: this.owner, community_id: communityId };
    this.signedIn(ok(await this.api.POST("/api/v1/auth/register", { body })));
  }

  private signedIn(session: Session): void {
    this.session = session;
    this.residentId = session.resident_id;
  }

  /** Makes an edit, online or not: it goes to the outbox with the next id and an HLC. */
  queue<N extends MutationName>(name: N, args: ArgsOf<N>): Extract<Mutation, { name: N }> {
    const mutation = { id: this.nextMutationId++, hlc: this.clock.tick(), name, args } as Mutation;
    this.outbox.push(mutation);
    return mutation as Extract<Mutation, { name: N }>;
  }

  /** Sends the outbox. Every result is final: the mutation leaves the outbox, `data` is applied. */
  async push(): Promise<PushResponse> {
    if (!this.online) throw new Error(`${this.owner}'s phone is offline`);
    const body = {
      client_id: this.clientId,
      schema_version: SCHEMA_VERSION,
      mutations: this.outbox.slice(0, 500),
    };
    const out = ok(await this.api.POST("/api/v1/sync/push", { body }));
    this.outbox = this.outbox.filter((m) => m.id > out.last_mutation_id);
    for (const result of out.results) {
      if (result.data) this.apply(result.data);
    }
    this.clock.observe(out.server_time);
    return out;
  }

  /** Pulls until nothing more is waiting; returns the changes received. */
  async pull(): Promise<Change[]> {
    if (!this.online) throw new Error(`${this.owner}'s phone is offline`);
    const received: Change[] = [];
    for (;;) {
      const body = {
        client_id: this.clientId,
        schema_version: SCHEMA_VERSION,
        cursor: this.cursor,
      };
      const page = ok(await this.api.POST("/api/v1/sync/pull", { body }));
      page.changes.forEach((change) => this.apply(change));
      received.push(...page.changes);
      this.cursor = page.cursor;
      this.lastMutationId = page.last_mutation_id;
      this.clock.observe(page.server_time);
      if (!page.has_more) return received;
    }
  }

  async sync(): Promise<void> {
    if (this.outbox.length > 0) await this.push();
    await this.pull();
  }

  /** `put` replaces the object, `delete` removes it. */
  apply(change: Change): void {
    const key = `${change.entity}:${change.id}`;
    if (change.op === "put") this.store.set(key, change.data);
    else this.store.delete(key);
  }

  get<E extends Entity>(entity: E, id: string): DataOf<E> | undefined {
    return this.store.get(`${entity}:${id}`) as DataOf<E> | undefined;
  }

  all<E extends Entity>(entity: E): DataOf<E>[] {
    return [...this.store.entries()]
      .filter(([key]) => key.startsWith(`${entity}:`))
      .map(([, data]) => data as DataOf<E>);
  }
}

/** The README's rule for plain fields: the write with the greatest (hlc, client_id) wins. */
function lastWriterWins(
  edits: { hlc: string; clientId: string; args: SeriesUpdateArgs }[],
): Partial<SeriesUpdateArgs> {
  const ordered = [...edits].sort(
    (a, b) =>
      Hlc.parse(a.hlc).compare(Hlc.parse(b.hlc)) ||
      (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0),
  );
  return Object.assign({}, ...ordered.map((edit) => edit.args));
}

/** An occurrence's id, which a phone computes offline: UUIDv5(series id, original start). */
function occurrenceId(seriesId: string, originalStart: Date): string {
  return uuidv5(originalStart.toISOString().replace(/\.\d{3}Z$/, "Z"), seriesId);
}

// ---------------------------------------------------------------------------------------------
// The server under test.
// ---------------------------------------------------------------------------------------------

const REPO = fileURLToPath(new URL("../../../../../", import.meta.url));
const LINLI_BIN = process.env.LINLI_BIN ?? path.join(REPO, "target/debug/linli");
const DEADLINE_MS = 30_000;
const PASSWORD = "correct horse battery";

let dir = "";
let databaseUrl = "";
let server: ChildProcess | undefined;
const serverLog: string[] = [];
let baseUrl = "";

/** Starts `linli serve` on a free port; resolves with its address once it logs that it serves. */
function serve(): Promise<string> {
  const child = spawn(
    LINLI_BIN,
    ["serve", "--bind", "127.0.0.1:0", "--database-url", databaseUrl, "--log-format", "json"],
    {
      cwd: dir,
      env: {
        ...process.env,
        RUST_LOG: "info",
        LINLI_JWT_SECRET: "two-phones-test-secret-0123456789abcdef",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  server = child;
  // Keep reading both streams to the end, so the server never blocks on a full pipe.
  createInterface({ input: child.stderr! }).on("line", (line) => serverLog.push(line));
  const stdout = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`${why}\n${serverLog.join("\n")}`));
    };
    const timer = setTimeout(
      () => fail(`linli did not start within ${DEADLINE_MS} ms`),
      DEADLINE_MS,
    );
    child.once("error", (err) => fail(`cannot run ${LINLI_BIN}: ${err.message}`));
    child.once("exit", (code, signal) => fail(`linli exited (${code ?? signal}) before serving`));
    stdout.on("line", (line) => {
      serverLog.push(line);
      let event: { message?: unknown; addr?: unknown };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        return;
      }
      if (event.message === "linli is serving" && typeof event.addr === "string") {
        clearTimeout(timer);
        resolve(`http://${event.addr}`);
      }
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
  await exited;
  clearTimeout(timer);
}

// The phones: the committee president's (an admin, made on the command line) and the choir
// leader's.
let a: Phone;
let b: Phone;
let elderId = "";

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "linli-two-phones-"));
  databaseUrl = `sqlite://${path.join(dir, "linli.db")}?mode=rwc`;
  // `serve` migrates the fresh database and seeds its community; the first admin is then made
  // with the CLI, as an operator would.
  baseUrl = await serve();
  const createAdmin = ["user", "create", "--admin", "--phone", "13800000000", "--name", "會長"];
  await promisify(execFile)(LINLI_BIN, [...createAdmin, "--database-url", databaseUrl], {
    env: { ...process.env, LINLI_USER_PASSWORD: PASSWORD },
    timeout: DEADLINE_MS,
  });

  a = new Phone("會長", baseUrl);
  await a.signIn("13800000000", PASSWORD);
  const [community] = ok(await a.api.GET("/api/v1/communities"));
  assert.ok(community, "the server seeded a community");
  b = new Phone("張老師", baseUrl);
  await b.register("13700000000", PASSWORD, community.id);
  // Grandma Liu has no smartphone: the choir leader signs her up.
  const elder = new Phone("劉奶奶", baseUrl);
  await elder.register("13600000000", PASSWORD, community.id);
  elderId = elder.residentId;
});

after(async () => {
  if (server) await stop(server);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("two phones converge after one edits and signs up offline", async () => {
  // A weekly choir practice, first one three days from now at 19:00 in Shanghai
  // (UTC+8 all year), with two seats.
  const day = new Date(Date.now() + 3 * 86_400_000 + 8 * 3_600_000);
  const date = day.toISOString().slice(0, 10);
  const firstStart = new Date(`${date}T11:00:00Z`);
  const [groupId, seriesId] = [uuidv7(), uuidv7()];

  a.queue("group.create", {
    id: groupId,
    name: "合唱團",
    kind: "choir",
    venue: "活動室",
    is_open: true,
  });
  a.queue("member.set_role", { group_id: groupId, resident_id: b.residentId, role: "leader" });
  a.queue("series.create", {
    id: seriesId,
    group_id: groupId,
    title: "合唱練習",
    start_local: `${date}T19:00`,
    rrule: "FREQ=WEEKLY",
    duration_minutes: 90,
    capacity: 2,
    location: "活動室",
  });
  const created = await a.push();
  assert.deepEqual(
    created.results.map((r) => r.status),
    ["applied", "applied", "applied"],
  );
  assert.equal(a.outbox.length, 0);
  await a.pull();
  await b.sync();
  assert.deepEqual(b.get("series", seriesId), a.get("series", seriesId));
  assert.equal(b.get("series", seriesId)?.capacity, 2);

  // A goes offline (the lift to the basement office) and keeps working.
  a.online = false;
  const next = occurrenceId(seriesId, firstStart);
  const aEdit = a.queue("series.update", {
    id: seriesId,
    location: "老年大學二樓",
    notes: "請帶歌譜",
  });
  a.queue("signup.request", {
    occurrence_id: next,
    series_id: seriesId,
    original_start: firstStart.toISOString(),
  });
  await assert.rejects(a.push(), /offline/);
  assert.deepEqual(
    a.outbox.map((m) => m.id),
    [4, 5],
  );

  // Meanwhile B fills the session: its own seat and Grandma Liu's (a proxy sign-up).
  b.queue("signup.request", {
    occurrence_id: next,
    series_id: seriesId,
    original_start: firstStart.toISOString(),
  });
  b.queue("signup.request", { occurrence_id: next, on_behalf_of: elderId });
  const filled = await b.push();
  assert.deepEqual(
    filled.results.map((r) => (r.data?.entity === "signup" ? r.data.data?.status : r.status)),
    ["confirmed", "confirmed"],
  );
  // ...and then edits the series: a new title, and the same field A changed offline.
  const bEdit = b.queue("series.update", {
    id: seriesId,
    title: "合唱練習（新曲）",
    location: "社區禮堂",
  });
  await b.sync();
  // B's edit was made after A's on every clock: B's phone moved its clock past the server's
  // after pushing, and the server's clock had passed A's wall clock by then.
  assert.ok(Hlc.parse(bEdit.hlc).compare(Hlc.parse(aEdit.hlc)) > 0, `${bEdit.hlc} > ${aEdit.hlc}`);

  // A comes back online: its queued edits arrive last.
  a.online = true;
  const late = await a.push();
  assert.equal(late.last_mutation_id, 5);
  assert.equal(a.outbox.length, 0);
  const [editResult, signupResult] = late.results;
  // A losing edit is still applied; its data shows the winning values.
  assert.equal(editResult?.status, "applied");
  assert.equal(editResult?.data?.entity, "series");
  // The last seat was gone before A's request arrived: waitlisted, first in line.
  assert.equal(signupResult?.status, "applied");
  assert.ok(signupResult?.data?.entity === "signup", JSON.stringify(signupResult));
  assert.equal(signupResult.data.data?.status, "waitlisted");
  assert.equal(signupResult.data.data?.waitlist_position, 1);

  await a.pull();
  await b.pull();

  // Both phones hold the same series and the same tally.
  const series = a.get("series", seriesId);
  assert.ok(series);
  assert.deepEqual(b.get("series", seriesId), series);
  const tally = a.get("occurrence_tally", next);
  assert.deepEqual(b.get("occurrence_tally", next), tally);
  assert.deepEqual([tally?.confirmed, tally?.waitlisted, tally?.capacity], [2, 1, 2]);
  assert.equal(Date.parse(tally?.original_start ?? ""), firstStart.getTime());

  // Per field, the later (hlc, client_id) wins, though A's push arrived last: B's location
  // and title, A's notes.
  const merged = lastWriterWins([
    { hlc: aEdit.hlc, clientId: a.clientId, args: aEdit.args },
    { hlc: bEdit.hlc, clientId: b.clientId, args: bEdit.args },
  ]);
  assert.deepEqual(
    { title: series.title, location: series.location, notes: series.notes },
    { title: merged.title, location: merged.location, notes: merged.notes },
  );
  assert.deepEqual(
    { title: series.title, location: series.location, notes: series.notes },
    { title: "合唱練習（新曲）", location: "社區禮堂", notes: "請帶歌譜" },
  );
  assert.equal(editResult.data.entity === "series" && editResult.data.data?.location, "社區禮堂");

  // A's own sign-up row shows its place on the waitlist; B, a leader of the group, sees all three.
  const mine = a.all("signup").filter((s) => s.resident_id === a.residentId);
  assert.deepEqual(
    mine.map((s) => [s.occurrence_id, s.status, s.waitlist_position]),
    [[next, "waitlisted", 1]],
  );
  const seen = b
    .all("signup")
    .map((s) => [s.display_name, s.status, s.waitlist_position ?? null])
    .sort();
  assert.deepEqual(seen, [
    ["劉奶奶", "confirmed", null],
    ["張老師", "confirmed", null],
    ["會長", "waitlisted", 1],
  ]);
  assert.equal(a.lastMutationId, 5);

  // The REST reads agree with the replicas, and with the occurrence id computed offline.
  const signups = ok(await a.api.GET("/api/v1/me/signups"));
  assert.deepEqual(
    signups.map((s) => [s.occurrence_id, s.status, s.waitlist_position]),
    [[next, "waitlisted", 1]],
  );
  const from = new Date(firstStart.getTime() - 3_600_000).toISOString();
  const occurrences = ok(
    await b.api.GET("/api/v1/occurrences", { params: { query: { from, days: 8, group_id: groupId } } }),
  );
  assert.deepEqual(
    occurrences.map((o) => [o.occurrence_id, o.location, o.confirmed, o.waitlisted]),
    [
      [next, "社區禮堂", 2, 1],
      [occurrenceId(seriesId, new Date(firstStart.getTime() + 7 * 86_400_000)), "社區禮堂", 0, 0],
    ],
  );
});

test("a refused call brings an RFC 9457 problem with a stable code", async () => {
  const phone = b;
  const forged = await phone.api.POST("/api/v1/sync/pull", {
    body: { client_id: phone.clientId, schema_version: SCHEMA_VERSION, cursor: "forged.cursor" },
  });
  assert.equal(forged.response.status, 409);
  assert.equal(forged.response.headers.get("content-type"), "application/problem+json");
  assert.equal(forged.data, undefined);
  assert.equal(forged.error?.code, "invalid_cursor");
  assert.equal(forged.error?.type, "urn:linli:problem:invalid_cursor");
  assert.equal(forged.error?.status, 409);
  assert.equal(forged.error?.request_id, forged.response.headers.get("x-request-id"));

  // A mutation id past the next expected one: the server says where to resume.
  const gap = await phone.api.POST("/api/v1/sync/push", {
    body: {
      client_id: phone.clientId,
      schema_version: SCHEMA_VERSION,
      mutations: [
        {
          id: phone.lastMutationId + 2,
          hlc: new Hlc().tick(),
          name: "group.join",
          args: { group_id: uuidv7() },
        },
      ],
    },
  });
  assert.equal(gap.response.status, 409);
  assert.equal(gap.error?.code, "mutation_gap");
  assert.equal(gap.error?.expected_mutation_id, phone.lastMutationId + 1);
});
