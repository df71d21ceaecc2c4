import type { OutputFormat } from "./context.ts";

/** One table row: column name to text. */
export type Row = Record<string, string>;

/**
 * Prints results: `records` as one JSON array (json) or one line each (jsonl); for people a
 * table of `rows` (computed only then).
 */
export function print(format: OutputFormat, records: readonly unknown[], rows: () => Row[]): void {
  if (format === "json") {
    process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
    return;
  }
  if (format === "jsonl") {
    for (const record of records) process.stdout.write(`${JSON.stringify(record)}\n`);
    return;
  }
  const table = rows();
  const columns = Object.keys(table[0] ?? {});
  if (columns.length === 0) return;
  const widths = columns.map((c) => Math.max(c.length, ...table.map((row) => (row[c] ?? "").length)));
  const line = (cells: string[]) =>
    `${cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd()}\n`;
  process.stdout.write(line(columns.map((c) => c.toUpperCase())));
  for (const row of table) process.stdout.write(line(columns.map((c) => row[c] ?? "")));
}
