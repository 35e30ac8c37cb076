/**
 * Malformed scoring requests for the scoring server's fuzz test: MLflow `/invocations` bodies
 * (JSON and CSV), Open Inference Protocol infer bodies, feedback bodies, and odd content types.
 * Deterministic per Rng seed.
 */
import { garbageBody, type Rng, randomString, randomValue } from './fuzz-gen.js';

export interface Body {
  contentType?: string;
  body?: string | Buffer;
}

/** Cell values a numeric model must refuse or cope with. */
const CELLS: readonly unknown[] = [
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  5e-324,
  2 ** 53 + 2,
  -(2 ** 63),
  null,
  true,
  false,
  '',
  '1',
  'NaN',
  'Infinity',
  '-inf',
  'x'.repeat(500),
  '\u0000',
  '😀',
  [],
  [1, 2],
  [[1]],
  {},
  { a: 1 },
];

/** JSON text with numbers JSON has no words for, spliced in as bare tokens. */
const BARE_NUMBERS = ['NaN', 'Infinity', '-Infinity', '1e99999', '-1e99999', '0x10', '01', '.5', '+1', '1.'];

function cell(rng: Rng): unknown {
  return rng.chance(0.6) ? rng.pick(CELLS) : randomValue(rng, 3);
}

function row(rng: Rng, width: number): unknown[] {
  return Array.from({ length: width }, () => (rng.chance(0.7) ? rng.next() * 10 - 5 : cell(rng)));
}

/** Column names: the model's, wrong ones, duplicates, odd types. */
function columnNames(rng: Rng, columns: readonly string[]): unknown {
  switch (rng.int(8)) {
    case 0:
      return [...columns, 'extra'];
    case 1:
      return columns.slice(0, Math.max(0, columns.length - 1));
    case 2:
      return [columns[0], columns[0], ...columns.slice(2)];
    case 3:
      return columns.map((_, i) => i);
    case 4:
      return rng.pick([null, 'x0', 5, {}, [[]], [null], [true], ['__proto__', 'constructor', 'toString']]);
    case 5:
      return columns.map(() => randomString(rng));
    default:
      return [...columns];
  }
}

function rows(rng: Rng, width: number): unknown {
  const n = rng.pick([0, 1, 2, 3, 50]);
  switch (rng.int(7)) {
    case 0:
      return Array.from({ length: n }, () => row(rng, width + rng.pick([-1, 1, 2])));
    case 1:
      return rng.pick([null, {}, 'rows', 1, [null], [1, 2, 3], [{}], [[[1, 2]]]]);
    case 2:
      // Ragged: each row its own length.
      return Array.from({ length: n + 1 }, () => row(rng, rng.int(width + 3)));
    default:
      return Array.from({ length: n }, () => row(rng, width));
  }
}

function records(rng: Rng, columns: readonly string[]): unknown {
  const n = rng.pick([0, 1, 2, 20]);
  switch (rng.int(6)) {
    case 0:
      return rng.pick([null, {}, 'records', [1, 2], [[1, 2]], [null], [{ x0: 1 }, 2]]);
    case 1:
      return Array.from({ length: n + 1 }, () =>
        Object.fromEntries(columns.filter(() => rng.chance(0.5)).map((c) => [c, cell(rng)])),
      );
    default:
      return Array.from({ length: n }, () =>
        Object.fromEntries(columns.map((c) => [c, rng.chance(0.8) ? rng.next() : cell(rng)])),
      );
  }
}

/** `instances` / `inputs`: rows, records, scalars, dicts of columns, tensors of every rank. */
function tensorInput(rng: Rng, columns: readonly string[]): unknown {
  const w = columns.length;
  switch (rng.int(9)) {
    case 0:
      return rows(rng, w);
    case 1:
      return records(rng, columns);
    case 2:
      return Array.from({ length: rng.int(5) }, () => cell(rng));
    case 3:
      return Object.fromEntries(columns.map((c) => [c, Array.from({ length: rng.int(4) }, () => cell(rng))]));
    case 4:
      return Object.fromEntries(columns.map((c) => [c, cell(rng)]));
    case 5:
      // A 3-D tensor, and a dict of 2-D columns with ragged rows.
      return rng.chance(0.5)
        ? [
            [
              [1, 2],
              [3, 4],
            ],
            [
              [5, 6],
              [7, 8],
            ],
          ]
        : {
            x: [[1, 2], [3]],
            y: [
              [1, 2],
              [3, 4],
            ],
          };
    case 6:
      return [[], []];
    case 7:
      return [rng.pick([1, 'a', null]), [1], { a: 1 }];
    default:
      return rng.pick([null, true, 'inputs', 3, {}, []]);
  }
}

