import { describe, expect, it } from 'vitest';
import { checkModelSource } from './source.js';

const refused = (source: string, roots: string[] = []) =>
  expect(() => checkModelSource(source, roots), source).toThrow(
    expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }),
  );

describe('checkModelSource', () => {
  it('parses the URI forms it accepts', () => {
    const run = '0123456789abcdef0123456789abcdef';
    expect(checkModelSource(`runs:/${run}/model/sub`, [])).toEqual({
      kind: 'runs',
      runId: run,
      path: 'model/sub',
    });
    expect(checkModelSource(`runs:/${run}`, [])).toEqual({ kind: 'runs', runId: run, path: '' });
    expect(checkModelSource('models:/fraud@champion', [])).toEqual({
      kind: 'models',
      path: 'fraud@champion',
    });
    expect(checkModelSource('mlflow-artifacts://h:5000/0/r/artifacts/m', [])).toEqual({
      kind: 'mlflow-artifacts',
      path: '0/r/artifacts/m',
    });
  });

  it('accepts locations under local, file: and S3 roots, and only under them', () => {
    const roots = ['/srv/art/', 'file:///data/models', 's3://Bucket/prefix'];
    expect(checkModelSource('/srv/art/0/r/model', roots)).toEqual({
      kind: 'location',
      root: '/srv/art/',
      path: '0/r/model',
    });
    expect(checkModelSource('file:///srv/art/x', roots)).toMatchObject({ root: '/srv/art/', path: 'x' });
    expect(checkModelSource('file://localhost/data/models/m', roots)).toMatchObject({ path: 'm' });
    expect(checkModelSource('/data/models/m', roots)).toMatchObject({
      root: 'file:///data/models',
      path: 'm',
    });
    expect(checkModelSource('S3://Bucket/prefix/m/v1', roots)).toMatchObject({ root: 's3://Bucket/prefix' });
    for (const s of [
      '/srv/art',
      '/srv/artifacts/x',
      '/srv/art/../etc',
      '/srv/art/a/%2e%2e/%2e%2e/etc',
      '/srv/art/a%2f..%2f..%2fetc',
      '/srv/art/a\\..\\..\\etc',
      '/srv/art/a?x=1',
      '/srv/art/a#frag',
      's3://Bucket/prefix-other/m',
      's3://bucket/prefix/m',
      's3://Bucket/prefix/../../other',
      'gs://Bucket/prefix/m',
      'file:/etc/passwd',
      'file://evil/srv/art/x',
    ])
      refused(s, roots);
  });

  it('refuses everything else', () => {
    for (const s of [
      '',
      'model',
      './model',
      'C:\\models\\m',
      'http://h/m',
      'runs:',
      'runs:/',
      'models:',
      'models:x',
    ])
      refused(s);
    refused(`/ok/${'x'.repeat(1100)}`, ['/ok']);
    refused('mlflow-artifacts:/a/%zz');
  });
});
