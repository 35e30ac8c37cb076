import { CairnError } from '../core/errors.js';
import { type MetadataDb, openMetadataDb } from '../store/db.js';
import type { EventLog } from '../store/events.js';
import { SqlRegistryStore } from './sql-store.js';
import type { RegistryStore } from './store.js';

export interface RegistryBackendOptions {
  /** Extra headers for the HTTP adapter (e.g. Authorization). */
  headers?: Record<string, string>;
}

/**
 * The registry adapter for a URI: `sqlite:`/a path → SQLite, `postgresql:` → PostgreSQL (both the
 * SQL adapter, on a database of their own that close() closes), `http(s):` → a remote Cairn or
 * MLflow server. To share a database already open for tracking, use registryStoreForDb.
 */
export async function openRegistryStore(
  uri: string,
  options: RegistryBackendOptions = {},
): Promise<RegistryStore> {
  if (/^https?:\/\//i.test(uri)) {
    const { HttpRegistryStore } = await import('./http-store.js');
    return new HttpRegistryStore(uri, options.headers ?? {});
  }
  if (/^[a-z][\w+.-]*:\/\//i.test(uri) && !/^(sqlite|postgres(ql)?|file):/i.test(uri)) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Unknown registry URI scheme in '${uri}'. Known schemes: sqlite:, postgresql:, http:, https:, or a file path.`,
    );
  }
  return new SqlRegistryStore(await openMetadataDb(uri), { ownsHandle: true });
}

/**
 * The SQL registry adapter over a metadata database that is already open (the one tracking uses),
 * so a server keeps one handle for every domain. Closing the store leaves the handle open.
 */
export function registryStoreForDb(handle: MetadataDb, options: { events?: EventLog } = {}): RegistryStore {
  return new SqlRegistryStore(handle, options);
}
