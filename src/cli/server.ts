import type { Command } from 'commander';
import type { Permission } from '../auth/types.js';
import { startServer } from '../server/start.js';
import { commaList, parsePermission } from './options.js';

/** `cairn server`: MLflow's flag names, port 5000 by default; SIGTERM/SIGINT drain and exit 0. */
export function registerServerCommand(program: Command): void {
  program
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
    .option(
      '--allowed-hosts <hosts>',
      'Host headers accepted, comma-separated (host, host:port, *.domain, *); default localhost, 127.0.0.1, [::1] when bound to loopback',
      commaList,
    )
    .option(
      '--cors-allowed-origins <origins>',
      'origins allowed cross-origin access, comma-separated (https://app.example.com, *); default none',
      commaList,
    )
    .option('--auth', 'require credentials (Basic or Bearer) and check permissions', false)
    .option(
      '--auth-default-permission <level>',
      'with --auth: what users hold where nothing was granted (NO_PERMISSIONS, READ, EDIT, MANAGE)',
      parsePermission,
      'NO_PERMISSIONS',
    )
    .action(
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
