import { readFile } from "node:fs/promises";
import test from "ava";
import { cli } from "./support/cli.ts";
import { startTestServer } from "./support/server.ts";

/*
 * The README's command-line examples, run as written: every `$ partitura ...` line of every
 * console block under "## The command line", in order, against one fresh server, and its
 * output compared with the lines the README prints under it. Only what a reader cannot
 * reproduce is normalised: the server's address (the README assumes the default one),
 * and `createdAt` (shown as "...").
 */

interface Step {
  readonly line: string;
  readonly args: string[];
  readonly printsExitCode: boolean;
  readonly expected: string;
}

/** Splits a command line as a POSIX shell would for these examples (double quotes only). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    words.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : (match[2] ?? ""));
  }
  return words;
}

/** The console blocks of the command-line section, each as its commands and their output. */
function consoleBlocks(readme: string): Step[][] {
  const start = readme.indexOf("## The command line");
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end);
  return [...section.matchAll(/^```console\n([\s\S]*?)^```$/gm)].map((block) => {
    const steps: { line: string; output: string[] }[] = [];
    for (const text of (block[1] ?? "").split("\n")) {
      if (text.startsWith("$ ")) steps.push({ line: text.slice(2), output: [] });
      else steps.at(-1)?.output.push(text);
    }
    return steps.map(({ line, output }) => {
      const printsExitCode = line.endsWith("; echo $?");
      const command = printsExitCode ? line.slice(0, -"; echo $?".length) : line;
      const [program, ...args] = shellWords(command);
      if (program !== "partitura") throw new Error(`README console line is not a partitura command: ${line}`);
      return { line, args, printsExitCode, expected: output.join("\n").trimEnd() };
    });
  });
}

test.serial("every command-line example in the README prints what the README shows", async (t) => {
  const blocks = consoleBlocks(await readFile("README.md", "utf8"));
  t.true(blocks.length >= 4, "the README's console blocks were found");
  await using s = await startTestServer();
  const address = s.address;
  // What the prose under the session says exists: the static task `nightly`.
  t.is(
    (await cli(["task", "put", "nightly", "--cron", "30 2 * * *", "--tz", "Europe/Berlin"], { address }))
      .code,
    0,
  );

  let ran = 0;
  for (const steps of blocks) {
    for (const step of steps) {
      const result = await cli(step.args, { address });
      let actual = `${result.stdout}${result.stderr}`;
      if (step.printsExitCode) actual += `${result.code}\n`;
      else t.is(result.code, 0, `${step.line}\n${result.stderr}`);
      actual = actual
        .replaceAll(address, "127.0.0.1:50051")
        .replace(/"createdAt":"[^"]*"/g, '"createdAt":"..."');
      t.is(actual.trimEnd(), step.expected, `README: $ ${step.line}`);
      ran++;
    }
  }
  t.log(`${ran} README commands run`);
});
