import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import { clampMessage, ErrorCode, PartituraError, toError } from "../domain/errors.ts";
import type { Encoded } from "./encoded.ts";
import { isEncoded } from "./encoded.ts";

/*
 * protobuf-es generates descriptors but no grpc-js code, so this one adapter turns a generated
 * GenService plus plain async handlers into a grpc-js ServiceDefinition. Handlers throw
 * PartituraError; the status code is chosen here, at the edge, and only PartituraError
 * messages reach clients: anything else is logged and answered INTERNAL.
 */

type Req<M> = M extends { input: infer I extends DescMessage } ? MessageShape<I> : never;
type Res<M> = M extends { output: infer O extends DescMessage } ? MessageShape<O> : never;
/** A method's answer: a message, or its bytes written by a hand codec (./encoded.ts). */
type Answer<M> = M extends { output: infer O extends DescMessage } ? MessageShape<O> | Encoded<O> : never;

/** A unary handler. */
export type UnaryHandler<M> = (
  request: Req<M>,
  call: grpc.ServerUnaryCall<Req<M>, Res<M>>,
) => Promise<Answer<M>>;

/** A server-streaming handler: it writes through `call` and resolves when the stream ends. */
export type StreamHandler<M> = (
  request: Req<M>,
  call: grpc.ServerWritableStream<Req<M>, Answer<M>>,
) => Promise<void>;

/** A bidi-streaming handler (reflection): it owns the call until it ends it. */
export type DuplexHandler<M> = (call: grpc.ServerDuplexStream<Req<M>, Res<M>>) => void;

/** One handler per method of `S`, typed by the method kind. */
export type ServiceHandlers<S extends GenServiceMethods> = {
  [K in keyof S]: S[K] extends { methodKind: "unary" }
    ? UnaryHandler<S[K]>
    : S[K] extends { methodKind: "server_streaming" }
      ? StreamHandler<S[K]>
      : S[K] extends { methodKind: "bidi_streaming" }
        ? DuplexHandler<S[K]>
        : never;
};

const statusOf: Record<ErrorCode, grpc.status> = {
  [ErrorCode.InvalidArgument]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.NotFound]: grpc.status.NOT_FOUND,
  [ErrorCode.AlreadyExists]: grpc.status.ALREADY_EXISTS,
  [ErrorCode.FailedPrecondition]: grpc.status.FAILED_PRECONDITION,
  [ErrorCode.Unavailable]: grpc.status.UNAVAILABLE,
  [ErrorCode.Internal]: grpc.status.INTERNAL,
};

/**
 * Maps a thrown value to the error a client may see. Refusals (invalid argument, not found,
 * precondition) carry their message, which names the field and the rule. An INTERNAL error, or
 * an UNAVAILABLE one with a cause (a store driver's failure), is logged with its cause and
 * answered with a fixed text: driver messages can name hosts, accounts or tables.
 */
export function toServiceError(thrown: unknown, logger: Logger, method: string): Partial<grpc.ServiceError> {
  if (thrown instanceof PartituraError) {
    if (thrown.code === ErrorCode.Internal) {
      logger.error({ err: thrown.cause ?? thrown, method }, thrown.message);
      return { code: grpc.status.INTERNAL, details: "internal error; see the server log" };
    }
    if (thrown.code === ErrorCode.Unavailable && thrown.cause !== undefined) {
      logger.warn({ err: thrown.cause, method }, thrown.message);
      return { code: grpc.status.UNAVAILABLE, details: "the store is unavailable; retry later" };
    }
    const status = { code: statusOf[thrown.code], details: clampMessage(thrown.message) };
    return thrown.trailers === undefined ? status : { ...status, metadata: trailersOf(thrown.trailers) };
  }
  logger.error({ err: toError(thrown), method }, "unexpected error in handler");
  return { code: grpc.status.INTERNAL, details: "internal error; see the server log" };
}

function trailersOf(trailers: Readonly<Record<string, string>>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return metadata;
}

/**
 * Hand-written request readers by method (local name): each must return exactly what
 * protobuf-es `fromBinary` would (the Ack hot path), or throw a PartituraError refusing the
 * request before any handler runs.
 */
export type RequestDecoders<S extends GenServiceMethods> = {
  [K in keyof S]?: (bytes: Buffer) => Req<S[K]>;
};

