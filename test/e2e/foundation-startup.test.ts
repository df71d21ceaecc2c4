import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import test from "ava";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../gen/ts/grpc/health/v1/health_pb.ts";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { makeClient } from "../support/clients.ts";

/*
 * The process as a user starts it: `node --import=tsx src/main.ts` (what `npm start` runs),
 * configured through the environment, logging JSON lines, stopping on SIGTERM.
 */

interface Run {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  /** Resolves with the first JSON log line whose msg is `msg`. */
  waitFor(msg: string): Promise<Record<string, unknown>>;
}

function run(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ["--import=tsx", "src/main.ts"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: { msg: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      lines.push(line);
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        // Not a JSON log line (a config error on stderr): kept in `lines` for assertions.
        parsed = undefined;
      }
      for (const waiter of waiters) if (parsed?.msg === waiter.msg) waiter.resolve(parsed);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    waitFor: (msg) =>
      new Promise((resolve, reject) => {
        waiters.push({ msg, resolve });
        void exited.then((code) =>
          reject(new Error(`exited with ${code} before "${msg}":\n${lines.join("\n")}`)),
        );
      }),
  };
}

test("the server starts on a fresh SQLite path, answers health, and stops gracefully on SIGTERM", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "partitura-start-"));
  try {
    const started = Date.now();
    const server = run({
      PARTITURA_LISTEN: "127.0.0.1:0",
      PARTITURA_STORE: `sqlite:${join(dir, "not", "yet", "there.db")}`,
    });
    const serving = await server.waitFor("serving");
    t.true(Date.now() - started < 30_000, "serving within 30 s");
    const health = makeClient(Health, String(serving.address));
    try {
      t.is((await health.check({ service: "" })).status, ServingStatus.SERVING);
      t.is((await health.check({ service: "liveness" })).status, ServingStatus.SERVING);
    } finally {
      health.close();
    }
    server.child.kill("SIGTERM");
    t.is(await server.exited, 0);
    t.true(server.lines.some((line) => line.includes('"msg":"stopped"')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad configuration stops the process at once with a message naming the variable", async (t) => {
  const server = run({ PARTITURA_LISTEN: "localhost" });
  t.is(await server.exited, 2);
  t.regex(server.lines.join("\n"), /PARTITURA_LISTEN: "localhost" must be host:port/);
});

test("an unknown store scheme is a fatal error listing the supported ones", async (t) => {
  const server = run({ PARTITURA_LISTEN: "127.0.0.1:0", PARTITURA_STORE: "mongodb://db/x" });
  t.is(await server.exited, 1);
  t.regex(server.lines.join("\n"), /unknown scheme; supported: sqlite:PATH/);
});

test("loadConfig: defaults, flags over variables, and one clear error per rule", (t) => {
  const defaults = loadConfig({ HOSTNAME: "pod-0" }, []);
  t.deepEqual(defaults, {
    listen: "127.0.0.1:50051",
    store: "sqlite:./data/partitura.db",
    logLevel: "info",
    shutdownGraceMs: 10_000,
    advertise: undefined,
    replicaId: "pod-0",
    maxPollMs: undefined,
    metricsListen: undefined,
    ownership: { mode: "all" },
  });
  t.true(Object.isFrozen(defaults));
  t.is(loadConfig({ PARTITURA_MAX_POLL_MS: "2500" }, []).maxPollMs, 2500);
  const flagged = loadConfig({ PARTITURA_LISTEN: "0.0.0.0:1" }, [
    "--listen",
    "[::]:7000",
    "--log-level=debug",
  ]);
  t.is(flagged.listen, "[::]:7000");
  t.is(flagged.logLevel, "debug");

  const refused: [Record<string, string>, string[], RegExp][] = [
    [{ PARTITURA_LISTEN: "host:99999" }, [], /^PARTITURA_LISTEN: "host:99999" must be host:port/],
    [{ LOG_LEVEL: "loud" }, [], /^LOG_LEVEL: "loud" must be one of fatal, error/],
    [
      { PARTITURA_SHUTDOWN_GRACE_MS: "10s" },
      [],
      /^PARTITURA_SHUTDOWN_GRACE_MS: "10s" must be a whole number/,
    ],
    [{ PARTITURA_STORE: "data.db" }, [], /^PARTITURA_STORE: "data.db" must be a store URL/],
    [{ PARTITURA_ADVERTISE: "pod" }, [], /^PARTITURA_ADVERTISE: "pod" must be host:port/],
    [{}, ["--store", "x"], /^--store: "x" must be a store URL/],
    [{ PARTITURA_MAX_POLL_MS: "0" }, [], /^PARTITURA_MAX_POLL_MS: "0" must be at least 1 millisecond/],
    [{ PARTITURA_METRICS_LISTEN: "9464" }, [], /^PARTITURA_METRICS_LISTEN: "9464" must be host:port/],
    [
      { PARTITURA_MAX_POLL_MS: "3000000000" },
      [],
      /^PARTITURA_MAX_POLL_MS: "3000000000" must be at most 2147483647/,
    ],
    [
      { PARTITURA_STORE: "redis//u:secret@h" },
      [],
      /^PARTITURA_STORE: "redis\/\/u:\*\*\*@h" must be a store URL/,
    ],
    [{}, ["--nope"], /^flags: Unknown option '--nope'/],
  ];
  for (const [env, argv, message] of refused) {
    const error = t.throws(() => loadConfig(env, argv));
    t.true(error instanceof ConfigError);
    t.regex(error?.message ?? "", message);
  }
});
