import type { ScheduleSpec } from "../domain/model.ts";
import { age, utc } from "./format.ts";

/*
 * A schedule in words, for the instance and tasks pages. Common cron shapes (fixed minute and
 * hour, steps, weekday ranges) are spelled out; anything else keeps the expression, which is
 * always shown beside the words, so nothing is hidden by a wrong paraphrase.
 */

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** The schedule as a sentence, with its bounds (start_at, end_at) when it has them. */
export function scheduleWords(spec: ScheduleSpec): string {
  const from = spec.startAtMs === undefined ? "" : `, from ${utc(spec.startAtMs)}`;
  const until = spec.endAtMs === undefined ? "" : `, until ${utc(spec.endAtMs)}`;
  return `${kindWords(spec)}${from}${until}`;
}

function kindWords(spec: ScheduleSpec): string {
  switch (spec.kind) {
    case "interval":
      return `every ${age(spec.intervalMs)} (${spec.intervalMs} ms), counted from the previous slot`;
    case "at":
      return `once, at ${utc(spec.atMs)}`;
    case "cron":
      return `${cronWords(spec.cron)}, in ${spec.timezone}`;
  }
}

/** Words for a cron expression (5 fields, or 6 with seconds first). */
export function cronWords(cron: string): string {
  const fields = cron.trim().split(/\s+/);
  const [second, minute, hour, dom, month, dow] = fields.length === 6 ? fields : ["0", ...fields.slice(0, 5)];
  if (minute === undefined || hour === undefined || dom === undefined || month === undefined)
    return `cron ${cron}`;
  const time = timeWords(second ?? "0", minute, hour);
  if (time === undefined) return `cron ${cron}`;
  const days = dayWords(dom, month, dow ?? "*");
  return days === undefined ? `cron ${cron}` : `${time}${days}`;
}

const NUMBER = /^\d+$/;
const STEP = /^\*\/(\d+)$/;

function timeWords(second: string, minute: string, hour: string): string | undefined {
  const sec = second === "0" ? "" : NUMBER.test(second) ? `:${second.padStart(2, "0")}` : undefined;
  if (STEP.test(second) && minute === "*" && hour === "*") return `every ${STEP.exec(second)?.[1]} seconds`;
  if (second === "*" && minute === "*" && hour === "*") return "every second";
  if (sec === undefined) return undefined;
  if (NUMBER.test(minute) && NUMBER.test(hour)) {
    return `at ${hour.padStart(2, "0")}:${minute.padStart(2, "0")}${sec}`;
  }
  if (minute === "*" && hour === "*") return "every minute";
  const minuteStep = STEP.exec(minute);
  if (minuteStep !== null && hour === "*") return `every ${minuteStep[1]} minutes`;
  if (NUMBER.test(minute) && hour === "*") return `at minute ${minute} of every hour`;
  const hourStep = STEP.exec(hour);
  if (NUMBER.test(minute) && hourStep !== null) return `at minute ${minute} of every ${hourStep[1]}th hour`;
  return undefined;
}

function dayWords(dom: string, month: string, dow: string): string | undefined {
  if (month !== "*") return undefined;
  if (dom === "*" && (dow === "*" || dow === "?")) return ", every day";
  if (NUMBER.test(dom) && (dow === "*" || dow === "?")) return `, on day ${dom} of every month`;
  if (dom !== "*" && dom !== "?") return undefined;
  const range = /^([0-7])-([0-7])$/.exec(dow);
  if (range !== null) return `, ${DAYS[Number(range[1]) % 7]} to ${DAYS[Number(range[2]) % 7]}`;
  if (/^[0-7](,[0-7])*$/.test(dow))
    return `, on ${dow
      .split(",")
      .map((d) => DAYS[Number(d) % 7])
      .join(", ")}`;
  return undefined;
}
