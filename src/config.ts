import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { OWNERSHIP_SETTINGS, parseOwnership } from "./config-ownership.ts";
import { MAX_TIMER_MS } from "./domain/limits.ts";
import type { OwnershipMode } from "./domain/ownership-mode.ts";
import { redactUrl } from "./domain/redact.ts";

/*
 * Configuration is read once, at start, from the environment and from flags that mirror it
 * (a flag wins over its variable). Every value is checked here, so a typo stops the process
 * with one clear line naming the variable and the rule, instead of surfacing later as a
 * confusing failure deep inside the server.
 */

/** The pino levels LOG_LEVEL accepts. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A pino level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The whole configuration of one server process, frozen. */
export interface Config {
  /** host:port the gRPC server binds (port 0 picks a free port). */
  readonly listen: string;
  /** Store URL: `sqlite:PATH`, `sqlite::memory:`, `redis://`, `rediss://`, `redis+cluster://`, `dynamodb://`. */
  readonly store: string;
  readonly logLevel: LogLevel;
  /** How long a graceful shutdown may take before it forces. */
  readonly shutdownGraceMs: number;
  /** The address GetPartitionMap tells clients; undefined means the bound listen address. */
  readonly advertise: string | undefined;
  /** This replica's id: lease owner and (later) membership id. */
  readonly replicaId: string;
  /**
   * Longest sleep of an idle poller between two looks at its partition; undefined means the
   * engine's default (1 s, or 10 s on stores that publish wake-ups).
   */
  readonly maxPollMs?: number | undefined;
  /** host:port of the Prometheus `/metrics` endpoint; undefined means not served. */
  readonly metricsListen?: string | undefined;
  /** host:port of the web console (src/console); undefined means not served (the default). */
  readonly consoleListen?: string | undefined;
  /**
   * Lets the console listen on a non-loopback address without tokens configured (someone
   * else guards it); without it such a listen is refused at start.
   */
  readonly consoleAllowRemote?: boolean | undefined;
  /**
   * Which partitions this replica polls: all (default), static (a list, or hash mod N by
   * ordinal) or membership (heartbeats in the store); see config-ownership.ts. Absent means
   * all (loadConfig always sets it; hand-built test configs may leave it out).
   */
  readonly ownership?: OwnershipMode | undefined;

  // --- trust (TLS, tokens, stream bounds, overdue sampling) ----------------------------------
  /** PEM certificate (chain) file of the gRPC port; with tlsKey, the port speaks TLS only. */
  readonly tlsCert?: string | undefined;
  /** PEM private key file of tlsCert. */
  readonly tlsKey?: string | undefined;
  /** PEM CA file: clients must present a certificate it signed (mutual TLS). */
  readonly tlsClientCa?: string | undefined;
  /** How often the TLS files are read again (rotation without restart); default 60 s. */
  readonly tlsRefreshMs?: number | undefined;
  /** JSON file of bearer tokens and their roles; undefined means no token is asked for. */
  readonly authTokensFile?: string | undefined;
  /** Whether server reflection is offered (default on). */
  readonly reflection?: boolean | undefined;
  /** Concurrent calls one HTTP/2 connection may hold (default in limits.ts). */
  readonly maxStreamsPerConnection?: number | undefined;
  /** Open Execute streams one server holds (default in limits.ts). */
  readonly maxExecuteStreams?: number | undefined;
  /** How often the overdue metrics are sampled (default 5 s); only when metrics are served. */
  readonly overdueSampleMs?: number | undefined;
}

/** A configuration value broke its rule; the message names the variable (or flag) and rule. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** One setting: its environment variable, its flag, and its default. */
interface Setting {
  readonly env: string;
  readonly flag: string;
  readonly fallback: (env: NodeJS.ProcessEnv) => string | undefined;
}

