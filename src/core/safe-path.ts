import { invalidParam } from './errors.js';

/** The longest artifact path accepted, in characters, after decoding. */
export const MAX_ARTIFACT_PATH_LENGTH = 1024;
/** The longest single path segment accepted, in UTF-8 bytes (NAME_MAX on common file systems). */
export const MAX_ARTIFACT_SEGMENT_BYTES = 255;

// Raw input longer than this is refused before any decoding work (a fully double-encoded
// maximum-length path is 5x its decoded length).
const MAX_RAW_LENGTH = MAX_ARTIFACT_PATH_LENGTH * 6;
const DRIVE = /^[A-Za-z]:/;
const ONLY_DOTS = /^\.+$/;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The one check every artifact path goes through (server routes, stores, SDK).
 *
 * Percent-encoding is decoded repeatedly until the text is stable (so `%252e%252e` is seen as
 * `..`); a malformed `%` sequence is refused. The decoded path must be relative, use `/` only,
 * and hold no `#`, `?`, NUL or other control character. A single trailing `/` is dropped; an empty
 * segment anywhere else, and any segment made only of dots (`.`, `..`, `...`), is refused.
 *
 * Returns the normalised relative path, `''` for the root. The result is stable: passing it through
 * again returns it unchanged. Throws INVALID_PARAMETER_VALUE naming the problem; the message never
 * carries a control character raw.
 */
export function safeArtifactPath(raw: string): string {
  if (typeof raw !== 'string') throw invalidParam('Invalid artifact path: expected a string');
  if (raw.length > MAX_RAW_LENGTH) throw tooLong();
  const decoded = decodeFully(raw);
  if (decoded.length > MAX_ARTIFACT_PATH_LENGTH) throw tooLong();
  if (decoded === '') return '';

  const bad = (problem: string) => invalidParam(`Invalid artifact path ${quote(decoded)}: ${problem}`);
  const control = firstControlChar(decoded);
  if (control !== undefined) {
    const what = control === 0 ? 'a NUL character' : `a control character (${hex(control)})`;
    throw bad(`contains ${what}`);
  }
  if (LONE_SURROGATE.test(decoded)) throw bad('contains invalid Unicode (a lone surrogate)');
  if (decoded.includes('\\')) throw bad("contains a backslash ('\\'); use '/'");
  if (decoded.includes('#')) throw bad("contains '#'");
  if (decoded.includes('?')) throw bad("contains '?'");
  if (decoded.startsWith('/')) throw bad('is absolute; artifact paths are relative to the artifact root');
  if (DRIVE.test(decoded)) throw bad('starts with a drive letter');

  const path = decoded.endsWith('/') ? decoded.slice(0, -1) : decoded;
  for (const segment of path.split('/')) {
    if (segment === '') throw bad("contains an empty segment ('//')");
    if (segment === '..') throw bad("contains a '..' segment");
    if (ONLY_DOTS.test(segment)) throw bad(`contains a '${segment}' segment`);
    if (Buffer.byteLength(segment, 'utf8') > MAX_ARTIFACT_SEGMENT_BYTES) {
      throw bad(`has a segment longer than ${MAX_ARTIFACT_SEGMENT_BYTES} bytes`);
    }
  }
  return path;
}

/**
 * Joins a base artifact path and a relative one, checking both: `joinArtifactPath('a/b', 'c')` is
 * `'a/b/c'`; either side may be `''`.
 */
export function joinArtifactPath(base: string, rel: string): string {
  const b = safeArtifactPath(base);
  const r = safeArtifactPath(rel);
  const joined = b === '' ? r : r === '' ? b : `${b}/${r}`;
  if (joined.length > MAX_ARTIFACT_PATH_LENGTH) throw tooLong();
  return joined;
}

function decodeFully(raw: string): string {
  let current = raw;
  // Each pass that changes the text makes it shorter, so this ends.
  for (;;) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      throw invalidParam('Invalid artifact path: malformed percent-encoding');
    }
    if (next === current) return current;
    current = next;
  }
}

function tooLong() {
  return invalidParam(`Invalid artifact path: longer than ${MAX_ARTIFACT_PATH_LENGTH} characters`);
}

function firstControlChar(s: string): number | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return c;
  }
  return undefined;
}

const hex = (c: number) => `0x${c.toString(16).padStart(2, '0')}`;

/** The path for an error message: control characters escaped, long paths cut. */
function quote(s: string): string {
  const chars = Array.from(s);
  let out = '';
  for (const ch of chars.length > 120 ? [...chars.slice(0, 117), '...'] : chars) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
  }
  return `'${out}'`;
}
