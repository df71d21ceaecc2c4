import * as grpc from "@grpc/grpc-js";
import type { Access } from "./roles.ts";
import type { TokenTable } from "./tokens.ts";

/*
 * A grpc-js 1.14 server interceptor (ServerOptions.interceptors) that checks the bearer token
 * before the handler starts: a refused call is answered from its metadata, its request is
 * never read and no handler runs, so nothing it asked for can change anything.
 */

const BEARER = /^Bearer ([\x21-\x7e]+)$/i;

/** Why a call is refused, or undefined when it may go on. Exported for tests of the rules. */
export function refusal(
  access: Access | undefined,
  authorization: readonly (string | Buffer)[],
  tokens: TokenTable,
  path: string,
): { code: grpc.status; details: string } | undefined {
  if (access === "open") return undefined;
  if (authorization.length === 0) {
    return {
      code: grpc.status.UNAUTHENTICATED,
      details: "missing credentials: send metadata authorization: Bearer TOKEN",
    };
  }
  const header = authorization.length === 1 ? authorization[0] : undefined;
  const match = typeof header === "string" ? BEARER.exec(header) : null;
  const token = match?.[1];
  if (token === undefined) {
    return {
      code: grpc.status.UNAUTHENTICATED,
      details: "malformed credentials: send exactly one metadata authorization: Bearer TOKEN",
    };
  }
  const identity = tokens.identify(token);
  if (identity === undefined) return { code: grpc.status.UNAUTHENTICATED, details: "unknown bearer token" };
  // A path no table knows (it cannot be routed here today) is for admins only: fail closed.
  const allowed = access ?? ["admin"];
  if (allowed.some((role) => identity.roles.has(role))) return undefined;
  return {
    code: grpc.status.PERMISSION_DENIED,
    details: `${path} needs one of the roles ${allowed.join(", ")}; this token has ${[...identity.roles].join(", ")}`,
  };
}

/** The interceptor: `access` by gRPC path, `tokens` the accepted tokens. */
export function authInterceptor(
  access: ReadonlyMap<string, Access>,
  tokens: TokenTable,
): grpc.ServerInterceptor {
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, pass) {
            const refused = refusal(
              access.get(method.path),
              metadata.get("authorization"),
              tokens,
              method.path,
            );
            if (refused === undefined) pass(metadata);
            else call.sendStatus(refused);
          },
        });
      },
    });
}
