import { seededRandom } from '../../src/core/random.js';

/** A small seeded generator of malformed requests for the fuzz test. Deterministic per seed. */
export class Rng {
  /** mulberry32: uniform in [0, 1). */
  readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Every request field name the MLflow routes read, so generated bodies hit real code paths. */
export const FIELDS = [
  'name',
  'new_name',
  'experiment_id',
  'experiment_ids',
  'experiment_name',
  'artifact_location',
  'run_id',
  'run_uuid',
  'run_ids',
  'run_name',
  'user_id',
  'start_time',
  'end_time',
  'status',
  'key',
  'value',
  'timestamp',
  'step',
  'metrics',
  'params',
  'tags',
  'datasets',
  'dataset',
  'filter',
  'order_by',
  'max_results',
  'page_token',
  'view_type',
  'run_view_type',
  'metric_key',
  'start_step',
  'end_step',
  'version',
  'source',
  'run_link',
  'description',
  'stage',
  'stages',
  'archive_existing_versions',
  'alias',
  'model_id',
  'model_type',
  'source_run_id',
  'models',
  'path',
  'field_name',
  'ascending',
  'dataset_name',
  'dataset_digest',
  'outputs',
  'inputs',
] as const;

const WEIRD_STRINGS = [
  '',
  ' ',
  '0',
  '-1',
  '1e309',
  'NaN',
  'Infinity',
  'null',
  'true',
  '[]',
  '{}',
  '%',
  '%zz',
  '%00x',
  '..',
  '../../x',
  '/abs',
  'C:\\x',
  'a\\b',
  'a#b',
  'a?b',
  '\u202e',
  '😀',
  '\ud83d',
  'é'.normalize('NFD'),
  "'",
  '"',
  '`',
  "a' OR 'b",
  'x'.repeat(300),
  'y'.repeat(10_000),
  '\t\n\r',
  'm-',
  'm-0123',
  'ACTIVE_ONLY',
  'FINISHED',
  'Production',
  'None',
  'models:/x/1',
  'runs:/x/y',
  'mlflow-artifacts:/x',
  'params.p = 1',
  "name = 'x'",
  "name LIKE '%'",
  'metrics.m > 1',
  'name ASC',
  'tags.t DESC',
  '00000000000000000000000000000000',
  'latest',
  'v1',
  'champion',
  // Numbers as text past every integer column's range, and odd numerals.
  '2147483648',
  '-2147483649',
  '9223372036854775808',
  '99999999999999999999999',
  '1.5',
  '0x10',
  '1e3',
  '\u0663',
  // Page tokens: base64url JSON of the wrong shape or range.
  Buffer.from('{"offset":9007199254740991}').toString('base64url'),
  Buffer.from('{"offset":-1}').toString('base64url'),
  Buffer.from('{"offset":1e308}').toString('base64url'),
  Buffer.from('{"offset":"x"}').toString('base64url'),
  Buffer.from('null').toString('base64url'),
  Buffer.from('[]').toString('base64url'),
];

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53,
  2 ** 63,
  -(2 ** 63),
  1e308,
  -1e308,
  0.5,
  1e-320,
  123456789012345,
];

/** A random JSON value: scalars of every type, arrays, objects, occasionally deep. */
export function randomValue(rng: Rng, depth = 0): unknown {
  const r = rng.int(depth > 3 ? 5 : 8);
  switch (r) {
    case 0:
      return rng.pick(WEIRD_STRINGS);
    case 1:
      return rng.pick(NUMBERS);
    case 2:
      return rng.chance(0.5);
    case 3:
      return null;
    case 4:
      return randomString(rng);
    case 5:
      return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    case 6:
      return randomObject(rng, depth + 1);
    default:
      return Array.from({ length: rng.int(3) }, () => ({
        key: randomValue(rng, depth + 2),
        value: randomValue(rng, depth + 2),
      }));
  }
}

