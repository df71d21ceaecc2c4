import test from "ava";
import { ErrorCode, PartituraError } from "../src/domain/errors.ts";
import { MAX_NAME_BYTES } from "../src/domain/limits.ts";
import { checkName } from "../src/domain/names.ts";

test("names of 1 to 200 UTF-8 bytes without control characters are accepted", (t) => {
  for (const name of ["a", "user_1", "with space", "ünïcödé", "x".repeat(MAX_NAME_BYTES), "é".repeat(100)]) {
    t.notThrows(() => checkName("name", name), name);
  }
});

test("empty, over-long and control-character names are refused naming the field", (t) => {
  const cases: [string, RegExp][] = [
    ["", /^task\.name: must not be empty/],
    ["x".repeat(201), /^task\.name: must be at most 200 bytes/],
    ["é".repeat(101), /^task\.name: must be at most 200 bytes/],
    ["tab\there", /^task\.name: must not contain control characters/],
    ["del\u007f", /^task\.name: must not contain control characters/],
  ];
  for (const [name, message] of cases) {
    const error = t.throws(() => checkName("task.name", name));
    t.true(error instanceof PartituraError && error.code === ErrorCode.InvalidArgument);
    t.regex(error?.message ?? "", message);
  }
});
