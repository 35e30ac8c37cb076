import { describe, expect, it } from 'vitest';
import type { CairnError } from '../core/errors.js';
import { parseAuthorization } from './credentials.js';
import { hashPassword, verifyPassword } from './password.js';

const basic = (bytes: Buffer | string) => `Basic ${Buffer.from(bytes).toString('base64')}`;

const refusal = (header: string): CairnError => {
  try {
    parseAuthorization(header);
  } catch (e) {
    return e as CairnError;
  }
  throw new Error(`accepted ${header}`);
};

describe('parseAuthorization on hostile Basic credentials', () => {
  it('refuses a NUL anywhere: scrypt (HMAC) would verify `pw\\0` as `pw`', async () => {
    // Why: the KDF itself cannot tell them apart.
    const hash = await hashPassword('alice-password', { log2N: 10, r: 8, p: 1 });
    expect(await verifyPassword('alice-password\0', hash)).toBe(true);
    for (const creds of ['alice:alice-password\0', 'alice:\0', 'al\0ice:pw', 'alice:pw\0x'])
      expect(refusal(basic(creds)).code, JSON.stringify(creds)).toBe('UNAUTHENTICATED');
  });

  it('refuses credentials that are not valid UTF-8 instead of reading U+FFFD', () => {
    expect(refusal(basic(Buffer.from([0x61, 0x3a, 0xff, 0xfe]))).code).toBe('UNAUTHENTICATED');
    expect(refusal(basic(Buffer.from([0x61, 0x3a, 0xc3, 0x28]))).code).toBe('UNAUTHENTICATED');
  });

  it('still reads UTF-8 credentials and passwords with colons', () => {
    expect(parseAuthorization(basic('\u00fc\u00f1\u00ee:c\u00f6:d\u00e9'))).toEqual({
      kind: 'basic',
      username: '\u00fc\u00f1\u00ee',
      secret: 'c\u00f6:d\u00e9',
    });
  });
});
