import type { Database, Statement } from "better-sqlite3";
import { MEMBER_PRUNE_AFTER_MS } from "../../domain/limits.ts";
import type { LiveMember, MemberRecord } from "../../domain/member.ts";

/*
 * Membership on SQLite: a `members` table in the same file, for several processes sharing it.
 * The table is created here (IF NOT EXISTS) the first time membership is used, so a database
 * that never runs in membership mode does not change.
 */

interface Row {
  readonly id: string;
  readonly address: string;
  readonly started_at: number;
  readonly expires_at: number;
}

/** The membership statements of one database. */
export class SqliteMembers {
  readonly #upsert: Statement<[string, string, number, number]>;
  readonly #prune: Statement<[number]>;
  readonly #list: Statement<[number], Row>;
  readonly #remove: Statement<[string]>;

  constructor(db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS members (
      id TEXT PRIMARY KEY,
      address TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    )`);
    this.#upsert = db.prepare(
      `INSERT INTO members (id, address, started_at, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET address = excluded.address, started_at = excluded.started_at,
       expires_at = excluded.expires_at`,
    );
    this.#prune = db.prepare("DELETE FROM members WHERE expires_at < ?");
    this.#list = db.prepare<[number], Row>(
      "SELECT id, address, started_at, expires_at FROM members WHERE expires_at > ? ORDER BY id",
    );
    this.#remove = db.prepare("DELETE FROM members WHERE id = ?");
  }

  heartbeat(member: MemberRecord, ttlMs: number, now: number): void {
    this.#upsert.run(member.id, member.address, member.startedAt, now + ttlMs);
    this.#prune.run(now - MEMBER_PRUNE_AFTER_MS);
  }

  list(now: number): LiveMember[] {
    return this.#list.all(now).map((row) => ({
      id: row.id,
      address: row.address,
      startedAt: row.started_at,
      expiresAt: row.expires_at,
    }));
  }

  remove(id: string): void {
    this.#remove.run(id);
  }
}
