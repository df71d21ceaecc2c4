import test from "ava";
import { ConfigError, loadConfig } from "../src/config.ts";
import { html } from "../src/console/html.ts";
import { listenRefusal } from "../src/console/listen-policy.ts";
import { pickValue, readPicks, summaryNotice, withSummary } from "../src/console/pause-change.ts";
import { scheduleWords } from "../src/console/schedule-words.ts";
import { Sessions } from "../src/console/session.ts";
import { previewSlots } from "../src/console/slot-preview.ts";
import { CONSOLE_MAX_PICKS } from "../src/domain/limits.ts";

/*
 * The console's pure parts at fixed inputs: escaping, schedule words, the DST marks of the
 * slot preview, the listen policy, the cookie and CSRF rules, the two settings, and the picks
 * and summaries of a pause or resume.
 */

test("html escapes every interpolated value, and only html fragments pass through", (t) => {
  const name = `<script>alert("x")</script>' & \``;
  const out = html`<td title="${name}">${name}${html`<b>${name}</b>`}${[name, 1]}</td>`.text;
  t.false(out.includes("<script>"));
  t.is(
    out,
    '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; &amp; &#96;">' +
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; &amp; &#96;" +
      "<b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; &amp; &#96;</b>" +
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; &amp; &#96;1</td>",
  );
});

test("schedule words: common crons spelled out, others keep the expression", (t) => {
  const cron = (expr: string) => scheduleWords({ kind: "cron", cron: expr, timezone: "Europe/Berlin" });
  t.is(cron("0 9 * * *"), "at 09:00, every day, in Europe/Berlin");
  t.is(cron("30 0 9 * * 1-5"), "at 09:00:30, Monday to Friday, in Europe/Berlin");
  t.is(cron("*/15 * * * *"), "every 15 minutes, every day, in Europe/Berlin");
  t.is(cron("0 3 1 * *"), "at 03:00, on day 1 of every month, in Europe/Berlin");
  t.is(cron("0 9 * 1 *"), "cron 0 9 * 1 *, in Europe/Berlin");
  t.is(
    scheduleWords({ kind: "interval", intervalMs: 90_000 }),
    "every 90 s (90000 ms), counted from the previous slot",
  );
  t.is(
    scheduleWords({ kind: "at", atMs: Date.parse("2026-12-24T18:00:00Z") }),
    "once, at 2026-12-24 18:00:00Z",
  );
  t.is(
    scheduleWords({
      kind: "cron",
      cron: "0 9 * * *",
      timezone: "UTC",
      startAtMs: Date.parse("2027-03-01T00:00:00Z"),
      endAtMs: Date.parse("2027-03-31T00:00:00Z"),
    }),
    "at 09:00, every day, in UTC, from 2027-03-01 00:00:00Z, until 2027-03-31 00:00:00Z",
  );
});

test("slot preview: the autumn change in New York is marked once, on the first slot after it", (t) => {
  const spec = { kind: "cron" as const, cron: "0 12 * * *", timezone: "America/New_York" };
  const now = Date.parse("2026-10-30T00:00:00Z");
  const first = Date.parse("2026-10-30T16:00:00Z"); // 12:00 EDT
  const slots = previewSlots(spec, first, now, 5);
  t.deepEqual(
    slots.map((s) => new Date(s.at).toISOString()),
    [
      "2026-10-30T16:00:00.000Z",
      "2026-10-31T16:00:00.000Z",
      "2026-11-01T17:00:00.000Z", // 12:00 EST: clocks went back that night
      "2026-11-02T17:00:00.000Z",
      "2026-11-03T17:00:00.000Z",
    ],
  );
  t.deepEqual(
    slots.map((s) => s.offsetChangedFrom),
    [undefined, undefined, -4 * 3_600_000, undefined, undefined],
  );
  t.is(previewSlots({ kind: "at", atMs: first }, first, now, 10).length, 1, "a one-off has one slot");
});

test("listen policy: without tokens only loopback, unless remote is allowed", (t) => {
  for (const ok of ["127.0.0.1:9000", "localhost:0", "[::1]:9000", "127.8.9.10:1"]) {
    t.is(listenRefusal(ok, false, false), undefined, ok);
  }
  t.regex(listenRefusal("0.0.0.0:9000", false, false) ?? "", /not a loopback address/);
  t.regex(listenRefusal("[::]:9000", false, false) ?? "", /PARTITURA_AUTH_TOKENS_FILE/);
  t.is(listenRefusal("0.0.0.0:9000", true, false), undefined, "tokens guard it");
  t.is(listenRefusal("0.0.0.0:9000", false, true), undefined, "the operator said so");
});

