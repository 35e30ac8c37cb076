import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Visibility } from '../core/visibility.js';
import { parseRequest, wire } from '../server/request.js';
import { listScope } from '../server/visibility.js';
import type { RegistryService, SearchInput } from './service.js';
import { lineageToWire, modelVersionToWire, registeredModelToWire } from './wire.js';

const version = z.union([z.string(), z.number().int().nonnegative().transform(String)]);
const tagValue = z.union([z.string(), z.number().transform(String), z.boolean().transform(String)]);
const tags = z.array(z.object({ key: z.string(), value: tagValue.optional() })).optional();
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const search = z.object({
  filter: z.string().optional(),
  max_results: wire.int32.optional(),
  order_by: wire.stringList.optional(),
  page_token: z.string().optional(),
});

const named = z.object({ name: wire.string });
const versioned = named.extend({ version });

/**
 * MLflow's registry REST routes, registered under a prefix such as `/api/2.0/mlflow`. GET routes
 * read the query string; DELETE routes read a JSON body (what MLflow's clients send) or the query.
 */
export function registryRoutes(service: RegistryService) {
  return async function register(app: FastifyInstance): Promise<void> {
    const input = (req: FastifyRequest): unknown => {
      if (req.method === 'GET') return req.query;
      if (req.method === 'DELETE') return { ...asObject(req.query), ...asObject(req.body) };
      return req.body;
    };

    // ---- registered models ----
    app.post('/registered-models/create', async (req) => {
      const b = parseRequest(named.extend({ tags, description: z.string().optional() }), req.body);
      const model = await service.createRegisteredModel({
        name: b.name,
        tags: keyValues(b.tags),
        ...(b.description !== undefined ? { description: b.description } : {}),
      });
      return { registered_model: registeredModelToWire(model) };
    });

    app.get('/registered-models/get', async (req) => {
      const q = parseRequest(named, req.query);
      return { registered_model: registeredModelToWire(await service.getRegisteredModel(q.name)) };
    });

    app.post('/registered-models/rename', async (req) => {
      const b = parseRequest(named.extend({ new_name: wire.string }), req.body);
      return {
        registered_model: registeredModelToWire(await service.renameRegisteredModel(b.name, b.new_name)),
      };
    });

    app.patch('/registered-models/update', async (req) => {
      const b = parseRequest(named.extend({ description: z.string().optional() }), req.body);
      return {
        registered_model: registeredModelToWire(await service.updateRegisteredModel(b.name, b.description)),
      };
    });

    app.delete('/registered-models/delete', async (req) => {
      await service.deleteRegisteredModel(parseRequest(named, input(req)).name);
      return {};
    });

    app.get('/registered-models/search', async (req) => {
      const page = await service.searchRegisteredModels(
        searchInput(parseRequest(search, req.query), listScope(req).registeredModels),
      );
      return pageToWire('registered_models', page.items.map(registeredModelToWire), page.nextPageToken);
    });

    const latestVersions = async (req: FastifyRequest) => {
      const b = parseRequest(named.extend({ stages: wire.stringList.optional() }), input(req));
      const versions = await service.getLatestVersions(b.name, b.stages ?? []);
      return pageToWire('model_versions', versions.map(modelVersionToWire), undefined);
    };
    app.post('/registered-models/get-latest-versions', latestVersions);
    app.get('/registered-models/get-latest-versions', latestVersions);

    app.post('/registered-models/set-tag', async (req) => {
      const b = parseRequest(named.extend({ key: wire.string, value: tagValue.optional() }), req.body);
      await service.setRegisteredModelTag(b.name, b.key, b.value ?? '');
      return {};
    });

    app.delete('/registered-models/delete-tag', async (req) => {
      const b = parseRequest(named.extend({ key: wire.string }), input(req));
      await service.deleteRegisteredModelTag(b.name, b.key);
      return {};
    });

    // ---- aliases ----
    app.post('/registered-models/alias', async (req) => {
      const b = parseRequest(named.extend({ alias: wire.string, version }), req.body);
      await service.setAlias(b.name, b.alias, b.version);
      return {};
    });

    app.delete('/registered-models/alias', async (req) => {
      const b = parseRequest(named.extend({ alias: wire.string }), input(req));
      await service.deleteAlias(b.name, b.alias);
      return {};
    });

    app.get('/registered-models/alias', async (req) => {
      const q = parseRequest(named.extend({ alias: wire.string }), req.query);
      return { model_version: modelVersionToWire(await service.getModelVersionByAlias(q.name, q.alias)) };
    });

    // ---- model versions ----
    app.post('/model-versions/create', async (req) => {
      const b = parseRequest(
        named.extend({
          source: wire.string,
          run_id: z.string().optional(),
          tags,
          run_link: z.string().optional(),
          description: z.string().optional(),
          model_id: z.string().optional(),
        }),
        req.body,
      );
      const mv = await service.createModelVersion({
        name: b.name,
        source: b.source,
        tags: keyValues(b.tags),
        ...(b.run_id ? { runId: b.run_id } : {}),
        ...(b.run_link ? { runLink: b.run_link } : {}),
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(b.model_id ? { modelId: b.model_id } : {}),
      });
      return { model_version: modelVersionToWire(mv) };
    });

    app.get('/model-versions/get', async (req) => {
      const q = parseRequest(versioned, req.query);
      return { model_version: modelVersionToWire(await service.getModelVersion(q.name, q.version)) };
    });

    app.patch('/model-versions/update', async (req) => {
      const b = parseRequest(versioned.extend({ description: z.string().optional() }), req.body);
      return {
        model_version: modelVersionToWire(await service.updateModelVersion(b.name, b.version, b.description)),
      };
    });

    app.post('/model-versions/transition-stage', async (req) => {
      const b = parseRequest(
        versioned.extend({ stage: wire.string, archive_existing_versions: flag.optional() }),
        req.body,
      );
      const mv = await service.transitionStage(
        b.name,
        b.version,
        b.stage,
        b.archive_existing_versions ?? false,
      );
      return { model_version: modelVersionToWire(mv) };
    });

    app.delete('/model-versions/delete', async (req) => {
      const b = parseRequest(versioned, input(req));
      await service.deleteModelVersion(b.name, b.version);
      return {};
    });

    app.get('/model-versions/search', async (req) => {
      const page = await service.searchModelVersions(
        searchInput(parseRequest(search, req.query), listScope(req).registeredModels),
      );
      return pageToWire('model_versions', page.items.map(modelVersionToWire), page.nextPageToken);
    });

    app.get('/model-versions/get-download-uri', async (req) => {
      const q = parseRequest(versioned, req.query);
      return { artifact_uri: await service.getDownloadUri(q.name, q.version) };
    });

    app.post('/model-versions/set-tag', async (req) => {
      const b = parseRequest(versioned.extend({ key: wire.string, value: tagValue.optional() }), req.body);
      await service.setModelVersionTag(b.name, b.version, b.key, b.value ?? '');
      return {};
    });

    app.delete('/model-versions/delete-tag', async (req) => {
      const b = parseRequest(versioned.extend({ key: wire.string }), input(req));
      await service.deleteModelVersionTag(b.name, b.version, b.key);
      return {};
    });
  };
}

/** Cairn's own registry routes, under `/api/2.0/cairn`: `GET /model-versions/lineage?name=&version=`. */
export function lineageRoutes(service: RegistryService) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.get('/model-versions/lineage', async (req) => {
      const q = parseRequest(versioned, req.query);
      return lineageToWire(await service.getLineage(q.name, q.version));
    });
  };
}

function asObject(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function keyValues(list: Array<{ key: string; value?: string | undefined }> | undefined) {
  return (list ?? []).map((t) => ({ key: t.key, value: t.value ?? '' }));
}

function searchInput(q: z.output<typeof search>, visible: Visibility | undefined): SearchInput {
  return {
    ...(visible ? { visible } : {}),
    ...(q.filter !== undefined ? { filter: q.filter } : {}),
    ...(q.order_by ? { orderBy: q.order_by } : {}),
    ...(q.max_results !== undefined ? { maxResults: q.max_results } : {}),
    ...(q.page_token ? { pageToken: q.page_token } : {}),
  };
}

function pageToWire(field: string, items: unknown[], token: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (items.length > 0) out[field] = items;
  if (token) out['next_page_token'] = token;
  return out;
}
