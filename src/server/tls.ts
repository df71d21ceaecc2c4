import { createSecureContext } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import { ErrorCode, PartituraError, toError } from "../domain/errors.ts";

/*
 * TLS for the gRPC port, reloaded without a restart. grpc-js 1.14 supports this through its
 * experimental certificate-provider API: `createCertificateProviderServerCredentials` takes a
 * CertificateProvider, and every listener the server binds calls `setSecureContext` on its
 * HTTP/2 server whenever the provider reports new files. The stock FileWatcherCertificateProvider
 * re-reads the files every `refreshMs`; we put a checking provider in front of it, so a rotation
 * caught half-way (a new certificate beside the old key) keeps the last good pair instead of
 * leaving the port with no certificate until the next read. Connections already open keep
 * the certificate they were made with; new ones see the new one.
 */

/** Where the server's certificate, its key and (for mutual TLS) the client CA live. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** With it, clients must present a certificate signed by this CA (mutual TLS). */
  readonly clientCaFile?: string | undefined;
  /** How often the files are read again. */
  readonly refreshMs: number;
}

/** Server credentials that follow the files, and a promise that settles once they are loaded. */
export interface ReloadingCredentials {
  readonly credentials: grpc.ServerCredentials;
  /** Resolves when the first valid certificate is in place; rejects when none loads in time. */
  readonly loaded: Promise<void>;
}

type Identity = grpc.experimental.IdentityCertificateUpdate;
type Ca = grpc.experimental.CaCertificateUpdate;

/**
 * A CertificateProvider that forwards the files' contents only when they form a usable
 * context, keeping the last good ones otherwise. Logs what failed, never the key.
 */
class CheckedProvider implements grpc.experimental.CertificateProvider {
  private identity: Identity | undefined;
  private ca: Ca | undefined;
  private readonly identityListeners = new Set<grpc.experimental.IdentityCertificateUpdateListener>();
  private readonly caListeners = new Set<grpc.experimental.CaCertificateUpdateListener>();
  private latestIdentity: Identity | undefined;
  private latestCa: Ca | undefined;
  private onFirst: (() => void) | undefined;

  constructor(
    private readonly files: grpc.experimental.FileWatcherCertificateProvider,
    private readonly wantCa: boolean,
    private readonly logger: Logger,
    onFirst: () => void,
  ) {
    this.onFirst = onFirst;
  }

  private readonly onIdentity = (update: Identity | null): void => {
    if (update !== null) this.latestIdentity = update;
    this.check(update === null ? "the certificate or key file cannot be read" : undefined);
  };

  private readonly onCa = (update: Ca | null): void => {
    if (update !== null) this.latestCa = update;
    this.check(update === null ? "the client CA file cannot be read" : undefined);
  };

  private check(unreadable: string | undefined): void {
    if (unreadable !== undefined) {
      this.logger.warn({}, `TLS reload: ${unreadable}; keeping the last good certificate`);
      return;
    }
    const identity = this.latestIdentity;
    const ca = this.latestCa;
    if (identity === undefined || (this.wantCa && ca === undefined)) return;
    if (this.identity !== undefined && sameBytes(identity, this.identity) && sameCa(ca, this.ca)) return;
    try {
      createSecureContext({
        cert: identity.certificate,
        key: identity.privateKey,
        ...(ca === undefined ? {} : { ca: ca.caCertificate }),
      });
    } catch (thrown) {
      this.logger.warn(
        { reason: toError(thrown).message },
        "TLS reload: the files do not form a usable certificate (yet); keeping the last good one",
      );
      return;
    }
    const changed = this.identity !== undefined;
    this.identity = identity;
    this.ca = ca;
    if (changed) this.logger.info("TLS certificate reloaded");
    for (const listener of this.identityListeners) listener(identity);
    if (ca !== undefined) for (const listener of this.caListeners) listener(ca);
    this.onFirst?.();
    this.onFirst = undefined;
  }

  addIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    if (this.identity !== undefined) {
      const identity = this.identity;
      process.nextTick(() => listener(identity));
    }
    this.follow();
  }

  removeIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
    this.unfollow();
  }

  addCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    if (this.ca !== undefined) {
      const ca = this.ca;
      process.nextTick(() => listener(ca));
    }
    this.follow();
  }

  removeCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
    this.unfollow();
  }

  private following = false;

  /** Starts reading the files (the stock provider reads while anyone listens). */
  follow(): void {
    if (this.following) return;
    this.following = true;
    this.files.addIdentityCertificateListener(this.onIdentity);
    if (this.wantCa) this.files.addCaCertificateListener(this.onCa);
  }

  private unfollow(): void {
    if (!this.following || this.identityListeners.size > 0 || this.caListeners.size > 0) return;
    this.following = false;
    this.files.removeIdentityCertificateListener(this.onIdentity);
    if (this.wantCa) this.files.removeCaCertificateListener(this.onCa);
  }

  /** Stops reading the files (the server's listeners also detach when it closes). */
  stop(): void {
    this.identityListeners.clear();
    this.caListeners.clear();
    this.unfollow();
  }
}

function sameCa(a: Ca | undefined, b: Ca | undefined): boolean {
  return a === undefined ? b === undefined : b !== undefined && a.caCertificate.equals(b.caCertificate);
}

function sameBytes(a: Identity, b: Identity | undefined): boolean {
  return b !== undefined && a.certificate.equals(b.certificate) && a.privateKey.equals(b.privateKey);
}

/**
 * Credentials for `server.bindAsync` that serve the certificate in `files` and follow changes
 * to them. `stop()` ends the file reads (call it on shutdown).
 */
export function reloadingCredentials(
  files: TlsFiles,
  logger: Logger,
): ReloadingCredentials & { stop(): void } {
  const watcher = new grpc.experimental.FileWatcherCertificateProvider({
    certificateFile: files.certFile,
    privateKeyFile: files.keyFile,
    ...(files.clientCaFile === undefined ? {} : { caCertificateFile: files.clientCaFile }),
    refreshIntervalMs: files.refreshMs,
  });
  let first: () => void = () => {};
  const loaded = new Promise<void>((resolve) => {
    first = resolve;
  });
  const provider = new CheckedProvider(watcher, files.clientCaFile !== undefined, logger, () => first());
  // grpc-js names the parameters (ca, identity) but passes them on as (identity, ca): the
  // first argument is the identity provider. With a client CA, a client certificate is required.
  const credentials = grpc.experimental.createCertificateProviderServerCredentials(
    provider,
    files.clientCaFile === undefined ? null : provider,
    files.clientCaFile !== undefined,
  );
  provider.follow();
  const timeoutMs = Math.max(5_000, 2 * files.refreshMs);
  let timer: NodeJS.Timeout | undefined;
  const inTime = Promise.race([
    loaded,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new PartituraError(
              ErrorCode.Unavailable,
              `TLS: no usable certificate in ${files.certFile} / ${files.keyFile}${
                files.clientCaFile === undefined ? "" : ` / ${files.clientCaFile}`
              } after ${timeoutMs} ms (PARTITURA_TLS_CERT, PARTITURA_TLS_KEY, PARTITURA_TLS_CLIENT_CA)`,
            ),
          ),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  return { credentials, loaded: inTime, stop: () => provider.stop() };
}
