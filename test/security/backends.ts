import type { ServerOptions } from '../../src/server/start.js';
import { createTempPostgres } from '../helpers/postgres.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The metadata stores every security test runs against. */
export const BACKENDS = ['sqlite', 'postgresql'] as const;
export type Backend = (typeof BACKENDS)[number];

/** A live `cairn server` over a fresh SQLite file or PostgreSQL database; stop() removes it all. */
export async function startSecurityServer(
  backend: Backend,
  options: Pick<ServerOptions, 'allowedHosts' | 'corsAllowedOrigins'> = {},
): Promise<TestServer> {
  if (backend === 'sqlite') return startTestServer(undefined, options);
  const pg = await createTempPostgres();
  const server = await startTestServer(pg.uri, options);
  return {
    ...server,
    async stop() {
      await server.stop();
      await pg.drop();
    },
  };
}

/**
 * What internal detail a response body shows, if any: stack frames, file paths, class names, SQL
 * or database errors. `echoed` is the client's own input, which a message may quote back: it is
 * removed (raw and JSON-escaped) before looking.
 */
export function leaksInternals(body: string, echoed: readonly string[] = []): string | undefined {
  let text = body;
  for (const e of echoed) {
    if (e === '') continue;
    for (const form of [e, JSON.stringify(e).slice(1, -1)]) text = text.split(form).join('');
  }
  const patterns: Array<[string, RegExp]> = [
    ['a stack frame', /\bat [\w.<>]+ \(|\bat (file:|node:|\/)/],
    ['a source path', /\/(src|node_modules|work|home|tmp)\/|\.(ts|js):\d+/],
    [
      'an error class name',
      /\b(TypeError|RangeError|ReferenceError|SqliteError|DatabaseError|ZodError|CairnError)\b/,
    ],
    ['SQL', /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b|SQLITE_|syntax error at or near/],
  ];
  for (const [what, re] of patterns) if (re.test(text)) return what;
  return undefined;
}
