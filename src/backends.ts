import { CairnError } from './core/errors.js';
import { RegistryService } from './registry/service.js';
import type { RegistryStore } from './registry/store.js';
import { type MetadataDb, openMetadataDb } from './store/db.js';
import { LoggedModelService } from './tracking/logged-models-service.js';
import type { LoggedModelStore } from './tracking/logged-models-store.js';
import { TrackingService } from './tracking/service.js';
import type { TrackingStore } from './tracking/store.js';

export interface BackendOptions {
  /** SQLite files: write log-batches in a writer thread (what `cairn server` does). */
  writerThread?: boolean;
  /** Headers for a remote server (Authorization). */
  headers?: Record<string, string>;
  /** Local or URI roots that model version sources may point into (the artifact destination). */
  allowedSourceRoots?: string[];
  /** Roots that experiment artifact locations may point into (a server: its artifact destination). */
  allowedArtifactRoots?: string[];
}

/** Every domain service over one metadata store: what the server, the SDK and the CLI compose. */
export interface Backends {
  readonly mode: 'embedded' | 'remote';
  readonly tracking: TrackingService;
  readonly loggedModels: LoggedModelService;
  readonly registry: RegistryService;
  /** The shared metadata database (embedded mode only), for stores outside the domains (auth). */
  readonly metadataDb?: MetadataDb;
  close(): Promise<void>;
}

/**
 * The services for a store URI: `sqlite:`/a path or `postgresql://` open ONE database handle that
 * every domain shares (two SQLite connections in one process would wait on each other's write
 * lock); `http(s)://` uses the REST adapters of a remote Cairn or MLflow server. Native modules
 * (better-sqlite3, pg) load only for the embedded case.
 */
export async function openBackends(uri: string, options: BackendOptions = {}): Promise<Backends> {
  let tracking: TrackingStore;
  let loggedModels: LoggedModelStore;
  let registry: RegistryStore;
  let close: () => Promise<void>;
  let mode: Backends['mode'];
  let metadataDb: MetadataDb | undefined;
  if (/^https?:\/\//i.test(uri)) {
    const [{ HttpTrackingStore }, { HttpLoggedModelStore }, { HttpRegistryStore }] = await Promise.all([
      import('./tracking/http-store.js'),
      import('./tracking/logged-models-http-store.js'),
      import('./registry/http-store.js'),
    ]);
    const headers = options.headers ?? {};
    tracking = new HttpTrackingStore(uri, headers);
    loggedModels = new HttpLoggedModelStore(uri, headers);
    registry = new HttpRegistryStore(uri, headers);
    close = async () => {};
    mode = 'remote';
  } else {
    if (/^[a-z][\w+.-]*:\/\//i.test(uri) && !/^(sqlite|postgres(ql)?):/i.test(uri)) {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `Unknown store URI scheme in '${uri}'. Known schemes: sqlite:, postgresql:, http:, https:, or a file path.`,
      );
    }
    const handle = await openMetadataDb(uri);
    metadataDb = handle;
    const [{ SqlLoggedModelStore }, { registryStoreForDb }] = await Promise.all([
      import('./tracking/logged-models-sql-store.js'),
      import('./registry/backends.js'),
    ]);
    if (handle.dialect === 'sqlite') {
      const { SqliteTrackingStore } = await import('./tracking/sqlite-store.js');
      tracking = new SqliteTrackingStore(handle, { writerThread: options.writerThread ?? false });
    } else {
      const { SqlTrackingStore } = await import('./tracking/sql-store.js');
      tracking = new SqlTrackingStore(handle);
    }
    loggedModels = new SqlLoggedModelStore(handle);
    registry = registryStoreForDb(handle);
    close = () => tracking.close(); // closes the shared handle
    mode = 'embedded';
  }
  const trackingService = new TrackingService(
    tracking,
    undefined,
    options.allowedArtifactRoots ? { allowedArtifactRoots: options.allowedArtifactRoots } : {},
  );
  const loggedModelService = new LoggedModelService(loggedModels, trackingService);
  const registryService = new RegistryService(registry, {
    tracking: trackingService,
    ...(options.allowedSourceRoots ? { allowedSourceRoots: options.allowedSourceRoots } : {}),
    // A version registered from a logged model (`models:/m-<id>`) is stored where that model lives.
    storageLocationOf: async (source) => {
      const m = /^models:\/(m-[0-9a-f]{32})$/.exec(source);
      return m ? loggedModelService.loggedModelArtifactUri(m[1]!) : undefined;
    },
  });
  return {
    mode,
    tracking: trackingService,
    loggedModels: loggedModelService,
    registry: registryService,
    ...(metadataDb ? { metadataDb } : {}),
    close,
  };
}
