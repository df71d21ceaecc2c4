import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import * as grpc from "@grpc/grpc-js";

/*
 * Typed grpc-js clients built from the generated descriptors (protobuf-es has no grpc-js
 * generator): unary methods return promises, server-streaming methods return the grpc-js
 * stream, bidi methods the duplex stream. Requests take protobuf-es init shapes (plain objects).
 */

type In<M> = M extends { input: infer I extends DescMessage } ? I : never;
type Out<M> = M extends { output: infer O extends DescMessage } ? O : never;

/** A client with one method per rpc of `S`. */
export type ClientOf<S extends GenServiceMethods> = {
  [K in keyof S]: S[K] extends { methodKind: "unary" }
    ? (request?: MessageInitShape<In<S[K]>>, options?: grpc.CallOptions) => Promise<MessageShape<Out<S[K]>>>
    : S[K] extends { methodKind: "server_streaming" }
      ? (
          request?: MessageInitShape<In<S[K]>>,
          options?: grpc.CallOptions,
        ) => grpc.ClientReadableStream<MessageShape<Out<S[K]>>>
      : S[K] extends { methodKind: "bidi_streaming" }
        ? (
            options?: grpc.CallOptions,
          ) => grpc.ClientDuplexStream<MessageShape<In<S[K]>>, MessageShape<Out<S[K]>>>
        : never;
} & {
  /** The underlying grpc-js client (for waitForReady, channel state). */
  readonly raw: grpc.Client;
  close(): void;
};

/** Unary calls fail after this long unless the caller sets a deadline: a hung server fails a call instead of hanging it. */
const DEFAULT_DEADLINE_MS = 30_000;

/** Extra settings of makeClient. */
export interface RpcOptions {
  /** The metadata each call starts from (a bearer token, say). */
  readonly metadata?: () => grpc.Metadata;
  readonly channelOptions?: grpc.ChannelOptions;
  /** Deadline of unary calls that set none. Default 30 s. */
  readonly deadlineMs?: number;
}

/**
 * A typed client of `service` at `address` (host:port); plaintext unless `credentials` says
 * otherwise.
 */
export function makeClient<S extends GenServiceMethods>(
  service: GenService<S>,
  address: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  rpc: RpcOptions = {},
): ClientOf<S> {
  const raw = new grpc.Client(address, credentials, rpc.channelOptions ?? {});
  const metadata = rpc.metadata ?? (() => new grpc.Metadata());
  const deadlineMs = rpc.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const client: Record<string, unknown> = { raw, close: () => raw.close() };
  for (const method of service.methods) {
    const path = `/${service.typeName}/${method.name}`;
    const serialize = (value: MessageShape<DescMessage>) => Buffer.from(toBinary(method.input, value));
    const deserialize = (bytes: Buffer) => fromBinary(method.output, bytes);
    const build = (init: MessageInitShape<DescMessage> | undefined) =>
      create(method.input, init as MessageInitShape<typeof method.input>);
    switch (method.methodKind) {
      case "unary":
        client[method.localName] = (init?: MessageInitShape<DescMessage>, options?: grpc.CallOptions) =>
          new Promise((resolve, reject) => {
            raw.makeUnaryRequest(
              path,
              serialize,
              deserialize,
              build(init),
              metadata(),
              { deadline: Date.now() + deadlineMs, ...options },
              (error, response) => (error ? reject(error) : resolve(response)),
            );
          });
        break;
      case "server_streaming":
        client[method.localName] = (init?: MessageInitShape<DescMessage>, options?: grpc.CallOptions) =>
          raw.makeServerStreamRequest(path, serialize, deserialize, build(init), metadata(), options ?? {});
        break;
      case "bidi_streaming":
        client[method.localName] = (options?: grpc.CallOptions) =>
          raw.makeBidiStreamRequest(path, serialize, deserialize, metadata(), options ?? {});
        break;
      default:
        throw new Error(`${path}: client streaming is not used by Partitura`);
    }
  }
  return client as ClientOf<S>;
}
