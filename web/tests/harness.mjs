// What the browser tests share: a live linli on a fresh demo database, Debian's Chromium
// driven by Playwright at a phone's size, and a few API calls to arrange a scene (the app
// itself makes every call through @linli/sdk; the tests only set the stage and check).
//
// LINLI_BIN picks the binary (default target/debug/linli); CHROMIUM the browser (default
// /usr/bin/chromium: Playwright's own download cannot run here).
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const LINLI_BIN = process.env.LINLI_BIN ?? path.join(REPO, "target/debug/linli");
export const SCREENSHOTS = path.join(REPO, "web/screenshots");
export const DEMO_PASSWORD = "linli-demo-2026";
export const PHONE = { viewport: { width: 412, height: 915 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
const DEADLINE_MS = 60_000;

/** Starts linli on a new demo database; returns its address and a stop function. */
export async function startLinli() {
  const dir = mkdtempSync(path.join(tmpdir(), "linli-web-"));
  const databaseUrl = `sqlite://${path.join(dir, "linli.db")}?mode=rwc`;
  await promisify(execFile)(
    LINLI_BIN,
    ["demo", "--database-url", databaseUrl, "--residents", "80", "--households", "200"],
    { cwd: dir, timeout: DEADLINE_MS * 3, maxBuffer: 16 << 20 },
  );
  const child = spawn(
    LINLI_BIN,
    ["serve", "--bind", "127.0.0.1:0", "--database-url", databaseUrl, "--log-format", "json"],
    {
      cwd: dir,
      env: { ...process.env, RUST_LOG: "info", LINLI_JWT_SECRET: "web-app-test-secret-0123456789abcdef", LINLI_PUSHES_PER_MINUTE: "0", LINLI_PULLS_PER_MINUTE: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const log = [];
  createInterface({ input: child.stderr }).on("line", (l) => log.push(l));
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`linli did not start\n${log.join("\n")}`)), DEADLINE_MS);
    child.once("exit", (code) => reject(new Error(`linli exited (${code})\n${log.join("\n")}`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      log.push(line);
      try {
        const event = JSON.parse(line);
        if (event.message === "linli is serving") {
          clearTimeout(timer);
          resolve(`http://${event.addr}`);
        }
      } catch {
        // not a log line
      }
    });
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { base, stop, log };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A phone-sized browser context in `locale`, signed in as `phone` through the app's form. */
export async function signedIn(browser, base, phone, locale = "zh-CN") {
  const context = await browser.newContext({ ...PHONE, locale, baseURL: base });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`[${phone}] page error:`, e));
  await page.goto("/app/");
  await page.getByLabel(/手机号|手機號|Phone/).fill(phone);
  await page.getByLabel(/密码|密碼|Password/).fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: /登录|登入|Sign in/ }).click();
  await page.locator(".card").first().waitFor();
  return { context, page };
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

// ---- a phone's API calls, to set a scene -----------------------------------------------------

export class ApiPhone {
  constructor(base) {
    this.base = base;
    this.clientId = crypto.randomUUID();
    this.nextId = 1;
  }

  async call(method, path, body) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        "content-type": "application/json",
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  async signIn(phone) {
    const session = await this.call("POST", "/api/v1/auth/login", { phone, password: DEMO_PASSWORD });
    this.token = session.access_token;
    this.residentId = session.resident_id;
    return this;
  }

  /** Pushes one mutation; returns its result (applied or rejected, with its data). */
  async push(name, args) {
    const hlc = `${new Date().toISOString()}-0000`;
    const out = await this.call("POST", "/api/v1/sync/push", {
      client_id: this.clientId,
      schema_version: 1,
      mutations: [{ id: this.nextId++, hlc, name, args }],
    });
    return out.results[0];
  }

  async occurrences(days = 14) {
    const from = new Date();
    from.setHours(0, 0, 0, 0);
    return this.call("GET", `/api/v1/occurrences?from=${encodeURIComponent(from.toISOString())}&days=${days}`);
  }
}

/** Polls `check` until it returns a truthy value; fails after `ms`. */
export async function eventually(what, check, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
