import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import {
  DEFAULT_MAX_EXECUTE_STREAMS,
  DEFAULT_MAX_STREAMS_PER_CONNECTION,
  DEFAULT_TLS_REFRESH_MS,
} from "../domain/limits.ts";
import { authInterceptor } from "./auth/interceptor.ts";
import { accessByPath } from "./auth/roles.ts";
import { TokenTable } from "./auth/tokens.ts";
import { StreamCounter } from "./execute-stream-limit.ts";
import { reloadingCredentials } from "./tls.ts";

/*
 * Everything about who may reach the server and how much one client may take: the port's
 * credentials (plain or reloading TLS, mutual with a client CA), the bearer-token interceptor,
 * the per-connection stream bound and the per-server Execute stream counter. Read from the
 * config once; server.ts only plugs the parts in.
 */

/** The trust parts of one server. */
export interface Trust {
  /** grpc.Server options to merge into the server's own. */
  readonly serverOptions: grpc.ServerOptions;
  /** Credentials for bindAsync. */
  readonly credentials: grpc.ServerCredentials;
  /** Resolves when the credentials can serve (TLS: the first certificate loaded). */
  readonly ready: Promise<void>;
  /** Open Execute streams, bounded. */
  readonly executeStreams: StreamCounter;
  /** Whether server reflection is offered. */
  readonly reflection: boolean;
  /** Stops the certificate file reads. */
  stop(): void;
}

/** Builds the trust parts from the config; throws (naming the setting) on a bad tokens file. */
export function prepareTrust(config: Config, logger: Logger): Trust {
  const log = logger.child({ component: "trust" });
  const interceptors: grpc.ServerInterceptor[] = [];
  if (config.authTokensFile !== undefined) {
    const tokens = TokenTable.fromFile(config.authTokensFile);
    interceptors.push(authInterceptor(accessByPath(), tokens));
    log.info({ tokens: tokens.size }, "bearer tokens required (health and reflection stay open)");
    if (config.tlsCert === undefined) {
      log.warn(
        "bearer tokens are configured without TLS: tokens cross the network in clear text; set PARTITURA_TLS_CERT and PARTITURA_TLS_KEY",
      );
    }
  }
  const serverOptions: grpc.ServerOptions = {
    "grpc.max_concurrent_streams": config.maxStreamsPerConnection ?? DEFAULT_MAX_STREAMS_PER_CONNECTION,
    ...(interceptors.length === 0 ? {} : { interceptors }),
  };
  const executeStreams = new StreamCounter(config.maxExecuteStreams ?? DEFAULT_MAX_EXECUTE_STREAMS);
  const reflection = config.reflection ?? true;
  if (config.tlsCert === undefined || config.tlsKey === undefined) {
    return {
      serverOptions,
      credentials: grpc.ServerCredentials.createInsecure(),
      ready: Promise.resolve(),
      executeStreams,
      reflection,
      stop() {},
    };
  }
  const tls = reloadingCredentials(
    {
      certFile: config.tlsCert,
      keyFile: config.tlsKey,
      clientCaFile: config.tlsClientCa,
      refreshMs: config.tlsRefreshMs ?? DEFAULT_TLS_REFRESH_MS,
    },
    log,
  );
  log.info({ mutual: config.tlsClientCa !== undefined }, "TLS on the gRPC port");
  return {
    serverOptions,
    credentials: tls.credentials,
    ready: tls.loaded,
    executeStreams,
    reflection,
    stop: tls.stop,
  };
}
