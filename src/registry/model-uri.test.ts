import { describe, expect, it } from 'vitest';
import { parseModelUri } from './model-uri.js';

describe('parseModelUri', () => {
  it('parses every accepted form', () => {
    expect(parseModelUri('runs:/0123456789abcdef0123456789abcdef/model')).toEqual({
      kind: 'runs',
      runId: '0123456789abcdef0123456789abcdef',
      path: 'model',
    });
    expect(parseModelUri('models:/fraud/3')).toEqual({ kind: 'version', name: 'fraud', version: '3' });
    expect(parseModelUri('models:/fraud/Production')).toEqual({
      kind: 'stage',
      name: 'fraud',
      stage: 'Production',
    });
    expect(parseModelUri('models:/fraud/staging')).toEqual({
      kind: 'stage',
      name: 'fraud',
      stage: 'Staging',
    });
    expect(parseModelUri('models:/fraud/latest')).toEqual({ kind: 'latest', name: 'fraud' });
    expect(parseModelUri('models:/fraud@champion')).toEqual({
      kind: 'alias',
      name: 'fraud',
      alias: 'champion',
    });
    expect(parseModelUri('models:/fraud%20detector/1')).toEqual({
      kind: 'version',
      name: 'fraud detector',
      version: '1',
    });
    const id = `m-${'a'.repeat(32)}`;
    expect(parseModelUri(`models:/${id}`)).toEqual({ kind: 'logged', modelId: id });
    expect(parseModelUri('mlflow-artifacts:/1/abc/artifacts/model')).toEqual({
      kind: 'artifacts',
      path: '1/abc/artifacts/model',
    });
    expect(parseModelUri('mlflow-artifacts://host:5000/1/x')).toEqual({ kind: 'artifacts', path: '1/x' });
    expect(parseModelUri('/srv/models/fraud')).toEqual({ kind: 'local', path: '/srv/models/fraud' });
    expect(parseModelUri('file:///srv/models/fraud')).toEqual({ kind: 'local', path: '/srv/models/fraud' });
  });

  it('refuses hostile and malformed URIs with INVALID_PARAMETER_VALUE', () => {
    for (const uri of [
      '',
      'runs:/../model',
      'runs:/0123456789abcdef0123456789abcdef/../../etc',
      'runs:/0123456789abcdef0123456789abcdef/%2e%2e/x',
      'mlflow-artifacts:/../x',
      'mlflow-artifacts:/%252e%252e/x',
      'models:/fraud',
      'models:/fraud/1/extra',
      'models:/fraud/prod',
      'models:/fraud@bad alias',
      'http:///#/../',
      'https://evil.example/model',
      's3://bucket/model',
      'file://otherhost/etc',
    ]) {
      expect(() => parseModelUri(uri), uri).toThrow(
        expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }),
      );
    }
  });
});
