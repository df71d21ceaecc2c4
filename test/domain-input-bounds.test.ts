import test from "ava";
import { clampMessage, clip, quote } from "../src/domain/errors.ts";
import { MAX_STATUS_MESSAGE_LENGTH, ZONE_CACHE_LIMIT } from "../src/domain/limits.ts";
import { checkSchedule, isTimeZone, zoneCacheSize } from "../src/domain/schedule.ts";

const NOW = Date.parse("2026-12-01T00:00:00Z");
const cron = (expression: string, timezone = "UTC") => ({
  kind: "cron" as const,
  cron: expression,
  timezone,
});

test("quote cuts echoed input to 100 characters with an ellipsis, never inside a surrogate pair", (t) => {
  t.is(quote("Mars/Olympus"), '"Mars/Olympus"');
  t.is(quote("a".repeat(150)), `"${"a".repeat(100)}…"`);
  t.is(quote('say "hi"\n'), '"say \\"hi\\"\\n"');
  const emoji = `${"a".repeat(99)}🎵🎵`;
  t.is(clip(emoji), `${"a".repeat(99)}…`);
  t.is(clampMessage("m".repeat(10_000)).length, MAX_STATUS_MESSAGE_LENGTH + 1);
  t.is(clampMessage("short"), "short");
});

test("the zone cache keeps only known zones and stays bounded", (t) => {
  t.true(isTimeZone("Asia/Tokyo"));
  const size = zoneCacheSize();
  for (let i = 0; i < 500; i++) t.false(isTimeZone(`Nowhere/${i}`));
  t.false(isTimeZone("Z".repeat(1_000_000)));
  t.is(zoneCacheSize(), size);
  for (const zone of Intl.supportedValuesOf("timeZone")) isTimeZone(zone);
  t.true(zoneCacheSize() <= ZONE_CACHE_LIMIT);
  t.true(isTimeZone("Asia/Tokyo"));
});

test("cron H, ? outside day fields and steps past the field's range are refused naming the field", (t) => {
  const refused: [string, RegExp][] = [
    ["H * * * *", /^s\.cron: H .*minute/],
    ["0 0 * * H", /^s\.cron: H .*day-of-week/],
    ["H/5 * * * * *", /^s\.cron: H .*second/],
    ["0 ? * * *", /^s\.cron: \? .*hour/],
    ["0 0 * ? *", /^s\.cron: \? .*month/],
    ["*/60 * * * *", /^s\.cron: a step in the minute field must be a number from 1 to 59/],
    ["0 0 */31 * *", /^s\.cron: a step in the day-of-month field must be a number from 1 to 30/],
    ["0 0 * * */8", /^s\.cron: a step in the day-of-week field must be a number from 1 to 7/],
    ["0 0 * */JAN *", /^s\.cron: a step in the month field/],
    ["1-5/1e1 * * * *", /^s\.cron: a step in the minute field/],
  ];
  for (const [expression, message] of refused) {
    t.throws(() => checkSchedule("s", cron(expression), NOW), { message }, expression);
  }
  for (const expression of [
    "*/59 * * * *",
    "0 0 ? * THU",
    "0 0 L * ?",
    "0 12 * JAN,MAR SUN",
    "*/7 * * * 0-7/7",
    "0 0 1 */11 *",
  ]) {
    t.notThrows(() => checkSchedule("s", cron(expression), NOW), expression);
  }
});

test("cron and zone lengths are checked before anything else", (t) => {
  t.throws(() => checkSchedule("s", cron("* * * * *", "Z".repeat(65)), NOW), {
    message: "s.timezone: must be at most 64 characters",
  });
  t.throws(() => checkSchedule("s", cron(`* * * * ${"1,".repeat(200)}1`), NOW), {
    message: "s.cron: must be at most 256 characters",
  });
});
