import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify';
import { isLoopbackBind, LOOPBACK_HOSTS, parseAllowedHosts } from './allowed-hosts.js';
import { clientErrorHandler } from './client-errors.js';
import { parseOrigins } from './cors.js';
import { type JsonLimits, parseLimitedJson } from './json-body.js';
import { requestGuard } from './request-guard.js';
import { recordRoutes } from './route-table.js';

/**
 * What every Cairn server (`cairn server`, `cairn serve`, any later one) installs before its routes:
 * the Host check against DNS rebinding, CORS (off unless configured) and the cross-site write
 * guard, the early Content-Length check (413 before reading), the JSON parser with depth and key
 * limits, security headers on every response, and the route table. Errors thrown here go through
 * the app's one error handler like any other.
 *
 * Use: `Fastify({ ...hardenedServerOptions(errorHandler), bodyLimit })`, then
 * `installHardening(app, options)` before registering any route. A scoring server passes
 * `json: SCORING_JSON_LIMITS`; one that resets its parsers afterwards calls installJsonParser again.
 */
export interface HardeningOptions {
  /**
   * `Host` header patterns (`localhost`, `cairn.example.com:443`, `*.example.com`, `[::1]`, `*`).
   * Default: {@link LOOPBACK_HOSTS} on any port, right for a server bound to loopback.
   */
  allowedHosts?: readonly string[];
  /** Origins allowed cross-origin access (`https://app.example.com`, `*`). Default: none (CORS off). */
  corsAllowedOrigins?: readonly string[];
  /** JSON body limits; default {@link SERVER_JSON_LIMITS}. `false` leaves the app's JSON parser alone. */
  json?: Partial<JsonLimits> | false;
}

/** The tracking server's JSON limits: MLflow's bodies nest 5 deep; a full log-batch has ~4,000 keys. */
export const SERVER_JSON_LIMITS: JsonLimits = { maxDepth: 32, maxKeys: 20_000, allowNul: false };
/** A scoring server's: `dataframe_records` carry one key per cell (rows x columns). */
export const SCORING_JSON_LIMITS: JsonLimits = { maxDepth: 32, maxKeys: 5_000_000, allowNul: true };

/** On every response: no MIME sniffing (a stored file never turns into a page), no framing by others. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
};
const SECURITY_HEADER_ENTRIES = Object.entries(SECURITY_HEADERS);

/**
 * Options for the server's constructor: errors Fastify raises before routing (a URL with bad
 * percent-encoding, an over-long path parameter) go through the app's error handler too, so they
 * get the `{error_code, message}` body and the security headers; broken HTTP gets the same shape.
 */
export function hardenedServerOptions(
  handler: (error: FastifyError, req: FastifyRequest, reply: FastifyReply) => void,
): Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> {
  return {
    clientErrorHandler,
    frameworkErrors: (error, req, reply) => {
      // These replies skip the onSend hooks: set the headers here.
      void reply.headers(SECURITY_HEADERS);
      handler(error, req, reply);
    },
  };
}

/** Installs the hardening on `app`; call it before registering any route (see HardeningOptions). */
export function installHardening(app: FastifyInstance, options: HardeningOptions = {}): void {
  recordRoutes(app);
  const hosts = parseAllowedHosts(options.allowedHosts ?? LOOPBACK_HOSTS);
  const cors = options.corsAllowedOrigins?.length ? parseOrigins(options.corsAllowedOrigins) : undefined;
  const defaultBodyLimit = app.initialConfig.bodyLimit ?? 1024 * 1024;
  const limits: JsonLimits = { ...SERVER_JSON_LIMITS, ...(options.json || {}) };
  const allowNul = limits.allowNul ?? false;

  app.addHook('onRequest', requestGuard({ hosts, cors, defaultBodyLimit, allowNul }));

  // Callback-style, as the guard: no promise per response.
  app.addHook('onSend', (_req, reply, payload, done) => {
    for (const [name, value] of SECURITY_HEADER_ENTRIES)
      if (!reply.hasHeader(name)) void reply.header(name, value);
    done(null, payload);
  });

  if (options.json !== false) installJsonParser(app, limits);
}

/**
 * Replaces the app's `application/json` parser with one that enforces `limits` while parsing. For
 * an app that resets its parsers after installHardening (`removeAllContentTypeParsers`), call it again.
 */
export function installJsonParser(app: FastifyInstance, limits: JsonLimits): void {
  if (app.hasContentTypeParser('application/json')) app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseLimitedJson(body as string, limits));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}

/**
 * A server's hardening options from its bind address and flags: an explicit host list wins; else
 * a loopback bind accepts only loopback names (against DNS rebinding) and any other bind any host.
 */
export function hardeningForBind(
  host: string,
  flags: { allowedHosts?: readonly string[]; corsAllowedOrigins?: readonly string[] },
): HardeningOptions {
  const allowedHosts = flags.allowedHosts ?? (isLoopbackBind(host) ? undefined : ['*']);
  return {
    ...(allowedHosts ? { allowedHosts } : {}),
    ...(flags.corsAllowedOrigins ? { corsAllowedOrigins: flags.corsAllowedOrigins } : {}),
  };
}
