import { invalidParam } from '../../core/errors.js';
import { decodeLegacyBinary, hasMagic, looksLegacyWithoutMagic } from './legacy-binary.js';
import { decodeUbjson, type UbjValue } from './ubjson.js';

const OPEN_BRACE = 0x7b;
const QUOTE = 0x22;
const CLOSE_BRACE = 0x7d;

/**
 * An XGBoost model file's document, by content rather than by name (MLflow's `model.xgb` is UBJ
 * since XGBoost 2 but the legacy binary format before): JSON and UBJ both open with `{`, and
 * JSON continues with a quote or whitespace where UBJ has a length marker. XGBoost 1.x's legacy
 * binary format (`binf…`, or without that magic as very old versions wrote it) is decoded into the same document
 * shape as JSON. Anything else is refused with a message naming the formats Cairn reads.
 */
export function decodeModelBytes(bytes: Uint8Array): UbjValue {
  if (hasMagic(bytes)) return decodeLegacyBinary(bytes);
  let i = 0;
  while (i < bytes.length && isSpace(bytes[i]!)) i++;
  if (bytes[i] !== OPEN_BRACE) {
    if (looksLegacyWithoutMagic(bytes)) return decodeLegacyBinary(bytes);
    throw invalidParam(
      "Not an XGBoost model: Cairn reads XGBoost's JSON and UBJ formats and the legacy binary " +
        "format of XGBoost 1.x (save_model to 'model.json', 'model.ubj', or 'model.xgb'/'.bin').",
    );
  }
  let j = i + 1;
  while (j < bytes.length && isSpace(bytes[j]!)) j++;
  if (bytes[j] === QUOTE || bytes[j] === CLOSE_BRACE) return parseJson(bytes);
  return decodeUbjson(bytes);
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function parseJson(bytes: Uint8Array): UbjValue {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidParam('Malformed XGBoost JSON model: not valid UTF-8');
  }
  try {
    return parseLenientJson(text) as UbjValue;
  } catch (e) {
    throw invalidParam(`Malformed XGBoost JSON model: ${(e as Error).message}`);
  }
}

/**
 * JSON.parse, and if it fails, once more reading bare `NaN` (as null) and `±Infinity`, which
 * XGBoost's JSON writer and Python's json.dumps both emit. Throws JSON.parse's first error.
 */
export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    try {
      return JSON.parse(withNonFiniteLiterals(text));
    } catch {
      throw first;
    }
  }
}

/**
 * Rewrites bare `NaN`, `Infinity` and `-Infinity` outside strings as `null`, `1e999` and `-1e999`
 * (which JSON.parse reads as null and ±Infinity), leaving string contents alone.
 */
function withNonFiniteLiterals(text: string): string {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
    } else if (ch === 'N' && text.startsWith('NaN', i)) {
      out += text.slice(from, i) + 'null';
      from = i + 3;
      i += 2;
    } else if (ch === 'I' && text.startsWith('Infinity', i)) {
      out += text.slice(from, i) + '1e999';
      from = i + 8;
      i += 7;
    }
  }
  return out + text.slice(from);
}
