import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";

/** TLS settings: PEM contents or file paths. No `ca` means the system's roots. */
export interface TlsOptions {
  /** PEM of the CA that signed the server's certificate (or a path to it). */
  readonly ca?: string | Buffer;
  /** Client certificate and key for mutual TLS (PEM or paths). */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Overrides the name checked against the server certificate. */
  readonly serverName?: string;
}

/** How the SDK reaches a Partitura server. */
export interface ConnectionOptions {
  /** host:port of a Partitura server. */
  readonly address: string;
  /** `true` for TLS with the system's roots, or the TLS settings. Default: plaintext. */
  readonly tls?: boolean | TlsOptions;
  /** Sent as `authorization: Bearer TOKEN` on every call. */
  readonly token?: string;
  /** Ready-made channel credentials; they win over `tls`. */
  readonly credentials?: grpc.ChannelCredentials;
}

function pem(value: string | Buffer | undefined): Buffer | null {
  if (value === undefined) return null;
  if (Buffer.isBuffer(value)) return value;
  return value.includes("-----BEGIN") ? Buffer.from(value) : readFileSync(value);
}

/** The channel credentials and grpc-js channel options `options` ask for. */
export function channelOf(options: ConnectionOptions): {
  credentials: grpc.ChannelCredentials;
  channelOptions: grpc.ChannelOptions;
} {
  if (options.credentials) return { credentials: options.credentials, channelOptions: {} };
  if (options.tls === undefined || options.tls === false) {
    return { credentials: grpc.credentials.createInsecure(), channelOptions: {} };
  }
  const tls = options.tls === true ? {} : options.tls;
  return {
    credentials: grpc.credentials.createSsl(pem(tls.ca), pem(tls.key), pem(tls.cert)),
    channelOptions: tls.serverName ? { "grpc.ssl_target_name_override": tls.serverName } : {},
  };
}

/**
 * The metadata every call carries. The token goes in per call rather than as call credentials:
 * grpc-js refuses call credentials on a plaintext channel, and a token over plaintext to a
 * local server is a legitimate development setup.
 */
export function metadataOf(options: ConnectionOptions): () => grpc.Metadata {
  const token = options.token;
  return () => {
    const metadata = new grpc.Metadata();
    if (token) metadata.set("authorization", `Bearer ${token}`);
    return metadata;
  };
}