function params(rng: Rng): unknown {
  return rng.pick([
    null,
    [],
    'params',
    1,
    { threshold: rng.pick([0.5, 'x', null, [], {}, 1e308, -1, true]) },
    { predict_method: rng.pick(['predict_proba', 'predict', 'constructor', 'toString', '', 1, null, ['x']]) },
    { unknown_param: 1 },
    { iteration_range: rng.pick([[0, 1], [-1, 2], [5, 1], [0, 1e308], [0.5, 1], 'x', [0, 2 ** 53]]) },
    { output_margin: rng.pick([true, 'yes', null, 1]), validate_features: rng.pick([false, {}, 'x']) },
    { threshold: [[0.1, 0.2]] },
  ]);
}

/** An `/invocations` JSON body of the right overall shape but wrong in its parts. */
function invocationObject(rng: Rng, columns: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const field = rng.int(5);
  if (field === 0) {
    const split: Record<string, unknown> = { data: rows(rng, columns.length) };
    if (rng.chance(0.8)) split['columns'] = columnNames(rng, columns);
    if (rng.chance(0.2)) split['index'] = rng.pick([[0], 'i', null, [[1]]]);
    out['dataframe_split'] = rng.chance(0.1) ? rng.pick([null, [], 'x', 1]) : split;
  } else if (field === 1) out['dataframe_records'] = records(rng, columns);
  else if (field === 2) out['instances'] = tensorInput(rng, columns);
  else if (field === 3) out['inputs'] = tensorInput(rng, columns);
  else {
    // Two fields, or none.
    if (rng.chance(0.5)) {
      out['inputs'] = tensorInput(rng, columns);
      out['dataframe_records'] = records(rng, columns);
    } else out['data'] = rows(rng, columns.length);
  }
  if (rng.chance(0.3)) out['params'] = params(rng);
  return out;
}

/** JSON text for an object, sometimes with bare non-JSON numbers spliced into its cells. */
function jsonText(rng: Rng, value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  if (!rng.chance(0.1)) return text;
  return text.replace(/-?\d+\.\d+/, rng.pick(BARE_NUMBERS));
}

/** A big but bounded body: many rows, or one long string cell. */
function largeBody(rng: Rng, columns: readonly string[]): string {
  if (rng.chance(0.5)) {
    const r = Array.from({ length: columns.length }, (_, i) => i + 0.5);
    return JSON.stringify({ dataframe_split: { columns, data: Array.from({ length: 20_000 }, () => r) } });
  }
  return JSON.stringify({
    dataframe_records: [Object.fromEntries(columns.map((c) => [c, 'z'.repeat(200_000)]))],
  });
}

/** A `text/csv` body: ragged rows, quotes, BOMs, odd line ends, numbers past double range. */
export function csvBody(rng: Rng, columns: readonly string[]): string {
  const header = columns.join(',');
  const good = () => columns.map(() => (rng.next() * 10).toFixed(3)).join(',');
  switch (rng.int(14)) {
    case 0:
      return '';
    case 1:
      return header;
    case 2:
      return `${header}\n${good()},9`;
    case 3:
      return `${header}\n1,2`;
    case 4:
      return `\ufeff${header}\n${good()}`;
    case 5:
      return `${header}\n"1,${columns.length > 1 ? ',2'.repeat(columns.length - 1) : ''}`;
    case 6:
      return `${header}\r\n${good()}\r\n\r\n${good()}\r`;
    case 7:
      return `${header}\n${columns.map(() => rng.pick(['1e999', '-1e999', 'NaN', 'inf', '0x1F', ' ', '""', '"a""b"', '1_000'])).join(',')}`;
    case 8:
      return `${columns.map((c) => `"${c}"`).join(',')}\n${good()}\n${good()}`;
    case 9:
      return `,,,\n,,,`;
    case 10:
      return `${header},${header}\n${good()},${good()}`;
    case 11:
      return `${header}\n${Array.from({ length: 2000 }, good).join('\n')}`;
    case 12:
      return `a\u0000b,${header}\n\u0000,${good()}`;
    default:
      return `${header}\n${good()}\n"${'q'.repeat(1000)}`;
  }
}

