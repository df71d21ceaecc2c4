/**
 * `text` cut to at most `maxBytes` bytes of UTF-8 on a character boundary: for texts that are
 * kept for people to read (a worker's error message), where a long one should be shortened
 * rather than refused.
 */
export function cutUtf8(text: string, maxBytes: number): string {
  // Every UTF-16 unit is at most 3 bytes of UTF-8: short texts need no measuring.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.toString("utf8", 0, end);
}
