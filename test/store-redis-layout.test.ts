import { readdirSync, readFileSync } from "node:fs";
import test from "ava";
import { MAX_PAUSE_NOTE_BYTES, MAX_REQUEST_ID_BYTES } from "../src/domain/limits.ts";
import type { InstanceRecord, LeaseRef } from "../src/domain/model.ts";
import { LEASE_CONDITION } from "../src/store/dynamodb/lease-writes.ts";
import {
  FORMAT_MASK,
  HEADER,
  MANUAL,
  MANUAL_FLAG,
  MAX_OWNER_BYTES,
  OWNER_OFFSET,
  PAUSE,
  RECORD_FORMAT,
  RECORD_FORMAT_PAUSED,
} from "../src/store/redis/record-codec.ts";
import { isLeased, leaseStatus } from "../src/store/transitions.ts";

/*
 * One rule, one statement (issue 9): the record header and the lease rules are stated in
 * TypeScript (record-codec.ts, transitions.ts) and, because Redis runs Lua, once more in
 * lua/common.lua; DynamoDB states lease liveness in a condition expression. This test reads
 * those sources and checks that each copy says what the TypeScript says, so changing one side
 * alone fails here. Every other script must use common.lua's pieces, never its own copy.
 */

const LUA_DIR = new URL("../src/store/redis/lua/", import.meta.url);
const common = readFileSync(new URL("common.lua", LUA_DIR), "utf8");
const scripts = readdirSync(LUA_DIR)
  .filter((file) => file.endsWith(".lua") && file !== "common.lua")
  .map((file) => ({ file, source: readFileSync(new URL(file, LUA_DIR), "utf8") }));

/** The value of `local NAME = value` in common.lua. */
function luaConstant(name: string): string {
  const match = new RegExp(`^local ${name} = ([^\\s-]+)`, "m").exec(common);
  if (match?.[1] === undefined) throw new Error(`common.lua has no constant ${name}`);
  return match[1];
}

/** The one-line body `return EXPR` of `local function NAME(...)` in common.lua. */
function luaReturn(name: string): string {
  const match = new RegExp(`local function ${name}\\([^)]*\\)\\s*return ([^\\n]+)\\s*end`).exec(common);
  if (match?.[1] === undefined) throw new Error(`common.lua has no one-line function ${name}`);
  return match[1].trim();
}

/** Sizes and signedness of a Lua struct format such as '<Bi6I4'. */
function structFields(format: string): { size: number; signed: boolean }[] {
  if (!format.startsWith("<")) throw new Error(`struct format ${format} is not little-endian`);
  const fields: { size: number; signed: boolean }[] = [];
  for (const [, code = "", digits] of format.slice(1).matchAll(/([bBhHiI])(\d*)/g)) {
    const defaults: Record<string, number> = { b: 1, B: 1, h: 2, H: 2, i: 4, I: 4 };
    const size = digits ? Number(digits) : (defaults[code] ?? 0);
    fields.push({ size, signed: code === code.toLowerCase() });
  }
  return fields;
}