/** The first bytes of a Python pickle, as a client might post a pickled DataFrame. */
const PICKLE = Buffer.from([0x80, 0x04, 0x95, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8c, 0x08]);

/** A request body and content type for `POST /invocations`. */
export function invocationBody(rng: Rng, columns: readonly string[]): Body {
  const r = rng.int(20);
  if (r < 9) return { contentType: 'application/json', body: jsonText(rng, invocationObject(rng, columns)) };
  if (r < 11) return { contentType: 'application/json', body: garbageBody(rng) };
  if (r < 14)
    return {
      contentType: rng.pick(['text/csv', 'text/csv; charset=utf-8', 'TEXT/CSV', 'text/csv;header=present']),
      body: csvBody(rng, columns),
    };
  if (r === 14) return { contentType: 'application/json', body: largeBody(rng, columns) };
  if (r === 15) return { contentType: 'application/json', body: jsonText(rng, randomValue(rng)) };
  return oddContentType(rng, JSON.stringify(invocationObject(rng, columns)));
}

/** The same body under a content type the scoring server does not read, or none. */
export function oddContentType(rng: Rng, json: string): Body {
  switch (rng.int(10)) {
    case 0:
      return { contentType: 'application/octet-stream', body: Buffer.concat([PICKLE, Buffer.from(json)]) };
    case 1:
      return {
        contentType: 'multipart/form-data; boundary=xyz',
        body: `--xyz\r\nContent-Disposition: form-data; name="file"; filename="x.json"\r\nContent-Type: application/json\r\n\r\n${json}\r\n--xyz--\r\n`,
      };
    case 2:
      return { body: json };
    case 3:
      return { contentType: 'application/x-www-form-urlencoded', body: `inputs=${encodeURIComponent(json)}` };
    case 4:
      return { contentType: 'text/plain', body: json };
    case 5:
      return { contentType: 'application/jsonx', body: json };
    case 6:
      return { contentType: 'application/json; charset=utf-16', body: Buffer.from(json, 'utf16le') };
    case 7:
      return { contentType: 'application/x-python-pickle', body: PICKLE };
    case 8:
      return { contentType: '', body: json };
    default:
      return { contentType: 'application/json', body: `\ufeff${json}` };
  }
}

const DATATYPES = [
  'FP64',
  'FP32',
  'FP16',
  'BF16',
  'INT64',
  'INT32',
  'INT16',
  'INT8',
  'UINT64',
  'UINT8',
  'BOOL',
  'BYTES',
  'fp32',
  '',
  'COMPLEX128',
  42,
  null,
];

const SHAPES: readonly unknown[] = [
  [-1],
  [0],
  [1, 0],
  [0, 2 ** 31],
  [0, 1e9],
  [0, 1e308],
  [2 ** 53, 2 ** 53],
  [2 ** 31, 2 ** 31, 0],
  [1, 1, 1, 1],
  [1, 2, 3],
  [-2, -3],
  [1.5],
  ['1'],
  [null],
  [[1]],
  [],
  'x',
  null,
  {},
];

