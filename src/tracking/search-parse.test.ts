import { describe, expect, it } from 'vitest';
import { CairnError } from '../core/errors.js';
import {
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunFilter,
  parseRunOrderBy,
  SEARCH_LIMITS,
} from './search-parse.js';
import type { Comparison } from './search-types.js';

const one = (text: string): Comparison => {
  const { clauses } = parseRunFilter(text);
  expect(clauses).toHaveLength(1);
  return clauses[0]!;
};

function expectInvalid(run: () => unknown, position: number, expected: string): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CairnError);
  const e = error as CairnError;
  expect(e.code).toBe('INVALID_PARAMETER_VALUE');
  expect(e.message).toContain(`at position ${position}: expected`);
  expect(e.message).toContain(expected);
}

describe('parseRunFilter: entities and keys', () => {
  it.each([
    ['metrics.acc > 1', 'metric', 'acc'],
    ['metric.acc > 1', 'metric', 'acc'],
    ["params.lr = 'x'", 'param', 'lr'],
    ["param.lr = 'x'", 'param', 'lr'],
    ["parameters.lr = 'x'", 'param', 'lr'],
    ["parameter.lr = 'x'", 'param', 'lr'],
    ["tags.team = 'x'", 'tag', 'team'],
    ["tag.team = 'x'", 'tag', 'team'],
    ["attributes.status = 'x'", 'attribute', 'status'],
    ["attribute.status = 'x'", 'attribute', 'status'],
    ["attr.status = 'x'", 'attribute', 'status'],
    ["run.status = 'x'", 'attribute', 'status'],
    ["status = 'x'", 'attribute', 'status'],
    ["datasets.name = 'x'", 'dataset', 'name'],
    ["dataset.digest = 'x'", 'dataset', 'digest'],
    ["datasets.context = 'x'", 'dataset', 'context'],
    ["tags.mlflow.runName = 'x'", 'tag', 'mlflow.runName'],
    ['metrics.2nd_best.v1 > 1', 'metric', '2nd_best.v1'],
    ['metrics."my acc" > 1', 'metric', 'my acc'],
    ['metrics.`my acc` > 1', 'metric', 'my acc'],
    ["metrics.'my acc' > 1", 'metric', 'my acc'],
    ['metrics.`val-loss/x:y` > 1', 'metric', 'val-loss/x:y'],
    ['`metrics`.acc > 1', 'metric', 'acc'],
    ['`metrics`.`a b` > 1', 'metric', 'a b'],
    ['"metrics"."a b" > 1', 'metric', 'a b'],
    ["params.`it\\`s` = 'x'", 'param', 'it`s'],
    ['metrics."" > 1', 'metric', ''],
  ])('%s', (text, entity, key) => {
    if (key === '') return expectInvalid(() => parseRunFilter(text), 8, 'a non-empty key');
    expect(one(text)).toMatchObject({ entity, key });
  });

  it.each([
    ['run_id', 'run_id'],
    ['run_name', 'run_name'],
    ['status', 'status'],
    ['user_id', 'user_id'],
    ['artifact_uri', 'artifact_uri'],
    ['lifecycle_stage', 'lifecycle_stage'],
    ['`Run name`', 'run_name'],
    ['`run name`', 'run_name'],
    ['"Run Name"', 'run_name'],
  ])('string attribute %s is canonicalised to %s', (key, canonical) => {
    expect(one(`attributes.${key} = 'v'`)).toEqual({
      entity: 'attribute',
      key: canonical,
      op: '=',
      value: 'v',
    });
  });

  it.each([
    ['start_time', 'start_time'],
    ['end_time', 'end_time'],
    ['created', 'start_time'],
    ['Created', 'start_time'],
  ])('numeric attribute %s is canonicalised to %s', (key, canonical) => {
    expect(one(`${key} >= 5`)).toEqual({ entity: 'attribute', key: canonical, op: '>=', value: 5 });
  });
});

