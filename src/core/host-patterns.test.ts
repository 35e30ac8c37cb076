import { describe, expect, it } from 'vitest';
import { hostMatches, parseHostPatterns } from './host-patterns.js';

describe('host patterns', () => {
  const p = parseHostPatterns(['Example.com', 'api.test:8443', '*.corp.example', '[::1]', '127.0.0.1:5000']);

  it('matches names in any case, ports when given, wildcard subdomains only', () => {
    for (const h of [
      'example.com',
      'EXAMPLE.COM:80',
      'example.com.',
      'api.test:8443',
      'a.corp.example',
      'a.b.corp.example:1',
      '[::1]:5000',
      '127.0.0.1:5000',
    ])
      expect(hostMatches(h, p), h).toBe(true);
    for (const h of [
      'api.test',
      'api.test:8444',
      'corp.example',
      'xcorp.example',
      'example.com.evil',
      '127.0.0.1',
      '[::2]',
      'a@example.com',
      '',
      undefined,
    ])
      expect(hostMatches(h, p), String(h)).toBe(false);
  });

  it("treats '*' as any host and refuses malformed patterns", () => {
    expect(parseHostPatterns(['a.com', '*'])).toBe('any');
    expect(hostMatches('whatever', 'any')).toBe(true);
    for (const bad of ['a/b', 'a*b.com', '*.', 'user@host', 'host:port'])
      expect(() => parseHostPatterns([bad]), bad).toThrow(/Invalid host pattern/);
  });
});
