import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { STATIC } from "../src/console/static-files.ts";
import { startTestServer, TestClock, testStoreUrl } from "./support/server.ts";

/*
 * The console in a real browser: Debian's chromium driven by playwright-core (never a
 * downloaded browser), against a real server on SQLite with the console on port 0 and bearer
 * tokens. What an operator does: log in, see the tasks, page and filter instances, read an
 * instance's next slots across a DST change, disable a task and see it disabled; and what an
 * attacker or a reader cannot do: change without the admin role, post without the CSRF token,
 * post from another origin. The run writes the README's screenshots to docs/.
 */

const CHROMIUM = "/usr/bin/chromium";
const ADMIN = "console-admin-token-0123456789";
const READER = "console-reader-token-0123456789";
const NOW = Date.parse("2026-03-27T12:00:00.000Z"); // Berlin springs forward on 2026-03-29
const berlin = { kind: { case: "cron" as const, value: "0 9 * * *" }, timezone: "Europe/Berlin" };

/** Sets up the data through an open server, then serves it from a tokened one with the console. */
async function consoleServer() {
  const clock = new TestClock(NOW);
  const storeUrl = testStoreUrl("sqlite");
  {
    await using open = await startTestServer({ clock, storeUrl });
    await open.scheduler.putTask({
      task: { name: "reports", dynamic: true, partitionCount: 4, schedule: berlin },
    });
    await open.scheduler.schedule({
      task: "reports",
      instances: Array.from({ length: 120 }, (_, i) => ({ name: `customer-${String(i).padStart(3, "0")}` })),
    });
    await open.scheduler.schedule({
      task: "reports",
      instances: Array.from({ length: 3 }, (_, i) => ({
        name: `late-${i}`,
        schedule: { kind: { case: "at" as const, value: timestampFromMs(NOW - 3_600_000) } },
        args: { customer: `late ${i}`, tier: "<b>gold</b>" },
      })),
    });
    await open.scheduler.putTask({
      task: { name: "nightly", schedule: { kind: { case: "cron", value: "30 2 * * *" }, timezone: "UTC" } },
    });
  }
  const dir = mkdtempSync(join(tmpdir(), "partitura-console-"));
  const tokensFile = join(dir, "tokens.json");
  writeFileSync(
    tokensFile,
    JSON.stringify([
      { token: ADMIN, roles: ["admin"], name: "ops-admin" },
      { token: READER, roles: ["reader"], name: "ops-reader" },
    ]),
  );
  const s = await startTestServer({
    clock,
    storeUrl,
    config: { consoleListen: "127.0.0.1:0", authTokensFile: tokensFile },
  });
  const port = s.server.consolePort;
  if (port === undefined) throw new Error("the console did not start");
  return { s, base: `http://127.0.0.1:${port}` };
}

async function login(browser: Browser, base: string, token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.waitForURL(/\/login/);
  await page.fill("input[name=token]", token);
  await page.click("button[type=submit]");
  await page.locator("h1", { hasText: "Overview" }).waitFor();
  return page;
}

/** The text a user reads in an element ("" when it has none). */
async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? "";
}

/** A POST made outside the page (another site's form, say), with the given headers. */
function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.once("error", reject);
    req.end(body);
  });
}

