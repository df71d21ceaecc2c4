import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { MAX_TOKENS, MIN_TOKEN_LENGTH } from "../../domain/limits.ts";
import { ROLES, type Role } from "./roles.ts";

/*
 * The tokens file: a JSON array of `{"token": "...", "roles": [...]}` or, so that the file
 * holds no secret, `{"sha256": "<hex of sha256(token)>", "roles": [...]}`; an optional "name"
 * labels an entry in logs. Only digests are kept in memory. A presented token is hashed and
 * compared with every entry's digest by timingSafeEqual, all of them, so neither the
 * comparison nor the position of a match shows in the time taken. No message here ever
 * contains a token or a digest.
 */

/** One accepted token: its digest, its roles, and a label safe to log. */
interface Entry {
  readonly digest: Buffer;
  readonly roles: ReadonlySet<Role>;
  readonly name: string;
}

/** What a presented token is. */
export type Identity = { readonly name: string; readonly roles: ReadonlySet<Role> };

/** The tokens file could not be used; the message names the entry and the rule, never a secret. */
export class TokensFileError extends Error {
  override readonly name = "TokensFileError";
}

/** The set of accepted tokens. */
export class TokenTable {
  private constructor(private readonly entries: readonly Entry[]) {}

  /** How many tokens are accepted. */
  get size(): number {
    return this.entries.length;
  }

  /** Reads and checks a tokens file (PARTITURA_AUTH_TOKENS_FILE). */
  static fromFile(path: string): TokenTable {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (thrown) {
      const code = thrown instanceof Error && "code" in thrown ? String(thrown.code) : "unreadable";
      throw new TokensFileError(`PARTITURA_AUTH_TOKENS_FILE: cannot read ${path} (${code})`);
    }
    return TokenTable.fromJson(text, path);
  }

  /** Parses the file's text; `source` names it in errors. */
  static fromJson(text: string, source = "tokens"): TokenTable {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // JSON.parse's message quotes the text around the error, which may be a token.
      throw new TokensFileError(`${source}: must be valid JSON`);
    }
    if (!Array.isArray(parsed) || parsed.length === 0) {
      throw new TokensFileError(
        `${source}: must be a non-empty JSON array of {"token" or "sha256", "roles"}`,
      );
    }
    if (parsed.length > MAX_TOKENS)
      throw new TokensFileError(`${source}: must hold at most ${MAX_TOKENS} entries`);
    const entries = parsed.map((item: unknown, i) => entry(item, `${source}[${i}]`));
    const seen = new Set<string>();
    for (const [i, e] of entries.entries()) {
      const hex = e.digest.toString("hex");
      if (seen.has(hex)) throw new TokensFileError(`${source}[${i}]: the same token appears twice`);
      seen.add(hex);
    }
    return new TokenTable(entries);
  }

  /** The identity of a presented token, or undefined when no entry matches. Constant time per entry. */
  identify(token: string): Identity | undefined {
    const digest = sha256(token);
    let found: Entry | undefined;
    for (const e of this.entries) {
      // No early exit: every entry is compared whether or not one matched already.
      if (timingSafeEqual(digest, e.digest) && found === undefined) found = e;
    }
    return found === undefined ? undefined : { name: found.name, roles: found.roles };
  }
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

function entry(item: unknown, at: string): Entry {
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    throw new TokensFileError(`${at}: must be an object with "token" or "sha256" and "roles"`);
  }
  const record = item as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!["token", "sha256", "roles", "name"].includes(key)) {
      throw new TokensFileError(
        `${at}: unknown field "${key.slice(0, 40)}" (allowed: token, sha256, roles, name)`,
      );
    }
  }
  const { token, sha256: hex, roles, name } = record;
  if ((token === undefined) === (hex === undefined)) {
    throw new TokensFileError(`${at}: must have exactly one of "token" and "sha256"`);
  }
  let digest: Buffer;
  if (token !== undefined) {
    if (typeof token !== "string" || token.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) {
      throw new TokensFileError(
        `${at}.token: must be at least ${MIN_TOKEN_LENGTH} printable ASCII characters without spaces`,
      );
    }
    digest = sha256(token);
  } else {
    if (typeof hex !== "string" || !/^[0-9a-fA-F]{64}$/.test(hex)) {
      throw new TokensFileError(`${at}.sha256: must be 64 hex digits (sha256 of the token)`);
    }
    digest = Buffer.from(hex, "hex");
  }
  if (!Array.isArray(roles) || roles.length === 0) {
    throw new TokensFileError(`${at}.roles: must be a non-empty array of ${ROLES.join(", ")}`);
  }
  const set = new Set<Role>();
  for (const [j, role] of roles.entries()) {
    const known = ROLES.find((r) => r === role);
    if (known === undefined)
      throw new TokensFileError(`${at}.roles[${j}]: must be one of ${ROLES.join(", ")}`);
    set.add(known);
  }
  if (name !== undefined && (typeof name !== "string" || name.length > 200)) {
    throw new TokensFileError(`${at}.name: must be a string of at most 200 characters`);
  }
  return { digest, roles: set, name: typeof name === "string" ? name : at };
}
