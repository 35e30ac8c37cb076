/**
 * The tokenizer shared by every search filter Cairn parses (runs, experiments, registered models,
 * model versions, logged models): MLflow's DSL has one lexical shape, each search its own grammar.
 * Pure: no SQL, no database.
 */
import { CairnError } from './errors.js';

export type Kind = 'word' | 'string' | 'number' | 'op' | '(' | ')' | ',' | '.' | 'other' | 'end';

export interface Token {
  kind: Kind;
  /** The source text of the token (for strings: without unescaping). */
  text: string;
  start: number;
  end: number;
  /** Strings: the unescaped contents. */
  value?: string;
  /** Strings: the quote character. */
  quote?: string;
}

export type Fail = (position: number, expected: string) => never;

const isNameStart = (c: string): boolean => /[A-Za-z_]/.test(c);
const isNameChar = (c: string): boolean => /[A-Za-z0-9_.]/.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * Splits text into tokens. Words are runs of letters, digits, `_` and `.` starting with a letter or
 * `_` (so `tags.mlflow.runName` is one word). Inside a quoted string, a backslash escapes the quote
 * character or a backslash; any other backslash is kept as is (LIKE patterns use it as their escape).
 */
export function tokenize(text: string, fail: Fail): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: Kind, start: number, end: number, extra: Partial<Token> = {}): void => {
    tokens.push({ kind, text: text.slice(start, end), start, end, ...extra });
  };
  while (i < text.length) {
    const c = text[i]!;
    const start = i;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"' || c === '`') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) fail(start, `a closing ${c} for the string starting here`);
        const ch = text[i]!;
        if (ch === c) break;
        if (ch === '\0') fail(i, 'no NUL characters in a string');
        if (ch === '\\' && (text[i + 1] === c || text[i + 1] === '\\')) {
          value += text[i + 1];
          i += 2;
        } else {
          value += ch;
          i++;
        }
      }
      i++;
      push('string', start, i, { value, quote: c });
    } else if (isDigit(c) || ((c === '-' || c === '.') && (isDigit(text[i + 1]) || text[i + 1] === '.'))) {
      const m = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(i));
      if (!m) {
        push('other', start, start + 1);
        i++;
      } else {
        i += m[0].length;
        push('number', start, i);
      }
    } else if (isNameStart(c)) {
      while (i < text.length && isNameChar(text[i]!)) i++;
      push('word', start, i);
    } else if ('=<>!'.includes(c)) {
      while (i < text.length && '=<>!'.includes(text[i]!)) i++;
      push('op', start, i);
    } else if (c === '(' || c === ')' || c === ',' || c === '.') {
      i++;
      push(c, start, i);
    } else {
      i++;
      push('other', start, i);
    }
  }
  tokens.push({ kind: 'end', text: '', start: text.length, end: text.length });
  return tokens;
}

/** A Fail that throws INVALID_PARAMETER_VALUE naming the position and what was expected there. */
export function failer(what: string, text: string): Fail {
  const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return (position, expected) => {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Invalid ${what} '${shown}' at position ${position}: expected ${expected}`,
    );
  };
}
