import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { CairnError } from '../core/errors.js';
import { parseModelUri } from '../registry/model-uri.js';

/** A deployment file: weighted routes, an optional shadow, optional sticky routing. */
const modelUri = z.string().superRefine((uri, ctx) => {
  try {
    parseModelUri(uri);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

const ROUTE_NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;

const routeSchema = z
  .object({
    name: z.string().regex(ROUTE_NAME, 'a route name is letters, digits, _ . - (at most 64)'),
    model: modelUri,
    weight: z.number().finite().min(0),
  })
  .strict();

const batchingSchema = z
  .object({
    maxBatchSize: z.number().int().min(1),
    maxLatencyMs: z.number().int().min(0),
    maxQueue: z.number().int().min(1),
    timeoutMs: z.number().int().min(1),
    batching: z.boolean(),
  })
  .partial()
  .strict();

export const deploymentSchema = z
  .object({
    routes: z.array(routeSchema).min(1),
    shadow: z
      .object({
        name: z.string().regex(ROUTE_NAME).optional(),
        model: modelUri,
        fraction: z.number().min(0).max(1),
      })
      .strict()
      .optional(),
    sticky: z
      .object({ header: z.string().min(1).toLowerCase() })
      .strict()
      .optional(),
    batching: batchingSchema.optional(),
    trackingUri: z.string().min(1).optional(),
    /**
     * Worker threads per model, as `--workers` (which wins over it): an integer >= 0 (0 predicts
     * on the event loop) or 'auto'.
     */
    workers: z.union([z.literal('auto'), z.number().int().min(0)]).optional(),
    /** How often registry events are polled for hot reload, in ms (default 500; remote 3000). */
    reloadIntervalMs: z.number().int().min(10).optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const total = d.routes.reduce((s, r) => s + r.weight, 0);
    if (!(total > 0))
      ctx.addIssue({ code: 'custom', path: ['routes'], message: 'route weights must sum to more than 0' });
    const seen = new Set<string>();
    d.routes.forEach((r, i) => {
      if (seen.has(r.name))
        ctx.addIssue({ code: 'custom', path: ['routes', i, 'name'], message: `duplicate route '${r.name}'` });
      seen.add(r.name);
    });
  });

export type Deployment = z.infer<typeof deploymentSchema>;

/** Validates a deployment object; errors are INVALID_PARAMETER_VALUE naming the field. */
export function parseDeployment(input: unknown, source = 'deployment'): Deployment {
  const r = deploymentSchema.safeParse(input);
  if (r.success) return r.data;
  const msgs = r.error.issues.slice(0, 5).map((i) => {
    const field = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const keys = 'keys' in i && Array.isArray(i.keys) ? ` (${i.keys.join(', ')})` : '';
    return `${field.replace(/^\./, '') || '(root)'}: ${i.message}${keys}`;
  });
  throw new CairnError('INVALID_PARAMETER_VALUE', `Invalid ${source}: ${msgs.join('; ')}`);
}

/** Reads and validates a deployment YAML (or JSON) file. */
export async function loadDeploymentFile(file: string): Promise<Deployment> {
  let doc: unknown;
  try {
    doc = parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Cannot read deployment file '${file}': ${(e as Error).message}`,
    );
  }
  return parseDeployment(doc, `deployment file '${file}'`);
}
