import path from 'node:path';
import { HttpRegistryStore } from '../src/registry/http-store.js';
import { RegistryService } from '../src/registry/service.js';
import { SqlRegistryStore } from '../src/registry/sql-store.js';
import { openMetadataDb } from '../src/store/db.js';
import { EventLog } from '../src/store/events.js';
import { HttpTrackingStore } from '../src/tracking/http-store.js';
import { TrackingService } from '../src/tracking/service.js';
import { SqlTrackingStore } from '../src/tracking/sql-store.js';
import { createTempPostgres } from './helpers/postgres.js';
import { tempDir } from './helpers/temp.js';
import { type RegistryTarget, registrySuite, startRegistryServer } from './registry-store.suite.js';

/**
 * pg's pool.end() resolves once it has asked its clients to end, before their sockets close; a
 * DROP DATABASE … WITH (FORCE) right then makes those clients emit an unhandled 57P01 error.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 250));

/** The embedded setup: one database handle shared by tracking and the registry. */
async function embedded(
  uri: string,
  artifactRoot: string,
  cleanup: () => Promise<void>,
): Promise<RegistryTarget> {
  const handle = await openMetadataDb(uri);
  const tracking = new TrackingService(new SqlTrackingStore(handle));
  const registry = new RegistryService(new SqlRegistryStore(handle), {
    tracking,
    allowedSourceRoots: [artifactRoot],
  });
  return {
    registry,
    tracking,
    events: EventLog.for(handle),
    artifactRoot,
    close: async () => {
      await registry.store.close();
      await handle.close();
      await cleanup();
    },
  };
}

registrySuite('sqlite', async () => {
  const tmp = await tempDir();
  return embedded(`sqlite:///${path.join(tmp.dir, 'cairn.db')}`, path.join(tmp.dir, 'artifacts'), tmp.remove);
});

registrySuite('postgresql', async () => {
  const tmp = await tempDir();
  const pg = await createTempPostgres();
  return embedded(pg.uri, path.join(tmp.dir, 'artifacts'), async () => {
    await settle();
    await pg.drop();
    await tmp.remove();
  });
});

registrySuite('http (live server on sqlite)', async () => {
  const tmp = await tempDir();
  const artifactRoot = path.join(tmp.dir, 'artifacts');
  const server = await startRegistryServer(`sqlite:///${path.join(tmp.dir, 'cairn.db')}`, artifactRoot);
  return {
    registry: new RegistryService(new HttpRegistryStore(server.url), {
      tracking: new TrackingService(new HttpTrackingStore(server.url)),
    }),
    tracking: new TrackingService(new HttpTrackingStore(server.url)),
    events: server.events,
    artifactRoot,
    close: async () => {
      await server.close();
      await tmp.remove();
    },
  };
});
