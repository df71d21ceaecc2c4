/**
 * Splits CSV text (RFC 4180: commas, double-quoted fields with "" for a quote, CRLF or LF) into
 * rows of fields, each row with the 1-based line it starts on. Blank lines are skipped.
 * A quote left open is reported with the line it opened on.
 */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let rowLine = 1;
  let quoted = false;
  let quoteLine = 0;
  let touched = false;
  const endRow = () => {
    if (touched || field !== "" || fields.length > 0)
      rows.push({ line: rowLine, fields: [...fields, field] });
    fields = [];
    field = "";
    touched = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === "\n") line++;
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
      quoteLine = line;
      touched = true;
    } else if (c === ",") {
      fields.push(field);
      field = "";
      touched = true;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRow();
      line++;
      rowLine = line;
    } else field += c;
  }
  if (quoted) throw new Error(`line ${quoteLine}: a quoted field is not closed`);
  endRow();
  return rows;
}
