import { invalid } from "../domain/errors.ts";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../domain/limits.ts";

/** The page size a request asked for, with 0 meaning the default and large values capped. */
export function pageSize(requested: number): number {
  if (requested <= 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}

/*
 * Page tokens are opaque to clients: base64url of a small JSON object. Each carries the
 * request it belongs to (`scope`: the task, and the partition filter), so a token replayed
 * against another task is refused rather than silently skipping data.
 */

/**
 * Where the next page starts in `partition`: `after` is the store's cursor there (for tasks, the
 * last name), or undefined for its start.
 */
export interface PagePosition {
  readonly partition: number;
  readonly after: string | undefined;
}

/** Encodes a position for `next_page_token`. */
export function encodePageToken(scope: string, position: PagePosition): string {
  const body = { s: scope, p: position.partition, a: position.after ?? null };
  return Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
}

/** Decodes a `page_token` ("" = the first page); INVALID_ARGUMENT when it is not ours. */
export function decodePageToken(scope: string, token: string): PagePosition {
  if (token === "") return { partition: 0, after: undefined };
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    // A token that is not our JSON is a client error, reported below like any other bad token.
    body = undefined;
  }
  if (
    typeof body === "object" &&
    body !== null &&
    "s" in body &&
    "p" in body &&
    "a" in body &&
    body.s === scope &&
    Number.isSafeInteger(body.p) &&
    (body.p as number) >= 0 &&
    (typeof body.a === "string" || body.a === null)
  ) {
    return { partition: body.p as number, after: body.a ?? undefined };
  }
  throw invalid("page_token", "is not a token this server issued for this request");
}