describe('parseRunFilter: comparators and values', () => {
  it.each([
    ['metrics.a = 1', '=', 1],
    ['metrics.a != 1', '!=', 1],
    ['metrics.a > 1', '>', 1],
    ['metrics.a >= 1', '>=', 1],
    ['metrics.a < 1', '<', 1],
    ['metrics.a <= 1', '<=', 1],
    ['metrics.a<=1', '<=', 1],
    ["params.p LIKE '%x_'", 'LIKE', '%x_'],
    ["params.p like 'x'", 'LIKE', 'x'],
    ["params.p ILIKE 'x'", 'ILIKE', 'x'],
    ["params.p iLike 'x'", 'ILIKE', 'x'],
    ["params.p IN ('a')", 'IN', ['a']],
    ["params.p in ('a', \"b\" ,'c')", 'IN', ['a', 'b', 'c']],
    ["params.p NOT IN ('a','b')", 'NOT IN', ['a', 'b']],
    ["params.p not   in ('a')", 'NOT IN', ['a']],
    ['params.p IS NULL', 'IS NULL', null],
    ['tags.t is null', 'IS NULL', null],
    ['tags.t IS NOT NULL', 'IS NOT NULL', null],
    ['tags.t Is Not Null', 'IS NOT NULL', null],
    ["run_id IN ('a', 'b')", 'IN', ['a', 'b']],
    ["status NOT IN ('FAILED')", 'NOT IN', ['FAILED']],
    ["datasets.digest IN ('d1')", 'IN', ['d1']],
  ])('%s', (text, op, value) => {
    expect(one(text)).toMatchObject({ op, value });
  });

  it.each([
    ['0', 0],
    ['42', 42],
    ['-1', -1],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['-.25', -0.25],
    ['3.', 3],
    ['1e3', 1000],
    ['1E-3', 0.001],
    ['-2.5e+2', -250],
  ])('number %s', (text, value) => {
    expect(one(`metrics.acc > ${text}`).value).toBe(value);
  });

  it.each([
    ["'x'", 'x'],
    ['"x"', 'x'],
    ["''", ''],
    ["'it\\'s'", "it's"],
    ['"say \\"hi\\""', 'say "hi"'],
    ["'back\\\\slash'", 'back\\slash'],
    ["'50\\%'", '50\\%'],
    ["'a\\_b'", 'a\\_b'],
    ["'héllo wörld ✓'", 'héllo wörld ✓'],
    ['"it\'s"', "it's"],
  ])('string %s', (text, value) => {
    expect(one(`params.p = ${text}`).value).toBe(value);
  });

  it('joins clauses with AND in any case and any whitespace', () => {
    const tree = parseRunFilter(
      "metrics.acc > 0.5 and params.lr = '0.1'\n\tAnd tags.t IS NULL  AND status='X'",
    );
    expect(tree.clauses).toEqual([
      { entity: 'metric', key: 'acc', op: '>', value: 0.5 },
      { entity: 'param', key: 'lr', op: '=', value: '0.1' },
      { entity: 'tag', key: 't', op: 'IS NULL', value: null },
      { entity: 'attribute', key: 'status', op: '=', value: 'X' },
    ]);
  });

  it.each(['', '   ', '\n\t '])('blank text %j is the empty conjunction', (text) => {
    expect(parseRunFilter(text)).toEqual({ clauses: [] });
  });

  it(`accepts ${SEARCH_LIMITS.clauses} clauses and ${SEARCH_LIMITS.listValues} list values`, () => {
    const clauses = Array.from({ length: SEARCH_LIMITS.clauses }, (_, i) => `params.p${i} = 'v'`).join(
      ' AND ',
    );
    expect(parseRunFilter(clauses).clauses).toHaveLength(SEARCH_LIMITS.clauses);
    const list = Array.from({ length: SEARCH_LIMITS.listValues }, (_, i) => `'${i}'`).join(',');
    expect(one(`run_id IN (${list})`).value).toHaveLength(SEARCH_LIMITS.listValues);
  });
});

