import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

/*
 * Pyncette (github.com/tibordp/pyncette) is not vendored and not installed from PyPI: the bench
 * finds its source at run time and puts it on PYTHONPATH, and its dependencies come from
 * Debian's python3-* packages. Anything missing stops the Pyncette half with a message that
 * says what to run.
 */

const run = promisify(execFile);

/** The interpreter the peers run under: Debian's, whose python3-* packages Pyncette needs. */
export const PYTHON = process.env.BENCH_PYTHON ?? "/usr/bin/python3";

/** What Pyncette on Redis imports, and the Debian packages that provide it. */
const DEPENDENCIES = "python3-redis python3-croniter python3-dateutil python3-aiosqlite python3-coloredlogs";
const OPTIONAL = "python3-hiredis python3-uvloop";

/** The bench's preflight message for the Pyncette half: what to fetch and install. */
export const PYNCETTE_HOWTO = [
  "Pyncette runs from its source, with Debian's packages (no PyPI):",
  "  git clone https://github.com/tibordp/pyncette /some/dir   (a bare clone or mirror works too)",
  `  apt-get install ${DEPENDENCIES}   (optional, faster: ${OPTIONAL})`,
  "  npm run bench -- fire --pyncette-src=/some/dir   (or BENCH_PYNCETTE_SRC; --no-pyncette skips it)",
].join("\n");

/** Where Pyncette was found: the PYTHONPATH entry (empty when the interpreter has it already). */
export interface PyncetteSource {
  readonly pythonPath: string | undefined;
  /** For the log: where it came from. */
  readonly described: string;
}

/**
 * Finds Pyncette: in `dir` (a checkout with src/pyncette, the folder holding `pyncette/`, or a
 * git repository, bare or not, whose HEAD's src/pyncette is extracted to a temporary folder
 * once per commit), else wherever the interpreter imports it from. Then checks that it imports
 * with its Redis backend. Throws with PYNCETTE_HOWTO when any of that fails.
 */
export async function locatePyncette(dir: string | undefined): Promise<PyncetteSource> {
  const source =
    dir === undefined ? { pythonPath: undefined, described: PYTHON } : await fromDir(resolve(dir));
  const env = { ...process.env, ...(source.pythonPath ? { PYTHONPATH: source.pythonPath } : {}) };
  try {
    const { stdout } = await run(
      PYTHON,
      ["-c", "import pyncette, pyncette.redis; print(pyncette.__version__)"],
      {
        env,
      },
    );
    return { ...source, described: `Pyncette ${stdout.trim()} from ${source.described}` };
  } catch (thrown) {
    const stderr =
      thrown instanceof Error && "stderr" in thrown && typeof thrown.stderr === "string"
        ? thrown.stderr.trim().split("\n").pop()
        : String(thrown);
    const where =
      dir === undefined ? `${PYTHON} has no pyncette and no --pyncette-src was given` : source.described;
    throw new Error(`pyncette: cannot import it (${where}): ${stderr}\n${PYNCETTE_HOWTO}`);
  }
}

async function fromDir(dir: string): Promise<PyncetteSource> {
  if (existsSync(join(dir, "src", "pyncette", "__init__.py"))) {
    return { pythonPath: join(dir, "src"), described: dir };
  }
  if (existsSync(join(dir, "pyncette", "__init__.py"))) return { pythonPath: dir, described: dir };
  const commit = await headCommit(dir);
  if (commit === undefined) {
    throw new Error(
      `pyncette: ${dir} holds no Pyncette source (no src/pyncette/__init__.py, no pyncette/__init__.py, not a git repository)\n${PYNCETTE_HOWTO}`,
    );
  }
  return { pythonPath: await extract(dir, commit), described: `${dir} at ${commit.slice(0, 12)}` };
}

async function headCommit(dir: string): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", ["--git-dir", gitDir(dir), "rev-parse", "HEAD"]);
    return stdout.trim();
  } catch {
    return undefined; // not a repository: the caller says what it expected instead
  }
}

/** A work tree's .git, or the folder itself for a bare repository. */
function gitDir(dir: string): string {
  return existsSync(join(dir, ".git")) ? join(dir, ".git") : dir;
}

/** Extracts HEAD's src/pyncette into tmpdir once per commit; returns the PYTHONPATH entry. */
async function extract(dir: string, commit: string): Promise<string> {
  const target = join(tmpdir(), `partitura-bench-pyncette-${commit.slice(0, 12)}`);
  if (existsSync(join(target, "src", "pyncette", "__init__.py"))) return join(target, "src");
  // Into a fresh folder first, renamed when complete, so a half-extracted tree is never used.
  const staging = await mkdtemp(`${target}-`);
  try {
    const tar = join(staging, "pyncette.tar");
    await run("git", ["--git-dir", gitDir(dir), "archive", "-o", tar, commit, "src/pyncette"]);
    await mkdir(join(staging, "tree"));
    await run("tar", ["-xf", tar, "-C", join(staging, "tree")]);
    await rm(target, { recursive: true, force: true });
    await rename(join(staging, "tree"), target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return join(target, "src");
}
