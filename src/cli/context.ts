import { Client } from "../sdk/client.ts";
import { UsageError } from "./usage-error.ts";

/** Flags every command that talks to a server takes (with environment fallbacks). */
export const CONNECTION_FLAGS = {
  address: { type: "string" },
  token: { type: "string" },
  tls: { type: "boolean" },
  "tls-ca": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  output: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const;

/** How results are printed: a table for people, json (one array/object) or jsonl for scripts. */
export type OutputFormat = "table" | "json" | "jsonl";

/**
 * Runs a parseArgs call, turning unknown flags and missing values into UsageErrors (in one
 * line: node's messages for some mistakes span three).
 */
export function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    throw new UsageError(message.split("\n").join(" ").trim());
  }
}

/** The output format from --output or PARTITURA_OUTPUT. */
export function outputOf(value: unknown): OutputFormat {
  const format = typeof value === "string" ? value : (process.env.PARTITURA_OUTPUT ?? "table");
  if (format !== "table" && format !== "json" && format !== "jsonl") {
    throw new UsageError(`--output: must be table, json or jsonl, not "${format}"`);
  }
  return format;
}

/** A Client from --address/--token/--tls-* or PARTITURA_ADDRESS, PARTITURA_TOKEN, PARTITURA_TLS_*. */
export function clientOf(values: Record<string, unknown>): Client {
  const str = (flag: string, env: string) => {
    const value = values[flag];
    return typeof value === "string" ? value : process.env[env];
  };
  const ca = str("tls-ca", "PARTITURA_TLS_CA");
  const cert = str("tls-cert", "PARTITURA_TLS_CERT");
  const key = str("tls-key", "PARTITURA_TLS_KEY");
  const tls =
    values.tls === true || process.env.PARTITURA_TLS === "1" || ca !== undefined || cert !== undefined;
  const token = str("token", "PARTITURA_TOKEN");
  return new Client({
    address: str("address", "PARTITURA_ADDRESS") ?? "127.0.0.1:50051",
    ...(tls ? { tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } } : {}),
    ...(token ? { token } : {}),
  });
}
