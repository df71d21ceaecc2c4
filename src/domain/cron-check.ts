import { invalid } from "./errors.ts";

/*
 * What cron-parser accepts but a scheduler must not. `H` is its hash feature: without a seed
 * it draws a new random value at every parse, so "H * * * *" fires at a different minute on
 * every evaluation and on every replica. `?` is Quartz's "no specific value", meaningful only
 * for the day fields; cron-parser reads it as `*` anywhere, so "? ? ? ? ?" looks like a
 * mistake that runs every minute. A step wider than the field's range (`*\/100000000000`)
 * names only the range's first value, which is never what was meant.
 */

/** One cron field: its name in messages and the values it holds. */
interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Whether `?` may stand for the field. */
  readonly day: boolean;
  /** Whether three-letter aliases (JAN, MON) may appear. */
  readonly aliases: boolean;
}

const SECOND: CronField = { name: "second", min: 0, max: 59, day: false, aliases: false };
const FIVE: readonly CronField[] = [
  { name: "minute", min: 0, max: 59, day: false, aliases: false },
  { name: "hour", min: 0, max: 23, day: false, aliases: false },
  { name: "day-of-month", min: 1, max: 31, day: true, aliases: false },
  { name: "month", min: 1, max: 12, day: false, aliases: true },
  // 0-7: both 0 and 7 are Sunday.
  { name: "day-of-week", min: 0, max: 7, day: true, aliases: true },
];

/**
 * Throws INVALID_ARGUMENT naming `field` when a cron of 5 or 6 `parts` uses `H`, uses `?`
 * outside the day fields, or has a step that is not a number from 1 to its field's range.
 */
export function checkCronFields(field: string, parts: readonly string[]): void {
  const fields = parts.length === 6 ? [SECOND, ...FIVE] : FIVE;
  parts.forEach((part, i) => {
    const spec = fields[i];
    if (spec === undefined) return;
    // Aliases go first, as cron-parser replaces them first: THU holds an H that is no hash.
    const bare = spec.aliases ? part.replace(/[a-z]{3}/gi, "0") : part;
    if (bare.includes("H")) {
      throw invalid(field, `H (a random value) is not supported, in the ${spec.name} field: write the value`);
    }
    if (!spec.day && bare.includes("?")) {
      throw invalid(
        field,
        `? is only for the day-of-month and day-of-week fields, not the ${spec.name} field`,
      );
    }
    const range = spec.max - spec.min;
    for (const item of bare.split(",")) {
      const slash = item.indexOf("/");
      if (slash < 0) continue;
      const step = item.slice(slash + 1);
      if (!/^[0-9]{1,3}$/.test(step) || Number(step) < 1 || Number(step) > range) {
        throw invalid(field, `a step in the ${spec.name} field must be a number from 1 to ${range}`);
      }
    }
  });
}
