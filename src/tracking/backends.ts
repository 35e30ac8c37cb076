import { CairnError } from '../core/errors.js';
import { openMetadataDb } from '../store/db.js';
import type { TrackingStore } from './store.js';

export interface TrackingBackendOptions {
  /** Extra headers for the HTTP adapter (e.g. Authorization). */
  headers?: Record<string, string>;
  /** SQLite files: write log-batches in a writer thread (what `cairn server` does). */
  writerThread?: boolean;
}

/**
 * The tracking adapter for a URI: `sqlite:`/a path → SQLite, `postgresql:` → PostgreSQL,
 * `http(s):` → a remote Cairn or MLflow server. Native modules load only for the SQL adapters.
 */
export async function openTrackingStore(
  uri: string,
  options: TrackingBackendOptions = {},
): Promise<TrackingStore> {
  if (/^https?:\/\//i.test(uri)) {
    const { HttpTrackingStore } = await import('./http-store.js');
    return new HttpTrackingStore(uri, options.headers ?? {});
  }
  if (/^[a-z][\w+.-]*:\/\//i.test(uri) && !/^(sqlite|postgres(ql)?|file):/i.test(uri)) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Unknown tracking URI scheme in '${uri}'. Known schemes: sqlite:, postgresql:, http:, https:, or a file path.`,
    );
  }
  const handle = await openMetadataDb(uri);
  if (handle.dialect === 'sqlite') {
    const { SqliteTrackingStore } = await import('./sqlite-store.js');
    return new SqliteTrackingStore(handle, { writerThread: options.writerThread ?? false });
  }
  const { SqlTrackingStore } = await import('./sql-store.js');
  return new SqlTrackingStore(handle);
}