export function randomString(rng: Rng): string {
  const alphabet = 'abcXYZ019_-./:@%# \'"\\\u00e9\u4e2d\u0001\u007f';
  return Array.from({ length: rng.int(20) }, () => alphabet[rng.int(alphabet.length)]).join('');
}

/** An object of known fields (and a stray unknown one) with random values. */
export function randomObject(rng: Rng, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = 1 + rng.int(6);
  for (let i = 0; i < n; i++) out[rng.pick(FIELDS)] = randomValue(rng, depth);
  if (rng.chance(0.2)) out[randomString(rng)] = randomValue(rng, depth);
  return out;
}

/**
 * A body every write route must refuse: each known field present with an object value (no
 * MLflow field takes a bare object), so no schema can accept it.
 */
export function rejectedObject(rng: Rng): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) out[f] = rng.chance(0.5) ? {} : { [rng.pick(FIELDS)]: randomValue(rng, 3) };
  return out;
}

/** Bodies that are not JSON objects at all, or not JSON. */
export function garbageBody(rng: Rng): string {
  const depth = rng.pick([10, 33, 200, 5000]);
  return rng.pick([
    '',
    ' ',
    '{',
    '}',
    '{"a":',
    '{"name": "x",}',
    "{'name': 'x'}",
    '[1, 2, 3]',
    '"just a string"',
    '42',
    'null',
    'true',
    'NaN',
    '{"a": 1e99999}',
    '{"a": -}',
    '\u0000\u0001\u0002',
    '\ufeff{}',
    '{"a":"\\ud800"}',
    '{"a":"\\u00"}',
    '{"__proto__": {"polluted": true}}',
    '{"constructor": {"prototype": {"polluted": true}}}',
    `${'['.repeat(depth)}${']'.repeat(depth)}`,
    `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
    `{${Array.from({ length: 25_000 }, (_, i) => `"k${i}":0`).join(',')}}`,
    Buffer.from(Array.from({ length: 64 }, () => rng.int(256))).toString('latin1'),
    'name=x&experiment_id=0',
    '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--x--',
  ]);
}

export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/xml',
  'application/json, text/html',
  'application/vnd.api+json',
  '*/*',
  ';;;',
  `application/json; ${'x'.repeat(2000)}=y`,
];

/** A query string: known and random keys, repeated keys, bracket syntax, bad percent-encoding. */
export function randomQuery(rng: Rng): string {
  const parts: string[] = [];
  const n = rng.int(6);
  for (let i = 0; i < n; i++) {
    const key = rng.chance(0.8)
      ? rng.pick(FIELDS)
      : rng.pick(['__proto__', 'constructor[prototype]', 'a[]', 'a[b]', '', '%', '%zz']);
    const raw = rng.int(4);
    const value =
      raw === 0
        ? rng.pick(['%', '%zz', '%e0%80', '%c0%ae', '%ff', '%25', '+', '%2B', '%0a', '%00'])
        : encode(String(rng.chance(0.5) ? rng.pick(WEIRD_STRINGS) : randomValue(rng, 3))).slice(0, 3000);
    parts.push(rng.chance(0.1) ? key : `${key}=${value}`);
  }
  return parts.join(rng.chance(0.1) ? ';' : '&');
}

/** A replacement for a route's `:param` or `*`: ids, traversal, bad encoding, long text. */
export function randomPathPart(rng: Rng, seeded: readonly string[]): string {
  return rng.pick([
    ...seeded,
    'm-00000000000000000000000000000000',
    'x',
    '..',
    '%2e%2e',
    '..%2f..%2fetc',
    '%',
    '%zz',
    '%c0%ae',
    'a/b/c',
    'a//b',
    encodeURIComponent(randomString(rng)),
    'z'.repeat(3000),
    '%ff%fe',
    '~',
  ]);
}

/** Percent-encodes text; a lone surrogate (not encodable) becomes its raw UTF-8-style bytes. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ed%a0%bd';
  }
}
