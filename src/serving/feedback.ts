/**
 * Ground-truth labels for logged inferences, posted later by request id (`POST /feedback`).
 * A label is any JSON value; posting again for the same request id replaces it.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { type Clock, systemClock } from '../core/clock.js';
import { CairnError } from '../core/errors.js';
import { parseRequest } from '../server/request.js';
import type { MetadataDb } from '../store/db.js';

/** Most labels in one `POST /feedback` (MLflow's log-batch metric limit). */
export const MAX_FEEDBACK_BATCH = 1000;
const MAX_REQUEST_ID_LENGTH = 256;
/** Ids per `IN (…)` lookup. */
const LOOKUP_CHUNK = 500;

export interface FeedbackItem {
  requestId: string;
  label: unknown;
}

export interface FeedbackStoreOptions {
  /**
   * Accept labels for request ids that are not in the inference log (default false: such a
   * label is RESOURCE_DOES_NOT_EXIST). Set it when serving samples (`sampleRate < 1`), since a
   * caller cannot know which requests were kept.
   */
  allowUnknown?: boolean;
  /**
   * The live log of this process: before calling an id unknown, its buffered records are written,
   * so a label posted right after the response is not refused for want of a flush.
   */
  log?: { flush(): Promise<void> };
  clock?: Clock;
}

export class FeedbackStore {
  private readonly clock: Clock;

  constructor(
    readonly handle: MetadataDb,
    private readonly options: FeedbackStoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Sets (or replaces) the label of one request. */
  async add(requestId: string, label: unknown): Promise<void> {
    await this.addMany([{ requestId, label }]);
  }

  /**
   * Sets the labels of many requests in one transaction: all or none. With `allowUnknown` off, an
   * id that was never logged fails the whole batch with RESOURCE_DOES_NOT_EXIST. A request id
   * given twice keeps its last label.
   */
  async addMany(items: FeedbackItem[]): Promise<number> {
    if (items.length === 0) return 0;
    const byId = new Map<string, string>();
    for (const { requestId, label } of items) {
      if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > MAX_REQUEST_ID_LENGTH)
        throw new CairnError(
          'INVALID_PARAMETER_VALUE',
          `request_id must be a string of 1 to ${MAX_REQUEST_ID_LENGTH} characters`,
        );
      const json = label === undefined ? undefined : JSON.stringify(label);
      if (json === undefined)
        throw new CairnError('INVALID_PARAMETER_VALUE', `Missing label for request_id '${requestId}'`);
      byId.delete(requestId);
      byId.set(requestId, json);
    }
    const ids = [...byId.keys()];
    if (!this.options.allowUnknown) {
      let missing = await this.missing(ids);
      if (missing.length > 0 && this.options.log) {
        await this.options.log.flush();
        missing = await this.missing(missing);
      }
      if (missing.length > 0) {
        const shown = missing
          .slice(0, 5)
          .map((id) => `'${id}'`)
          .join(', ');
        const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
        throw new CairnError(
          'RESOURCE_DOES_NOT_EXIST',
          `No logged inference with request_id ${shown}${more}`,
        );
      }
    }
    const time = this.clock();
    const rows = ids.map((request_id) => ({ request_id, label: byId.get(request_id)!, time }));
    await this.handle.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += LOOKUP_CHUNK) {
        await trx
          .insertInto('inference_feedback')
          .values(rows.slice(i, i + LOOKUP_CHUNK))
          .onConflict((oc) =>
            oc.column('request_id').doUpdateSet((eb) => ({
              label: eb.ref('excluded.label'),
              time: eb.ref('excluded.time'),
            })),
          )
          .execute();
      }
    });
    return rows.length;
  }

  /** The label posted for a request, if any. */
  async get(requestId: string): Promise<{ label: unknown; time: number } | undefined> {
    const row = await this.handle.db
      .selectFrom('inference_feedback')
      .select(['label', 'time'])
      .where('request_id', '=', requestId)
      .executeTakeFirst();
    return row ? { label: JSON.parse(row.label), time: Number(row.time) } : undefined;
  }

  private async missing(ids: string[]): Promise<string[]> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
      const rows = await this.handle.db
        .selectFrom('inference_log')
        .select('request_id')
        .where('request_id', 'in', ids.slice(i, i + LOOKUP_CHUNK))
        .execute();
      for (const r of rows) found.add(r.request_id);
    }
    return ids.filter((id) => !found.has(id));
  }
}

const requestId = z.string().min(1).max(MAX_REQUEST_ID_LENGTH);
/** Any JSON value; only a missing label is refused. */
const label = z.unknown().refine((v) => v !== undefined, 'required');
const single = z.object({ request_id: requestId, label });
const batch = z.object({ feedback: z.array(single).min(1) });

/**
 * `POST /feedback` with `{request_id, label}` or `{feedback: [{request_id, label}, …]}` (at most
 * 1000); answers `{accepted: n}`. Register on an app whose error handler is Cairn's.
 */
export function feedbackRoutes(store: FeedbackStore): FastifyPluginAsync {
  return async (app) => {
    app.post('/feedback', async (req) => {
      const body = req.body;
      let items: FeedbackItem[];
      if (body !== null && typeof body === 'object' && 'feedback' in body) {
        const list = (body as { feedback: unknown }).feedback;
        if (Array.isArray(list) && list.length > MAX_FEEDBACK_BATCH)
          throw new CairnError(
            'INVALID_PARAMETER_VALUE',
            `A feedback batch can contain at most ${MAX_FEEDBACK_BATCH} items, got ${list.length}`,
          );
        items = parseRequest(batch, body).feedback.map((f) => ({ requestId: f.request_id, label: f.label }));
      } else {
        const f = parseRequest(single, body);
        items = [{ requestId: f.request_id, label: f.label }];
      }
      return { accepted: await store.addMany(items) };
    });
  };
}
