import { existsSync } from "node:fs";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { chromium, type Locator, type Page } from "playwright-core";
import { ExecutionReason } from "../gen/ts/partitura/v1/instance_pb.ts";
import { login, startConsoleServer } from "./support/console-server.ts";
import { TestWorker } from "./support/execution-worker.ts";
import { startTestServer, TestClock, testStoreUrl } from "./support/server.ts";

/*
 * Trigger and backfill from the console, in Debian's chromium (as console-pause.test.ts), on a
 * real server on SQLite with bearer tokens and a worker over gRPC. Two hourly (cron) instances
 * of "report" on a manual clock that never reaches their next slot, so every delivery seen is
 * one the console asked for. "daily" is triggered from its page (the confirmation, then the
 * summary), delivered with reason TRIGGERED and shown in its history as "triggered"; posting
 * the same confirmation again answers duplicate and delivers nothing. A reader sees no Trigger
 * or Backfill and a hand-made trigger with its own CSRF token is refused naming the roles. With
 * JavaScript off, a bulk trigger of both while "nightly" still runs its trigger says one already
 * had a run pending. A backfill into the future shows the service's refusal on the page; a
 * past range runs its two slots oldest first, one at a time, shown as "backfill" in the history.
 */

const CHROMIUM = "/usr/bin/chromium";
const ADMIN = "console-admin-token-0123456789";
const READER = "console-reader-token-0123456789";
const WORKER = "console-worker-token-0123456789";
const NOW = Date.parse("2026-06-01T12:00:00.000Z");
const HOUR = 3_600_000;

async function triggerServer() {
  const clock = new TestClock(NOW);
  const storeUrl = testStoreUrl("sqlite");
  {
    await using open = await startTestServer({ clock, storeUrl });
    await open.scheduler.putTask({ task: { name: "report", dynamic: true, partitionCount: 2 } });
    await open.scheduler.schedule({
      task: "report",
      instances: ["daily", "nightly"].map((name) => ({
        name,
        schedule: { kind: { case: "cron" as const, value: "0 * * * *" }, timezone: "UTC" },
      })),
    });
  }
  const { s, execution, base } = await startConsoleServer({
    clock,
    storeUrl,
    tokens: [
      { token: ADMIN, roles: ["admin"], name: "ops-admin" },
      { token: READER, roles: ["reader"], name: "ops-reader" },
      { token: WORKER, roles: ["worker"], name: "a-worker" },
    ],
    workerToken: WORKER,
  });
  const worker = new TestWorker({ ...s, execution }, { task: "report" });
  return { s, worker, execution, base };
}

async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? "";
}

/** The hidden fields of a form (all a confirmation sends), to send them again by hand. */
async function formFields(form: Locator): Promise<[string, string][]> {
  return form
    .locator("input[type=hidden]")
    .evaluateAll((inputs) =>
      inputs.map((i): [string, string] => [i.getAttribute("name") ?? "", i.getAttribute("value") ?? ""]),
    );
}

/** A form post from the page's own origin (the console's Origin check passes), following the redirect. */
async function post(page: Page, path: string, fields: [string, string][]) {
  return page.evaluate(
    async ({ path, fields }) => {
      const res = await fetch(path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(fields).toString(),
      });
      return { status: res.status, text: await res.text() };
    },
    { path, fields },
  );
}

