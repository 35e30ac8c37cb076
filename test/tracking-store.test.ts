import path from 'node:path';
import { startServer } from '../src/server/start.js';
import { openTrackingStore } from '../src/tracking/backends.js';
import { HttpTrackingStore } from '../src/tracking/http-store.js';
import { TrackingService } from '../src/tracking/service.js';
import { createTempPostgres } from './helpers/postgres.js';
import { tempDir } from './helpers/temp.js';
import { trackingSuite } from './tracking-store.suite.js';

trackingSuite('sqlite', async () => {
  const tmp = await tempDir();
  const store = await openTrackingStore(`sqlite:///${path.join(tmp.dir, 'cairn.db')}`);
  return {
    service: new TrackingService(store),
    close: async () => {
      await store.close();
      await tmp.remove();
    },
  };
});

trackingSuite('postgresql', async () => {
  const pg = await createTempPostgres();
  const store = await openTrackingStore(pg.uri);
  return {
    service: new TrackingService(store),
    close: async () => {
      await store.close();
      await pg.drop();
    },
  };
});

trackingSuite('http (live server on sqlite)', async () => {
  const tmp = await tempDir();
  const server = await startServer({
    port: 0,
    backendStoreUri: `sqlite:///${path.join(tmp.dir, 'cairn.db')}`,
    artifactsDestination: path.join(tmp.dir, 'artifacts'),
  });
  return {
    service: new TrackingService(new HttpTrackingStore(server.url)),
    close: async () => {
      await server.close();
      await tmp.remove();
    },
  };
});
