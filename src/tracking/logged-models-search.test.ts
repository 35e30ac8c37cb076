import { describe, expect, it } from 'vitest';
import { parseLoggedModelFilter, parseLoggedModelOrderBy } from './logged-models-search.js';

const invalid = (fn: () => unknown, message: RegExp) =>
  expect(fn).toThrow(
    expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(message) }),
  );

describe('logged-model search filter', () => {
  it('parses attributes, params and tags into the shared tree', () => {
    expect(
      parseLoggedModelFilter(
        "name = 'm' AND attributes.model_type != \"xgb\" AND creation_time >= 17 AND params.lr IN ('0.1', '0.2') " +
          "AND tags.`my key` LIKE 'a%' AND tags.mlflow.user IS NOT NULL AND status ILIKE 'ready'",
      ).clauses,
    ).toEqual([
      { entity: 'attribute', key: 'name', op: '=', value: 'm' },
      { entity: 'attribute', key: 'model_type', op: '!=', value: 'xgb' },
      { entity: 'attribute', key: 'creation_timestamp', op: '>=', value: 17 },
      { entity: 'param', key: 'lr', op: 'IN', value: ['0.1', '0.2'] },
      { entity: 'tag', key: 'my key', op: 'LIKE', value: 'a%' },
      { entity: 'tag', key: 'mlflow.user', op: 'IS NOT NULL', value: null },
      { entity: 'attribute', key: 'status', op: 'ILIKE', value: 'ready' },
    ]);
    expect(parseLoggedModelFilter('   ').clauses).toEqual([]);
    expect(parseLoggedModelFilter("name = 'it\\'s' and last_updated_timestamp < -1.5e3").clauses).toEqual([
      { entity: 'attribute', key: 'name', op: '=', value: "it's" },
      { entity: 'attribute', key: 'last_updated_timestamp', op: '<', value: -1500 },
    ]);
  });

  it('says where and what it expected', () => {
    invalid(
      () => parseLoggedModelFilter("name = 'a' OR name = 'b'"),
      /position 11: expected AND \(OR is not supported/,
    );
    invalid(() => parseLoggedModelFilter('artifact_uri = 1'), /expected an attribute, one of: name/);
    invalid(() => parseLoggedModelFilter("runs.x = 'a'"), /entity prefix/);
    invalid(() => parseLoggedModelFilter('creation_timestamp > now'), /a finite number/);
    invalid(() => parseLoggedModelFilter('name > 1'), /comparator valid for attribute 'name'/);
    invalid(() => parseLoggedModelFilter("name = 'open"), /closing '/);
    invalid(() => parseLoggedModelFilter('metrics.acc > 0.9'), /metrics \('metrics.acc'\) is not supported/);
    invalid(() => parseLoggedModelFilter(`name = '${'x'.repeat(10_001)}'`), /at most 10000 characters/);
  });
});

describe('logged-model search order_by', () => {
  it('orders by attributes, ascending by default', () => {
    expect(
      parseLoggedModelOrderBy([
        { field_name: 'name' },
        { field_name: 'creation_time', ascending: false },
        { field_name: 'attributes.model_id', ascending: true },
      ]),
    ).toEqual([
      { entity: 'attribute', key: 'name', ascending: true },
      { entity: 'attribute', key: 'creation_timestamp', ascending: false },
      { entity: 'attribute', key: 'model_id', ascending: true },
    ]);
  });

  it('refuses what MLflow refuses, and metrics', () => {
    invalid(() => parseLoggedModelOrderBy([{ field_name: '' }]), /`field_name` in the `order_by` clause/);
    invalid(
      () => parseLoggedModelOrderBy([{ field_name: 'params.x' }]),
      /Invalid order by field name: params/,
    );
    invalid(() => parseLoggedModelOrderBy([{ field_name: 'artifact_location' }]), /an attribute/);
    invalid(() => parseLoggedModelOrderBy([{ field_name: 'name DESC' }]), /end of the field name/);
    invalid(() => parseLoggedModelOrderBy([{ field_name: 'metrics.acc', dataset_name: 'd' }]), /metrics/);
    invalid(() => parseLoggedModelOrderBy([{ field_name: 'name', dataset_name: 'd' }]), /dataset_name/);
  });
});
