/** A mistake in the command line: printed in one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
