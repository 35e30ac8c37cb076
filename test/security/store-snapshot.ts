import type { TestServer } from '../helpers/server.js';

const API = '/api/2.0/mlflow';

/**
 * Everything a client can read back, through the REST API: experiments (all view types), their
 * runs with params, metrics and tags, registered models, model versions and logged models. Two
 * equal snapshots mean no request in between changed the store.
 */
export async function snapshotStore(s: TestServer): Promise<string> {
  const get = async (method: string, route: string, body?: unknown) => {
    const res = await s.json(method, API + route, body);
    if (res.status !== 200)
      throw new Error(`snapshot: ${route} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const experiments = await get('POST', '/experiments/search', { max_results: 50_000, view_type: 'ALL' });
  const ids = ((experiments['experiments'] as Array<{ experiment_id: string }>) ?? []).map(
    (e) => e.experiment_id,
  );
  const runs = await get('POST', '/runs/search', {
    experiment_ids: ids,
    max_results: 50_000,
    run_view_type: 'ALL',
    order_by: ['attributes.start_time ASC', 'attributes.run_id ASC'],
  });
  const models = await get('GET', '/registered-models/search?max_results=1000');
  const versions = await get('GET', '/model-versions/search?max_results=200000');
  const logged = await get('POST', '/logged-models/search', { experiment_ids: ids, max_results: 50_000 });
  return JSON.stringify({ experiments, runs, models, versions, logged });
}
