import Database from "better-sqlite3";
import { ErrorCode, PartituraError, toError } from "../../domain/errors.ts";

/*
 * Result codes (https://sqlite.org/rescode.html) that mean "the file cannot be used right now"
 * and may succeed on retry: another process holds the write lock past the busy timeout, the
 * disk is full or gone, the file is read-only or cannot be opened.
 */
const UNAVAILABLE = new Set([
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_IOERR",
  "SQLITE_FULL",
  "SQLITE_CANTOPEN",
  "SQLITE_READONLY",
  "SQLITE_PROTOCOL",
]);

/** The primary result code of an extended one: SQLITE_BUSY_SNAPSHOT -> SQLITE_BUSY. */
function primary(code: string): string {
  const second = code.indexOf("_", "SQLITE_".length);
  return second < 0 ? code : code.slice(0, second);
}

/**
 * Maps anything the SQLite driver threw during `operation` onto PartituraError, keeping the
 * driver's error as the cause for logs. A PartituraError passes through unchanged.
 */
export function mapSqliteError(thrown: unknown, operation: string): PartituraError {
  if (thrown instanceof PartituraError) return thrown;
  const error = toError(thrown);
  if (error instanceof Database.SqliteError) {
    const code = primary(error.code);
    if (UNAVAILABLE.has(code)) {
      return new PartituraError(
        ErrorCode.Unavailable,
        `sqlite ${operation}: ${error.code}: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    if (code === "SQLITE_CONSTRAINT") {
      // Unique keys are written with upserts, so a unique violation means a concurrent
      // writer won; other constraints (CHECK, NOT NULL) mean a value broke a column rule.
      const exists =
        error.code === "SQLITE_CONSTRAINT_PRIMARYKEY" || error.code === "SQLITE_CONSTRAINT_UNIQUE";
      return new PartituraError(
        exists ? ErrorCode.AlreadyExists : ErrorCode.InvalidArgument,
        `sqlite ${operation}: ${error.code}: ${error.message}`,
        { cause: error },
      );
    }
    return new PartituraError(ErrorCode.Internal, `sqlite ${operation}: ${error.code}: ${error.message}`, {
      cause: error,
    });
  }
  // better-sqlite3 throws a TypeError for a closed connection.
  if (error instanceof TypeError && /not open/.test(error.message)) {
    return new PartituraError(ErrorCode.Unavailable, `sqlite ${operation}: the store is closed`, {
      cause: error,
    });
  }
  return new PartituraError(ErrorCode.Internal, `sqlite ${operation}: ${error.message}`, { cause: error });
}
