import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

export interface MotoServer {
  /** `http://127.0.0.1:<port>`: use with `forcePathStyle: true`, region `us-east-1`, any credentials. */
  endpoint: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 25_000;

/**
 * Starts a local S3-compatible server (`moto_server`, from Python's `moto[server]`) on a free port
 * and waits until it answers HTTP. Fails with a clear message if `moto_server` is not on PATH.
 */
export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // Own process group, so stop() also ends any wrapper (pyenv shim) and its Python child.
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let log = '';
  // moto logs every request to stderr: keep draining it (a full pipe would stall the server).
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<Error>((resolve) => {
    child.once('error', (e: NodeJS.ErrnoException) =>
      resolve(
        e.code === 'ENOENT'
          ? new Error(
              'moto_server is not on PATH: install it with `pip install "moto[server]"` to run the S3 tests',
            )
          : e,
      ),
    );
    child.once('exit', (code, signal) =>
      resolve(new Error(`moto_server exited early (code ${code}, signal ${signal}):\n${log}`)),
    );
  });

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const early = await Promise.race([exited, delay(150).then(() => undefined)]);
    if (early) throw early;
    if (await answers(endpoint)) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`moto_server did not answer on ${endpoint} within ${START_TIMEOUT_MS} ms:\n${log}`);
    }
  }
  return { endpoint, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig); // the group this spawn created
    } catch {
      child.kill(sig);
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 3000);
  await gone;
  clearTimeout(timer);
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
