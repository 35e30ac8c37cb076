import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryStoreForDb } from '../src/registry/backends.js';
import { lineageRoutes, registryRoutes } from '../src/registry/http.js';
import { RegistryService } from '../src/registry/service.js';
import { buildApp } from '../src/server/app.js';
import { openArtifactStore } from '../src/store/artifact-backends.js';
import { openMetadataDb } from '../src/store/db.js';
import { type CairnEvent, EventLog } from '../src/store/events.js';
import { TrackingService } from '../src/tracking/service.js';
import { SqlTrackingStore } from '../src/tracking/sql-store.js';

export interface RegistryTarget {
  registry: RegistryService;
  tracking: TrackingService;
  /** The log the registry's changes are recorded in (the server's, for HTTP). */
  events: EventLog;
  /** An artifact root version sources may lie under. */
  artifactRoot: string;
  close(): Promise<void>;
}

/**
 * A live server with the registry routes, over SQLite or PostgreSQL at `dbUri`: what `cairn server`
 * will run once app.ts registers them (it does not yet, so the routes are added here).
 */
export async function startRegistryServer(dbUri: string, artifactRoot: string) {
  const handle = await openMetadataDb(dbUri);
  const tracking = new TrackingService(new SqlTrackingStore(handle));
  const registry = new RegistryService(registryStoreForDb(handle), {
    tracking,
    allowedSourceRoots: [artifactRoot],
  });
  const app: FastifyInstance = await buildApp({ tracking, artifacts: openArtifactStore(artifactRoot) });
  for (const prefix of ['/api/2.0', '/ajax-api/2.0']) {
    await app.register(registryRoutes(registry), { prefix: `${prefix}/mlflow` });
    await app.register(lineageRoutes(registry), { prefix: `${prefix}/cairn` });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    registry,
    events: EventLog.for(handle),
    close: async () => {
      await app.close();
      await handle.close();
    },
  };
}

