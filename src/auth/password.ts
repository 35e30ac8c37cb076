import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { Slots } from '../core/slots.js';

/** scrypt cost: N = 2^15, r = 8, p = 1 (OWASP's floor for scrypt), 32-byte key, 16-byte salt. */
export interface ScryptParams {
  log2N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { log2N: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/**
 * scrypt runs on libuv's thread pool (4 threads), which file and DNS work share: at most two
 * hashes run at once, and past 256 waiting a sign-in is refused (429) rather than queued, so a
 * flood of password guesses can neither starve artifact I/O nor hold unbounded memory (32 MiB each).
 */
const HASH_SLOTS = new Slots(2, 256, 'Too many sign-ins at once; retry shortly.');

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return HASH_SLOTS.run(() => deriveNow(password, salt, params));
}

function deriveNow(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.log2N;
  return new Promise((resolve, reject) => {
    // scrypt needs 128·N·r bytes; allow twice that so the default 32 MiB cap never refuses it.
    const maxmem = 256 * N * params.r + 1024 * 1024;
    scrypt(password, salt, KEY_BYTES, { N, r: params.r, p: params.p, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** A salted slow hash, self-describing: `scrypt$<log2 N>$<r>$<p>$<salt>$<key>` (base64). */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return ['scrypt', params.log2N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join(
    '$',
  );
}

const ENCODED = /^scrypt\$(\d{1,2})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** Checks a password against a stored hash in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const m = ENCODED.exec(encoded);
  if (!m) return false;
  const params = { log2N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.log2N < 10 || params.log2N > 22 || params.r < 1 || params.p < 1) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await derive(password, Buffer.from(m[4]!, 'base64'), params);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash of a random password: verifying against it costs what a real check costs and never matches. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(24).toString('base64'));
  return decoy;
}
