// The web app in Debian's Chromium, at a phone's size, against a live linli on the demo data.
// Each test plays what a resident or a leader does and checks what they rely on; the
// screenshots in web/screenshots are written along the way (the README shows them).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { AxeBuilder } from "@axe-core/playwright";
import {
  ApiPhone,
  PHONE,
  eventually,
  launchBrowser,
  screenshot,
  signedIn,
  startLinli,
} from "./harness.mjs";

let linli;
let browser;

before(async () => {
  linli = await startLinli();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await linli?.stop();
});

/** The page's own standing on a session, once the server has decided (not "pending"). */
async function decided(page) {
  const standing = page.locator(".standing-line .standing:not(.pending)");
  await standing.waitFor();
  return standing;
}

async function seatsLeft(card) {
  return Number(await card.locator("[data-seats-left]").getAttribute("data-seats-left"));
}

/** Fills an occurrence through the API until exactly `left` seats remain; returns it. */
async function leaveSeats(left, residents) {
  const admin = await new ApiPhone(linli.base).signIn("13800000000");
  const all = await admin.occurrences();
  const now = Date.now();
  const target = all
    .filter((o) => o.capacity && !o.cancelled && Date.parse(o.starts_at) > now + 6 * 3_600_000)
    .map((o) => ({ o, free: o.capacity - o.confirmed }))
    .filter(({ free }) => free > left)
    .sort((a, b) => a.free - b.free)[0];
  assert.ok(target, "the demo has a session with free seats");
  const { o } = target;
  let free = target.free;
  while (free > left) {
    const phone = await new ApiPhone(linli.base).signIn(residents.shift());
    const result = await phone.push("signup.request", {
      occurrence_id: o.occurrence_id,
      series_id: o.series_id,
      original_start: o.original_start,
    });
    if (result.status === "applied" && result.data?.data?.status === "confirmed") free -= 1;
  }
  return o;
}

/** The page's serious and critical accessibility findings (axe-core, WCAG 2.1 A and AA). */
async function serious(page) {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

const page_of = (o) => `/app/#/s/${o.series_id}/${encodeURIComponent(o.original_start)}`;

test("a resident signs up for a session and sees its seats go down", async () => {
  const { context, page } = await signedIn(browser, linli.base, "13900000011");
  try {
    await screenshot(page, "board");
    const card = page.locator(".card:has([data-seats-left]):not(:has(.standing))").first();
    const occurrence = await card.getAttribute("data-occurrence");
    const before = await seatsLeft(card);
    await card.click();
    await page.getByRole("button", { name: /^报名/ }).click();
    assert.match(await (await decided(page)).innerText(), /已报名/);
    await screenshot(page, "session");
    await page.getByRole("link", { name: /返回/ }).click();
    const again = page.locator(`.card[data-occurrence="${occurrence}"]`);
    await eventually("the board to count the new sign-up", async () => (await seatsLeft(again)) === before - 1);
    // The server agrees: the sign-up is the resident's, confirmed.
    const me = await new ApiPhone(linli.base).signIn("13900000011");
    const mine = await me.call("GET", "/api/v1/me/signups");
    assert.ok(mine.some((s) => s.occurrence_id === occurrence && s.status === "confirmed"), JSON.stringify(mine));
  } finally {
    await context.close();
  }
});

test("two residents race for the last seat: one is confirmed, one waitlisted, and both screens agree", async () => {
  const o = await leaveSeats(1, Array.from({ length: 30 }, (_, i) => `139000000${20 + i}`));
  const a = await signedIn(browser, linli.base, "13900000060");
  const b = await signedIn(browser, linli.base, "13900000061");
  try {
    await Promise.all([a.page.goto(page_of(o)), b.page.goto(page_of(o))]);
    const buttons = [a.page, b.page].map((p) => p.getByRole("button", { name: /^报名/ }));
    await Promise.all(buttons.map((button) => button.waitFor()));
    await Promise.all(buttons.map((button) => button.click()));
    const outcomes = (await Promise.all([decided(a.page), decided(b.page)].map(async (s) => (await s).innerText()))).sort();
    assert.match(outcomes[0], /候补第 1 位/);
    assert.match(outcomes[1], /已报名/);
    // After syncing, both phones show the session full, with the same counts: one more
    // confirmed and one waiting.
    await eventually("both screens to agree", async () => {
      const counts = await Promise.all([a, b].map(({ page }) => page.locator(".counts").innerText()));
      return counts[0] === counts[1] && /名额已满/.test(counts[0]) && /候补 1 人/.test(counts[0]);
    });
    await screenshot(a.page, "race-confirmed-or-waitlisted");
  } finally {
    await a.context.close();
    await b.context.close();
  }
});

test("offline, a resident signs up and joins a group, reloads, and everything syncs when back online", async () => {
  const { context, page } = await signedIn(browser, linli.base, "13900000070");
  try {
    // The service worker has the app before the network goes.
    await eventually("the service worker to control the page", () =>
      page.evaluate(() => navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller !== null)),
    );
    await page.locator(".banner.syncing").waitFor({ state: "detached" });
    await context.setOffline(true);
    await page.locator(".banner.offline").waitFor();

    const card = page.locator(".card:has([data-seats-left]):not(:has(.standing))").first();
    const occurrence = await card.getAttribute("data-occurrence");
    await card.click();
    await page.getByRole("button", { name: /^报名/ }).click();
    await page.locator(".standing-line .standing.pending").waitFor();
    await page.getByRole("link", { name: "小组" }).click();
    const groupName = await page.locator(".group-card:has(button.primary) .title").first().innerText();
    // Named, because once joined the card no longer has a "join" button to be found by.
    const group = page.locator(`.group-card:has-text("${groupName}")`);
    await group.getByRole("button", { name: "加入" }).click();
    await group.locator(".standing.pending").waitFor();
    await screenshot(page, "offline-pending");

    // A reload with no network: the app still opens, with the edits still pending.
    await page.reload();
    await page.locator(".banner.offline").waitFor();
    await page.locator(`.group-card:has-text("${groupName}") .standing.pending`).waitFor();

    await context.setOffline(false);
    await page.locator(`.group-card:has-text("${groupName}") .standing.confirmed`).waitFor();
    await page.getByRole("link", { name: "我的" }).click();
    await page.locator(`.card .standing.confirmed`).first().waitFor();

    const me = await new ApiPhone(linli.base).signIn("13900000070");
    const mine = await me.call("GET", "/api/v1/me/signups");
    assert.ok(mine.some((s) => s.occurrence_id === occurrence && s.status === "confirmed"), JSON.stringify(mine));
    const groups = await me.call("GET", "/api/v1/groups");
    const joined = groups.find((g) => g.name === groupName);
    assert.ok(joined, `the group ${groupName} is listed`);
  } finally {
    await context.close();
  }
});