describe('parseRunFilter: malformed input', () => {
  it.each([
    ['metrics.acc >> 1', 12, 'a comparator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN'],
    ['metrics.acc == 1', 12, 'a comparator'],
    ['metrics.acc <> 1', 12, 'a comparator'],
    ['metrics.acc 1', 12, 'a comparator'],
    ['metrics.acc', 11, 'a comparator'],
    ['metrics.val-loss > 1', 11, 'keys with special characters must be quoted'],
    ['metrics.acc > 1 OR metrics.b > 2', 16, 'OR is not supported'],
    ['metrics.acc > 1 or metrics.b > 2', 16, 'OR is not supported'],
    ['metrics.acc > 1 metrics.b > 2', 16, 'AND or the end of the filter'],
    ['metrics.acc > 1 AND', 19, 'an identifier'],
    [
      'metrics.acc > 1 AND AND metrics.b > 2',
      20,
      'an attribute, one of: run_id, run_name, status, user_id, artifact_uri, lifecycle_stage, start_time, end_time',
    ],
    ['(metrics.acc > 1)', 0, 'an identifier such as metrics.<key>'],
    ["'metrics.acc' > 1", 0, 'an identifier'],
    ['> 1', 0, 'an identifier'],
    ['metrics. > 1', 8, 'a key after the entity prefix'],
    ["metrics. 'a' > 1", 8, 'a key after the entity prefix'],
    ['`metrics`. > 1', 10, 'a key after the entity prefix'],
    [
      "foo.bar = 'x'",
      0,
      "an entity prefix, one of: metric, metrics, param, params, parameter, parameters, tag, tags, attribute, attributes, attr, run, dataset, datasets (got 'foo')",
    ],
    ['Metrics.acc > 1', 0, 'an entity prefix'],
    [
      "attributes.foo = 'x'",
      11,
      "an attribute, one of: run_id, run_name, status, user_id, artifact_uri, lifecycle_stage, start_time, end_time, created, Created, run name, Run name, Run Name (got 'foo')",
    ],
    ["bogus = 'x'", 0, 'an attribute, one of'],
    ["attributes.experiment_id = '1'", 11, 'an attribute, one of'],
    ["datasets.size = 'x'", 9, "a dataset field, one of: name, digest, context (got 'size')"],
    ['metrics.acc > ', 14, 'a number for metric'],
    ["metrics.acc > 'x'", 14, "a number for metric 'acc'"],
    ['metrics.acc > --1', 14, 'a number for metric'],
    ['metrics.acc > 1e999', 14, 'a finite number'],
    ['metrics.acc > 1x', 15, 'AND or the end of the filter'],
    ["metrics.acc LIKE '1'", 12, "a comparator valid for metric 'acc': =, !=, >, >=, <, <="],
    ["metrics.acc IN ('1')", 12, 'a comparator valid for metric'],
    ['metrics.acc IS NULL', 12, 'a comparator valid for metric'],
    ['params.lr = 0.1', 12, "a quoted string for param 'lr'"],
    ['params.lr = `x`', 12, 'a quoted string'],
    ['params.lr = x', 12, 'a quoted string'],
    [
      "params.lr > '1'",
      10,
      "a comparator valid for param 'lr': =, !=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL",
    ],
    ["tags.t >= 'a'", 7, 'a comparator valid for tag'],
    ["start_time = '1'", 13, "a number for attribute 'start_time'"],
    ["created LIKE '1'", 8, 'a comparator valid for attribute'],
    ["end_time IN ('1')", 9, 'a comparator valid for attribute'],
    ["run_name > 'a'", 9, "a comparator valid for attribute 'run_name': =, !=, LIKE, ILIKE, IN, NOT IN"],
    ['status IS NULL', 7, 'a comparator valid for attribute'],
    ['status = FINISHED', 9, 'a quoted string'],
    ["datasets.name > 'a'", 14, 'a comparator valid for dataset'],
    ['datasets.name = 1', 16, 'a quoted string for dataset'],
    ["tags.t IN 'a'", 10, 'a parenthesised list of quoted strings'],
    ['tags.t IN ()', 11, 'a quoted string in the list'],
    ["tags.t IN ('a',)", 15, 'a quoted string in the list'],
    ["tags.t IN ('a' 'b')", 15, "',' or ')' in the list"],
    ["tags.t IN ('a', 1)", 16, 'a quoted string in the list'],
    ["tags.t IN ('a'", 14, "',' or ')' in the list"],
    ["tags.t NOT LIKE 'a'", 11, 'IN after NOT'],
    ['tags.t NOT', 10, 'IN after NOT'],
    ["tags.t IS 'a'", 10, 'NULL or NOT NULL after IS'],
    ["tags.t IS NOT 'a'", 14, 'NULL after IS NOT'],
    ["params.lr = 'abc", 12, "a closing ' for the string starting here"],
    ['params.lr = "abc', 12, 'a closing "'],
    ["params.`a b = 'x'", 7, 'a closing `'],
    ["params.lr = 'x' ; DROP TABLE runs", 16, 'AND or the end of the filter'],
    ["constructor.x = 'a'", 0, 'an entity prefix, one of: metric'],
    ["__proto__.x = 'a'", 0, 'an entity prefix'],
    ["toString = 'a'", 0, 'an attribute, one of'],
    ["attributes.constructor = 'a'", 11, 'an attribute, one of'],
    ["datasets.constructor = 'a'", 9, 'a dataset field'],
    ["params.p = 'a\u0000b'", 13, 'no NUL characters in a string'],
  ])('%j fails at %i', (text, position, expected) => {
    expectInvalid(() => parseRunFilter(text), position, expected);
  });

  it('limits the length, the number of clauses and list sizes', () => {
    expectInvalid(
      () => parseRunFilter(`params.p = '${'x'.repeat(SEARCH_LIMITS.filterChars)}'`),
      10_000,
      'at most 10000 characters',
    );
    const clauses = Array.from({ length: SEARCH_LIMITS.clauses + 1 }, () => "params.p = 'v'");
    const text = clauses.join(' AND ');
    expectInvalid(() => parseRunFilter(text), text.lastIndexOf('params'), 'at most 100 clauses');
    const values = Array.from({ length: SEARCH_LIMITS.listValues + 1 }, () => "'v'");
    const list = `run_id IN (${values.join(',')})`;
    expectInvalid(() => parseRunFilter(list), list.length - 4, 'at most 1000 values in a list');
  });

  it('quotes long filters in the message only in part', () => {
    const text = `params.p = 1${' '.repeat(500)}`;
    expect(() => parseRunFilter(text)).toThrow(/^Invalid filter 'params\.p = 1 {188}…' at position 11/);
  });
});

