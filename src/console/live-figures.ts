import { age, count } from "./format.ts";
import type { OverviewFigures } from "./overview-data.ts";
import type { Rates } from "./rates.ts";

/*
 * The overview's live values by key: the page marks elements with data-live="key" and
 * assets/live.js sets their text (and data-state) from each server-sent event. The page and
 * the events take their text from here, so the two never disagree on a format.
 */

/** One live value: the element's new text and, optionally, its data-state. */
export interface LiveValue {
  readonly text?: string;
  readonly state?: string;
}

/** The key of a grid cell's due count, age and state. */
export const cellKey = (what: "c" | "a" | "s", task: string, partition: number): string =>
  `${what}:${task}:${partition}`;

/** Every live value of the overview. */
export function liveValues(
  figures: OverviewFigures,
  rates: Rates,
  stats: { leases: number; streams: number },
): Record<string, LiveValue> {
  const values: Record<string, LiveValue> = {
    rate: { text: `${rates.perSecond.toFixed(1)}/s` },
    lag: { text: rates.meanLagMs === undefined ? "–" : age(rates.meanLagMs) },
    delivered: { text: count(rates.total) },
    leases: { text: count(stats.leases) },
    streams: { text: count(stats.streams) },
    due: { text: count(figures.grids.reduce((n, g) => n + g.due, 0)) },
    "read-at": { text: new Date(figures.at).toISOString() },
    // Wall time of this event (the figures' own time is the scheduler's clock).
    "sent-at": { text: new Date().toISOString() },
  };
  for (const grid of figures.grids) {
    values[`due:${grid.task.name}`] = { text: count(grid.due) };
    for (const cell of grid.cells) {
      values[cellKey("c", grid.task.name, cell.partition)] = { text: count(cell.due) };
      values[cellKey("a", grid.task.name, cell.partition)] = {
        text: cell.oldestMs === undefined ? "" : age(cell.oldestMs),
      };
      values[cellKey("s", grid.task.name, cell.partition)] = { state: cell.overdue ? "overdue" : "ok" };
    }
  }
  return values;
}
