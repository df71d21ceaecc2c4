import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { create, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";

/*
 * A gRPC client that moves bytes: requests are encoded before a timed section starts and
 * responses are handed over undecoded, so the bench measures the server and not protobuf-es
 * running in the load generator (which shares the machine's two cores with it).
 */

const identity = (bytes: Buffer): Buffer => bytes;

/** Method paths of the Partitura services. */
export const METHOD = {
  putTask: "/partitura.v1.SchedulerService/PutTask",
  deleteTask: "/partitura.v1.SchedulerService/DeleteTask",
  schedule: "/partitura.v1.SchedulerService/Schedule",
  execute: "/partitura.v1.ExecutionService/Execute",
  ack: "/partitura.v1.ExecutionService/Ack",
} as const;

/** One channel to a server, speaking raw bytes. */
export class RawClient {
  readonly #client: grpc.Client;

  constructor(readonly address: string) {
    this.#client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      "grpc.max_send_message_length": 64 * 1024 * 1024,
    });
  }

  /**
   * One unary call with an encoded request; resolves with the encoded response. The deadline
   * keeps a hung server from hanging the bench.
   */
  unary(method: string, body: Buffer, timeoutMs = 60_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        method,
        identity,
        identity,
        body,
        { deadline: Date.now() + timeoutMs },
        (err, value) => {
          if (err) reject(err);
          else resolve(value ?? Buffer.alloc(0));
        },
      );
    });
  }

  /** Opens a server stream with an encoded request; each `data` event is one encoded message. */
  stream(method: string, body: Buffer): grpc.ClientReadableStream<Buffer> {
    return this.#client.makeServerStreamRequest(method, identity, identity, body);
  }

  /** Resolves once the channel is connected (or rejects after `timeoutMs`). */
  ready(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): void {
    this.#client.close();
  }
}

/** Encodes a message with protobuf-es (outside timed sections). */
export function encode<D extends DescMessage>(schema: D, init: MessageInitShape<D>): Buffer {
  return Buffer.from(toBinary(schema, create(schema, init)));
}