describe('parseExperimentFilter', () => {
  it('parses name, times and tags', () => {
    expect(
      parseExperimentFilter(
        "name LIKE 'a%' AND attribute.creation_time > 5 AND last_update_time <= 6 AND tags.t = 'x'",
      ).clauses,
    ).toEqual([
      { entity: 'attribute', key: 'name', op: 'LIKE', value: 'a%' },
      { entity: 'attribute', key: 'creation_time', op: '>', value: 5 },
      { entity: 'attribute', key: 'last_update_time', op: '<=', value: 6 },
      { entity: 'tag', key: 't', op: '=', value: 'x' },
    ]);
    expect(parseExperimentFilter("tag.`a b` IS NULL AND name IN ('a', 'b')").clauses).toEqual([
      { entity: 'tag', key: 'a b', op: 'IS NULL', value: null },
      { entity: 'attribute', key: 'name', op: 'IN', value: ['a', 'b'] },
    ]);
  });

  it.each([
    ['metrics.acc > 1', 0, 'an entity prefix, one of: attribute, attributes, attr, tag, tags'],
    ["params.p = 'x'", 0, 'an entity prefix'],
    ["experiment_id = '1'", 0, 'an attribute, one of: name, creation_time, last_update_time'],
    ["creation_time = 'x'", 16, "a number for attribute 'creation_time'"],
    ['name > 1', 5, "a comparator valid for attribute 'name'"],
    ['(name)', 0, 'an identifier such as name, creation_time, last_update_time or tags.<key>'],
  ])('%j fails at %i', (text, position, expected) => {
    expectInvalid(() => parseExperimentFilter(text), position, expected);
  });
});

