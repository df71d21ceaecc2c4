/*
 * Where the console may listen. Without tokens anyone who reaches the port may change tasks,
 * so the console then binds to loopback only, unless PARTITURA_CONSOLE_ALLOW_REMOTE=true says
 * the operator put something else in front of it.
 */

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/** Why `listen` is refused, or undefined when the console may bind it. */
export function listenRefusal(listen: string, tokens: boolean, allowRemote: boolean): string | undefined {
  if (tokens || allowRemote) return undefined;
  const host = listen.slice(0, listen.lastIndexOf(":"));
  if (isLoopback(host)) return undefined;
  return (
    `PARTITURA_CONSOLE_LISTEN: "${listen}" is not a loopback address, and no PARTITURA_AUTH_TOKENS_FILE ` +
    "is set, so anyone reaching it could change tasks; listen on 127.0.0.1, configure tokens, " +
    "or set PARTITURA_CONSOLE_ALLOW_REMOTE=true"
  );
}
