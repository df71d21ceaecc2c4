import { invalid } from "./errors.ts";
import { MAX_NAME_BYTES } from "./limits.ts";

// Control characters would corrupt logs and the length-prefixed lease ids of some clients.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Throws INVALID_ARGUMENT unless `value` is a usable task or instance name. */
export function checkName(field: string, value: string): void {
  if (value.length === 0) throw invalid(field, "must not be empty");
  if (Buffer.byteLength(value, "utf8") > MAX_NAME_BYTES) {
    throw invalid(field, `must be at most ${MAX_NAME_BYTES} bytes of UTF-8`);
  }
  if (CONTROL.test(value)) throw invalid(field, "must not contain control characters");
}
