import type { IncomingMessage, ServerResponse } from "node:http";
import { CONSOLE_MAX_BODY_BYTES } from "../domain/limits.ts";
import type { SafeHtml } from "./html.ts";

/*
 * Small request and response helpers of the console: the security headers every answer
 * carries, HTML and redirect answers, and the bounded reading of a form body.
 */

/** Headers on every answer: no framing, no sniffing, scripts and styles from this origin only. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

/** A body too large or not a form. */
export class BodyError extends Error {
  override readonly name = "BodyError";
}

/** Sends an HTML document. */
export function sendHtml(
  response: ServerResponse,
  status: number,
  body: SafeHtml,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8", ...headers });
  response.end(body.text);
}

/** Sends a 303 See Other (after a change, so a reload does not post again). */
export function redirect(
  response: ServerResponse,
  location: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(303, { ...SECURITY_HEADERS, location, ...headers });
  response.end();
}

/** Reads an application/x-www-form-urlencoded body of at most CONSOLE_MAX_BODY_BYTES. */
export async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const type = request.headers["content-type"] ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) {
    throw new BodyError("a change must be posted as application/x-www-form-urlencoded");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > CONSOLE_MAX_BODY_BYTES)
      throw new BodyError(`a form body must be at most ${CONSOLE_MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** A local path to go back to after login (never another origin). */
export function localPath(next: string | null | undefined): string {
  if (
    next === null ||
    next === undefined ||
    !next.startsWith("/") ||
    next.startsWith("//") ||
    next.includes("\\")
  ) {
    return "/";
  }
  return next;
}