test("a leader signs up a member without a phone and marks attendance", async () => {
  // The calligraphy group's leader adds a session starting in half an hour.
  const leader = await new ApiPhone(linli.base).signIn("13900000000");
  const groups = await leader.call("GET", "/api/v1/groups");
  const group = groups.find((g) => g.name === "書畫社");
  const soon = new Date(Date.now() + 30 * 60_000);
  const local = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai", dateStyle: "short", timeStyle: "short" })
    .format(soon)
    .replace(" ", "T");
  const series = crypto.randomUUID();
  const created = await leader.push("series.create", {
    id: series,
    group_id: group.id,
    title: "臨時加練",
    start_local: local,
    rrule: "FREQ=DAILY;COUNT=1",
    duration_minutes: 60,
    capacity: 10,
  });
  assert.equal(created.status, "applied", JSON.stringify(created));

  const { context, page } = await signedIn(browser, linli.base, "13900000000");
  try {
    await page.locator('.card:has-text("臨時加練")').click();
    await page.getByRole("link", { name: "名单与签到" }).click();
    const choose = page.getByLabel(/为没有手机的组员报名/);
    const member = (await choose.locator("option").nth(1).innerText()).trim();
    await choose.selectOption({ label: member });
    await page.locator("form.proxy").getByRole("button", { name: "报名" }).click();
    const row = page.locator(`.people li:has-text("${member}")`);
    await row.locator(".standing").filter({ hasText: "已报名" }).waitFor();
    await row.getByRole("button", { name: "出席" }).click();
    await row.locator('button[aria-pressed="true"]').waitFor();
    await screenshot(page, "roster");
    // The server recorded it: the member's hours this month include the session.
    const resident = await row.getAttribute("data-resident");
    const month = local.slice(0, 7);
    await eventually("the attendance to count in the group's hours", async () => {
      const hours = await leader.call("GET", `/api/v1/groups/${group.id}/hours?month=${month}`);
      return hours.some((h) => h.id === resident && h.sessions >= 1);
    });
    assert.equal(await page.locator(".banner.rejected").count(), 0);
  } finally {
    await context.close();
  }
});

/** A resident who can see an open campaign (the demo's is for one compound's residents). */
async function campaignViewer() {
  for (let i = 0; i < 30; i += 1) {
    const phone = `139${String(i).padStart(8, "0")}`;
    const api = await new ApiPhone(linli.base).signIn(phone);
    const campaigns = await api.call("GET", "/api/v1/campaigns");
    const open = campaigns.find((c) => c.status === "open");
    if (open) return { phone, api, campaign: open };
  }
  throw new Error("no demo resident sees an open campaign");
}

