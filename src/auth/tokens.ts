import { createHash, randomBytes } from 'node:crypto';

/** API tokens look like `cairn_<43 base64url chars>`: 256 random bits, easy to spot in a leak scan. */
export const TOKEN_PREFIX = 'cairn_';

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** What is stored: the token's SHA-256, hex. A token has full entropy, so a fast hash is enough. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
