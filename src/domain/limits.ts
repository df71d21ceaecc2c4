/*
 * Numeric bounds of Partitura, one place for handlers, engine and docs (issue 9). Constants
 * that still live elsewhere are moved here by the lead.
 */

/** Struct and ListValue nesting allowed in args and default_args (what stock parsers read). */
export const MAX_ARGS_DEPTH = 32;

/** The largest reply a unary call may send: a stock gRPC client's default receive limit. */
export const MAX_REPLY_BYTES = 4 * 1024 * 1024;