test("a resident pledges to a campaign in yuan, is told plainly when an amount is wrong, and sees the checked ledger", async () => {
  const { phone, api, campaign } = await campaignViewer();
  const { context, page } = await signedIn(browser, linli.base, phone);
  try {
    await page.getByRole("link", { name: "更多" }).click();
    await page.getByRole("link", { name: /微爱众筹/ }).click();
    await page.locator(`a.card:has-text("${campaign.title}")`).click();
    await page.getByText("账目已核对").waitFor();
    const amount = page.getByLabel("金额（元）");
    await amount.fill("12.345");
    await page.getByRole("button", { name: "认捐" }).click();
    await page.getByRole("alert").filter({ hasText: "最多两位小数" }).waitFor();
    await amount.fill("12.5");
    await page.getByRole("button", { name: "认捐" }).click();
    await page.locator(".plain li").filter({ hasText: "¥12.5" }).filter({ hasText: "待交付" }).waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, "campaign");
    // The server counts it: the campaign's pledged money went up by exactly 12.5 yuan.
    await eventually("the pledge to count", async () => {
      const now = (await api.call("GET", "/api/v1/campaigns")).find((c) => c.id === campaign.id);
      return now.pledged_fen === campaign.pledged_fen + 1250;
    });
    assert.deepEqual(await serious(page), []);
  } finally {
    await context.close();
  }
});

test("a resident reports a broken light and follows it in words", async () => {
  const { context, page } = await signedIn(browser, linli.base, "13900000014");
  try {
    await page.getByRole("link", { name: "更多" }).click();
    await page.getByRole("link", { name: /反映问题/ }).click();
    await page.getByLabel("类别").selectOption({ label: "维修" });
    await page.getByLabel("地点").fill("三號樓二單元");
    await page.getByLabel("具体情况").fill("樓道燈壞了，晚上看不見台階");
    await page.getByRole("button", { name: "提交" }).click();
    await page.locator(".card").filter({ hasText: "樓道燈壞了" }).filter({ hasText: "维修 · 已提交" }).waitFor();
    await screenshot(page, "cases");
    assert.deepEqual(await serious(page), []);
    const me = await new ApiPhone(linli.base).signIn("13900000014");
    const cases = await me.call("GET", "/api/v1/cases");
    const list = cases;
    assert.ok(list.some((v) => v.case.description.includes("樓道燈壞了")), JSON.stringify(list).slice(0, 500));
  } finally {
    await context.close();
  }
});

test("every screen passes an accessibility scan with no serious or critical findings", async () => {
  const findings = [];
  const scan = async (page, name) => findings.push(...(await serious(page)).map((f) => `${name}: ${f}`));
  const context = await browser.newContext({ ...PHONE, locale: "zh-CN", baseURL: linli.base });
  const page = await context.newPage();
  try {
    await page.goto("/app/");
    await page.getByLabel("手机号").waitFor();
    await scan(page, "login");
    await screenshot(page, "login");
    await page.getByRole("link", { name: /注册/ }).click();
    await page.getByLabel("称呼").waitFor();
    await scan(page, "register");
  } finally {
    await context.close();
  }

  const { context: signed, page: p } = await signedIn(browser, linli.base, "13900000000");
  try {
    const screens = [
      ["board", "#/"],
      ["mine", "#/mine"],
      ["groups", "#/groups"],
      ["notices", "#/notices"],
      ["settings", "#/settings"],
      ["more", "#/more"],
      ["campaigns", "#/campaigns"],
      ["topics", "#/topics"],
      ["cases", "#/cases"],
      ["elections", "#/elections"],
    ];
    for (const [name, hash] of screens) {
      await p.goto(`/app/${hash}`);
      await p.locator("main h2").first().waitFor();
      await p.locator(".banner.syncing").waitFor({ state: "detached" });
      await scan(p, name);
      if (!["board", "more", "cases"].includes(name)) await screenshot(p, name);
      if (name === "notices") {
        // Who posted it, in words: the president's notice says 会长, never a code.
        await p.locator(".notice .when").filter({ hasText: "· 会长 ·" }).first().waitFor();
        assert.doesNotMatch(await p.locator("main").innerText(), /president|building_leader/);
      }
    }
    await p.goto("/app/#/");
    await p.locator('.card:has-text("書法與國畫")').first().click();
    await p.locator("article.session").waitFor();
    await scan(p, "session");
    await p.getByRole("link", { name: "名单与签到" }).click();
    await p.locator("section.roster").waitFor();
    await scan(p, "roster");
  } finally {
    await signed.close();
  }
  assert.deepEqual(findings, []);
});

