import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests create their databases on; override with CAIRN_TEST_POSTGRES. */
const ADMIN_URI = process.env['CAIRN_TEST_POSTGRES'] ?? 'postgresql://postgres@127.0.0.1:5432/test';

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URI });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty PostgreSQL database for one test file: `uri` connects to it, `drop()` removes it
 * (closing any connection still open to it).
 */
export async function createTempPostgres(): Promise<{ uri: string; drop(): Promise<void> }> {
  // The name is ours (hex), so it is safe to splice into DDL, which cannot take parameters.
  const name = `cairn_t_${randomBytes(8).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const uri = new URL(ADMIN_URI);
  uri.pathname = `/${name}`;
  return {
    uri: uri.toString(),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
