import { CairnError } from '../core/errors.js';

export interface JsonLimits {
  /** Deepest nesting of objects and arrays accepted (`{}` at the top is depth 1). */
  maxDepth: number;
  /** Most object keys accepted in one document, counted over every object in it. */
  maxKeys: number;
  /**
   * Whether strings may hold U+0000. PostgreSQL cannot store or compare text holding it, and no
   * MLflow field needs it: the tracking server refuses it up front (a clear 400, not a database error).
   */
  allowNul?: boolean;
}

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const COLON = 0x3a; // :

/**
 * Parses a JSON request body, refusing before `JSON.parse` runs a document nested deeper than
 * `maxDepth` or holding more than `maxKeys` keys, and after it any `__proto__` key or
 * `constructor.prototype` (prototype poisoning), and strings holding NUL. Every refusal is
 * BAD_REQUEST (a NUL: INVALID_PARAMETER_VALUE, as a bad field value) with a message naming the limit.
 */
export function parseLimitedJson(text: string, limits: JsonLimits): unknown {
  if (text.trim() === '') throw new CairnError('BAD_REQUEST', 'Empty JSON request body.');
  checkShape(text, limits);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CairnError('BAD_REQUEST', 'Malformed JSON request body.');
  }
  if (text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')) {
    refuseProto(value);
    if (!limits.allowNul && /\\u0000/i.test(text)) refuseNul(value);
  }
  return value;
}

/** One pass over the text: depth and key count, outside strings only. Ends early at a limit. */
function checkShape(text: string, { maxDepth, maxKeys }: JsonLimits): void {
  let depth = 0;
  let keys = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth)
        throw new CairnError('BAD_REQUEST', `JSON request body is nested deeper than ${maxDepth} levels.`);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
    else if (c === COLON && ++keys > maxKeys)
      throw new CairnError('BAD_REQUEST', `JSON request body has more than ${maxKeys} keys.`);
  }
}

function refuseProto(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (!Array.isArray(node)) {
      if (Object.hasOwn(node, '__proto__'))
        throw new CairnError('BAD_REQUEST', "JSON request body may not hold a '__proto__' key.");
      const ctor = (node as Record<string, unknown>)['constructor'];
      if (Object.hasOwn(node, 'constructor') && ctor !== null && typeof ctor === 'object') {
        if (Object.hasOwn(ctor, 'prototype'))
          throw new CairnError('BAD_REQUEST', "JSON request body may not hold 'constructor.prototype'.");
      }
    }
    for (const child of Object.values(node))
      if (child !== null && typeof child === 'object') stack.push(child);
  }
}

function refuseNul(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'string') {
      if (node.includes('\0'))
        throw new CairnError(
          'INVALID_PARAMETER_VALUE',
          'JSON request body may not hold a NUL character (\\u0000).',
        );
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    for (const [k, v] of Object.entries(node)) {
      stack.push(k);
      stack.push(v);
    }
  }
}
