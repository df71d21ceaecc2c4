import { join } from "node:path";
import type { BenchOptions } from "./options.ts";
import type { BenchResult } from "./report.ts";
import { resultsDir } from "./report.ts";

/** What a scenario gets from the runner. */
export interface ScenarioContext {
  readonly options: BenchOptions;
  /** Progress for humans, on stderr. */
  log(message: string): void;
  /** Records a result: prints its JSON line and its Markdown row at once. */
  emit(result: BenchResult): void;
}

/** One named, time-bounded measurement. */
export interface Scenario {
  readonly name: string;
  readonly summary: string;
  run(context: ScenarioContext): Promise<void>;
}

/** Where the server's CPU profile for `label` goes, when --cpu-prof asked for one. */
export function profileDir(options: BenchOptions, label: string): string | undefined {
  return options.cpuProf ? join(resultsDir(), "profiles", label) : undefined;
}