const rejectsWith = (p: Promise<unknown>, code: string) => expect(p).rejects.toMatchObject({ code });
let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now()}-${++counter}`;

/**
 * The one behaviour suite of the registry port, run against every adapter (SQLite, PostgreSQL,
 * and HTTP against a live server) through the service, so rules, persistence and events are covered.
 */
export function registrySuite(name: string, open: () => Promise<RegistryTarget>): void {
  describe(`registry store: ${name}`, () => {
    let t: RegistryTarget;
    let reg: RegistryService;
    let runId: string;
    const runsSource = () => `runs:/${runId}/model`;
    beforeAll(async () => {
      t = await open();
      reg = t.registry;
      runId = (await t.tracking.createRun({})).info.run_id;
    });
    afterAll(async () => t?.close());

    /** The events about `model` recorded since `after`. */
    const eventsOf = async (model: string, after: number): Promise<CairnEvent[]> =>
      (await t.events.poll(after, 1000)).filter((e) => e.subject === model);

    it('creates, gets, updates, renames and deletes registered models', async () => {
      const name = unique('model');
      const created = await reg.createRegisteredModel({
        name,
        description: 'fraud scorer',
        tags: [{ key: 'team', value: 'risk' }],
      });
      expect(created).toMatchObject({
        name,
        description: 'fraud scorer',
        tags: [{ key: 'team', value: 'risk' }],
        latest_versions: [],
        aliases: [],
      });
      expect(created.creation_timestamp).toBe(created.last_updated_timestamp);
      await rejectsWith(reg.createRegisteredModel({ name }), 'RESOURCE_ALREADY_EXISTS');
      await rejectsWith(reg.getRegisteredModel(unique('missing')), 'RESOURCE_DOES_NOT_EXIST');

      const updated = await reg.updateRegisteredModel(name, 'v2 scorer');
      expect(updated.description).toBe('v2 scorer');
      await reg.setRegisteredModelTag(name, 'owner', 'ada');
      await reg.setRegisteredModelTag(name, 'team', 'fraud');
      await reg.deleteRegisteredModelTag(name, 'owner');
      expect((await reg.getRegisteredModel(name)).tags).toEqual([{ key: 'team', value: 'fraud' }]);

      await reg.createModelVersion({ name, source: runsSource(), runId });
      const other = unique('other');
      await reg.createRegisteredModel({ name: other });
      await rejectsWith(reg.renameRegisteredModel(name, other), 'RESOURCE_ALREADY_EXISTS');
      const renamed = unique('renamed');
      const r = await reg.renameRegisteredModel(name, renamed);
      expect(r.name).toBe(renamed);
      expect((await reg.getModelVersion(renamed, '1')).name).toBe(renamed);
      await rejectsWith(reg.getRegisteredModel(name), 'RESOURCE_DOES_NOT_EXIST');

      await reg.deleteRegisteredModel(renamed);
      await rejectsWith(reg.getRegisteredModel(renamed), 'RESOURCE_DOES_NOT_EXIST');
      await rejectsWith(reg.getModelVersion(renamed, '1'), 'RESOURCE_DOES_NOT_EXIST');
      await rejectsWith(reg.deleteRegisteredModel(renamed), 'RESOURCE_DOES_NOT_EXIST');
      await reg.createRegisteredModel({ name: renamed });
      expect((await reg.createModelVersion({ name: renamed, source: runsSource() })).version).toBe('1');
    });

    it('keeps names canonical', async () => {
      const bad = [
        '',
        'a/b',
        'a%2Fb',
        'm%6fdel',
        'a:b',
        'a\\b',
        '.',
        '..',
        'a\nb',
        'e\u0301',
        'x'.repeat(257),
      ];
      for (const n of bad) {
        await rejectsWith(reg.createRegisteredModel({ name: n }), 'INVALID_PARAMETER_VALUE');
      }
      await rejectsWith(reg.getRegisteredModel('a%2Fb'), 'INVALID_PARAMETER_VALUE');
      const ok = `${unique('Fraud model v2_1.0+β')} (prod)`;
      expect((await reg.createRegisteredModel({ name: ok })).name).toBe(ok);
      expect((await reg.getRegisteredModel(ok)).name).toBe(ok);
      await rejectsWith(reg.renameRegisteredModel(ok, 'x/y'), 'INVALID_PARAMETER_VALUE');
    });

    it('numbers versions per model and never reuses a number', async () => {
      const name = unique('versions');
      await reg.createRegisteredModel({ name });
      const v1 = await reg.createModelVersion({
        name,
        source: runsSource(),
        runId,
        runLink: 'http://ci/run/1',
        description: 'first',
        tags: [{ key: 'framework', value: 'xgboost' }],
      });
      expect(v1).toMatchObject({
        name,
        version: '1',
        current_stage: 'None',
        status: 'READY',
        source: runsSource(),
        run_id: runId,
        run_link: 'http://ci/run/1',
        description: 'first',
        tags: [{ key: 'framework', value: 'xgboost' }],
        aliases: [],
      });
      expect((await reg.createModelVersion({ name, source: runsSource() })).version).toBe('2');
      expect((await reg.createModelVersion({ name, source: runsSource() })).version).toBe('3');
      await reg.deleteModelVersion(name, '3');
      await rejectsWith(reg.getModelVersion(name, '3'), 'RESOURCE_DOES_NOT_EXIST');
      expect((await reg.createModelVersion({ name, source: runsSource() })).version).toBe('4');

      const upd = await reg.updateModelVersion(name, 1, 'better');
      expect(upd.description).toBe('better');
      expect(upd.last_updated_timestamp).toBeGreaterThanOrEqual(v1.last_updated_timestamp);
      await reg.setModelVersionTag(name, '1', 'stage', 'candidate');
      await reg.deleteModelVersionTag(name, '1', 'framework');
      expect((await reg.getModelVersion(name, '01')).tags).toEqual([{ key: 'stage', value: 'candidate' }]);
      expect(await reg.getDownloadUri(name, '1')).toBe(runsSource());

      await rejectsWith(reg.getModelVersion(name, 'abc'), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(reg.getModelVersion(name, '99'), 'RESOURCE_DOES_NOT_EXIST');
      await rejectsWith(
        reg.createModelVersion({ name: unique('nope'), source: runsSource() }),
        'RESOURCE_DOES_NOT_EXIST',
      );
      await rejectsWith(reg.setModelVersionTag(name, '1', 'k'.repeat(251), 'v'), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(reg.setModelVersionTag(name, '1', '../k', 'v'), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(
        reg.setModelVersionTag(name, '1', 'k', 'v'.repeat(100_001)),
        'INVALID_PARAMETER_VALUE',
      );
      await reg.setRegisteredModelTag(name, 'big', 'v'.repeat(100_000));
    });

    it('allocates versions 1..20 to 20 concurrent creations', async () => {
      const name = unique('concurrent');
      await reg.createRegisteredModel({ name });
      const after = await t.events.lastEventId();
      const created = await Promise.all(
        Array.from({ length: 20 }, () => reg.createModelVersion({ name, source: runsSource() })),
      );
      const numbers = created.map((v) => Number(v.version)).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const events = await eventsOf(name, after);
      expect(events.map((e) => e.type)).toEqual(Array(20).fill('model_version.created'));
      const versions = events.map((e) => Number((e.payload as { version: string }).version));
      expect([...versions].sort((a, b) => a - b)).toEqual(numbers);
    });

    it('moves versions through the legacy stages, archiving on request', async () => {
      const name = unique('stages');
      await reg.createRegisteredModel({ name });
      for (let i = 0; i < 3; i++) await reg.createModelVersion({ name, source: runsSource() });
      expect((await reg.transitionStage(name, '1', 'staging')).current_stage).toBe('Staging');
      await reg.transitionStage(name, '1', 'Production');
      await reg.transitionStage(name, '2', 'Production');
      const promoted = await reg.transitionStage(name, '3', 'PRODUCTION', true);
      expect(promoted.current_stage).toBe('Production');
      expect((await reg.getModelVersion(name, '1')).current_stage).toBe('Archived');
      expect((await reg.getModelVersion(name, '2')).current_stage).toBe('Archived');

      const latest = await reg.getLatestVersions(name, ['production', 'Archived']);
      expect(latest.map((v) => [v.version, v.current_stage])).toEqual([
        ['2', 'Archived'],
        ['3', 'Production'],
      ]);
      expect((await reg.getLatestVersions(name)).map((v) => v.version)).toEqual(['2', '3']);
      expect((await reg.getRegisteredModel(name)).latest_versions.map((v) => v.version)).toEqual(['2', '3']);

      await rejectsWith(reg.transitionStage(name, '1', 'Live'), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(reg.transitionStage(name, '1', 'Archived', true), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(reg.transitionStage(name, '7', 'Staging'), 'RESOURCE_DOES_NOT_EXIST');
      await rejectsWith(reg.getLatestVersions(name, ['Live']), 'INVALID_PARAMETER_VALUE');
    });

    it('sets, moves, reads and deletes aliases', async () => {
      const name = unique('aliases');
      await reg.createRegisteredModel({ name });
      for (let i = 0; i < 3; i++) await reg.createModelVersion({ name, source: runsSource() });
      await reg.setAlias(name, 'champion', '1');
      await reg.setAlias(name, 'challenger', 2);
      expect((await reg.getModelVersionByAlias(name, 'champion')).version).toBe('1');
      await reg.setAlias(name, 'champion', '2');
      const champion = await reg.getModelVersionByAlias(name, 'champion');
      expect(champion.version).toBe('2');
      expect(champion.aliases).toEqual(['challenger', 'champion']);
      expect((await reg.getModelVersion(name, '1')).aliases).toEqual([]);
      expect((await reg.getRegisteredModel(name)).aliases).toEqual([
        { alias: 'challenger', version: '2' },
        { alias: 'champion', version: '2' },
      ]);

      await reg.deleteAlias(name, 'challenger');
      await reg.deleteAlias(name, 'challenger'); // already gone: nothing to do
      await expect(reg.getModelVersionByAlias(name, 'challenger')).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: 'Registered model alias challenger not found.',
      });
      for (const bad of ['latest', 'Latest', 'v1', 'V12', 'a b', 'a/b', 'x'.repeat(256), ''])
        await rejectsWith(reg.setAlias(name, bad, '1'), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(reg.setAlias(name, 'ghost', '9'), 'RESOURCE_DOES_NOT_EXIST');
      await rejectsWith(reg.setAlias(unique('none'), 'ghost', '1'), 'RESOURCE_DOES_NOT_EXIST');

      await reg.deleteModelVersion(name, '2');
      await rejectsWith(reg.getModelVersionByAlias(name, 'champion'), 'INVALID_PARAMETER_VALUE');
      expect((await reg.getRegisteredModel(name)).aliases).toEqual([]);
    });

    it('records each change as one event, in its transaction, and none for a failed change', async () => {
      const name = unique('events');
      const heard: CairnEvent[] = [];
      const stop = t.events.subscribe((e) => {
        if (e.subject === name || e.subject === `${name}-2`) heard.push(e);
      });
      const after = await t.events.lastEventId();
      await reg.createRegisteredModel({ name });
      await reg.createModelVersion({ name, source: runsSource() });
      await reg.createModelVersion({ name, source: runsSource() });
      await reg.setAlias(name, 'champion', '1');
      await reg.setAlias(name, 'champion', '1'); // unchanged: no event
      await reg.setAlias(name, 'champion', '2');
      await reg.transitionStage(name, '1', 'Production');
      await reg.transitionStage(name, '2', 'Production', true);
      await reg.setModelVersionTag(name, '1', 'k', 'v'); // tags are not events
      // Failed changes leave no event.
      await rejectsWith(reg.transitionStage(name, '9', 'Staging'), 'RESOURCE_DOES_NOT_EXIST');
      await rejectsWith(reg.setAlias(name, 'champion', '9'), 'RESOURCE_DOES_NOT_EXIST');
      await rejectsWith(
        reg.createModelVersion({ name, source: 'file:///etc/passwd' }),
        'INVALID_PARAMETER_VALUE',
      );
      await rejectsWith(reg.renameRegisteredModel(name, 'bad/name'), 'INVALID_PARAMETER_VALUE');
      await reg.setAlias(name, 'backup', '1');
      await reg.deleteAlias(name, 'backup');
      await reg.deleteModelVersion(name, '2');
      await reg.renameRegisteredModel(name, `${name}-2`);
      await reg.deleteRegisteredModel(`${name}-2`);

      const all = (await t.events.poll(after, 1000)).filter(
        (e) => e.subject === name || e.subject === `${name}-2`,
      );
      expect(all.map((e) => [e.type, e.payload])).toEqual([
        ['model_version.created', { name, version: '1' }],
        ['model_version.created', { name, version: '2' }],
        ['registered_model.alias_set', { name, version: '1', alias: 'champion', to: '1' }],
        ['registered_model.alias_set', { name, version: '2', alias: 'champion', from: '1', to: '2' }],
        ['model_version.stage_changed', { name, version: '1', from: 'None', to: 'Production' }],
        ['model_version.stage_changed', { name, version: '2', from: 'None', to: 'Production' }],
        ['model_version.stage_changed', { name, version: '1', from: 'Production', to: 'Archived' }],
        ['registered_model.alias_set', { name, version: '1', alias: 'backup', to: '1' }],
        ['registered_model.alias_deleted', { name, version: '1', alias: 'backup' }],
        ['registered_model.alias_deleted', { name, version: '2', alias: 'champion' }],
        ['model_version.deleted', { name, version: '2' }],
        ['registered_model.renamed', { name: `${name}-2`, from: name, to: `${name}-2` }],
        ['registered_model.deleted', { name: `${name}-2` }],
      ]);
      const ids = all.map((e) => e.eventId);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      stop();
      expect(heard.map((e) => e.eventId)).toEqual(ids);
    });

    it('searches registered models with filters, order and pages', async () => {
      const tag = unique('rms');
      for (const [n, team] of [
        ['b', 'risk'],
        ['a', 'risk'],
        ['c', 'ads'],
      ] as const) {
        await reg.createRegisteredModel({ name: `${tag}-${n}`, tags: [{ key: 'team', value: team }] });
      }
      await reg.createRegisteredModel({
        name: `${tag}-prompt`,
        tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }],
      });
      const names = async (q: Parameters<RegistryService['searchRegisteredModels']>[0]) =>
        (await reg.searchRegisteredModels(q)).items.map((m) => m.name);
      expect(await names({ filter: `name LIKE '${tag}-%'` })).toEqual([`${tag}-a`, `${tag}-b`, `${tag}-c`]);
      expect(await names({ filter: `name ILIKE '${tag.toUpperCase()}-%'`, orderBy: ['name DESC'] })).toEqual([
        `${tag}-c`,
        `${tag}-b`,
        `${tag}-a`,
      ]);
      expect(await names({ filter: `name = '${tag}-b'` })).toEqual([`${tag}-b`]);
      expect(await names({ filter: `name LIKE '${tag}-%' AND tags.team = 'risk'` })).toEqual([
        `${tag}-a`,
        `${tag}-b`,
      ]);
      expect(await names({ filter: `name LIKE '${tag}-%' AND tags.\`team\` != 'risk'` })).toEqual([
        `${tag}-c`,
      ]);
      expect(
        await names({ filter: `name LIKE '${tag}-%'`, orderBy: ['timestamp DESC'] }).then((n) => n.length),
      ).toBe(3);
      expect(
        await names({ filter: `name LIKE '${tag}-%' AND tags.\`mlflow.prompt.is_prompt\` = 'true'` }),
      ).toEqual([`${tag}-prompt`]);

      const first = await reg.searchRegisteredModels({ filter: `name LIKE '${tag}-%'`, maxResults: 2 });
      expect(first.items.map((m) => m.name)).toEqual([`${tag}-a`, `${tag}-b`]);
      const second = await reg.searchRegisteredModels({
        filter: `name LIKE '${tag}-%'`,
        maxResults: 2,
        pageToken: first.nextPageToken!,
      });
      expect(second.items.map((m) => m.name)).toEqual([`${tag}-c`]);
      expect(second.nextPageToken).toBeUndefined();

      for (const filter of ['name ==== 1', "run_id = 'x'", "name IN ('a')", 'name = 3', 'tags.team IS NULL'])
        await rejectsWith(reg.searchRegisteredModels({ filter }), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(
        reg.searchRegisteredModels({ orderBy: ['name', 'name DESC'] }),
        'INVALID_PARAMETER_VALUE',
      );
      await rejectsWith(reg.searchRegisteredModels({ maxResults: 1001 }), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(reg.searchRegisteredModels({ pageToken: 'nope' }), 'INVALID_PARAMETER_VALUE');
      expect(await names({ filter: `name = "x' OR 1=1 --"` })).toEqual([]);
    });

    it('searches model versions by name, run, source, number and tag', async () => {
      const name = unique('mvs');
      await reg.createRegisteredModel({ name });
      const otherRun = (await t.tracking.createRun({})).info.run_id;
      for (let i = 1; i <= 4; i++) {
        await reg.createModelVersion({
          name,
          source: `runs:/${i % 2 ? runId : otherRun}/model-${i}`,
          runId: i % 2 ? runId : otherRun,
          tags: [{ key: 'parity', value: i % 2 ? 'odd' : 'even' }],
        });
      }
      const versions = async (filter: string, orderBy?: string[]) =>
        (await reg.searchModelVersions({ filter, ...(orderBy ? { orderBy } : {}) })).items.map(
          (v) => v.version,
        );
      expect(await versions(`name = '${name}'`, ['version_number ASC'])).toEqual(['1', '2', '3', '4']);
      expect(await versions(`name = '${name}'`)).toEqual(['4', '3', '2', '1']);
      expect(await versions(`name = '${name}' AND run_id = '${otherRun}'`, ['version_number'])).toEqual([
        '2',
        '4',
      ]);
      expect(await versions(`name='${name}' and run_id IN ('${runId}', 'zzz')`, ['version_number'])).toEqual([
        '1',
        '3',
      ]);
      expect(await versions(`name = '${name}' AND source_path = 'runs:/${runId}/model-3'`)).toEqual(['3']);
      expect(await versions(`name = '${name}' AND source_path LIKE '%model-1'`)).toEqual(['1']);
      expect(await versions(`name = '${name}' AND version_number > 2`, ['version_number'])).toEqual([
        '3',
        '4',
      ]);
      expect(await versions(`name = '${name}' AND tags.parity = 'even'`, ['version_number DESC'])).toEqual([
        '4',
        '2',
      ]);
      const first = await reg.searchModelVersions({ filter: `name = '${name}'`, maxResults: 3 });
      expect(first.items.map((v) => v.version)).toEqual(['4', '3', '2']);
      const rest = await reg.searchModelVersions({
        filter: `name = '${name}'`,
        maxResults: 3,
        pageToken: first.nextPageToken!,
      });
      expect(rest.items.map((v) => v.version)).toEqual(['1']);
      for (const filter of [
        "version_number = '1'",
        "source_path IN ('x')",
        'metrics.acc > 1',
        "name = 'a' OR name = 'b'",
      ])
        await rejectsWith(reg.searchModelVersions({ filter }), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(reg.searchModelVersions({ maxResults: 200_001 }), 'INVALID_PARAMETER_VALUE');
    });

    it('accepts sources under the allowed roots and refuses hostile ones', async () => {
      const name = unique('sources');
      await reg.createRegisteredModel({ name });
      const fileUri = pathToFileURL(path.join(t.artifactRoot, '1', 'abc', 'artifacts', 'model')).href;
      const good = [
        runsSource(),
        `models:/${name}/1`,
        'models:/m-0123456789abcdef',
        'mlflow-artifacts:/0/abc/artifacts/model',
        'mlflow-artifacts://localhost:5000/0/abc/artifacts/model',
        path.join(t.artifactRoot, '0', 'abc', 'artifacts', 'model'),
        fileUri,
      ];
      for (const source of good) expect((await reg.createModelVersion({ name, source })).source).toBe(source);
      const hostile = [
        'file:///etc/passwd',
        '/etc/passwd',
        '/proc/self/root',
        '//proc/self/root',
        '../x',
        '%2e%2e/x',
        'model',
        'http:///#/../',
        'http://example.com/model',
        'https://169.254.169.254/latest',
        'ftp://host/model',
        'runs:/../x',
        'runs:/%2e%2e/x',
        `runs:/${runId}/../../x`,
        `runs:/${runId}/%2e%2e/x`,
        `runs:/${runId}/%252e%252e/x`,
        'models:/../x',
        'mlflow-artifacts:/../../etc',
        'mlflow-artifacts:/a/%2E%2E/%2E%2E/etc',
        `${t.artifactRoot}/../secret`,
        `${t.artifactRoot}/x/%2e%2e/%2e%2e/secret`,
        `${t.artifactRoot}-evil/model`,
        `${t.artifactRoot}/a\0b`,
        `file://${t.artifactRoot}/..%2f..%2fetc`,
        'file://otherhost/share/model',
      ];
      for (const source of hostile) {
        await expect(reg.createModelVersion({ name, source }), source).rejects.toMatchObject({
          code: 'INVALID_PARAMETER_VALUE',
        });
      }
      const all = await reg.searchModelVersions({ filter: `name = '${name}'` });
      expect(all.items).toHaveLength(good.length);
    });

    it('returns a version with its lineage: run, params, metrics, dataset digests', async () => {
      const run = await t.tracking.createRun({ runName: 'trainer' });
      const id = run.info.run_id;
      await t.tracking.logBatch(id, {
        params: [{ key: 'lr', value: '0.1' }],
        metrics: [{ key: 'auc', value: 0.93, timestamp: 1, step: 0 }],
      });
      const dataset = { name: 'tx', digest: 'd1g35t', source_type: 'local', source: '{"uri": "tx.parquet"}' };
      await t.tracking.logInputs(id, [
        { tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset },
      ]);
      const name = unique('lineage');
      await reg.createRegisteredModel({ name });
      await reg.createModelVersion({ name, source: `runs:/${id}/model` });
      await reg.createModelVersion({ name, source: path.join(t.artifactRoot, 'x', 'model'), runId: id });
      await reg.createModelVersion({ name, source: 'mlflow-artifacts:/somewhere/model' });

      for (const v of ['1', '2']) {
        const lineage = await reg.getLineage(name, v);
        expect(lineage.modelVersion.version).toBe(v);
        expect(lineage.run?.info).toMatchObject({ run_id: id, run_name: 'trainer' });
        expect(lineage.run?.params).toEqual([{ key: 'lr', value: '0.1' }]);
        expect(lineage.run?.metrics).toEqual([{ key: 'auc', value: 0.93, timestamp: 1, step: 0 }]);
        expect(lineage.run?.inputs.map((i) => i.dataset.digest)).toEqual(['d1g35t']);
      }
      expect((await reg.getLineage(name, '3')).run).toBeNull();
      await rejectsWith(reg.getLineage(name, '4'), 'RESOURCE_DOES_NOT_EXIST');
    });
  });
}
