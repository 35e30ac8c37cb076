import { CairnError, toErrorCode } from '../core/errors.js';

export type RestBody = Record<string, unknown>;
export type RestMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * One call of MLflow's REST protocol, shared by every HTTP adapter: GET parameters go in the query
 * string (lists as repeated keys), other methods send JSON; a non-2xx answer becomes the CairnError
 * the server described (`{error_code, message}`), an unreachable server TEMPORARILY_UNAVAILABLE.
 */
export async function restCall(
  base: string,
  headers: Record<string, string>,
  method: RestMethod,
  path: string,
  body: RestBody = {},
): Promise<RestBody> {
  let url = base + path;
  const sent: Record<string, string> = { ...headers, accept: 'application/json' };
  const init: RequestInit = { method, headers: sent };
  if (method === 'GET') {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(body)) {
      if (Array.isArray(v)) for (const item of v) qs.append(k, String(item));
      else if (v !== undefined) qs.append(k, String(v));
    }
    const query = qs.toString();
    if (query) url += `?${query}`;
  } else {
    init.body = JSON.stringify(body);
    sent['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new CairnError(
      'TEMPORARILY_UNAVAILABLE',
      `Could not reach the server at ${base}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  const text = await res.text();
  let json: unknown = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    if (res.ok) throw new CairnError('INTERNAL_ERROR', `The server answered ${path} with non-JSON text`);
  }
  if (!res.ok) throw wireError(res.status, json);
  return json as RestBody;
}

/** The answer of `call`, or undefined when the server says RESOURCE_DOES_NOT_EXIST. */
export async function optional(call: Promise<RestBody>): Promise<RestBody | undefined> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof CairnError && e.code === 'RESOURCE_DOES_NOT_EXIST') return undefined;
    throw e;
  }
}

/** A server's `{error_code, message}` answer as a CairnError (unknown codes become INTERNAL_ERROR). */
export function wireError(status: number, body: unknown): CairnError {
  const b = (body && typeof body === 'object' ? body : {}) as RestBody;
  const message = typeof b['message'] === 'string' && b['message'] ? b['message'] : `HTTP ${status}`;
  return new CairnError(toErrorCode(b['error_code']), message);
}
