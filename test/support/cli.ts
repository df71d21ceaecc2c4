import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** What one run of the `partitura` command printed and how it exited. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const BIN = fileURLToPath(new URL("../../bin/partitura.js", import.meta.url));

/*
 * Each run starts node and tsx; more than a few at once on a small machine only adds memory
 * pressure, so runs queue for one of a few slots.
 */
const SLOTS = 4;
let busy = 0;
const waiting: (() => void)[] = [];
async function slot<T>(work: () => Promise<T>): Promise<T> {
  // A finished run hands its slot straight to the next waiter, so `busy` never passes SLOTS.
  if (busy >= SLOTS) await new Promise<void>((resolve) => waiting.push(resolve));
  else busy++;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else busy--;
  }
}

/**
 * Runs the real `partitura` command (bin/partitura.js, as `npx partitura` does) in a child
 * process with `address` as PARTITURA_ADDRESS and none of the caller's PARTITURA_* settings.
 */
export function cli(
  args: readonly string[],
  options: { address?: string; cwd?: string } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("PARTITURA_")) env[key] = value;
  if (options.address !== undefined) env.PARTITURA_ADDRESS = options.address;
  return slot(
    () =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          [BIN, ...args],
          { env, cwd: options.cwd, timeout: 60_000 },
          (error, stdout, stderr) => {
            const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
            resolve({ code, stdout, stderr });
          },
        );
      }),
  );
}

/** Parses `--output json` and replaces the server's clock readings (createdAt ...) with "<time>". */
export function golden(stdout: string): unknown {
  return JSON.parse(stdout, (key, value: unknown) =>
    ["createdAt", "updatedAt", "leaseExpiresAt", "lockedUntil"].includes(key) ? "<time>" : value,
  );
}
