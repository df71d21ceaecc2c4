import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/*
 * The console's cookie and its CSRF defence. The cookie holds the bearer token (HttpOnly, so
 * page scripts never read it; SameSite=Strict, so other sites' requests do not carry it;
 * Secure when the console speaks TLS). Without tokens it holds a random session id instead,
 * so the CSRF token still differs per browser. The CSRF token of a session is an HMAC of the
 * cookie under a key made at process start: nothing to store, nothing that reveals the token,
 * and a restart invalidates every form. Every change checks it (hidden field) and the Origin.
 */

/** The cookie's name. */
export const COOKIE = "partitura_console";

/** Cookie parsing, CSRF tokens and origin checks for one console process. */
export class Sessions {
  readonly #key = randomBytes(32);

  constructor(private readonly secure: boolean) {}

  /** The cookie's value in a request, decoded; undefined when absent or malformed. */
  cookie(request: IncomingMessage): string | undefined {
    const header = request.headers.cookie;
    if (header === undefined) return undefined;
    for (const part of header.split(";")) {
      const eq = part.indexOf("=");
      if (eq < 0 || part.slice(0, eq).trim() !== COOKIE) continue;
      try {
        const value = decodeURIComponent(part.slice(eq + 1).trim());
        return value === "" ? undefined : value;
      } catch {
        // A cookie that is not valid percent-encoding was not set by us: treat it as absent.
        return undefined;
      }
    }
    return undefined;
  }

  /** A fresh random session id (for a console without tokens). */
  newSessionId(): string {
    return `s.${randomBytes(18).toString("base64url")}`;
  }

  /** The Set-Cookie header storing `value` (a token or a session id). */
  setCookie(value: string): string {
    return `${COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict${this.secure ? "; Secure" : ""}`;
  }

  /** The Set-Cookie header that removes the cookie. */
  clearCookie(): string {
    return `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${this.secure ? "; Secure" : ""}`;
  }

  /** The CSRF token forms of this session carry. */
  csrfToken(cookie: string): string {
    return createHmac("sha256", this.#key).update(cookie, "utf8").digest("base64url");
  }

  /** True when `presented` is this session's CSRF token (constant time). */
  csrfValid(cookie: string | undefined, presented: string | undefined): boolean {
    if (cookie === undefined || presented === undefined) return false;
    const expected = Buffer.from(this.csrfToken(cookie), "utf8");
    const given = Buffer.from(presented, "utf8");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /**
   * True when a change comes from the console's own pages: its Origin (or, when a browser
   * sent none, its Referer) is this console's scheme and Host. A change with neither is refused.
   */
  sameOrigin(request: IncomingMessage): boolean {
    const host = request.headers.host;
    if (host === undefined) return false;
    const own = `${this.secure ? "https" : "http"}://${host}`;
    const origin = request.headers.origin;
    if (origin !== undefined) return origin === own;
    const referer = request.headers.referer;
    return referer !== undefined && (referer === own || referer.startsWith(`${own}/`));
  }
}