test("a resident stays signed in across a restart, even when a refresh's answer is lost", async () => {
  const { context, page } = await signedIn(browser, linli.base, "13900000012");
  try {
    const session = () =>
      page.evaluate(
        () =>
          new Promise((resolve, reject) => {
            const open = indexedDB.open("linli");
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const get = open.result.transaction("meta").objectStore("meta").get("session");
              get.onsuccess = () => resolve(get.result);
            };
          }),
      );
    const first = await session();
    // The access token runs out while the phone is put away.
    await page.evaluate(
      (saved) =>
        new Promise((resolve) => {
          const open = indexedDB.open("linli");
          open.onsuccess = () => {
            const tx = open.result.transaction("meta", "readwrite");
            tx.objectStore("meta").put({ ...saved, accessExpires: 0 }, "session");
            tx.oncomplete = () => resolve(undefined);
          };
        }),
      first,
    );
    // The first refresh reaches the server, but its answer is lost on the way back.
    let refreshes = 0;
    await context.route("**/api/v1/auth/refresh", async (route) => {
      refreshes += 1;
      if (refreshes === 1) {
        await route.fetch();
        await route.abort("connectionreset");
      } else {
        await route.continue();
      }
    });
    await page.reload();
    await eventually("a second refresh with the same token", async () => {
      const now = await session();
      return refreshes >= 2 && now.refresh !== first.refresh && now.accessExpires > Date.now();
    });
    // Still signed in: the board, never the sign-in form, and the sync works again.
    await page.locator(".card").first().waitFor();
    assert.equal(await page.getByLabel("手机号").count(), 0);
    await page.locator(".banner.offline").waitFor({ state: "detached" });
  } finally {
    await context.close();
  }
});

test("the browser's language decides the script, and settings change it", async () => {
  const context = await browser.newContext({ ...PHONE, locale: "zh-TW", baseURL: linli.base });
  const page = await context.newPage();
  try {
    await page.goto("/app/");
    await page.getByRole("button", { name: "登入" }).waitFor();
    await page.getByLabel("手機號").fill("13900000013");
    await page.getByLabel("密碼").fill("linli-demo-2026");
    await page.getByRole("button", { name: "登入" }).click();
    await page.getByRole("link", { name: "更多" }).click();
    await page.getByRole("link", { name: /設定/ }).click();
    await page.getByLabel("English").check();
    await page.getByRole("link", { name: "Activities" }).waitFor();
    // The page says which language it is in (screen readers pick their voice by it).
    await page.locator('html[lang="en"]').waitFor({ state: "attached" });
    // The choice is kept: a reload stays in English.
    await page.reload();
    await page.getByRole("heading", { name: "Settings" }).waitFor();
  } finally {
    await context.close();
  }
});

test("when the server has forgotten a phone's cursor, the replica starts again and keeps nothing stale", async () => {
  const { context, page } = await signedIn(browser, linli.base, "13900000015");
  try {
    await page.locator(".banner.syncing").waitFor({ state: "detached" });
    const keys = () =>
      page.evaluate(
        () =>
          new Promise((resolve) => {
            const open = indexedDB.open("linli");
            open.onsuccess = () => {
              const all = open.result.transaction("rows").objectStore("rows").getAllKeys();
              all.onsuccess = () => resolve(all.result.sort());
            };
          }),
      );
    const before = await keys();
    assert.ok(before.length > 0);
    // A row the server no longer has (deleted while the phone's cursor was too old to hear).
    await page.evaluate(
      () =>
        new Promise((resolve) => {
          const open = indexedDB.open("linli");
          open.onsuccess = () => {
            const tx = open.result.transaction("rows", "readwrite");
            tx.objectStore("rows").put({ entity: "group", id: "stale", data: {} }, "group:stale");
            tx.oncomplete = () => resolve(undefined);
          };
        }),
    );
    let refused = false;
    await context.route("**/api/v1/sync/pull", async (route) => {
      if (!refused) {
        refused = true;
        await route.fulfill({
          status: 410,
          contentType: "application/problem+json",
          body: JSON.stringify({ type: "urn:linli:problem:resync_required", title: "Gone", status: 410, detail: "resync", code: "resync_required" }),
        });
      } else {
        await route.continue();
      }
    });
    await page.reload();
    await eventually("the replica to be pulled again from the start", async () => {
      const now = await keys();
      return refused && JSON.stringify(now) === JSON.stringify(before);
    });
    await page.locator(".card").first().waitFor();
  } finally {
    await context.close();
  }
});
