import { pino } from "pino";
import { startApp } from "./app.ts";
import { type Config, ConfigError, loadConfig, usage } from "./config.ts";
import { systemClock } from "./domain/clock.ts";
import { toError } from "./domain/errors.ts";

/*
 * The process: config, then the app (src/app.ts assembles store, ownership, engine, scheduling
 * and server). SIGTERM or SIGINT starts a graceful stop; a second signal exits at once, for the
 * operator who will not wait.
 */

if (process.argv.includes("--help")) {
  process.stdout.write(`${usage()}\n`);
  process.exit(0);
}

let config: Config;
try {
  config = loadConfig();
} catch (thrown) {
  if (!(thrown instanceof ConfigError)) throw thrown;
  process.stderr.write(`partitura: bad configuration: ${thrown.message}\n`);
  process.exit(2);
}

const logger = pino({ level: config.logLevel, base: { service: "partitura", replica: config.replicaId } });

try {
  const server = await startApp({ config, clock: systemClock, logger });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    logger.info({ signal }, "signal: stopping gracefully (send again to force)");
    server.stop().then(
      () => process.exit(0),
      (thrown: unknown) => {
        logger.fatal({ err: toError(thrown) }, "graceful stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
} catch (thrown) {
  logger.fatal({ err: toError(thrown) }, `cannot start: ${toError(thrown).message}`);
  process.exit(1);
}
