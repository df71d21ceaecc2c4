import test from "ava";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/ts/grpc/health/v1/health_pb.ts";
import { ErrorCode, hasCode } from "../src/domain/errors.ts";
import { HealthService } from "../src/server/health-service.ts";
import { openRedisStore } from "../src/store/redis/open.ts";
import { taskRecord } from "./store-conformance/fixtures.ts";
import { startRedisServer } from "./support/redis-server.ts";
import { waitFor } from "./support/wait.ts";

/*
 * A Redis that stops answering without closing its socket (SIGSTOP): store calls fail fast
 * with UNAVAILABLE (the command timeout) instead of hanging, readiness goes NOT_SERVING while
 * the store does not answer, and both come back after SIGCONT.
 */

test("redis frozen: calls fail with UNAVAILABLE within the command timeout; readiness follows the store", async (t) => {
  const server = await startRedisServer();
  t.teardown(async () => {
    server.process?.kill("SIGCONT");
    await server.dispose();
  });
  const store = await openRedisStore(`${server.url}?ns=freeze&commandTimeoutMs=500`, { onError: () => {} });
  t.teardown(() => store.close());
  const health = new HealthService(store);
  t.teardown(() => health.close());
  await store.putTask(taskRecord("frozen"));
  t.is(health.status(""), ServingStatus.SERVING);

  server.process?.kill("SIGSTOP");
  const started = Date.now();
  const error = await t.throwsAsync(store.getTask("frozen"));
  const took = Date.now() - started;
  t.true(hasCode(error, ErrorCode.Unavailable), String(error?.message));
  t.log(`a call on the frozen Redis failed after ${took} ms`);
  t.true(took < 5_000, "it fails fast, not after the kernel gives up on the socket");
  t.true(
    await waitFor(() => health.status("") === ServingStatus.NOT_SERVING, 5_000),
    "readiness NOT_SERVING",
  );
  t.is(health.status("liveness"), ServingStatus.SERVING, "liveness stays SERVING");

  server.process?.kill("SIGCONT");
  t.true(await waitFor(() => health.status("") === ServingStatus.SERVING, 10_000), "readiness SERVING again");
  t.like(await store.getTask("frozen"), { name: "frozen" });
});
