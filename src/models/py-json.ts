/**
 * JSON text as Python's `json.dumps` writes it, so the files and strings Cairn writes into a model
 * directory are the ones MLflow would write: `", "` and `": "` separators (`","` with an indent),
 * non-ASCII escaped as `\uXXXX`, NaN/Infinity as bare words, and floats in Python's `repr` form
 * (`1.0`, `1e-05`) where the value is marked as a float with `PyFloat`.
 */

/** A number Python would hold as a float: written `1.0`, not `1`. */
export class PyFloat {
  constructor(readonly value: number) {}
}

export function pyJsonDumps(value: unknown, indent?: number): string {
  return write(value, indent, 0);
}

function write(v: unknown, indent: number | undefined, depth: number): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
    case 'bigint':
      return v.toString();
    case 'string':
      return pyString(v);
  }
  if (Array.isArray(v)) {
    return wrap(
      '[',
      ']',
      v.map((x) => write(x, indent, depth + 1)),
      indent,
      depth,
    );
  }
  if (typeof v === 'object') {
    const parts = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${pyString(k)}: ${write(x, indent, depth + 1)}`);
    return wrap('{', '}', parts, indent, depth);
  }
  throw new TypeError(`Cannot write a ${typeof v} as JSON`);
}

function wrap(open: string, close: string, parts: string[], indent: number | undefined, depth: number) {
  if (parts.length === 0) return open + close;
  if (indent === undefined) return open + parts.join(', ') + close;
  const pad = (d: number) => `\n${' '.repeat(indent * d)}`;
  return open + pad(depth + 1) + parts.join(`,${pad(depth + 1)}`) + pad(depth) + close;
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A string as Python writes it with ensure_ascii: everything outside space..~ escaped. */
function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short) out += short;
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Python's repr of a float: shortest round-trip digits, exponent form below 1e-4 or from 1e16. */
export function pyFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const [mantissa = '', expText = '0'] = v.toExponential().split('e');
  const exp = Number(expText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exp < -4 || exp >= 16) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}
