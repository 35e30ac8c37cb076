import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, remoteAuth } from './connect.js';
import { datasetDigest, datasetInput, inferSourceType } from './dataset.js';
import { flattenConfig, flattenNumbers, valueText } from './records.js';

describe('connect', () => {
  it('picks CAIRN_TRACKING_URI, then MLFLOW_TRACKING_URI, then $CAIRN_HOME/cairn.db', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'cairn-connect-'));
    try {
      const a = await connect(undefined, { env: { CAIRN_HOME: home } });
      expect(a.uri).toBe(`sqlite:///${path.join(home, 'cairn.db')}`);
      expect(a.mode).toBe('embedded');
      expect(a.artifactRoot.uri).toBe(`file://${path.join(home, 'artifacts')}`);
      await a.close();
      const mlflowDb = `sqlite:///${path.join(home, 'mlflow.db')}`;
      const b = await connect(undefined, { env: { CAIRN_HOME: home, MLFLOW_TRACKING_URI: mlflowDb } });
      expect(b.uri).toBe(mlflowDb);
      await b.close();
      const c = await connect(undefined, {
        env: { MLFLOW_TRACKING_URI: mlflowDb, CAIRN_TRACKING_URI: 'http://h:5000/' },
      });
      expect(c.mode).toBe('remote');
      expect(c.uri).toBe('http://h:5000');
      expect(c.artifactRoot.uri).toBe('http://h:5000/api/2.0/mlflow-artifacts/artifacts');
      await c.close();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('refuses an unknown scheme, naming the known ones', async () => {
    await expect(connect('ftp://x/y')).rejects.toThrow(/Known schemes/);
  });

  it('authenticates with a token, basic auth or explicit headers, never with URL credentials on the wire', () => {
    expect(remoteAuth('https://h', {}, { MLFLOW_TRACKING_TOKEN: 't' }).headers).toEqual({
      authorization: 'Bearer t',
    });
    expect(
      remoteAuth('https://h', {}, { MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' }).headers,
    ).toEqual({
      authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
    });
    expect(remoteAuth('https://u%40x:p@h/prefix/', {}, {})).toEqual({
      url: 'https://h/prefix',
      headers: { authorization: `Basic ${Buffer.from('u@x:p').toString('base64')}` },
    });
    expect(
      remoteAuth('https://h', { token: 'opt', headers: { 'X-Team': 'a' } }, { MLFLOW_TRACKING_TOKEN: 'env' })
        .headers,
    ).toEqual({ authorization: 'Bearer opt', 'x-team': 'a' });
  });
});

describe('values, config and datasets', () => {
  it('stringifies params and flattens config and metrics', () => {
    expect([
      valueText('a'),
      valueText(1.5),
      valueText(false),
      valueText(null),
      valueText({ a: [1] }),
    ]).toEqual(['a', '1.5', 'false', 'null', '{"a":[1]}']);
    expect(flattenConfig({ a: { b: { c: 1 }, d: [1, 2] }, e: {}, f: null })).toEqual({
      'a.b.c': 1,
      'a.d': [1, 2],
      e: {},
      f: null,
    });
    expect(flattenNumbers({ loss: 1, val: { acc: 0.5 } })).toEqual({ loss: 1, 'val.acc': 0.5 });
    expect(() => flattenNumbers({ img: [1] })).toThrow(/must be a number, got an array/);
  });

  it('computes a short digest over schema, profile and source, and infers the source type', () => {
    const d = datasetDigest({ source: 's3://b/k', schema: '{}' });
    expect(d).toMatch(/^[0-9a-f]{8}$/);
    expect(datasetDigest({ source: 's3://b/k', schema: '{}' })).toBe(d);
    expect(datasetDigest({ source: 's3://b/k', profile: '{}' })).not.toBe(d);
    expect(
      ['data.csv', 'file:///d', 'https://x/y', 'gs://b/o', 's3a://b/o', 'hf://d'].map(inferSourceType),
    ).toEqual(['local', 'local', 'http', 'gcs', 's3', 'hf']);
    expect(datasetInput({ name: 'n', digest: 'abc', source: { uri: 'https://x' } })).toEqual({
      tags: [],
      dataset: { name: 'n', digest: 'abc', source_type: 'http', source: '{"uri":"https://x"}' },
    });
  });
});
