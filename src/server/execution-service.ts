import type { Logger } from "pino";
import type { ExecutionService } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { ErrorCode, PartituraError } from "../domain/errors.ts";
import type { Engine } from "../engine/engine.ts";
import type { ServiceHandlers } from "./bind.ts";

/** The ExecutionService handlers (skeleton until the execution issue lands). */
export function executionHandlers(
  _engine: Engine,
  _logger: Logger,
): ServiceHandlers<typeof ExecutionService.method> {
  const unimplemented = async (): Promise<never> => {
    throw new PartituraError(ErrorCode.FailedPrecondition, "execution is not implemented yet");
  };
  return { execute: unimplemented, ack: unimplemented, extendLeases: unimplemented };
}