const SETTINGS = {
  listen: { env: "PARTITURA_LISTEN", flag: "listen", fallback: () => "127.0.0.1:50051" },
  store: { env: "PARTITURA_STORE", flag: "store", fallback: () => "sqlite:./data/partitura.db" },
  logLevel: { env: "LOG_LEVEL", flag: "log-level", fallback: () => "info" },
  shutdownGraceMs: {
    env: "PARTITURA_SHUTDOWN_GRACE_MS",
    flag: "shutdown-grace-ms",
    fallback: () => "10000",
  },
  advertise: { env: "PARTITURA_ADVERTISE", flag: "advertise", fallback: () => undefined },
  replicaId: {
    env: "PARTITURA_REPLICA_ID",
    flag: "replica-id",
    fallback: (env) => env.HOSTNAME || hostname(),
  },
  maxPollMs: { env: "PARTITURA_MAX_POLL_MS", flag: "max-poll-ms", fallback: () => undefined },
  metricsListen: { env: "PARTITURA_METRICS_LISTEN", flag: "metrics-listen", fallback: () => undefined },
  consoleListen: { env: "PARTITURA_CONSOLE_LISTEN", flag: "console-listen", fallback: () => undefined },
  consoleAllowRemote: {
    env: "PARTITURA_CONSOLE_ALLOW_REMOTE",
    flag: "console-allow-remote",
    fallback: () => undefined,
  },
  // --- trust ---
  tlsCert: { env: "PARTITURA_TLS_CERT", flag: "tls-cert", fallback: () => undefined },
  tlsKey: { env: "PARTITURA_TLS_KEY", flag: "tls-key", fallback: () => undefined },
  tlsClientCa: { env: "PARTITURA_TLS_CLIENT_CA", flag: "tls-client-ca", fallback: () => undefined },
  tlsRefreshMs: { env: "PARTITURA_TLS_REFRESH_MS", flag: "tls-refresh-ms", fallback: () => undefined },
  authTokensFile: { env: "PARTITURA_AUTH_TOKENS_FILE", flag: "auth-tokens-file", fallback: () => undefined },
  reflection: { env: "PARTITURA_REFLECTION", flag: "reflection", fallback: () => undefined },
  maxStreamsPerConnection: {
    env: "PARTITURA_MAX_STREAMS_PER_CONNECTION",
    flag: "max-streams-per-connection",
    fallback: () => undefined,
  },
  maxExecuteStreams: {
    env: "PARTITURA_MAX_EXECUTE_STREAMS",
    flag: "max-execute-streams",
    fallback: () => undefined,
  },
  overdueSampleMs: {
    env: "PARTITURA_OVERDUE_SAMPLE_MS",
    flag: "overdue-sample-ms",
    fallback: () => undefined,
  },
} satisfies Record<Exclude<keyof Config, "ownership">, Setting>;

/** Every flag with its variable, for parsing and usage. */
const ALL_FLAGS: readonly { readonly env: string; readonly flag: string }[] = [
  ...Object.values(SETTINGS),
  ...Object.values(OWNERSHIP_SETTINGS),
];

/** `[bracketed IPv6]:port` or `host:port`. */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*):(\d{1,5})$/;

/** Usage text for `--help`. */
export function usage(): string {
  const lines = ALL_FLAGS.map((s) => `  --${s.flag.padEnd(20)} ${s.env}`);
  return ["Usage: partitura [flags]   (each flag mirrors an environment variable)", ...lines].join("\n");
}

/**
 * Parses the environment and flags into a frozen Config. Throws ConfigError naming the
 * variable (and flag) and the rule it broke.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv.slice(2),
): Config {
  const flags = parseFlags(argv);
  const raw = (key: keyof typeof SETTINGS): { value: string | undefined; source: string } => {
    const setting: Setting = SETTINGS[key];
    const fromFlag = flags[setting.flag];
    if (fromFlag !== undefined) return { value: fromFlag, source: `--${setting.flag}` };
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, source: setting.env };
    return { value: setting.fallback(env), source: setting.env };
  };

  const listen = raw("listen");
  const store = raw("store");
  const logLevel = raw("logLevel");
  const grace = raw("shutdownGraceMs");
  const advertise = raw("advertise");
  const replicaId = raw("replicaId");
  const maxPoll = raw("maxPollMs");
  const metrics = raw("metricsListen");
  const consoleListen = raw("consoleListen");
  const consoleAllowRemote = onOff(raw("consoleAllowRemote"));
  const ownership = parseOwnership(
    (key) => {
      const setting = OWNERSHIP_SETTINGS[key];
      const fromFlag = flags[setting.flag];
      if (fromFlag !== undefined) return { value: fromFlag, source: `--${setting.flag}` };
      const fromEnv = env[setting.env];
      return { value: fromEnv === "" ? undefined : fromEnv, source: setting.env };
    },
    env,
    milliseconds,
    (message) => new ConfigError(message),
  );

  return Object.freeze({
    listen: hostPort(listen.source, listen.value ?? ""),
    store: storeUrl(store.source, store.value ?? ""),
    logLevel: level(logLevel.source, logLevel.value ?? ""),
    shutdownGraceMs: milliseconds(grace.source, grace.value ?? ""),
    advertise: advertise.value === undefined ? undefined : hostPort(advertise.source, advertise.value),
    replicaId: nonEmpty(replicaId.source, replicaId.value ?? ""),
    maxPollMs: maxPoll.value === undefined ? undefined : positiveMs(maxPoll.source, maxPoll.value),
    metricsListen: metrics.value === undefined ? undefined : hostPort(metrics.source, metrics.value),
    ...(consoleListen.value === undefined
      ? {}
      : { consoleListen: hostPort(consoleListen.source, consoleListen.value) }),
    ...(consoleAllowRemote === undefined ? {} : { consoleAllowRemote }),
    ownership,
    ...trustConfig(raw),
  });
}

/* --- trust settings: TLS, tokens, stream bounds, overdue sampling --------------------------- */

