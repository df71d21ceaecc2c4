import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/*
 * Our side of every end-to-end scenario runs the real server, `src/main.ts`, in a process of
 * its own: its CPU can then be read from /proc apart from the load generator's, and a CPU
 * profile (`node --cpu-prof`) covers the server alone. The bound port is read from the
 * "serving" log line, so the server picks a free port itself (PARTITURA_LISTEN=127.0.0.1:0).
 */

/** This checkout: the tree whose src/main.ts is started unless told otherwise. */
const OWN_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The tree whose src/main.ts is started. BENCH_SERVER_ROOT points it at another checkout, so a
 * proposed change to the server can be measured against the same bench before it lands;
 * `--against` switches it per scenario run (see bench/run.ts), so both trees are measured in
 * one run, back to back.
 */
let serverRoot = process.env.BENCH_SERVER_ROOT ?? OWN_ROOT;

/** Points later server starts at `root` (undefined: back to BENCH_SERVER_ROOT or this tree). */
export function useServerRoot(root: string | undefined): void {
  serverRoot = root ?? process.env.BENCH_SERVER_ROOT ?? OWN_ROOT;
}

/** Linux clock ticks per second, for /proc/PID/stat (USER_HZ is 100 on every Linux we run). */
const TICKS_PER_SECOND = 100;

/** How to start one server process. */
export interface ServerProcessOptions {
  /** PARTITURA_STORE. */
  readonly store: string;
  /** Replica id (lease owner); distinct per replica. */
  readonly replicaId?: string;
  /** Extra PARTITURA_* (or any) variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Write a CPU profile into this folder when the process exits. */
  readonly cpuProfDir?: string | undefined;
}

/** A running server process. */
export interface ServerProcess {
  readonly address: string;
  readonly pid: number;
  /** CPU seconds (user + system) the process has used so far. */
  cpuSeconds(): number;
  /** SIGTERM, then waits for the graceful stop (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** Every server process started and not yet exited, so none outlives the bench. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts `src/main.ts` and resolves once it serves. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const nodeArgs = ["--import=tsx"];
  // Node flags NODE_OPTIONS refuses (--trace-gc, say), for investigating a run.
  const extra = process.env.BENCH_SERVER_NODE_ARGS?.trim();
  if (extra) nodeArgs.push(...extra.split(/\s+/));
  if (options.cpuProfDir) nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`);
  const child = spawn(process.execPath, [...nodeArgs, "src/main.ts"], {
    cwd: serverRoot,
    env: {
      ...process.env,
      PARTITURA_LISTEN: "127.0.0.1:0",
      PARTITURA_STORE: options.store,
      PARTITURA_REPLICA_ID: options.replicaId ?? `bench-${process.pid}`,
      PARTITURA_SHUTDOWN_GRACE_MS: "5000",
      LOG_LEVEL: "info",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  const address = await servingAddress(child);
  const pid = child.pid ?? 0;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    address,
    pid,
    cpuSeconds: () => processCpuSeconds(pid),
    stop: async (graceMs = 15_000) => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits for the "serving" log line; forwards warnings and errors to our stderr. */
function servingAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server process did not serve within 60 s")), 60_000);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    let found = false;
    lines.on("line", (line) => {
      let entry: { level?: number; msg?: string; address?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        process.stderr.write(`server: ${line}\n`);
        return;
      }
      if (!found && entry.msg === "serving" && entry.address) {
        found = true;
        clearTimeout(timer);
        resolve(entry.address);
      } else if ((entry.level ?? 0) >= 40) {
        process.stderr.write(`server ${child.pid}: ${line}\n`);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => process.stderr.write(`server ${child.pid}: ${chunk}`));
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (!found) reject(new Error(`server process exited with ${code} before serving`));
    });
  });
}

/** utime + stime of a process from /proc (Linux), in seconds. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}
