import { invalid } from "../../domain/errors.ts";

/*
 * A listing cursor over one Redis hash: HSCAN's own cursor, and how many entries of the reply
 * at that cursor were already answered. HSCAN may answer more entries than a page holds (a
 * small hash in listpack encoding answers all of them at once; a bucket holds several), so a
 * page can end inside a reply; the next page asks for the same HSCAN cursor again and skips
 * what was answered. Text form "<hscan cursor>:<skip>", carried opaquely in page tokens.
 */

/** Where a listing goes on in a hash. */
export interface HashCursor {
  /** HSCAN's cursor (an unsigned 64-bit number, kept as its decimal text). */
  readonly scan: string;
  /** Entries of the reply at `scan` already answered. */
  readonly skip: number;
}

/** The start of a hash. */
export const HASH_START: HashCursor = { scan: "0", skip: 0 };

const CURSOR_TEXT = /^(0|[1-9][0-9]{0,19}):(0|[1-9][0-9]{0,8})$/;

/** The text a page answers as its cursor. */
export function formatHashCursor(cursor: HashCursor): string {
  return `${cursor.scan}:${cursor.skip}`;
}

/** Parses a cursor this adapter issued; INVALID_ARGUMENT (page_token) for anything else. */
export function parseHashCursor(text: string | undefined): HashCursor {
  if (text === undefined) return HASH_START;
  const match = CURSOR_TEXT.exec(text);
  if (match === null || BigInt(match[1] ?? "") >= 2n ** 64n) {
    throw invalid("page_token", "is not a token this server issued for this request");
  }
  return { scan: match[1] ?? "0", skip: Number(match[2]) };
}