function tensor(rng: Rng, names: readonly string[]): unknown {
  const width = rng.pick([1, names.length, names.length + 1]);
  const rowsN = rng.pick([0, 1, 2, 3]);
  const flat = Array.from({ length: rowsN * width }, () => (rng.chance(0.8) ? rng.next() : cell(rng)));
  const t: Record<string, unknown> = {
    name: rng.chance(0.8) ? rng.pick([...names, 'input', 'x', '']) : cell(rng),
    shape: rng.chance(0.5) ? [rowsN, width] : rng.pick(SHAPES),
    datatype: rng.pick(DATATYPES),
    data: rng.chance(0.5)
      ? flat
      : rng.pick([[flat], flat.slice(1), null, 'AAAA', [['a', 'b']], [{}], [[[1]]]]),
  };
  if (t['datatype'] === 'BYTES' && rng.chance(0.5)) t['data'] = ['aGVsbG8=', '\u0000', '😀'];
  if (rng.chance(0.1))
    t['parameters'] = rng.pick([{ binary_data_size: 8 }, null, 'x', { content_type: 'str' }]);
  if (rng.chance(0.1)) delete t[rng.pick(['name', 'shape', 'datatype', 'data'])];
  return t;
}

/** A body for `POST /v2/models/{name}[/versions/{v}]/infer`. */
export function inferBody(rng: Rng, names: readonly string[]): Body {
  const r = rng.int(12);
  if (r < 2) return { contentType: 'application/json', body: garbageBody(rng) };
  if (r === 2) return oddContentType(rng, JSON.stringify({ inputs: [tensor(rng, names)] }));
  const body: Record<string, unknown> = {
    inputs:
      r === 3
        ? rng.pick([null, [], {}, 'x', [null], [1], [[]]])
        : Array.from({ length: rng.pick([1, 1, 2, names.length]) }, () => tensor(rng, names)),
  };
  if (rng.chance(0.3)) body['id'] = rng.pick(['abc', 1, null, {}, 'x'.repeat(5000)]);
  if (rng.chance(0.2)) body['parameters'] = params(rng);
  if (rng.chance(0.2)) body['outputs'] = rng.pick([[{ name: 'y' }], 'all', [null], {}]);
  return { contentType: 'application/json', body: jsonText(rng, body) };
}

/**
 * A body `POST /feedback` must refuse: request ids that were never logged (none start with
 * `logged-`), missing labels, wrong shapes, too many items.
 */
export function refusedFeedbackBody(rng: Rng): Body {
  const id = () =>
    rng.pick(['', 'never-logged', 'x'.repeat(300), 1, null, [], {}, '%00', '😀', randomString(rng)]);
  const item = () => {
    const o: Record<string, unknown> = { request_id: id() };
    if (rng.chance(0.8)) o['label'] = randomValue(rng, 2);
    return o;
  };
  switch (rng.int(9)) {
    case 0:
      return { contentType: 'application/json', body: garbageBody(rng) };
    case 1:
      return {
        contentType: 'application/json',
        body: JSON.stringify({ feedback: rng.pick([[], null, {}, 'x', [1]]) }),
      };
    case 2:
      return {
        contentType: 'application/json',
        body: JSON.stringify({
          feedback: Array.from({ length: 1001 }, (_, i) => ({ request_id: `n${i}`, label: 1 })),
        }),
      };
    case 3:
      return {
        contentType: 'application/json',
        body: JSON.stringify({ feedback: Array.from({ length: 3 }, item) }),
      };
    case 4:
      return oddContentType(rng, JSON.stringify(item()));
    case 5:
      return { contentType: 'application/json', body: JSON.stringify({ request_id: 'never-logged' }) };
    default:
      return { contentType: 'application/json', body: JSON.stringify(item()) };
  }
}

/** A feedback body naming logged request ids, with labels of every JSON shape (may be accepted). */
export function loggedFeedbackBody(rng: Rng, logged: readonly string[]): Body {
  const label = () =>
    rng.pick<unknown>([
      randomValue(rng),
      'z'.repeat(100_000),
      { deep: [[[[[1]]]]] },
      null,
      1e308,
      '\u0000',
      '',
    ]);
  if (rng.chance(0.5))
    return {
      contentType: 'application/json',
      body: JSON.stringify({ request_id: rng.pick(logged), label: label() }),
    };
  return {
    contentType: 'application/json',
    body: JSON.stringify({
      feedback: Array.from({ length: rng.int(5) + 1 }, () => ({
        request_id: rng.pick(logged),
        label: label(),
      })),
    }),
  };
}
