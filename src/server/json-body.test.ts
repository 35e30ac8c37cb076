import { describe, expect, it } from 'vitest';
import { parseLimitedJson } from './json-body.js';

const limits = { maxDepth: 4, maxKeys: 5 };
const refused = (text: string, pattern: RegExp, l = limits) =>
  expect(() => parseLimitedJson(text, l)).toThrow(pattern);

describe('parseLimitedJson', () => {
  it('parses documents within the limits', () => {
    expect(parseLimitedJson('{"a":{"b":[1,{"c":"d"}]}}', limits)).toEqual({ a: { b: [1, { c: 'd' }] } });
    // Brackets, colons and escaped quotes inside strings count for nothing.
    expect(parseLimitedJson('{"a":"[[[[[{:::::}\\"[[[["}', limits)).toEqual({ a: '[[[[[{:::::}"[[[[' });
  });

  it('refuses depth and key count past the limits before parsing', () => {
    refused('[[[[[1]]]]]', /nested deeper than 4 levels/);
    refused('{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}', /more than 5 keys/);
    refused('[{"a":1},{"a":1},{"a":1},{"a":1},{"a":1},{"a":1}]', /more than 5 keys/);
  });

  it('refuses malformed and empty bodies, prototype keys and NUL (unless allowed)', () => {
    refused('', /Empty JSON/);
    refused('{"a":', /Malformed JSON/);
    refused('{"__proto__":{"x":1}}', /__proto__/);
    refused('{"a":{"\\u005f_proto__":1}}', /__proto__/);
    refused('{"constructor":{"prototype":{}}}', /constructor\.prototype/);
    refused('{"a":["x\\u0000"]}', /NUL/);
    refused('{"\\u0000":1}', /NUL/);
    expect(parseLimitedJson('{"a":"x\\u0000"}', { ...limits, allowNul: true })).toEqual({ a: 'x\u0000' });
    expect(parseLimitedJson('{"a":"\\\\u0000"}', limits)).toEqual({ a: '\\u0000' });
    expect(parseLimitedJson('{"constructor":"x"}', limits)).toEqual({ constructor: 'x' });
  });
});
