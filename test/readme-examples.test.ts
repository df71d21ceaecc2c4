import { readFile } from "node:fs/promises";
import test from "ava";

/*
 * The README's SDK examples are the files the tests run (test/sdk-package.test.ts runs
 * examples/*, test/python-sdk.test.ts runs sdk/python/examples/*). This keeps the two from
 * drifting: each file must appear in the README whole, as one fenced code block.
 */

const EXAMPLES = [
  "examples/worker.mjs",
  "examples/retries.mjs",
  "examples/trigger.mjs",
  "examples/types-check.ts",
  "examples/schedule-emails.py",
  "sdk/python/examples/schedule.py",
  "sdk/python/examples/worker.py",
  "sdk/python/examples/retries.py",
  "sdk/python/examples/trigger.py",
  "sdk/python/examples/secure.py",
];

/** The bodies of the README's fenced code blocks. */
function fencedBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? "");
}

test("every example the tests run is in the README verbatim, as one code block", async (t) => {
  const blocks = fencedBlocks(await readFile("README.md", "utf8"));
  for (const path of EXAMPLES) {
    const source = await readFile(path, "utf8");
    t.true(
      blocks.some((block) => block.trim() === source.trim()),
      `${path} is not a README code block as it stands; copy the file into the README`,
    );
  }
});
