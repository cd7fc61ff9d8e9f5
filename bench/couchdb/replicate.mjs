// The CouchDB-protocol side of `linli bench`'s first-sync scenario.
//
//   node replicate.mjs load URL FILE   puts the documents of FILE (a JSON array) into the
//                                      database at URL, untimed
//   node replicate.mjs sync URL RUNS   replicates the database at URL into a fresh in-memory
//                                      PouchDB RUNS times, timed, with PouchDB's own
//                                      replication client (the CouchDB protocol); prints
//                                      {"docs": n, "ms": [...]}
import { readFileSync } from "node:fs";
import PouchDB from "pouchdb";
import memory from "pouchdb-adapter-memory";

PouchDB.plugin(memory);
const [command, url, arg] = process.argv.slice(2);

if (command === "load") {
  const docs = JSON.parse(readFileSync(arg, "utf8"));
  const remote = new PouchDB(url);
  for (let i = 0; i < docs.length; i += 1000) {
    const results = await remote.bulkDocs(docs.slice(i, i + 1000));
    const failed = results.filter((r) => r.error);
    if (failed.length) throw new Error(`load failed: ${JSON.stringify(failed[0])}`);
  }
  console.log(JSON.stringify({ loaded: docs.length }));
} else if (command === "sync") {
  const ms = [];
  let docs = 0;
  for (let run = 0; run < Number(arg ?? 5); run++) {
    const local = new PouchDB(`phone-${run}`, { adapter: "memory" });
    const started = performance.now();
    const result = await PouchDB.replicate(url, local, { batch_size: 500 });
    ms.push(performance.now() - started);
    docs = result.docs_written;
    await local.destroy();
  }
  console.log(JSON.stringify({ docs, ms }));
} else {
  console.error("usage: node replicate.mjs load URL FILE | sync URL RUNS");
  process.exit(2);
}
