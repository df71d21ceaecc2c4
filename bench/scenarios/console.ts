import { gzipSync } from "node:zlib";
import { STATIC } from "../../src/console/static-files.ts";
import { METHOD, RawClient } from "../lib/grpc-raw.ts";
import { byScale } from "../lib/options.ts";
import { freePort } from "../lib/process-memory.ts";
import type { Scenario, ScenarioContext } from "../lib/scenario.ts";
import { putTask, scheduleRequests } from "../lib/schedule-requests.ts";
import { type ServerProcess, startServerProcess } from "../lib/server-process.ts";
import { round1, sleep } from "../lib/stats.ts";
import { prepareTarget } from "../lib/targets.ts";

/** The bounds (issue 15). */
const PAGE_TARGET_MS = 100;
const JS_TARGET_BYTES = 30 * 1024;
/** Partitions of the task: the overview grid reads each one's due index. */
const PARTITIONS = 16;
/** Longer than the console's shared-figures TTL (1 s), so every overview sample computes afresh. */
const COLD_GAP_MS = 1_100;

/**
 * console (issue 15): N instances of one 16-partition task on Redis, served by the real server
 * process with the console on; measured from outside over HTTP, one request at a time: the
 * overview computed afresh (each sample after the shared figures expired), the overview served
 * from the shared figures, a walk of the instances list through its cursor, the tasks page
 * (counts from the due index) and an instance page. Figures: p50 / p95 / max ms; and the
 * JavaScript a page loads, gzipped. The target is 1,000,000 instances; `--scale=small`
 * (100,000) is the smoke run.
 */
export const consoleScenario: Scenario = {
  name: "console",
  summary: "Web console on Redis: overview and instances page p95 (target <= 100 ms), JS bytes gzipped",
  run: async (context: ScenarioContext) => {
    const { options, log } = context;
    const size = options.sizes?.[0] ?? byScale(options, 1_000_000, 100_000);
    const samples = byScale(options, 40, 15);
    const target = await prepareTarget("redis", "console", options);
    const port = await freePort();
    let server: ServerProcess | undefined;
    let client: RawClient | undefined;
    try {
      server = await startServerProcess({
        store: target.url,
        replicaId: "bench-console",
        env: { PARTITURA_CONSOLE_LISTEN: `127.0.0.1:${port}` },
      });
      client = new RawClient(server.address);
      await client.ready();
      await putTask(client, "big", PARTITIONS);
      const seeding = performance.now();
      for (const request of scheduleRequests("big", size, 10_000, 3_600)) {
        await client.unary(METHOD.schedule, request);
      }
      log(`seeded ${size} instances in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
      const base = `http://127.0.0.1:${port}`;
      const cookie = await sessionCookie(base);
      const get = async (path: string): Promise<{ ms: number; body: string }> => {
        const started = performance.now();
        const response = await fetch(`${base}${path}`, { headers: { cookie } });
        const body = await response.text();
        const ms = performance.now() - started;
        if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${body.slice(0, 200)}`);
        return { ms, body };
      };
      await get("/"); // warm-up: module code, first connections

      const timings: Record<string, number[]> = { "overview (fresh)": [], "overview (shared)": [] };
      for (let i = 0; i < samples; i++) {
        await sleep(COLD_GAP_MS);
        timings["overview (fresh)"]?.push((await get("/")).ms);
        timings["overview (shared)"]?.push((await get("/")).ms);
      }
      const pages: number[] = [];
      let path = "/tasks/big/instances";
      for (let i = 0; i < samples * 5; i++) {
        const { ms, body } = await get(path);
        pages.push(ms);
        const next = /<a href="([^"]+)" rel="next">/.exec(body)?.[1];
        if (next === undefined) break;
        path = next.replaceAll("&amp;", "&");
      }
      timings["instances page (cursor walk)"] = pages;
      timings["tasks page (counts)"] = [];
      timings["instance page"] = [];
      for (let i = 0; i < samples; i++) {
        timings["tasks page (counts)"]?.push((await get("/tasks")).ms);
        timings["instance page"]?.push((await get(`/tasks/big/instances/i${(i * 7919) % size}`)).ms);
      }

      const scripts = await Promise.all(
        [STATIC.htmx, STATIC.live].map(async (file) =>
          Buffer.from(await (await fetch(`${base}${file}`)).arrayBuffer()),
        ),
      );
      const jsGzipped = scripts.reduce((n, body) => n + gzipSync(body, { level: 9 }).length, 0);

      for (const [what, values] of Object.entries(timings)) {
        const p = percentiles(values);
        const gated = what.startsWith("overview") || what.startsWith("instances page");
        context.emit({
          scenario: "console",
          system: "partitura",
          store: "redis",
          size,
          value: p.p95,
          unit: `ms p95, ${what}`,
          better: "lower",
          lag: { p50: p.p50, p99: p.p99, max: p.max, samples: values.length },
          ...(gated ? { target: { text: `p95 <= ${PAGE_TARGET_MS} ms`, met: p.p95 <= PAGE_TARGET_MS } } : {}),
          details: {
            partitions: PARTITIONS,
            samples: values.length,
            p95Ms: p.p95,
            jsGzippedBytes: jsGzipped,
          },
        });
      }
      context.emit({
        scenario: "console",
        system: "partitura",
        store: "redis",
        size,
        value: jsGzipped,
        unit: "bytes of JavaScript, gzipped",
        better: "lower",
        target: { text: `<= ${JS_TARGET_BYTES} bytes`, met: jsGzipped <= JS_TARGET_BYTES },
        details: { files: `${STATIC.htmx} ${STATIC.live}` },
      });
    } finally {
      client?.close();
      await server?.stop();
      await target.cleanup();
    }
  },
};

/** A console without tokens hands out a session cookie on the first page. */
async function sessionCookie(base: string): Promise<string> {
  const response = await fetch(`${base}/tasks`);
  await response.text();
  const set = response.headers.get("set-cookie") ?? "";
  return set.split(";")[0] ?? "";
}

/** Nearest-rank percentiles of a few timings, ms rounded to 0.1. */
function percentiles(values: readonly number[]): { p50: number; p95: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    round1(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round1(sorted[sorted.length - 1] ?? 0) };
}
