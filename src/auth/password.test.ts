import { describe, expect, it } from 'vitest';
import { parseAuthorization } from './credentials.js';
import { hashPassword, verifyPassword } from './password.js';
import { newToken, tokenHash } from './tokens.js';

describe('password hashes', () => {
  it('are salted scrypt with their parameters, and verify only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(a).not.toBe(b); // a fresh salt each time
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horse ', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('verify with the parameters stored in the hash, and never match a malformed one', async () => {
    const cheap = await hashPassword('pw-pw-pw-pw', { log2N: 10, r: 8, p: 1 });
    expect(cheap.startsWith('scrypt$10$8$1$')).toBe(true);
    expect(await verifyPassword('pw-pw-pw-pw', cheap)).toBe(true);
    for (const bad of ['', 'plain', 'scrypt$15$8$1$$', cheap.replace('$10$', '$40$'), cheap.slice(0, -4)])
      expect(await verifyPassword('pw-pw-pw-pw', bad)).toBe(false);
  });
});

describe('tokens', () => {
  it('are 256 random bits, stored as SHA-256', () => {
    const t = newToken();
    expect(t).toMatch(/^cairn_[A-Za-z0-9_-]{43}$/);
    expect(newToken()).not.toBe(t);
    expect(tokenHash(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenHash(t)).toBe(tokenHash(t));
  });
});

describe('Authorization headers', () => {
  it('parse Basic (the secret may hold colons) and Bearer, case-insensitively', () => {
    const b64 = Buffer.from('ann:pa:ss').toString('base64');
    expect(parseAuthorization(`Basic ${b64}`)).toEqual({ kind: 'basic', username: 'ann', secret: 'pa:ss' });
    expect(parseAuthorization(`basic ${b64}`)).toMatchObject({ kind: 'basic' });
    expect(parseAuthorization('Bearer abc')).toEqual({ kind: 'bearer', token: 'abc' });
    expect(parseAuthorization(undefined)).toBeUndefined();
  });

  it('refuse anything else as UNAUTHENTICATED', () => {
    for (const h of [
      '',
      'Basic',
      'Basic a b',
      'Basic ***',
      `Basic ${Buffer.from('nocolon').toString('base64')}`,
      'Negotiate x',
      'Bearer',
    ]) {
      expect(() => parseAuthorization(h), h).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    }
    expect(() => parseAuthorization(['Bearer a', 'Bearer b'])).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED' }),
    );
  });
});
