import type { Command } from 'commander';
import { openAuthService } from '../auth/server-auth.js';
import type { AuthService } from '../auth/service.js';
import { defaultDatabaseUri } from '../core/config.js';
import { invalidParam } from '../core/errors.js';
import { openMetadataDb } from '../store/db.js';

const STORE_HELP = 'metadata store: sqlite:///path.db or postgresql://… (default $CAIRN_HOME/cairn.db)';

async function withAuth<T>(uri: string | undefined, run: (auth: AuthService) => Promise<T>): Promise<T> {
  const handle = await openMetadataDb(uri ?? defaultDatabaseUri());
  try {
    return await run(openAuthService(handle));
  } finally {
    await handle.close();
  }
}

/** The password from stdin (first line) or an environment variable; never from the command line. */
async function readPassword(fromStdin: boolean | undefined, envName: string): Promise<string> {
  if (fromStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  }
  const v = process.env[envName];
  if (!v) throw invalidParam(`Give the password on stdin (--password-stdin) or in ${envName}.`);
  return v;
}

/** `cairn users …` and `cairn tokens …`: operator commands that work on the metadata store directly. */
export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('Manage users of an auth-enabled server');
  users
    .command('create-admin <username>')
    .description(
      'Create the first admin (refused once an admin exists); password from CAIRN_ADMIN_PASSWORD or stdin',
    )
    .option('--backend-store-uri <uri>', STORE_HELP)
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (username: string, opts: { backendStoreUri?: string; passwordStdin?: boolean }) => {
      const password = await readPassword(opts.passwordStdin, 'CAIRN_ADMIN_PASSWORD');
      await withAuth(opts.backendStoreUri, async (auth) => {
        if (!(await auth.ensureFirstAdmin(username, password)))
          throw invalidParam('An admin already exists; admins create users through the API (users/create).');
      });
      process.stdout.write(`Created admin '${username}'.\n`);
    });
  users
    .command('create <username>')
    .description('Create a user; password from CAIRN_USER_PASSWORD or stdin')
    .option('--backend-store-uri <uri>', STORE_HELP)
    .option('--password-stdin', 'read the password from the first line of stdin')
    .option('--admin', 'make the user an admin', false)
    .action(
      async (
        username: string,
        opts: { backendStoreUri?: string; passwordStdin?: boolean; admin: boolean },
      ) => {
        const password = await readPassword(opts.passwordStdin, 'CAIRN_USER_PASSWORD');
        await withAuth(opts.backendStoreUri, (auth) =>
          auth.createUser(username, password, { isAdmin: opts.admin }),
        );
        process.stdout.write(`Created ${opts.admin ? 'admin' : 'user'} '${username}'.\n`);
      },
    );

  const tokens = program.command('tokens').description('Manage API tokens of an auth-enabled server');
  tokens
    .command('create')
    .description('Create an API token for a user and print it (it is shown only this once)')
    .requiredOption('--user <username>', 'the token acts as this user')
    .option('--name <name>', 'a label for the token', '')
    .option('--expires-in-days <days>', 'days until the token stops working (default: never)', (v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`Invalid number of days '${v}'`);
      return n;
    })
    .option('--backend-store-uri <uri>', STORE_HELP)
    .action(
      async (opts: { user: string; name: string; expiresInDays?: number; backendStoreUri?: string }) => {
        const { token } = await withAuth(opts.backendStoreUri, (auth) =>
          auth.createToken(opts.user, {
            name: opts.name,
            expiresTime: opts.expiresInDays ? Date.now() + opts.expiresInDays * 86_400_000 : null,
          }),
        );
        process.stdout.write(`${token}\n`);
      },
    );
}
