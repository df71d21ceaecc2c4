import { parseArgs } from "node:util";
import type { ScheduleSpec } from "../domain/model.ts";
import { checkSchedule, nextSlot } from "../domain/schedule.ts";
import { CONNECTION_FLAGS, outputOf, parsed } from "./context.ts";
import { print } from "./print.ts";
import { UsageError } from "./usage-error.ts";

export const NEXT_HELP = `partitura next --cron EXPR [--tz ZONE] [--from ISO] [--count N] [--json]
  The next slots of a cron schedule, computed by the same code the server uses (check a DST day
  before scheduling). --json prints a JSON array of ISO-8601 UTC timestamps.`;

/** `partitura next`: offline, no server needed. */
export function next(args: string[]): void {
  const { values } = parsed(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...CONNECTION_FLAGS,
        cron: { type: "string" },
        tz: { type: "string" },
        from: { type: "string" },
        count: { type: "string" },
        json: { type: "boolean" },
      },
    }),
  );
  if (values.help) return void process.stdout.write(`${NEXT_HELP}\n`);
  if (values.cron === undefined) throw new UsageError("--cron: required");
  const from = values.from === undefined ? Date.now() : Date.parse(values.from);
  if (Number.isNaN(from)) throw new UsageError(`--from: "${values.from}" is not an ISO-8601 instant`);
  const count = values.count === undefined ? 5 : Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 10_000) {
    throw new UsageError("--count: must be an integer from 1 to 10000");
  }
  const spec: ScheduleSpec = { kind: "cron", cron: values.cron, timezone: values.tz ?? "UTC" };
  try {
    checkSchedule("schedule", spec, from);
  } catch (thrown) {
    throw new UsageError(
      thrown instanceof Error
        ? thrown.message.replace("schedule.cron", "--cron").replace("schedule.timezone", "--tz")
        : String(thrown),
    );
  }
  const slots: string[] = [];
  for (let at: number | null = from; slots.length < count; ) {
    at = nextSlot(spec, at as number);
    if (at === null) break;
    slots.push(new Date(at).toISOString());
  }
  const format = values.json ? "json" : outputOf(values.output);
  print(format, slots, () =>
    slots.map((slot) => ({
      utc: slot,
      local: new Date(slot).toLocaleString("sv-SE", { timeZone: spec.timezone, timeZoneName: "short" }),
    })),
  );
}
