import { rawRequest } from './raw-http.js';

/** One generated request, as sent. */
export interface FuzzRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  contentType?: string;
  body?: string | Buffer;
}

export interface FuzzAnswer {
  request: FuzzRequest;
  status: number;
  text: string;
  ms: number;
}

/** A request in one line, for failure messages. */
export function describeRequest(r: FuzzRequest): string {
  const body = r.body === undefined ? '' : String(r.body).slice(0, 200);
  return `${r.method} ${r.url.slice(0, 200)} [${r.contentType ?? '-'}] ${body}`;
}

/** Sends one request; a transport failure (reset, timeout) answers 599 so it is counted as one. */
export async function sendOne(baseUrl: string, r: FuzzRequest): Promise<FuzzAnswer> {
  const headers: Record<string, string> = { ...r.headers };
  if (r.contentType !== undefined) headers['content-type'] = r.contentType;
  const started = performance.now();
  try {
    const res = await rawRequest(baseUrl, r.method, r.url, headers, r.body);
    return { request: r, status: res.status, text: res.text, ms: performance.now() - started };
  } catch (e) {
    const text = `transport error: ${(e as Error).message}`;
    return { request: r, status: 599, text, ms: performance.now() - started };
  }
}

/** Sends every request, at most `concurrency` at once; answers come back in request order. */
export async function sendAll(
  baseUrl: string,
  requests: readonly FuzzRequest[],
  concurrency: number,
): Promise<FuzzAnswer[]> {
  const out: FuzzAnswer[] = new Array(requests.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) {
        const i = next++;
        out[i] = await sendOne(baseUrl, requests[i]!);
      }
    }),
  );
  return out;
}

/** How many answers came back with each status. */
export function tally(answers: readonly FuzzAnswer[]): Map<number, number> {
  const t = new Map<number, number>();
  for (const a of answers) t.set(a.status, (t.get(a.status) ?? 0) + 1);
  return t;
}
