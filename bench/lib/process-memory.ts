import { createServer } from "node:net";

/*
 * Where a server process's memory goes, read from its own /metrics (prom-client's default
 * process and Node.js metrics), so a soak can tell a growing heap (live objects: a leak) from
 * a resident size that grew while the heap did not (V8 keeping pages it freed, a larger young
 * generation, buffers outside the heap).
 */

/** One reading, in MB. */
export interface MemoryReading {
  readonly rss: number;
  /** Live and not yet collected objects on the V8 heap. */
  readonly heapUsed: number;
  /** What V8 holds for its heap, used or not. */
  readonly heapTotal: number;
  /** The young generation's reserved size (its semi-spaces grow under allocation pressure). */
  readonly newSpace: number;
  /** Memory outside the V8 heap that JavaScript objects hold (Buffers, ArrayBuffers). */
  readonly external: number;
}

/** A free local TCP port for PARTITURA_METRICS_LISTEN (taken and released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const mb = (bytes: number | undefined) => Math.round(((bytes ?? 0) / 2 ** 20) * 10) / 10;

/** Reads the memory figures of the server whose metrics listen on `port`. */
export async function readMemory(port: number): Promise<MemoryReading> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  const values = new Map<string, number>();
  for (const line of (await response.text()).split("\n")) {
    if (line.startsWith("#") || line === "") continue;
    const space = line.lastIndexOf(" ");
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return {
    rss: mb(values.get("process_resident_memory_bytes")),
    heapUsed: mb(values.get("nodejs_heap_size_used_bytes")),
    heapTotal: mb(values.get("nodejs_heap_size_total_bytes")),
    newSpace: mb(values.get('nodejs_heap_space_size_total_bytes{space="new"}')),
    external: mb(values.get("nodejs_external_memory_bytes")),
  };
}