/** A comparison `a OP b` between two named operands, as a predicate of their values. */
function comparison(text: string, left: string, right: string): (values: Record<string, number>) => boolean {
  const match = /^\s*([#:]?\w+)\s*(<=|>=|<|>)\s*([#:]?\w+)\s*$/.exec(text);
  if (!match) throw new Error(`not a comparison: ${text}`);
  const [, a = "", op, b = ""] = match;
  const names = new Set([left, right]);
  if (!names.has(a) || !names.has(b) || a === b)
    throw new Error(`${text} does not compare ${left} and ${right}`);
  return (values) => {
    const x = values[a] ?? Number.NaN;
    const y = values[b] ?? Number.NaN;
    return op === "<=" ? x <= y : op === ">=" ? x >= y : op === "<" ? x < y : x > y;
  };
}

/** lockedUntil values around `now`, where an off-by-one would show. */
const NOW = 1_000_000;
const AROUND = [NOW - 1, NOW, NOW + 1];

function record(lockedUntil: number, leaseOwner = "w"): InstanceRecord {
  return {
    task: "t",
    partition: 0,
    name: "n",
    partitionKey: "",
    schedule: { kind: "interval", intervalMs: 1_000 },
    args: new Uint8Array(),
    nextRunAt: 0,
    lockedUntil,
    version: 3,
    incarnation: 7,
    attempt: 1,
    createdAt: 0,
    partitionCount: 1,
    leaseOwner,
  };
}
const LEASE: LeaseRef = { task: "t", partition: 0, name: "n", version: 3, incarnation: 7 };

test("common.lua's record header is record-codec.ts's HEADER: format, order, offsets, sizes", (t) => {
  t.is(Number(luaConstant("RECORD_FORMAT")), RECORD_FORMAT, "the format byte");
  const format = luaConstant("HEADER").replace(/^'|'$/g, "");
  const fields = Object.values(HEADER);
  t.deepEqual(
    structFields(format),
    fields.map(({ size, signed }) => ({ size, signed })),
    `HEADER '${format}' packs the fields of record-codec.ts's HEADER, in order`,
  );
  let offset = 0;
  for (const [name, field] of Object.entries(HEADER)) {
    t.is(field.offset as number, offset, `${name} follows the field before it`);
    offset += field.size;
  }
  t.is(Number(luaConstant("OWNER_AT")), OWNER_OFFSET + 1, "OWNER_AT is the owner length byte, 1-based");
  t.is(MAX_OWNER_BYTES, 2 ** (8 * HEADER.ownerLength.size) - 1, "the longest owner fits its length byte");
  t.is(
    Number(luaConstant("MAX_ATTEMPT")),
    2 ** (8 * HEADER.attempt.size) - 1,
    "attempt saturates at its size",
  );
  t.is(Number(luaConstant("VERSION_MODULUS")), 2 ** (8 * HEADER.version.size), "version wraps at its size");

  // The one struct.pack of a header names the fields in record-codec.ts's order.
  const pack = /struct\.pack\(HEADER, ([^)]*)\)/.exec(common)?.[1];
  const luaNames: Record<string, string> = {
    RECORD_FORMAT: "format",
    next_run: "nextRunAt",
    locked: "lockedUntil",
    version: "version",
    attempt: "attempt",
    incarnation: "incarnation",
    created: "createdAt",
    "#owner": "ownerLength",
  };
  t.deepEqual(
    pack?.split(",").map((arg) => luaNames[arg.trim()] ?? arg.trim()),
    Object.keys(HEADER),
    "pack_record packs the fields in HEADER's order",
  );
  t.is([...common.matchAll(/struct\.pack\(HEADER/g)].length, 1, "common.lua packs a header in one place");
});

test("common.lua's pause section is record-codec.ts's PAUSE: format byte, fields, sizes", (t) => {
  t.is(Number(luaConstant("RECORD_FORMAT_PAUSED")), RECORD_FORMAT_PAUSED, "the paused format byte");
  t.not(RECORD_FORMAT_PAUSED, RECORD_FORMAT);
  const format = luaConstant("PAUSE").replace(/^'|'$/g, "");
  const fields = Object.values(PAUSE);
  t.deepEqual(
    structFields(format),
    fields.map(({ size, signed }) => ({ size, signed })),
    `PAUSE '${format}' packs the fields of record-codec.ts's PAUSE, in order`,
  );
  let offset = 0;
  for (const [name, field] of Object.entries(PAUSE)) {
    t.is(field.offset as number, offset, `${name} follows the field before it`);
    offset += field.size;
  }
  t.is(Number(luaConstant("PAUSE_FIXED")), offset, "PAUSE_FIXED is the fixed part's size");
  t.true(MAX_PAUSE_NOTE_BYTES < 2 ** (8 * PAUSE.noteLength.size), "the longest note fits its length field");
  t.is(
    [...common.matchAll(/struct\.pack\(PAUSE/g)].length,
    1,
    "common.lua packs a pause section in one place",
  );
});

test("common.lua's manual section is record-codec.ts's MANUAL: flag, fields, sizes", (t) => {
  t.is(Number(luaConstant("MANUAL_FLAG")), MANUAL_FLAG, "the manual flag bit");
  t.is(Number(luaConstant("FORMAT_MASK")), FORMAT_MASK, "the format bits");
  t.is(MANUAL_FLAG & FORMAT_MASK, 0, "the flag is outside the format bits");
  const format = luaConstant("MANUAL").replace(/^'|'$/g, "");
  t.deepEqual(
    structFields(format),
    Object.values(MANUAL).map(({ size, signed }) => ({ size, signed })),
    `MANUAL '${format}' packs the fields of record-codec.ts's MANUAL, in order`,
  );
  let offset = 0;
  for (const [name, field] of Object.entries(MANUAL)) {
    t.is(field.offset as number, offset, `${name} follows the field before it`);
    offset += field.size;
  }
  t.is(Number(luaConstant("MANUAL_FIXED")), offset, "MANUAL_FIXED is the fixed part's size");
  t.true(
    MAX_REQUEST_ID_BYTES < 2 ** (8 * MANUAL.idLength.size),
    "the longest request id fits its length field",
  );
  t.is(
    [...common.matchAll(/struct\.pack\(MANUAL/g)].length,
    1,
    "common.lua packs a manual section in one place",
  );
});

test("no script but common.lua states the header or a lease rule", (t) => {
  t.true(scripts.length >= 6, "the scripts were found");
  for (const { file, source } of scripts) {
    const code = source.replace(/--\[\[[\s\S]*?\]\]|--[^\n]*/g, "");
    for (const own of [
      "HEADER",
      "OWNER_AT",
      "RECORD_FORMAT",
      "PAUSE_FIXED",
      "MANUAL_FIXED",
      "MANUAL_FLAG",
      "struct.pack(",
      "struct.unpack(HEADER",
    ]) {
      t.false(code.includes(own), `${file} uses common.lua's record helpers, not its own ${own}`);
    }
    t.notRegex(
      code,
      /locked\s*[<>]=?\s*now|now\s*[<>]=?\s*locked/,
      `${file} asks common.lua whether a lease is live`,
    );
  }
});

test("lease liveness is transitions.ts's rule in common.lua and in DynamoDB's condition", (t) => {
  const tsLive = (lockedUntil: number) => leaseStatus(record(lockedUntil), LEASE, NOW) === "ok";
  t.deepEqual(
    AROUND.map(tsLive),
    [false, true, true],
    "transitions.ts: live up to and including the last millisecond",
  );

  const luaLive = comparison(luaReturn("lease_live"), "now", "locked");
  t.deepEqual(
    AROUND.map((locked) => luaLive({ now: NOW, locked })),
    AROUND.map(tsLive),
    "common.lua lease_live",
  );
  t.regex(common, /not lease_live\(locked, now\)/, "lease_status refuses through lease_live");

  const dynamo = LEASE_CONDITION.split(" AND ").find((part) => part.includes("#locked"));
  t.truthy(dynamo, "the lease condition checks #locked");
  const dynamoLive = comparison(dynamo ?? "", "#locked", ":now");
  t.deepEqual(
    AROUND.map((locked) => dynamoLive({ ":now": NOW, "#locked": locked })),
    AROUND.map(tsLive),
    "DynamoDB LEASE_CONDITION",
  );
  t.regex(LEASE_CONDITION, /#inc = :inc/, "the condition fences the incarnation");
  t.regex(LEASE_CONDITION, /#ver = :ver/, "the condition fences the version");
});

test("a SAFE upsert's 'locked' is transitions.ts's isLeased in common.lua", (t) => {
  const body = luaReturn("is_leased");
  const match = /^owner_length > 0 and (.+)$/.exec(body);
  t.truthy(match, "is_leased asks for an owner first");
  const luaHeld = comparison(match?.[1] ?? "", "locked", "now");
  t.deepEqual(
    AROUND.map((locked) => luaHeld({ now: NOW, locked })),
    AROUND.map((locked) => isLeased(record(locked), NOW)),
  );
  t.false(isLeased(record(NOW + 1, ""), NOW), "without an owner nothing is leased (a retry delay)");
  const upsert = scripts.find((s) => s.file === "upsert.lua")?.source ?? "";
  t.regex(upsert, /is_leased\(owner_length, stored_locked, now\)/, "upsert.lua asks is_leased");
});
