import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type Clients, clientsFor } from "./clients.ts";

/*
 * The real server, `src/main.ts`, in a process of its own, for fault tests that kill it with
 * SIGKILL (an in-process server cannot be killed without killing the test). It listens on
 * 127.0.0.1 port 0; the bound address is read from its "serving" log line. Its logs are
 * dropped unless PARTITURA_TEST_LOG names a level, then they go to our stderr.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** How long a server process may take to print "serving". */
const START_TIMEOUT_MS = 60_000;

/** Every server process started and not yet exited, so none outlives the test file. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A server process, with clients of every service on its address. */
export interface SpawnedServer extends Clients {
  readonly address: string;
  readonly pid: number;
  /** Sends `signal` (default SIGKILL) and waits for the process to exit; closes the clients. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `src/main.ts` on `store` with extra environment `env`; resolves once it serves. */
export async function spawnServer(
  store: string,
  env: Readonly<Record<string, string>> = {},
): Promise<SpawnedServer> {
  const level = process.env.PARTITURA_TEST_LOG;
  const child = spawn(process.execPath, ["--import=tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PARTITURA_LISTEN: "127.0.0.1:0",
      PARTITURA_STORE: store,
      PARTITURA_SHUTDOWN_GRACE_MS: "1000",
      // At least info: the "serving" line carries the address.
      LOG_LEVEL: level === "debug" || level === "trace" ? level : "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => running.delete(child));
  const address = await servingAddress(child, level !== undefined);
  const clients = clientsFor(address);
  return {
    ...clients,
    address,
    pid: child.pid ?? 0,
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      clients.close();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Waits for the "serving" log line; fails when the process exits first or takes too long. */
function servingAddress(child: ChildProcess, echo: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("server process did not serve in time")),
      START_TIMEOUT_MS,
    );
    let found = false;
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      if (echo) process.stderr.write(`server ${child.pid}: ${line}\n`);
      if (found) return;
      let entry: { msg?: string; address?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return; // not a log line (a stray print); only "serving" matters here
      }
      if (entry.msg === "serving" && entry.address !== undefined) {
        found = true;
        clearTimeout(timer);
        resolve(entry.address);
      }
    });
    const errors: Buffer[] = [];
    child.stderr?.on("data", (chunk: Buffer) => {
      errors.push(chunk);
      if (echo) process.stderr.write(chunk);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (!found) {
        reject(new Error(`server exited (${code ?? signal}) before serving: ${Buffer.concat(errors)}`));
      }
    });
  });
}
