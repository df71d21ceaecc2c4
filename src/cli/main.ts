import * as grpc from "@grpc/grpc-js";
import { toPartituraError } from "../sdk/errors.ts";
import { DEAD_LETTERS_HELP, deadLetters } from "./cmd-dead-letters.ts";
import { HISTORY_HELP, history } from "./cmd-history.ts";
import { INSTANCES_HELP, instances } from "./cmd-instances.ts";
import { LIFECYCLE_HELP, lifecycle } from "./cmd-lifecycle.ts";
import { NEXT_HELP, next } from "./cmd-next.ts";
import { TAIL_HELP, tail } from "./cmd-tail.ts";
import { TASK_HELP, task } from "./cmd-task.ts";
import { TRIGGER_HELP, trigger } from "./cmd-trigger.ts";
import { UsageError } from "./usage-error.ts";

/*
 * The `partitura` command line: a thin layer over the SDK Client. Exit codes follow the gRPC
 * status of the failed call (NOT_FOUND is 5, ...); 2 is a usage error (INVALID_ARGUMENT is
 * 3, so the two never meet).
 */

const HELP = `partitura COMMAND [flags]   (every command takes --help)
  serve                      run the server (configuration: partitura serve --help)
  task put|get|list|delete   define tasks
  schedule | unschedule | get | list | partitions   instances and the partition map
  pause | resume TASK NAME...  stop and restart instances (with a note; skip missed slots)
  dead-letters TASK | requeue | discard TASK NAME...   the dead-letter list of a retry policy
  trigger | backfill TASK NAME...   run instances now, or the slots of a past range
  history TASK NAME          an instance's recent runs
  tail TASK                  executions as they are delivered
  next --cron EXPR | --task T   the next slots of a cron (no server needed) or of an instance
Connection: --address (PARTITURA_ADDRESS, default 127.0.0.1:50051), --token (PARTITURA_TOKEN),
  --tls, --tls-ca, --tls-cert, --tls-key (PARTITURA_TLS_CA ...). Output: --output table|json|jsonl.

${TASK_HELP}

${INSTANCES_HELP}

${LIFECYCLE_HELP}

${DEAD_LETTERS_HELP}

${TRIGGER_HELP}

${HISTORY_HELP}

${TAIL_HELP}

${NEXT_HELP}`;

async function run(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${HELP}\n`);
      return command === undefined ? 2 : 0;
    case "serve":
      // The server reads its own flags and environment (src/config.ts) from process.argv.
      process.argv = [process.argv[0] ?? "node", "partitura", ...args];
      await import("../main.ts");
      return -1;
    case "task":
      await task(args);
      return 0;
    case "schedule":
    case "unschedule":
    case "get":
    case "list":
    case "partitions":
      return await instances(command, args);
    case "pause":
    case "resume":
      await lifecycle(command, args);
      return 0;
    case "dead-letters":
    case "requeue":
    case "discard":
      await deadLetters(command, args);
      return 0;
    case "trigger":
    case "backfill":
      return await trigger(command, args);
    case "history":
      await history(args);
      return 0;
    case "tail":
      await tail(args);
      return 0;
    case "next":
      await next(args);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}" (partitura --help lists them)`);
  }
}

try {
  const code = await run(process.argv.slice(2));
  if (code >= 0) process.exitCode = code;
} catch (thrown) {
  if (thrown instanceof UsageError) {
    process.stderr.write(`partitura: ${thrown.message}\n`);
    process.exitCode = 2;
  } else {
    const error = toPartituraError(thrown);
    process.stderr.write(`partitura: ${error.codeName}: ${error.details}\n`);
    process.exitCode = error.code === grpc.status.OK ? 1 : error.code;
  }
}
