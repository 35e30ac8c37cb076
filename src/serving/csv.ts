import { CairnError } from '../core/errors.js';
import { Frame } from '../core/frame.js';

const bad = (message: string) => new CairnError('BAD_REQUEST', message);

/**
 * A `text/csv` body of MLflow's scoring protocol: a header row, then one row per record (RFC 4180
 * quoting). A field that reads as a number is a number, an empty field is missing, any other a string.
 */
export function frameFromCsv(text: string): Frame {
  const rows = parseCsv(text);
  const header = rows.shift();
  if (!header || header.length === 0 || (header.length === 1 && header[0] === '')) {
    throw bad('Invalid CSV input: expected a header row naming the columns');
  }
  const cols: unknown[][] = header.map(() => new Array(rows.length));
  rows.forEach((row, r) => {
    if (row.length !== header.length) {
      throw bad(`Invalid CSV input: row ${r + 1} has ${row.length} fields, not ${header.length}`);
    }
    row.forEach((field, c) => {
      cols[c]![r] = toValue(field);
    });
  });
  return Frame.fromColumns(Object.fromEntries(header.map((n, c) => [n, cols[c]!])));
}

function toValue(field: string): unknown {
  if (field === '') return null;
  const n = Number(field);
  return Number.isNaN(n) || field.trim() === '' ? field : n;
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
    i++;
  }
  if (quoted) throw bad('Invalid CSV input: unterminated quoted field');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
