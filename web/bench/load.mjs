// The web app's first load on a phone on a slow link: bundle size against the budget, and
// the time until a resident can type (the sign-in form is on screen and enabled), measured
// in Debian's Chromium throttled like DevTools' "Slow 3G" (2 s round trips, 50 kB/s each way)
// on a 4× slower CPU. The reference, measured in the same run under the same throttling, is
// the smallest page the same server can hand out (the app's manifest, a few hundred bytes):
// the link's own floor, which no bundle could beat.
//
//   npm run bench --prefix web        (LINLI_BIN defaults to target/debug/linli; use a
//                                      release build for figures: cargo build --release)
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { PHONE, launchBrowser, startLinli } from "../tests/harness.mjs";

/** What the first visit may cost on the wire (gzip), page, script and styles together. */
const BUDGET_BYTES = 60 * 1024;
/** How long a resident may wait on Slow 3G before they can type, first visit. */
const BUDGET_MS = 6_000;
const SLOW_3G = { offline: false, latency: 2000, downloadThroughput: 50_000, uploadThroughput: 50_000 };
const RUNS = Number(process.env.RUNS ?? 5);

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const files = (dir) =>
  readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)) : [path.join(dir, f)]));
const sizes = files(dist)
  .filter((f) => !f.endsWith("sw.js"))
  .map((f) => ({ file: path.relative(dist, f), raw: statSync(f).size, gzip: gzipSync(readFileSync(f), { level: 9 }).length }));
const firstLoad = sizes.filter((s) => /\.(html|js|css)$/.test(s.file));
const total = firstLoad.reduce((n, s) => n + s.gzip, 0);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const linli = await startLinli();
const browser = await launchBrowser();
try {
  const measure = async (url, ready, { warm = false } = {}) => {
    const context = await browser.newContext({ ...PHONE, locale: "zh-CN", baseURL: linli.base });
    const page = await context.newPage();
    if (warm) {
      // The second visit: the service worker already has the app.
      await page.goto("/app/");
      await page.evaluate(() => navigator.serviceWorker.ready);
      await page.reload();
      await page.evaluate(() => navigator.serviceWorker.ready);
    }
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", SLOW_3G);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
    const started = performance.now();
    await page.goto(url, { waitUntil: "commit" });
    await ready(page);
    const ms = performance.now() - started;
    await context.close();
    return ms;
  };
  const floor = [];
  const cold = [];
  const warm = [];
  for (let i = 0; i < RUNS; i += 1) {
    floor.push(await measure("/app/manifest.webmanifest", (p) => p.waitForLoadState("load")));
    cold.push(await measure("/app/", (p) => p.getByLabel("手机号").waitFor()));
    warm.push(await measure("/app/", (p) => p.getByLabel("手机号").waitFor(), { warm: true }));
  }
  const f = median(floor);
  const c = median(cold);
  const w = median(warm);
  console.log("The web app's first load (web/bench/load.mjs)");
  for (const s of firstLoad) console.log(`  ${s.file.padEnd(32)} ${String(s.raw).padStart(7)} B  gzip ${String(s.gzip).padStart(6)} B`);
  console.log(`  first load, gzip: ${total} B of a ${BUDGET_BYTES} B budget (${((100 * total) / BUDGET_BYTES).toFixed(0)}%)`);
  console.log(`Slow 3G (2 s RTT, 50 kB/s) and a 4× slower CPU, median of ${RUNS}:`);
  console.log(`  reference: the smallest page (manifest)     ${f.toFixed(0)} ms`);
  console.log(`  first visit, until the form can be used     ${c.toFixed(0)} ms  (${(c / f).toFixed(2)}× the reference; budget ${BUDGET_MS} ms)`);
  console.log(`  return visit (service worker), the same     ${w.toFixed(0)} ms  (${(w / f).toFixed(2)}× the reference)`);
} finally {
  await browser.close();
  await linli.stop();
}