test("console in chromium: trigger from the instance page shows in the history; a resubmit is a duplicate; a reader is refused; bulk trigger and backfill", async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(
      "install chromium (apt-get install chromium): the console's browser test drives Debian's chromium",
    );
    return;
  }
  const started = Date.now();
  const { s, worker, execution, base } = await triggerServer();
  await using _ = s;
  t.teardown(() => {
    worker.close();
    execution.close();
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  t.teardown(() => browser.close());

  // Trigger "daily" from its page: the confirmation, the summary, one delivery now.
  const admin = await login(browser, base, ADMIN);
  await admin.goto(`${base}/tasks/report/instances/daily`);
  t.is(await admin.locator("table.runs").count(), 0, "no runs yet");
  await admin.click('form[data-action="trigger"] button');
  await admin.locator("h1", { hasText: "Trigger 1 instance(s) of" }).waitFor();
  t.deepEqual(await admin.locator("[data-picked]").allTextContents(), ["daily"]);
  t.is(await admin.locator("form.confirm textarea[name=note]").count(), 0, "a trigger takes no note");
  const confirmation = await formFields(admin.locator("form.confirm"));
  t.regex(new Map(confirmation).get("request_id") ?? "", /^[0-9a-f-]{36}$/);
  await admin.click("form.confirm button[type=submit]");
  await admin.locator('[data-done="trigger"]').waitFor();
  t.is(await text(admin.locator('[data-done="trigger"]')), "Triggered 1 instance(s).");
  const [run] = await worker.next(1);
  t.is(run?.instance, "daily");
  t.is(run?.reason, ExecutionReason.TRIGGERED);
  t.is(run?.scheduledAt === undefined ? 0 : timestampMs(run.scheduledAt), NOW, "its slot is now");
  if (run !== undefined) await worker.ack([run]);

  // Its history has the run, with reason "triggered"; the schedule goes on at 13:00.
  await admin.reload();
  const row = admin.locator("table.runs tbody tr");
  t.is(await row.count(), 1);
  t.is(await text(row.locator('[data-field="reason"]')), "triggered");
  t.is(await text(row.locator('[data-field="outcome"]')), "success");
  t.is(await text(admin.locator('[data-field="runs"]')), "1 · 0");
  t.is(await admin.locator('[data-field="manual"]').count(), 0, "nothing pending once it ran");
  t.regex(await text(admin.locator('[data-field="next-run"]')), /^2026-06-01 13:00:00Z/);

  // The same confirmation sent again: a duplicate, and nothing runs a second time.
  const again = await post(admin, "/tasks/report/trigger", confirmation);
  t.is(again.status, 200);
  t.regex(again.text, /Triggered 0 instance\(s\); 1 already asked for by this same form \(duplicate/);
  t.deepEqual(await worker.idle(500), [], "no second run");

  // A reader: no Trigger, no Backfill, and a hand-made trigger is refused naming the roles.
  const reader = await login(browser, base, READER);
  await reader.goto(`${base}/tasks/report/instances/daily`);
  t.is(await reader.locator('form[data-action="trigger"]').count(), 0, "no Trigger for a reader");
  t.is(await reader.locator("form.backfill").count(), 0, "no Backfill for a reader");
  await reader.goto(`${base}/tasks/report/instances`);
  t.is(await reader.locator("input[name=pick]").count(), 0, "no checkboxes for a reader");
  const readerCsrf = await reader.locator("header input[name=csrf]").inputValue();
  const refused = await post(reader, "/tasks/report/trigger", [
    ["csrf", readerCsrf],
    ["pick", JSON.stringify(["", "nightly"])],
    ["request_id", "reader-try"],
  ]);
  t.is(refused.status, 403);
  t.regex(refused.text, /needs one of the roles admin, scheduler; this token has reader/);
  t.deepEqual(await worker.idle(500), [], "the reader's trigger ran nothing");

  // With JavaScript off: trigger "nightly" in bulk, then both while nightly's still runs.
  const plain = await login(browser, base, ADMIN, false);
  const bulkTrigger = async (names: string[]) => {
    await plain.goto(`${base}/tasks/report/instances`);
    for (const name of names) await plain.check(`tr[data-instance="${name}"] input[name=pick]`);
    await plain.click('form.bulk button[value="trigger"]');
    await plain.locator("h1", { hasText: `Trigger ${names.length} instance(s) of` }).waitFor();
    await plain.click("form.confirm button[type=submit]");
    return text(plain.locator('[data-done="trigger"]'));
  };
  t.is(await bulkTrigger(["nightly"]), "Triggered 1 instance(s).");
  const [night] = await worker.next(1);
  t.is(night?.instance, "nightly");
  t.is(night?.reason, ExecutionReason.TRIGGERED);
  t.is(
    await text(plain.locator('tr[data-instance="nightly"] [data-field="manual"]')),
    "triggered",
    "the list marks the pending trigger",
  );
  t.is(await bulkTrigger(["daily", "nightly"]), "Triggered 1 instance(s); 1 already had a run pending.");
  const [day] = await worker.next(1);
  t.is(day?.instance, "daily");
  if (night !== undefined && day !== undefined) await worker.ack([night, day]);
  t.deepEqual(await worker.idle(300), [], "nightly ran once");

  // Backfill "nightly": a range into the future is refused with the service's message.
  await admin.goto(`${base}/tasks/report/instances/nightly`);
  await admin.fill("form.backfill input[name=start]", "2026-06-01T09:00:00");
  await admin.fill("form.backfill input[name=end]", "2026-06-01T13:00:00");
  await admin.click("form.backfill button[type=submit]");
  await admin.locator("form.backfill .notice.error").waitFor();
  t.regex(await text(admin.locator("form.backfill .notice.error")), /^end: must not be in the future/);
  t.regex(await admin.locator("form.backfill input[name=start]").inputValue(), /^2026-06-01T09:00/);
  t.deepEqual(await worker.idle(300), [], "a refused backfill runs nothing");

  // 09:00 (not included) to 11:00: the slots 10:00 and 11:00, oldest first, one at a time.
  await admin.fill("form.backfill input[name=end]", "2026-06-01T11:00:00");
  await admin.click("form.backfill button[type=submit]");
  await admin.locator('[data-done="backfill"]').waitFor();
  t.is(await text(admin.locator('[data-done="backfill"]')), "Backfilling 2 slot(s) of 1 instance(s).");
  t.is(await admin.locator('[data-field="manual"]').getAttribute("data-kind"), "backfill");
  const slots: number[] = [];
  for (let i = 0; i < 2; i++) {
    const [slot] = await worker.next(1);
    t.is(slot?.reason, ExecutionReason.BACKFILL);
    slots.push(slot?.scheduledAt === undefined ? 0 : timestampMs(slot.scheduledAt));
    if (slot !== undefined) await worker.ack([slot]);
  }
  t.deepEqual(slots, [NOW - 2 * HOUR, NOW - HOUR]);
  await admin.reload();
  t.deepEqual(await admin.locator('table.runs [data-field="reason"]').allTextContents(), [
    "backfill",
    "backfill",
    "triggered",
  ]);
  t.is(await admin.locator('[data-field="manual"]').count(), 0, "the backfill is done");
  t.log(`test took ${Date.now() - started} ms (shared machine: noisy)`);
});
