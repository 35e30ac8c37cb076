import { describe, expect, it } from 'vitest';
import { CairnError } from './errors.js';
import { joinArtifactPath, MAX_ARTIFACT_PATH_LENGTH, safeArtifactPath } from './safe-path.js';

function rejection(raw: string): CairnError {
  try {
    safeArtifactPath(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(CairnError);
    return e as CairnError;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
}

describe('safeArtifactPath', () => {
  const label = (raw: string) =>
    JSON.stringify(raw.length > 40 ? `${raw.slice(0, 37)}...(${raw.length})` : raw);

  const rejected: [string, RegExp][] = [
    ['..', /'\.\.' segment/],
    ['../x', /'\.\.' segment/],
    ['a/../../b', /'\.\.' segment/],
    ['a/b/..', /'\.\.' segment/],
    ['%2e%2e/x', /'\.\.' segment/],
    ['%2E%2E%2Fx', /'\.\.' segment/],
    ['%252e%252e%252fx', /'\.\.' segment/],
    ['%25252e%25252e/x', /'\.\.' segment/],
    ['/etc/passwd', /absolute/],
    ['%2fetc/passwd', /absolute/],
    ['//server/share', /absolute/],
    ['/', /absolute/],
    ['C:\\x', /backslash/],
    ['C:x', /drive letter/],
    ['c:/windows', /drive letter/],
    ['a:b', /drive letter/],
    ['a\\b', /backslash/],
    ['a%5cb', /backslash/],
    ['..\\..\\x', /backslash/],
    ['a%00b', /NUL/],
    ['a\u0000b', /NUL/],
    ['a\tb', /control character \(0x09\)/],
    ['a\nb', /control character \(0x0a\)/],
    ['a%0d%0ab', /control character \(0x0d\)/],
    ['a\u001fb', /control character \(0x1f\)/],
    ['a\u007fb', /control character \(0x7f\)/],
    ['a#b', /'#'/],
    ['a%23b', /'#'/],
    ['a?b', /'\?'/],
    ['a%3Fb', /'\?'/],
    ['a//b', /empty segment/],
    ['a//', /empty segment/],
    ['./a', /'\.' segment/],
    ['a/./b', /'\.' segment/],
    ['.', /'\.' segment/],
    ['...', /'\.\.\.' segment/],
    ['....//', /'\.\.\.\.' segment/],
    ['..../x', /'\.\.\.\.' segment/],
    ['%', /malformed percent-encoding/],
    ['a%zzb', /malformed percent-encoding/],
    ['a%2', /malformed percent-encoding/],
    ['%C0%AE%C0%AE/x', /malformed percent-encoding/], // overlong UTF-8 for '.'
    ['%25', /malformed percent-encoding/], // decodes to a lone '%'
    ['a\uD800b', /lone surrogate/],
    ['x'.repeat(MAX_ARTIFACT_PATH_LENGTH + 1), /longer than 1024/],
    ['%78'.repeat(MAX_ARTIFACT_PATH_LENGTH + 1), /longer than 1024/],
    ['y'.repeat(10_000_000), /longer than 1024/],
    [`${'é'.repeat(128)}/x`, /segment longer than 255 bytes/],
  ];
  it.each(rejected.map(([raw, message]) => [label(raw), raw, message] as const))(
    'rejects %s',
    (_, raw, message) => {
      const error = rejection(raw);
      expect(error.code).toBe('INVALID_PARAMETER_VALUE');
      expect(error.message).toMatch(message);
    },
  );

  it('never echoes a control character in its message', () => {
    for (const raw of ['a\u0000b', 'a%00b', 'x\u001b[31mred', 'a\u007f', 'a\r\nSet-Cookie: x']) {
      const { message } = rejection(raw);
      for (let i = 0; i < message.length; i++) {
        const c = message.charCodeAt(i);
        expect(c >= 0x20 && c !== 0x7f, `${JSON.stringify(message)}`).toBe(true);
      }
    }
    expect(rejection('a\u0000b').message).toContain('a\\x00b');
  });

  const accepted: [string, string | undefined][] = [
    ['', ''],
    ['a', 'a'],
    ['a/', 'a'],
    ['model/MLmodel', 'model/MLmodel'],
    ['a/b/c.txt', 'a/b/c.txt'],
    ['my model/weights v2.bin', 'my model/weights v2.bin'],
    ['données/モデル/😀.txt', 'données/モデル/😀.txt'],
    ['a%20b/c%2Fd', 'a b/c/d'],
    ['%25252541', 'A'],
    ['.hidden/..x/x..', '.hidden/..x/x..'],
    ['file.tar.gz', 'file.tar.gz'],
    ['ab:c/d:e', undefined],
    ['ab:/x', 'ab:/x'],
    ['~/x', '~/x'],
    [`${'x'.repeat(MAX_ARTIFACT_PATH_LENGTH - 5).replace(/x{5}/g, 'xxxx/')}xxxxx`, undefined],
  ];
  it.each(accepted.map(([raw, expected]) => [label(raw), raw, expected] as const))(
    'accepts %s',
    (_, raw, expected) => {
      const out = safeArtifactPath(raw);
      expect(out).toBe(expected ?? raw);
      expect(safeArtifactPath(out)).toBe(out); // stable
    },
  );

  it('joins checked paths', () => {
    expect(joinArtifactPath('', '')).toBe('');
    expect(joinArtifactPath('a/b', '')).toBe('a/b');
    expect(joinArtifactPath('', 'c')).toBe('c');
    expect(joinArtifactPath('a/b/', 'c/d.txt')).toBe('a/b/c/d.txt');
    expect(() => joinArtifactPath('a', '../b')).toThrow(/'\.\.' segment/);
    expect(() => joinArtifactPath('a', '/b')).toThrow(/absolute/);
    expect(() => joinArtifactPath('x'.repeat(600), 'y'.repeat(600))).toThrow(/longer than/);
  });
});
