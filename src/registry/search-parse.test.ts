import { describe, expect, it } from 'vitest';
import {
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from './search-parse.js';

describe('registry search parsing', () => {
  it('parses MLflow registered-model filters', () => {
    expect(parseRegisteredModelFilter('')).toEqual({ clauses: [] });
    expect(
      parseRegisteredModelFilter(
        `name ILIKE '%fraud%' and tags.team = "risk" AND tags.\`mlflow.prompt.is_prompt\` != 'true' AND attribute.name != 'it\\'s'`,
      ).clauses,
    ).toEqual([
      { entity: 'attribute', key: 'name', op: 'ILIKE', value: '%fraud%' },
      { entity: 'tag', key: 'team', op: '=', value: 'risk' },
      { entity: 'tag', key: 'mlflow.prompt.is_prompt', op: '!=', value: 'true' },
      { entity: 'attribute', key: 'name', op: '!=', value: "it's" },
    ]);
  });

  it('parses MLflow model-version filters', () => {
    expect(
      parseModelVersionFilter(`run_id IN ('a', 'b') AND version_number >= 2 AND source_path LIKE 'runs:/%'`)
        .clauses,
    ).toEqual([
      { entity: 'attribute', key: 'run_id', op: 'IN', value: ['a', 'b'] },
      { entity: 'attribute', key: 'version_number', op: '>=', value: 2 },
      { entity: 'attribute', key: 'source_path', op: 'LIKE', value: 'runs:/%' },
    ]);
  });

  it('names the position and what was expected', () => {
    const cases: Array<[() => unknown, RegExp]> = [
      [() => parseRegisteredModelFilter('version_number = 1'), /position 0: expected an attribute/],
      [() => parseRegisteredModelFilter("name IN ('a')"), /position 5: expected a comparator valid/],
      [() => parseModelVersionFilter("name = 'a' OR name = 'b'"), /position 11: expected AND/],
      [() => parseModelVersionFilter('version_number = 1.5'), /position 17: expected an integer/],
      [() => parseModelVersionFilter("name = 'open"), /position 7: expected a closing '/],
      [() => parseModelVersionFilter('metrics.acc > 1'), /position 0: expected an identifier/],
      [() => parseModelVersionFilter("tags. = 'x'"), /position 5: expected a key/],
    ];
    for (const [parse, message] of cases)
      expect(parse).toThrow(
        expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(message) }),
      );
  });

  it('parses order_by terms, refusing unknown and repeated fields', () => {
    expect(parseRegisteredModelOrderBy(['timestamp DESC', 'name'])).toEqual([
      { entity: 'attribute', key: 'last_updated_timestamp', ascending: false },
      { entity: 'attribute', key: 'name', ascending: true },
    ]);
    expect(parseModelVersionOrderBy(['version_number desc'])).toEqual([
      { entity: 'attribute', key: 'version_number', ascending: false },
    ]);
    expect(() => parseRegisteredModelOrderBy(['timestamp', 'last_updated_timestamp ASC'])).toThrow(
      /duplicate/,
    );
    expect(() => parseModelVersionOrderBy(['run_id'])).toThrow(/Invalid order_by/);
    expect(() => parseModelVersionOrderBy(['name SIDEWAYS'])).toThrow(/Invalid order_by/);
  });
});
