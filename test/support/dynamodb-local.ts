import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { openDynamoStore } from "../../src/store/dynamodb/dynamodb-store.ts";
import type { Store } from "../../src/store/store.ts";

/*
 * Where the DynamoDB tests find DynamoDB Local. scripts/test.sh starts one emulator for the
 * whole run and exports PARTITURA_TEST_DYNAMODB (dynamodb://partitura?region=local&endpoint=…);
 * a test file run on its own (npx ava test/store-dynamodb.test.ts) starts its own through
 * scripts/dynamodb-local.sh, stopped when the test process exits. Every store a test opens gets
 * its own table, so tests never see each other.
 */

let base: Promise<URL> | undefined;
const tables: string[] = [];

async function startOwnEmulator(): Promise<URL> {
  const { stdout } = await promisify(execFile)("bash", [
    "scripts/dynamodb-local.sh",
    "start",
    String(process.pid),
  ]);
  const [pid, port] = stdout.trim().split(" ").map(Number);
  if (pid === undefined || port === undefined) throw new Error(`dynamodb-local.sh printed "${stdout}"`);
  process.on("exit", () => process.kill(pid));
  return new URL(`dynamodb://partitura?region=local&endpoint=http://127.0.0.1:${port}`);
}

/** The URL of the test emulator's default table (from the environment, or a fresh emulator). */
export function dynamoTestUrl(): Promise<URL> {
  const fromEnv = process.env.PARTITURA_TEST_DYNAMODB;
  base ??= fromEnv === undefined || fromEnv === "" ? startOwnEmulator() : Promise.resolve(new URL(fromEnv));
  return base;
}

/** A store URL on a table no other test uses; `params` add or replace query parameters. */
export async function freshDynamoUrl(params: Record<string, string> = {}): Promise<string> {
  const url = new URL(await dynamoTestUrl());
  const table = `t${process.pid}-${tables.length}-${randomBytes(4).toString("hex")}`;
  tables.push(table);
  url.hostname = table;
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

/** Opens a store on a fresh table (created on open). */
export async function openFreshDynamo(params: Record<string, string> = {}): Promise<Store> {
  return openDynamoStore(await freshDynamoUrl(params));
}

/** A raw SDK client on the test emulator, for assertions on the table itself. */
export async function rawDynamoClient(): Promise<DynamoDBClient> {
  const endpoint = (await dynamoTestUrl()).searchParams.get("endpoint") ?? undefined;
  return new DynamoDBClient({
    region: "local",
    ...(endpoint === undefined ? {} : { endpoint }),
    credentials: { accessKeyId: "partitura", secretAccessKey: "partitura" },
  });
}

/** Drops every table this process made, so a long run does not grow the emulator's heap. */
export async function dropTestTables(): Promise<void> {
  if (tables.length === 0) return;
  const client = await rawDynamoClient();
  try {
    for (const table of tables.splice(0)) {
      await client.send(new DeleteTableCommand({ TableName: table })).catch((error: unknown) => {
        // A table a test never created (its open failed on purpose) is fine to miss.
        if (!(error instanceof Error && error.name === "ResourceNotFoundException")) throw error;
      });
    }
  } finally {
    client.destroy();
  }
}