test("console in chromium: log in, tasks, paging and filters, an instance across DST, disable; refusals", async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(
      "install chromium (apt-get install chromium): the console's browser test drives Debian's chromium",
    );
    return;
  }
  const started = Date.now();
  const { s, base } = await consoleServer();
  await using _ = s;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  t.teardown(() => browser.close());

  // Logged out: every page sends to the login form; a wrong token is refused there.
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto(`${base}/tasks`);
  await stranger.waitForURL(/\/login\?next=%2Ftasks/);
  await stranger.fill("input[name=token]", "not-a-token-of-this-server");
  await stranger.click("button[type=submit]");
  t.regex(await text(stranger.locator(".notice.error")), /not accepted/);

  const admin = await login(browser, base, ADMIN);
  t.regex(await text(admin.locator("header .who")), /ops-admin \(admin\)/);
  // The overview: both tasks' grids, the overdue one-offs counted in their partitions.
  const reportsGrid = admin.locator('section.task-grid[data-task="reports"]');
  t.is(await reportsGrid.locator(".cell").count(), 4, "one cell per partition");
  t.is(await text(admin.locator('[data-live="due:reports"]')), "3", "the three late one-offs are due");
  t.true(
    (await reportsGrid.locator('.cell[data-state="overdue"]').count()) >= 1,
    "their partitions are marked overdue",
  );
  // The live stream keeps the figures (rate) current; wait for one event to arrive.
  await admin.waitForFunction(
    "document.querySelector('[data-live=\"sent-at\"]')?.textContent !== '–'",
    null,
    {
      timeout: 10_000,
    },
  );
  mkdirSync("docs", { recursive: true });
  await admin.screenshot({ path: "docs/console-overview.png", fullPage: true });

  // Tasks: definitions with counts.
  await admin.click("header a[href='/tasks']");
  const reportsRow = admin.locator('tr[data-task="reports"]');
  await reportsRow.waitFor();
  t.regex(await text(reportsRow), /at 09:00, every day, in Europe\/Berlin/);
  t.regex(await text(reportsRow), /\b123\b/, "123 instances counted");

  // Instances: cursor paging, 50 a page, no repeats across pages.
  await reportsRow.locator("a").first().click();
  await admin.locator("h1", { hasText: "Instances of" }).waitFor();
  const names = () =>
    admin
      .locator("tr[data-instance]")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-instance") ?? ""));
  const first = await names();
  t.is(first.length, 50);
  await admin.click("a[rel=next]");
  await admin.waitForURL(/after=/);
  await admin.waitForFunction(
    `document.querySelector("tr[data-instance]")?.getAttribute("data-instance") !== ${JSON.stringify(first[0])}`,
  );
  const second = await names();
  t.is(second.length, 50);
  t.deepEqual(
    first.filter((n) => second.includes(n)),
    [],
    "the second page repeats nothing of the first",
  );

  // Filters: prefix, partition, overdue.
  await admin.goto(`${base}/tasks/reports/instances`);
  await admin.fill("input[name=prefix]", "customer-01");
  await admin.click("form.filters button[type=submit]");
  await admin.waitForURL(/prefix=customer-01/);
  const prefixed = await names();
  t.deepEqual(
    prefixed.sort(),
    Array.from({ length: 10 }, (_, i) => `customer-01${i}`),
  );
  await admin.goto(`${base}/tasks/reports/instances`);
  await admin.selectOption("select[name=partition]", "2");
  await admin.click("form.filters button[type=submit]");
  await admin.waitForURL(/partition=2/);
  const partitions = await admin.locator("tr[data-instance] td[data-field=partition]").allTextContents();
  t.true(partitions.length > 0 && partitions.every((p) => p === "2"), "only partition 2");
  await admin.goto(`${base}/tasks/reports/instances?state=overdue`);
  t.deepEqual((await names()).sort(), ["late-0", "late-1", "late-2"]);

  // One late instance: its args shown as text (markup in them stays text).
  await admin.click('tr[data-instance="late-1"] a');
  await admin.locator("h1", { hasText: "late-1" }).waitFor();
  t.regex(await text(admin.locator("pre")), /"tier": "<b>gold<\/b>"/);
  t.is(await admin.locator("pre b").count(), 0, "args are escaped, never markup");

  // An instance of the Berlin cron: words, ten slots, the spring-forward change marked.
  await admin.goto(`${base}/tasks/reports/instances/customer-007`);
  t.regex(await text(admin.locator('[data-field="words"]')), /at 09:00, every day, in Europe\/Berlin/);
  t.is(await admin.locator("table.slots tbody tr").count(), 10);
  const dst = admin.locator("table.slots tr.dst");
  t.is(await dst.count(), 1, "one DST change within the ten slots");
  t.regex(await text(dst), /2026-03-29 07:00:00Z.*2026-03-29 09:00:00.*UTC\+02:00.*DST: was UTC\+01:00/s);
  t.regex(await text(admin.locator('[data-field="lease"]')), /^free/);
  await admin.screenshot({ path: "docs/console-instance.png", fullPage: true });

  // Disable a task (admin): the tasks page shows it disabled, and so does a fresh load.
  await admin.goto(`${base}/tasks`);
  await admin.locator('tr[data-task="nightly"] button', { hasText: "Disable" }).click();
  await admin.locator('tr[data-task="nightly"] .badge[data-state="disabled"]').waitFor();
  await admin.reload();
  t.is(await text(admin.locator('tr[data-task="nightly"] .badge')), "disabled");

  // A POST without the CSRF token, from the console's own page: refused, nothing changes.
  const noCsrf = await admin.evaluate(async () => {
    const res = await fetch("/tasks/nightly/enabled", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "enabled=true",
    });
    return { status: res.status, text: await res.text() };
  });
  t.is(noCsrf.status, 403);
  t.regex(noCsrf.text, /CSRF token/);
  // With the admin's cookie and a valid CSRF token, but from another origin: refused too.
  const cookie = (await admin.context().cookies()).find((c) => c.name === "partitura_console");
  t.true(
    cookie?.httpOnly === true && cookie.sameSite === "Strict",
    "the token cookie is HttpOnly, SameSite=Strict",
  );
  const csrf = await admin.locator("form.inline input[name=csrf]").first().inputValue();
  const crossSite = await post(
    `${base}/tasks/nightly/enabled`,
    { cookie: `partitura_console=${cookie?.value ?? ""}`, origin: "http://evil.example" },
    `csrf=${encodeURIComponent(csrf)}&enabled=true`,
  );
  t.is(crossSite, 403);
  await admin.reload();
  t.is(await text(admin.locator('tr[data-task="nightly"] .badge')), "disabled", "still disabled");

  // A reader sees but cannot change: no buttons, and a hand-made change with its own valid
  // CSRF token is refused naming the role.
  const reader = await login(browser, base, READER);
  await reader.goto(`${base}/tasks`);
  t.is(await text(reader.locator('tr[data-task="nightly"] .badge')), "disabled");
  t.is(await reader.locator("tr[data-task] button").count(), 0, "no change buttons for a reader");
  const readerCsrf = await reader.locator("form.inline input[name=csrf]").first().inputValue();
  const refused = await reader.evaluate(async (token) => {
    const res = await fetch("/tasks/nightly/enabled", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `csrf=${encodeURIComponent(token)}&enabled=true`,
    });
    return { status: res.status, text: await res.text() };
  }, readerCsrf);
  t.is(refused.status, 403);
  t.regex(refused.text, /needs one of the roles admin; this token has reader/);
  await reader.reload();
  t.is(await text(reader.locator('tr[data-task="nightly"] .badge')), "disabled");

  // The JavaScript a page loads, gzipped: htmx and the live script.
  const scripts = await Promise.all(
    [STATIC.htmx, STATIC.live].map(async (path) =>
      Buffer.from(await (await fetch(`${base}${path}`)).arrayBuffer()),
    ),
  );
  const gzipped = scripts.reduce((n, body) => n + gzipSync(body, { level: 9 }).length, 0);
  t.log(`JavaScript sent: ${gzipped} bytes gzipped; test took ${Date.now() - started} ms`);
  t.true(gzipped <= 30 * 1024, `at most 30 KB gzipped (${gzipped})`);
});

test("without tokens the console refuses a non-loopback listen, naming the way out", async (t) => {
  const error = await t.throwsAsync(startTestServer({ config: { consoleListen: "0.0.0.0:0" } }));
  t.regex(error?.message ?? "", /PARTITURA_CONSOLE_LISTEN: "0\.0\.0\.0:0" is not a loopback address/);
  t.regex(error?.message ?? "", /PARTITURA_CONSOLE_ALLOW_REMOTE=true/);
  await using allowed = await startTestServer({
    config: { consoleListen: "0.0.0.0:0", consoleAllowRemote: true },
  });
  t.truthy(allowed.server.consolePort);
});