test("sessions: cookie flags, CSRF tokens bound to the cookie, origin checks", (t) => {
  const plain = new Sessions(false);
  const tls = new Sessions(true);
  t.is(plain.setCookie("a;b"), "partitura_console=a%3Bb; Path=/; HttpOnly; SameSite=Strict");
  t.true(tls.setCookie("x").endsWith("; Secure"));
  const csrf = plain.csrfToken("token-a");
  t.true(plain.csrfValid("token-a", csrf));
  t.false(plain.csrfValid("token-b", csrf), "another session's token is refused");
  t.false(tls.csrfValid("token-a", csrf), "another process's key is refused");
  t.false(plain.csrfValid("token-a", undefined));
  const request = (headers: Record<string, string>) => ({ headers }) as never;
  t.true(plain.sameOrigin(request({ host: "127.0.0.1:8080", origin: "http://127.0.0.1:8080" })));
  t.false(plain.sameOrigin(request({ host: "127.0.0.1:8080", origin: "http://evil.example" })));
  t.false(
    tls.sameOrigin(request({ host: "127.0.0.1:8080", origin: "http://127.0.0.1:8080" })),
    "scheme counts",
  );
  t.true(plain.sameOrigin(request({ host: "h:1", referer: "http://h:1/tasks" })));
  t.false(plain.sameOrigin(request({ host: "h:1", referer: "http://h:1.evil.example/" })));
  t.false(plain.sameOrigin(request({ host: "h:1" })), "neither Origin nor Referer: refused");
  t.is(plain.cookie(request({ cookie: "other=1; partitura_console=a%3Bb" })), "a;b");
});

test("config: the console is off by default; its listen and allow-remote are checked", (t) => {
  const config = loadConfig({}, []);
  t.is(config.consoleListen, undefined);
  const on = loadConfig(
    { PARTITURA_CONSOLE_LISTEN: "127.0.0.1:8080", PARTITURA_CONSOLE_ALLOW_REMOTE: "true" },
    [],
  );
  t.is(on.consoleListen, "127.0.0.1:8080");
  t.true(on.consoleAllowRemote);
  t.throws(() => loadConfig({ PARTITURA_CONSOLE_LISTEN: "8080" }, []), {
    instanceOf: ConfigError,
    message: /PARTITURA_CONSOLE_LISTEN: "8080" must be host:port/,
  });
  t.throws(() => loadConfig({ PARTITURA_CONSOLE_ALLOW_REMOTE: "maybe" }, []), {
    instanceOf: ConfigError,
    message: /PARTITURA_CONSOLE_ALLOW_REMOTE: "maybe" must be on or off/,
  });
});

test("pause picks: [key, name] pairs, deduplicated, bounded to a page; summaries only as the console writes them", (t) => {
  const form = new URLSearchParams();
  for (const [key, name] of [
    ["", "a"],
    ["k1", "b"],
    ["", "a"],
  ])
    form.append("pick", pickValue(key ?? "", name ?? ""));
  t.deepEqual(readPicks(form), [
    { key: "", name: "a" },
    { key: "k1", name: "b" },
  ]);
  t.regex(t.throws(() => readPicks(new URLSearchParams()))?.message ?? "", /pick.*at least one/);
  t.regex(t.throws(() => readPicks(new URLSearchParams({ pick: '["a"]' })))?.message ?? "", /pick.*pair/);
  t.regex(t.throws(() => readPicks(new URLSearchParams({ pick: "{" })))?.message ?? "", /pick.*pair/);
  const many = new URLSearchParams();
  for (let i = 0; i <= CONSOLE_MAX_PICKS; i++) many.append("pick", pickValue("", `n${i}`));
  t.regex(t.throws(() => readPicks(many))?.message ?? "", new RegExp(`at most ${CONSOLE_MAX_PICKS}`));

  const back = withSummary("/tasks/t/instances?state=paused&done=pause.9.9.9", {
    kind: "resume",
    changed: 2,
    unchanged: 1,
    missing: 0,
  });
  t.is(back, "/tasks/t/instances?state=paused&done=resume.2.1.0");
  t.regex(String(summaryNotice("resume.2.1.0")), /Resumed 2 instance\(s\); 1 already active\./);
  t.is(summaryNotice("resume.2.1.0<script>"), "", "a forged summary shows nothing");
  t.is(summaryNotice(null), "");
});