describe('order_by', () => {
  it('parses run terms with optional direction in any case', () => {
    expect(
      parseRunOrderBy([
        'metrics.acc DESC',
        'params.`a b` asc',
        'tags.mlflow.runName',
        'attributes.created Desc',
        'run_id',
        '  metrics."my acc"   ASC  ',
      ]),
    ).toEqual([
      { entity: 'metric', key: 'acc', ascending: false },
      { entity: 'param', key: 'a b', ascending: true },
      { entity: 'tag', key: 'mlflow.runName', ascending: true },
      { entity: 'attribute', key: 'start_time', ascending: false },
      { entity: 'attribute', key: 'run_id', ascending: true },
      { entity: 'metric', key: 'my acc', ascending: true },
    ]);
    expect(parseRunOrderBy([])).toEqual([]);
  });

  it('parses experiment terms', () => {
    expect(
      parseExperimentOrderBy([
        'name',
        'experiment_id DESC',
        'attribute.creation_time asc',
        'last_update_time',
      ]),
    ).toEqual([
      { entity: 'attribute', key: 'name', ascending: true },
      { entity: 'attribute', key: 'experiment_id', ascending: false },
      { entity: 'attribute', key: 'creation_time', ascending: true },
      { entity: 'attribute', key: 'last_update_time', ascending: true },
    ]);
  });

  it.each([
    [['metrics.acc DOWN'], 12, 'ASC, DESC or the end of the order_by clause'],
    [['metrics.acc DESC extra'], 17, 'the end of the order_by clause'],
    [['metrics.acc > 1'], 12, 'ASC, DESC'],
    [['datasets.name'], 0, 'an orderable field (metric, param, tag, attribute)'],
    [['attributes.bogus'], 11, 'an attribute, one of'],
    [[''], 0, 'an identifier'],
    [['DESC'], 0, 'an attribute, one of'],
    [['metrics.acc', 'metric.acc DESC'], 0, "a field not already ordered on (metric 'acc' appears twice)"],
    [['created', 'start_time'], 0, "(attribute 'start_time' appears twice)"],
  ])('runs %j fails at %i', (list, position, expected) => {
    expectInvalid(() => parseRunOrderBy(list), position, expected);
  });

  it.each([
    [['tags.t'], 0, 'an orderable field (attribute); tag fields cannot be used in order_by'],
    [['metrics.acc'], 0, 'an entity prefix'],
    [['run_id'], 0, 'an attribute, one of: name, creation_time, last_update_time, experiment_id'],
  ])('experiments %j fails at %i', (list, position, expected) => {
    expectInvalid(() => parseExperimentOrderBy(list), position, expected);
  });

  it('limits the number and length of terms', () => {
    const many = Array.from({ length: SEARCH_LIMITS.orderTerms + 1 }, (_, i) => `params.p${i}`);
    expect(() => parseRunOrderBy(many)).toThrow(/expected at most 20 terms, got 21/);
    expectInvalid(() => parseRunOrderBy([`params.\`${'x'.repeat(1000)}\``]), 1000, 'at most 1000 characters');
  });
});
