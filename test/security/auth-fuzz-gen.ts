/**
 * Authorization headers that must not authenticate anyone: missing, malformed, oversized, non-ASCII,
 * repeated, and well-formed but wrong. Never a valid credential (the fuzz test asserts no success).
 */
import type { Rng } from './fuzz-gen.js';

export type HeaderList = Array<readonly [string, string | Buffer]>;

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

/** What a header generator needs of the world: user names, and secrets to mutate (never sent as is). */
export interface KnownSecrets {
  usernames: readonly string[];
  passwords: readonly string[];
  tokens: readonly string[];
}

/**
 * A secret that differs from `s` in one place: a flipped, dropped or added character, or its case.
 * Never only in spaces around it: HTTP drops those from a header value, so that is the secret.
 */
function nearMiss(rng: Rng, s: string): string {
  const i = 1 + rng.int(s.length - 2);
  switch (rng.int(5)) {
    case 0:
      return s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ 1) + s.slice(i + 1);
    case 1:
      return s.slice(0, i) + s.slice(i + 1);
    case 2:
      return `${s.slice(0, i)}x${s.slice(i)}`;
    case 3:
      return s.toUpperCase() === s ? s.toLowerCase() : s.toUpperCase();
    default:
      return `${s}\u0000`;
  }
}

/**
 * One Authorization value. About one in eight is well-formed Basic with an existing or unknown user
 * and a wrong password: each costs a scrypt verification, which bounds how many a test can send.
 */
export function authorizationValue(rng: Rng, k: KnownSecrets): string | Buffer {
  const user = () => rng.pick([...k.usernames, 'nobody', '', 'ADMIN', 'root-admin ', 'a\u00e9']);
  // Cases 0 to 19 name every shape; the rest are cheap repeats, to keep the scrypt share small.
  const r = rng.int(40);
  switch (r) {
    case 0:
      return rng.pick([
        '',
        ' ',
        'Basic',
        'Bearer',
        'Basic ',
        'Bearer ',
        'basic',
        'Token abc',
        'Negotiate YII=',
      ]);
    case 1:
      return rng.pick([
        'Digest username="root-admin", response="x"',
        'AWS4-HMAC-SHA256 Credential=x',
        'OAuth x',
      ]);
    case 2:
      return `Basic ${rng.pick(['!!!!', 'YQ===', 'Y', '====', '=', 'YWJj-_', 'YW Jj', '%59%57', '\u00ff\u00fe'])}`;
    case 3:
      return `Basic ${b64(rng.pick(['root-admin', '', ':', ':admin-password-1', 'nocolon', '\u0000:\u0000']))}`;
    case 4:
      return `Basic ${b64(Buffer.from([0xff, 0xfe, 0x3a, 0xc3, 0x28]))}`;
    case 5:
      return `Bearer ${rng.pick(['a b', ' x', 'x ', '\tx', 'x\ty', 'x,y', '"quoted"', 'cairn_', 'null', 'undefined'])}`;
    case 6:
      return `Bearer cairn_${Buffer.from(Array.from({ length: 32 }, () => rng.int(256))).toString('base64url')}`;
    case 7:
      return `Bearer ${nearMiss(rng, rng.pick(k.tokens))}`;
    case 8:
      return `Basic ${b64(`${rng.pick(k.usernames)}:${nearMiss(rng, rng.pick(k.tokens))}`)}`;
    case 9:
      return `Bearer ${'x'.repeat(rng.pick([8200, 12_000]))}`;
    case 10:
      return `Basic ${b64(`${'u'.repeat(4000)}:${'p'.repeat(4000)}`)}`;
    case 11:
      // Raw UTF-8 bytes in the header (a client that did not encode them).
      return Buffer.from(
        rng.pick(['Bearer t\u00f6k\u00e9n\ud83d\ude00', 'Basic \u00fc\u00f1\u00ee', 'B\u00e4sic YTpi']),
        'utf8',
      );
    case 12:
      return `Basic ${b64(`\u00fc\u00f1\u00ee:c\u00f6d\u00e9`)}`;
    case 13:
      return `Bearer ${rng.pick(k.passwords)}x`;
    case 14:
      return `Basic ${b64(`${user()}:${rng.pick(k.tokens).slice(0, 20)}`)}`;
    case 15:
      return `${rng.pick(['BASIC', 'bAsIc', 'Basic  ', 'Basic\t'])}${b64(`${rng.pick(k.usernames)}:x`)}`;
    case 16:
      return `Basic ${b64(`${rng.pick(k.usernames)}:${nearMiss(rng, rng.pick(k.passwords))}`)} trailing`;
    case 17:
      return `Bearer ${rng.pick(k.tokens)}${rng.pick([',', ';', ' x', '\u0000'])}`;
    case 18:
      return `Basic ${b64(`${user()}:${nearMiss(rng, rng.pick(k.passwords))}`)}`;
    case 19:
      return `Basic ${b64('a:b').slice(0, -1)}`; // unpadded base64: still `a:b`
    default:
      return rng.pick(['', 'Bearer', 'x', 'Basic YWJj', 'Bearer a\u007fb', `Bearer cairn_${'A'.repeat(43)}`]);
  }
}

/** The request's auth headers: none, one, two of them, or one folded over two lines. */
export function authHeaders(rng: Rng, k: KnownSecrets): HeaderList {
  const r = rng.int(12);
  if (r === 0) return [];
  if (r === 1)
    return [
      ['Authorization', authorizationValue(rng, k)],
      ['authorization', authorizationValue(rng, k)],
    ];
  if (r === 2) return [['Authorization', `Basic\r\n ${b64('root-admin:x')}`]];
  if (r === 3) return [['Proxy-Authorization', `Basic ${b64('root-admin:admin-password-1')}`]];
  if (r === 4)
    return [
      ['Cookie', 'session=x; token=cairn_x'],
      ['X-Mlflow-Token', 'cairn_x'],
    ];
  return [['Authorization', authorizationValue(rng, k)]];
}