/** The grpc-js definition and implementation of one generated service. */
export function bindService<S extends GenServiceMethods>(
  service: GenService<S>,
  handlers: ServiceHandlers<S>,
  logger: Logger,
  decoders: RequestDecoders<S> = {},
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const definition: Record<
    string,
    grpc.MethodDefinition<MessageShape<DescMessage>, MessageShape<DescMessage>>
  > = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods as DescMethod[]) {
    const path = `/${service.typeName}/${method.name}`;
    const decode = (decoders as Record<string, ((bytes: Buffer) => unknown) | undefined>)[method.localName];
    definition[method.localName] = {
      path,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: (value: MessageShape<DescMessage>) => Buffer.from(toBinary(method.input, value)),
      requestDeserialize: guarded(decode ?? ((bytes: Buffer) => fromBinary(method.input, bytes))),
      // A handler may hand over bytes it encoded itself (the Execute hot path).
      responseSerialize: (value: MessageShape<DescMessage>) =>
        isEncoded(value) ? value : Buffer.from(toBinary(method.output, value)),
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
      originalName: method.name,
    };
    const handler = (handlers as Record<string, unknown>)[method.localName];
    if (typeof handler !== "function") throw new Error(`no handler for ${path}`);
    implementation[method.localName] = adapt(method, handler, logger, path);
  }
  return { definition: definition as grpc.ServiceDefinition, implementation };
}

/*
 * A request grpc-js cannot hand to the handler. When a deserializer throws, grpc-js answers
 * INTERNAL "Error deserializing request" and logs nothing; so the deserializer returns this
 * instead, and the adapter answers INVALID_ARGUMENT (or the decoder's own refusal).
 */
class RefusedRequest {
  constructor(readonly thrown: unknown) {}
}

function guarded(decode: (bytes: Buffer) => unknown): (bytes: Buffer) => MessageShape<DescMessage> {
  return (bytes) => {
    try {
      return decode(bytes) as MessageShape<DescMessage>;
    } catch (thrown) {
      return new RefusedRequest(thrown) as unknown as MessageShape<DescMessage>;
    }
  };
}

/** The longest decoder message quoted in a "malformed request" answer. */
const MAX_MALFORMED_DETAIL = 100;

/** The status answering a refused request: the decoder's refusal, or "malformed request". */
function refusal(request: RefusedRequest, logger: Logger, path: string): Partial<grpc.ServiceError> {
  if (request.thrown instanceof PartituraError) return toServiceError(request.thrown, logger, path);
  const err = toError(request.thrown);
  logger.debug({ err, method: path }, "malformed request");
  // protobuf-es's messages name the rule broken, never the bytes; a stack overflow (a message
  // nested thousands deep) gets words of its own.
  const detail =
    err instanceof RangeError && /call stack/i.test(err.message)
      ? "messages nested too deeply"
      : err.message.slice(0, MAX_MALFORMED_DETAIL);
  return { code: grpc.status.INVALID_ARGUMENT, details: `malformed request: ${detail}` };
}

function adapt(method: DescMethod, handler: unknown, logger: Logger, path: string): grpc.UntypedHandleCall {
  switch (method.methodKind) {
    case "unary": {
      const h = handler as (req: unknown, call: grpc.ServerUnaryCall<unknown, unknown>) => Promise<unknown>;
      return (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        if (call.request instanceof RefusedRequest) {
          callback(refusal(call.request, logger, path));
          return;
        }
        h(call.request, call).then(
          (response) => callback(null, response),
          (thrown: unknown) => callback(toServiceError(thrown, logger, path)),
        );
      };
    }
    case "server_streaming": {
      const h = handler as (req: unknown, call: grpc.ServerWritableStream<unknown, unknown>) => Promise<void>;
      return (call: grpc.ServerWritableStream<unknown, unknown>) => {
        if (call.request instanceof RefusedRequest) {
          call.emit("error", refusal(call.request, logger, path));
          return;
        }
        h(call.request, call).then(
          () => {
            if (!call.writableEnded) call.end();
          },
          (thrown: unknown) => {
            // grpc-js sends a status for an "error" event; destroy() would end the stream
            // without one and leave the client waiting.
            if (!call.writableEnded) call.emit("error", toServiceError(thrown, logger, path));
          },
        );
      };
    }
    case "bidi_streaming": {
      const h = handler as (call: grpc.ServerDuplexStream<unknown, unknown>) => void;
      return (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        // A refused message ends the stream with its status before the handler sees it.
        const emit = call.emit.bind(call);
        call.emit = (event: string | symbol, ...args: unknown[]): boolean => {
          const [request] = args;
          if (event === "data" && request instanceof RefusedRequest) {
            return emit("error", refusal(request, logger, path));
          }
          return emit(event, ...args);
        };
        h(call);
      };
    }
    default:
      throw new Error(`${path}: client streaming is not used by Partitura`);
  }
}
