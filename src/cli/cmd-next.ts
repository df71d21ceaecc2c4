import { parseArgs } from "node:util";
import type { ScheduleSpec } from "../domain/model.ts";
import { freshStart, previewSlots } from "../domain/preview.ts";
import { checkSchedule } from "../domain/schedule.ts";
import { previewInstance } from "./cmd-next-preview.ts";
import { CONNECTION_FLAGS, outputOf, parsed } from "./context.ts";
import { print } from "./print.ts";
import { UsageError } from "./usage-error.ts";

export const NEXT_HELP = `partitura next --cron EXPR [--tz ZONE] [--from ISO] [--count N] [--json]
partitura next --task T [--instance NAME] [--partition-key K] [--from ISO] [--count N] [--json]
  The next slots of a cron schedule, or of a stored instance (a static task's own without
  --instance), marking slots DST moved (the wall time did not exist), merged (it occurred twice,
  the cron ran once) or repeated (a wildcard hour runs in both). --cron needs no server: it runs
  the same domain code as the server's PreviewSchedule. --task asks the server (PreviewSchedule,
  --address ...), which also shows each slot's jittered delivery time. --json prints a JSON array:
  of ISO-8601 UTC timestamps for --cron, of {at, deliverAt, dst, localTime} for --task.`;

/** `partitura next`: a cron offline, or a stored instance through PreviewSchedule. */
export async function next(args: string[]): Promise<void> {
  const { values } = parsed(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...CONNECTION_FLAGS,
        cron: { type: "string" },
        tz: { type: "string" },
        task: { type: "string" },
        instance: { type: "string" },
        "partition-key": { type: "string" },
        from: { type: "string" },
        count: { type: "string" },
        json: { type: "boolean" },
      },
    }),
  );
  if (values.help) return void process.stdout.write(`${NEXT_HELP}\n`);
  if (values.cron !== undefined && values.task !== undefined) {
    throw new UsageError("--cron, --task: give one, not both");
  }
  if (values.cron === undefined && values.task === undefined)
    throw new UsageError("--cron or --task: required");
  const from = values.from === undefined ? undefined : Date.parse(values.from);
  if (from !== undefined && Number.isNaN(from)) {
    throw new UsageError(`--from: "${values.from}" is not an ISO-8601 instant`);
  }
  const count = values.count === undefined ? 5 : Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 10_000) {
    throw new UsageError("--count: must be an integer from 1 to 10000");
  }
  const format = values.json ? "json" : outputOf(values.output);
  if (values.task !== undefined) {
    const instance = values.instance ?? "";
    const partitionKey = values["partition-key"] ?? "";
    return previewInstance(values, { task: values.task, instance, partitionKey, from, count }, format);
  }
  if (values.instance !== undefined) throw new UsageError("--instance: goes with --task");
  cronSlots({ cron: values.cron ?? "", timezone: values.tz ?? "UTC" }, from ?? Date.now(), count, format);
}

/** The offline path: the slots of a cron from the domain's own preview code. */
function cronSlots(
  cron: { cron: string; timezone: string },
  from: number,
  count: number,
  format: ReturnType<typeof outputOf>,
): void {
  const spec: ScheduleSpec = { kind: "cron", ...cron };
  try {
    checkSchedule("schedule", spec, from);
  } catch (thrown) {
    throw new UsageError(
      thrown instanceof Error
        ? thrown.message.replace("schedule.cron", "--cron").replace("schedule.timezone", "--tz")
        : String(thrown),
    );
  }
  const slots = previewSlots(spec, { task: "", instance: "" }, freshStart(spec, from), count);
  print(
    format,
    slots.map((slot) => new Date(slot.at).toISOString()),
    () =>
      slots.map((slot) => ({
        utc: new Date(slot.at).toISOString(),
        local: new Date(slot.at).toLocaleString("sv-SE", { timeZone: spec.timezone, timeZoneName: "short" }),
        dst: slot.dst === "none" ? "" : `${slot.dst} (${slot.localTime?.replace("T", " ")})`,
      })),
  );
}