type Raw = (key: keyof typeof SETTINGS) => { value: string | undefined; source: string };

function trustConfig(raw: Raw): Partial<Config> {
  const cert = raw("tlsCert");
  const key = raw("tlsKey");
  const clientCa = raw("tlsClientCa");
  if ((cert.value === undefined) !== (key.value === undefined)) {
    throw new ConfigError(`${cert.source} and ${key.source}: must be set together (or neither)`);
  }
  if (clientCa.value !== undefined && cert.value === undefined) {
    throw new ConfigError(`${clientCa.source}: mutual TLS needs ${cert.source} and ${key.source} too`);
  }
  const optional = (
    k: keyof typeof SETTINGS,
    parse: (source: string, value: string) => number,
  ): number | undefined => {
    const { value, source } = raw(k);
    return value === undefined ? undefined : parse(source, value);
  };
  const trust: Partial<Config> = {
    tlsCert: cert.value,
    tlsKey: key.value,
    tlsClientCa: clientCa.value,
    tlsRefreshMs: optional("tlsRefreshMs", positiveMs),
    authTokensFile: raw("authTokensFile").value,
    reflection: onOff(raw("reflection")),
    maxStreamsPerConnection: optional("maxStreamsPerConnection", positiveCount),
    maxExecuteStreams: optional("maxExecuteStreams", positiveCount),
    overdueSampleMs: optional("overdueSampleMs", positiveMs),
  };
  // Unset trust settings are left out, so a config without them reads as it did before them.
  return Object.fromEntries(Object.entries(trust).filter(([, value]) => value !== undefined));
}

function onOff({ value, source }: { value: string | undefined; source: string }): boolean | undefined {
  if (value === undefined) return undefined;
  if (/^(on|true|1)$/i.test(value)) return true;
  if (/^(off|false|0)$/i.test(value)) return false;
  throw new ConfigError(`${source}: "${value}" must be on or off`);
}

function positiveCount(source: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > 2 ** 31 - 1) {
    throw new ConfigError(`${source}: "${value}" must be a whole number from 1 to ${2 ** 31 - 1}`);
  }
  return n;
}

function parseFlags(argv: readonly string[]): Record<string, string | undefined> {
  const options = Object.fromEntries(ALL_FLAGS.map((s) => [s.flag, { type: "string" as const }]));
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    return values as Record<string, string | undefined>;
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    throw new ConfigError(`flags: ${message}\n${usage()}`);
  }
}

function hostPort(source: string, value: string): string {
  const match = HOST_PORT.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65535) {
    throw new ConfigError(`${source}: "${value}" must be host:port with a port from 0 to 65535`);
  }
  return value;
}

function storeUrl(source: string, value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:./i.test(value)) {
    throw new ConfigError(
      `${source}: "${redactUrl(value)}" must be a store URL such as sqlite:./data/partitura.db`,
    );
  }
  return value;
}

function level(source: string, value: string): LogLevel {
  const found = LOG_LEVELS.find((l) => l === value.toLowerCase());
  if (!found) throw new ConfigError(`${source}: "${value}" must be one of ${LOG_LEVELS.join(", ")}`);
  return found;
}

/** Node's timers fire at once for delays past 2^31 - 1 ms (about 24.8 days). */

function milliseconds(source: string, value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(ms)) {
    throw new ConfigError(`${source}: "${value}" must be a whole number of milliseconds`);
  }
  if (ms > MAX_TIMER_MS) {
    throw new ConfigError(`${source}: "${value}" must be at most ${MAX_TIMER_MS} milliseconds (24.8 days)`);
  }
  return ms;
}

function nonEmpty(source: string, value: string): string {
  if (value.trim() === "") throw new ConfigError(`${source}: must not be empty`);
  return value;
}

function positiveMs(source: string, value: string): number {
  const ms = milliseconds(source, value);
  if (ms < 1) throw new ConfigError(`${source}: "${value}" must be at least 1 millisecond`);
  return ms;
}
