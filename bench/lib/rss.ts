import { readFileSync } from "node:fs";

/** Resident set size of process `pid` in MB, from /proc (0 once it exited). */
export function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] === undefined ? 0 : Math.round(Number(match[1]) / 1024);
  } catch {
    return 0;
  }
}
