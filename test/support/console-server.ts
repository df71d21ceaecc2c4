import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { Browser, Page } from "playwright-core";
import { ExecutionService } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import type { Clock } from "../../src/domain/clock.ts";
import { makeClient } from "./clients.ts";
import { startTestServer, type TestServer } from "./server.ts";

/** One entry of the tokens file a console test writes. */
export interface ConsoleToken {
  readonly token: string;
  readonly roles: readonly string[];
  readonly name: string;
}

/** Client options that send `token` as the bearer token on every call. */
export function withToken(token: string): { metadata: () => grpc.Metadata } {
  return {
    metadata: () => {
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${token}`);
      return metadata;
    },
  };
}

/**
 * The real server of a console test: bearer `tokens` (written to a fresh tokens file), the
 * console on a free loopback port, `clock` and `storeUrl` as given; with an ExecutionService
 * client that carries `workerToken`, for the worker the test attaches over gRPC.
 */
export async function startConsoleServer(options: {
  readonly clock: Clock;
  readonly storeUrl: string;
  readonly tokens: readonly ConsoleToken[];
  readonly workerToken: string;
}): Promise<{ s: TestServer; execution: TestServer["execution"]; base: string }> {
  const dir = mkdtempSync(join(tmpdir(), "partitura-console-"));
  const tokensFile = join(dir, "tokens.json");
  writeFileSync(tokensFile, JSON.stringify(options.tokens));
  const s = await startTestServer({
    clock: options.clock,
    storeUrl: options.storeUrl,
    config: { consoleListen: "127.0.0.1:0", authTokensFile: tokensFile },
  });
  const port = s.server.consolePort;
  if (port === undefined) throw new Error("the console did not start");
  const execution = makeClient(
    ExecutionService,
    s.address,
    grpc.credentials.createInsecure(),
    withToken(options.workerToken),
  );
  return { s, execution, base: `http://127.0.0.1:${port}` };
}

/** Logs in to the console at `base` with `token` in a fresh browser context; at the overview. */
export async function login(browser: Browser, base: string, token: string, javaScript = true): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    javaScriptEnabled: javaScript,
  });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill("input[name=token]", token);
  await page.click("button[type=submit]");
  await page.locator("h1", { hasText: "Overview" }).waitFor();
  return page;
}
