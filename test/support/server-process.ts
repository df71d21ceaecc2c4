import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/*
 * The real server, `src/main.ts`, in a process of its own, for tests that must kill it (a
 * crash cannot be simulated in-process). It listens on 127.0.0.1:0 and the bound address is
 * read from its "serving" log line. Every process started here is SIGKILLed when the test
 * process exits, so none outlives a failed test.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SERVE_TIMEOUT_MS = 30_000;

/** A running server process. */
export interface ServerProcess {
  /** host:port it serves on. */
  readonly address: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** Its last 40 log lines (stdout and stderr), for a failure message. */
  tail(): string;
  /** SIGKILL, resolving once it is gone: a crash, no shutdown steps. */
  kill(): Promise<void>;
  /** SIGTERM, resolving once it exited (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts the server on store `store` (a PARTITURA_STORE value) and resolves once it serves. */
export async function startServerProcess(
  store: string,
  env: Readonly<Record<string, string>> = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import=tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PARTITURA_LISTEN: "127.0.0.1:0",
      PARTITURA_STORE: store,
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? "unknown");
    }),
  );
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream as NodeJS.ReadableStream }).on("line", (line) => {
      lines.push(line);
      if (lines.length > 40) lines.shift();
    });
  }
  const address = await servingAddress(child, () => lines.join("\n"));
  const end = async (signal: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    address,
    child,
    exited,
    tail: () => lines.join("\n"),
    kill: () => end("SIGKILL", 0),
    stop: (graceMs = 10_000) => end("SIGTERM", graceMs),
  };
}

/** The address of the "serving" log line; rejects when the process exits or stays silent. */
function servingAddress(child: ChildProcess, tail: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not serve within ${SERVE_TIMEOUT_MS / 1000} s:\n${tail()}`));
    }, SERVE_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: unknown; address?: unknown };
        if (entry.msg === "serving" && typeof entry.address === "string") {
          clearTimeout(timer);
          resolve(entry.address);
        }
      } catch {
        // Not a log line (a stray print): only the "serving" line matters here.
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before serving:\n${tail()}`));
    });
  });
}
