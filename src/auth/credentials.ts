import { createHash } from 'node:crypto';
import { CairnError } from '../core/errors.js';

/** The credentials an `Authorization` header carries, as MLflow's clients send them. */
export type Credentials =
  | { kind: 'basic'; username: string; secret: string }
  | { kind: 'bearer'; token: string };

export const REALM = 'cairn';

export const unauthenticated = (message = 'Invalid credentials.'): CairnError =>
  new CairnError('UNAUTHENTICATED', message);

/**
 * Parses `Basic base64(user:secret)` (the secret is a password or an API token) or `Bearer <token>`.
 * Undefined when there is no header; anything malformed is UNAUTHENTICATED.
 */
export function parseAuthorization(header: string | string[] | undefined): Credentials | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header) || header.length > 8192) throw unauthenticated('Malformed Authorization header.');
  const m = /^([A-Za-z]+) +([^\s]+) *$/.exec(header);
  if (!m) throw unauthenticated('Malformed Authorization header.');
  const scheme = m[1]!.toLowerCase();
  const value = m[2]!;
  if (scheme === 'bearer') return { kind: 'bearer', token: value };
  if (scheme !== 'basic') throw unauthenticated('Unsupported authorization scheme; use Basic or Bearer.');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) throw unauthenticated('Malformed Basic credentials.');
  let decoded: string;
  try {
    // Strict: invalid UTF-8 would become U+FFFD, so different bytes would read as one password.
    decoded = STRICT_UTF8.decode(Buffer.from(value, 'base64'));
  } catch {
    throw unauthenticated('Malformed Basic credentials.');
  }
  const colon = decoded.indexOf(':');
  // No NUL: scrypt keys HMAC with the password, which pads it with zero bytes, so `pw` and `pw\0`
  // would both verify.
  if (colon <= 0 || decoded.includes('\0')) throw unauthenticated('Malformed Basic credentials.');
  return { kind: 'basic', username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A short-lived memory of verified passwords, so a client sending Basic on every request pays scrypt once. */
export class VerifiedPasswords {
  private readonly map = new Map<string, { userId: number; passwordHash: string; until: number }>();
  constructor(
    private readonly ttlMs = 60_000,
    private readonly limit = 1_000,
  ) {}

  private key(username: string, password: string): string {
    return createHash('sha256').update(username).update('\0').update(password).digest('hex');
  }

  /** The remembered user id, if this exact pair was verified against this exact stored hash. */
  lookup(
    username: string,
    password: string,
    now: number,
  ): { userId: number; passwordHash: string } | undefined {
    const k = this.key(username, password);
    const hit = this.map.get(k);
    if (!hit) return undefined;
    if (hit.until < now) {
      this.map.delete(k);
      return undefined;
    }
    return hit;
  }

  remember(username: string, password: string, userId: number, passwordHash: string, now: number): void {
    if (this.map.size >= this.limit) this.map.delete(this.map.keys().next().value as string);
    this.map.set(this.key(username, password), { userId, passwordHash, until: now + this.ttlMs });
  }
}
