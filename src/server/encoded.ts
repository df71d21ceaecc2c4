import type { DescMessage } from "@bufbuild/protobuf";

/*
 * The hot paths hand grpc-js bytes they encoded themselves instead of message objects. The
 * brand says which message the bytes are, so a handler's return type still names its output
 * message and bytes of one message cannot be returned for another; bind.ts's serializer sends
 * an Encoded as it is.
 */

declare const encodedMessage: unique symbol;

/** The protobuf encoding of a message of schema `D`, produced by a hand-written codec. */
export type Encoded<D extends DescMessage> = Buffer & { readonly [encodedMessage]: D["typeName"] };

/** Brands bytes a codec wrote as the encoding of `schema`'s message. */
export function encoded<D extends DescMessage>(_schema: D, bytes: Buffer): Encoded<D> {
  return bytes as Encoded<D>;
}

/** Whether a handler's answer is pre-encoded bytes rather than a message object. */
export function isEncoded(value: unknown): value is Encoded<DescMessage> {
  return Buffer.isBuffer(value);
}
