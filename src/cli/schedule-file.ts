import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { InstanceSpecSchema } from "../../gen/ts/partitura/v1/instance_pb.ts";
import { ScheduleMode, ScheduleOutcome } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import type { Client } from "../sdk/client.ts";
import { toPartituraError } from "../sdk/errors.ts";
import type { OutputFormat } from "./context.ts";
import { parseCsv } from "./csv.ts";
import { type InstanceSpecInit, specOf } from "./instance-spec.ts";
import { print } from "./print.ts";
import { UsageError } from "./usage-error.ts";

/** The columns a CSV file may have (a header row names them, in any order; only name is required). */
export const CSV_COLUMNS = [
  "name",
  "cron",
  "tz",
  "every",
  "at",
  "start_at",
  "end_at",
  "max_runs",
  "args",
  "partition_key",
] as const;

/** One instance read from a file, with the line it came from (for messages). */
interface Row {
  readonly line: number;
  readonly spec: InstanceSpecInit;
}

/** What `schedule --file` did, counted per instance. */
export interface FileSummary {
  created: number;
  updated: number;
  locked: number;
  failed: number;
}

/**
 * Reads every instance of a .csv or .jsonl file, whole, before anything is sent: a mistake on
 * any line is a usage error naming the file, the line and the field, and nothing is scheduled.
 */
export function readInstances(path: string): Row[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (thrown) {
    throw new UsageError(
      `--file: cannot read ${path}: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
    );
  }
  const file = basename(path);
  if (path.endsWith(".jsonl") || path.endsWith(".ndjson")) return jsonlRows(file, text);
  if (path.endsWith(".csv")) return csvRows(file, text);
  throw new UsageError(`--file: ${path} must end in .csv or .jsonl`);
}

/*
 * A JSONL line is an InstanceSpec in the proto's JSON form (what `get`/`list --output jsonl`
 * print, whose extra fields such as nextRunAt are ignored), so a listing can be scheduled again.
 */
function jsonlRows(file: string, text: string): Row[] {
  const rows: Row[] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    if (content.trim() === "") return;
    const line = index + 1;
    let json: JsonValue;
    try {
      json = JSON.parse(content) as JsonValue;
    } catch {
      throw new UsageError(`${file}:${line}: not a JSON object`);
    }
    try {
      const spec = fromJson(InstanceSpecSchema, json, { ignoreUnknownFields: true });
      if (spec.name === "") throw new Error("name: required");
      rows.push({ line, spec });
    } catch (thrown) {
      throw new UsageError(`${file}:${line}: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
    }
  });
  return rows;
}

function csvRows(file: string, text: string): Row[] {
  let parsed: ReturnType<typeof parseCsv>;
  try {
    parsed = parseCsv(text);
  } catch (thrown) {
    throw new UsageError(`${file}: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
  }
  const [header, ...records] = parsed;
  if (header === undefined) return [];
  const columns = header.fields.map((c) => c.trim());
  for (const column of columns) {
    if (!(CSV_COLUMNS as readonly string[]).includes(column)) {
      throw new UsageError(
        `${file}:${header.line}: unknown column "${column}" (columns: ${CSV_COLUMNS.join(", ")})`,
      );
    }
  }
  if (!columns.includes("name"))
    throw new UsageError(`${file}:${header.line}: the header needs a name column`);
  return records.map(({ line, fields }) => {
    if (fields.length !== columns.length) {
      throw new UsageError(`${file}:${line}: ${fields.length} fields, the header has ${columns.length}`);
    }
    const cell = (column: string) => {
      const i = columns.indexOf(column);
      return i < 0 ? undefined : fields[i];
    };
    const name = cell("name") ?? "";
    if (name === "") throw new UsageError(`${file}:${line}: name: required`);
    const label = (field: string) => `${file}:${line}: ${field}`;
    const key = cell("partition_key");
    const spec: InstanceSpecInit = {
      name,
      ...specOf(
        {
          cron: cell("cron"),
          tz: cell("tz"),
          every: cell("every"),
          at: cell("at"),
          startAt: cell("start_at"),
          endAt: cell("end_at"),
          maxRuns: cell("max_runs"),
          args: cell("args"),
        },
        label,
      ),
      ...(key ? { partitionKey: key } : {}),
    };
    return { line, spec };
  });
}

/** How `scheduleFile` sends and reports. */
export interface ScheduleFileRequest {
  readonly client: Client;
  readonly task: string;
  readonly rows: readonly Row[];
  readonly batch: number;
  readonly force: boolean;
  readonly format: OutputFormat;
}

/**
 * Sends the rows in Schedule calls of `batch` instances, one after another (each call is
 * validated whole by the server, so a refused batch stores nothing and the next one is still
 * tried). Draws a progress bar on stderr when it is a terminal, prints the summary, and returns
 * the gRPC code of the first refused batch (0 if none).
 */
export async function scheduleFile(request: ScheduleFileRequest): Promise<number> {
  const { client, task, rows, batch, force, format } = request;
  const summary: FileSummary = { created: 0, updated: 0, locked: 0, failed: 0 };
  const progress = process.stderr.isTTY ? progressBar(rows.length) : undefined;
  let firstCode = 0;
  for (let start = 0; start < rows.length; start += batch) {
    const slice = rows.slice(start, start + batch);
    try {
      const { outcomes } = await client.schedule({
        task,
        instances: slice.map((r) => r.spec),
        mode: force ? ScheduleMode.FORCE : ScheduleMode.SAFE,
      });
      for (const outcome of outcomes) {
        if (outcome === ScheduleOutcome.CREATED) summary.created++;
        else if (outcome === ScheduleOutcome.UPDATED) summary.updated++;
        else if (outcome === ScheduleOutcome.LOCKED) summary.locked++;
      }
    } catch (thrown) {
      const error = toPartituraError(thrown);
      summary.failed += slice.length;
      firstCode ||= error.code;
      progress?.clear();
      const first = slice[0]?.line ?? 0;
      const last = slice[slice.length - 1]?.line ?? 0;
      process.stderr.write(`partitura: lines ${first}-${last}: ${error.codeName}: ${error.details}\n`);
    }
    progress?.draw(Math.min(start + batch, rows.length));
  }
  progress?.clear();
  print(format, [summary], () => [
    {
      created: String(summary.created),
      updated: String(summary.updated),
      locked: String(summary.locked),
      failed: String(summary.failed),
    },
  ]);
  return firstCode;
}

/** A one-line bar redrawn in place on a terminal. */
function progressBar(total: number): { draw(done: number): void; clear(): void } {
  const width = 30;
  return {
    draw(done) {
      const filled = total === 0 ? width : Math.round((done / total) * width);
      process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`);
    },
    clear() {
      process.stderr.write("\r\x1b[2K");
    },
  };
}
