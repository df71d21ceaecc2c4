import { connect } from "node:http2";
import { ExecuteRequestSchema } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { encode, METHOD, RawClient } from "../lib/grpc-raw.ts";
import { benchTask, loadInstances, openBenchStore } from "../lib/load.ts";
import { sizesFor } from "../lib/options.ts";
import { rssMb } from "../lib/rss.ts";
import { profileDir, type Scenario, type ScenarioContext } from "../lib/scenario.ts";
import { startServerProcess } from "../lib/server-process.ts";
import { sleep } from "../lib/stats.ts";
import { prepareTarget } from "../lib/targets.ts";

/** 16 KB of args: one string field. */
function bigArgs(): Uint8Array {
  // google.protobuf.Struct { fields: { "p": string_value(16 KB) } }, encoded by hand once.
  const text = new TextEncoder().encode("x".repeat(16 * 1024));
  const value = [0x1a, ...varint(text.length)];
  const entryValue = [...value, ...text];
  const entry = [0x0a, 0x01, 0x70, 0x12, ...varint(entryValue.length), ...entryValue];
  const message = [0x0a, ...varint(entry.length), ...entry];
  return Uint8Array.from(message);
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/**
 * stalled-worker (issue 12): 20,000 due instances with 16 KB args and a 2 s lease, one worker
 * that opens an Execute stream and never reads it. Server RSS (from /proc) at the start, its
 * peak and at the end of the window. Bound: under 300 MB for 60 s.
 */
export const stalledWorkerScenario: Scenario = {
  name: "stalled-worker",
  summary: "server RSS with a never-reading worker, 20,000 due instances of 16 KB args",
  run: async (context: ScenarioContext) => {
    const { options } = context;
    for (const count of sizesFor(options, [20_000], [20_000])) {
      const target = await prepareTarget("sqlite", "stalled-worker", options);
      const store = await openBenchStore(target.url);
      const args = bigArgs();
      try {
        const task = { ...benchTask("stalled", 16), leaseMs: 2_000 };
        await store.putTask(task);
        const now = Date.now();
        await loadInstances(
          store,
          task,
          {
            count,
            schedule: () => ({ kind: "interval", intervalMs: 3_600_000 }),
            nextRunAt: () => now,
            args: () => args,
          },
          1_000,
          2,
        );
      } finally {
        await store.close();
      }
      const server = await startServerProcess({
        store: target.url,
        cpuProfDir: profileDir(options, "stalled-worker"),
      });
      const client = new RawClient(server.address);
      try {
        await client.ready();
        const start = rssMb(server.pid);
        /*
         * A raw HTTP/2 client that never reads: its paused stream sends no WINDOW_UPDATE, so
         * the bytes queue in the server (a grpc-js client would buffer them itself).
         */
        const session = connect(`http://${server.address}`, { settings: { initialWindowSize: 65_535 } });
        session.on("error", () => {});
        const call = session.request({
          ":method": "POST",
          ":path": METHOD.execute,
          "content-type": "application/grpc",
          te: "trailers",
        });
        call.on("error", () => {});
        const body = encode(ExecuteRequestSchema, { task: "stalled", maxInFlight: 1_000 });
        const header = Buffer.alloc(5);
        header.writeUInt32BE(body.length, 1);
        call.end(Buffer.concat([header, body]));
        call.pause();
        let peak = start;
        const windowS = options.durationS;
        for (let s = 0; s < windowS; s++) {
          await sleep(1000);
          peak = Math.max(peak, rssMb(server.pid));
        }
        const end = rssMb(server.pid);
        call.close();
        session.destroy();
        context.emit({
          scenario: "stalled-worker",
          system: "partitura",
          store: "sqlite",
          size: count,
          value: peak,
          unit: "MB peak RSS (server)",
          better: "lower",
          target: { text: "< 300 MB", met: peak < 300 },
          details: {
            rss_start_mb: start,
            rss_peak_mb: peak,
            rss_end_mb: end,
            window_s: windowS,
            args_bytes: args.length,
          },
        });
      } finally {
        client.close();
        await server.stop();
        await target.cleanup();
      }
    }
  },
};
