import type { Command } from 'commander';
import type { Permission } from '../auth/types.js';
import { startServer } from '../server/start.js';
import { serverSecurityOptions } from './options.js';

/** `cairn server`: MLflow's flag names, port 5000 by default; SIGTERM/SIGINT drain and exit 0. */
export function registerServerCommand(program: Command): void {
  const command = program
    .command('server')
    .description('Run the tracking server (MLflow REST protocol, artifact proxy)')
    .option('-h, --host <host>', 'address to bind', '127.0.0.1')
    .option('-p, --port <port>', 'port to listen on', (v) => parsePort(v), 5000)
    .option(
      '--backend-store-uri <uri>',
      'metadata store: sqlite:///path.db or postgresql://… (default $CAIRN_HOME/cairn.db)',
    )
    .option(
      '--artifacts-destination <uri>',
      'artifact root: a directory, file:// or s3:// URI (default $CAIRN_HOME/artifacts)',
    )
    .option('--log', 'log requests as JSON lines', false)
    .option('--auth', 'require credentials (Basic or Bearer) and check permissions', false);
  for (const option of serverSecurityOptions()) command.addOption(option);
  command.action(
    async (opts: {
      host: string;
      port: number;
      backendStoreUri?: string;
      artifactsDestination?: string;
      log: boolean;
      allowedHosts?: string[];
      corsAllowedOrigins?: string[];
      auth: boolean;
      authDefaultPermission: Permission;
    }) => {
      const server = await startServer({
        host: opts.host,
        port: opts.port,
        ...(opts.backendStoreUri ? { backendStoreUri: opts.backendStoreUri } : {}),
        ...(opts.artifactsDestination ? { artifactsDestination: opts.artifactsDestination } : {}),
        logger: opts.log,
        ...(opts.allowedHosts ? { allowedHosts: opts.allowedHosts } : {}),
        ...(opts.corsAllowedOrigins ? { corsAllowedOrigins: opts.corsAllowedOrigins } : {}),
        auth: opts.auth,
        authDefaultPermission: opts.authDefaultPermission,
      });
      process.stdout.write(`Cairn tracking server listening on ${server.url}\n`);
      let closing = false;
      const shutdown = (signal: string) => {
        if (closing) return;
        closing = true;
        process.stdout.write(`${signal}: finishing in-flight requests…\n`);
        server.close().then(
          () => process.exit(0),
          (e: unknown) => {
            process.stderr.write(`shutdown failed: ${String(e)}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    },
  );
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`Invalid port '${v}'`);
  return n;
}
