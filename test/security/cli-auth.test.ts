import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCode, ROOT, spawnCli, waitForOutput } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

/** Runs a short `cairn` command to its end, with `input` on stdin. */
function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  input = '',
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.end(input);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('cairn server / users / tokens (the CLI)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function server(args: string[], env: NodeJS.ProcessEnv = {}) {
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    const db = `sqlite:///${path.join(tmp.dir, 'meta.db')}`;
    const child = spawnCli(
      [
        'server',
        '--port',
        '0',
        '--backend-store-uri',
        db,
        '--artifacts-destination',
        path.join(tmp.dir, 'art'),
        ...args,
      ],
      env,
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await exitCode(child);
    });
    const [, url] = await waitForOutput(child, /listening on (http:\/\/\S+)/);
    return { url: url!, stderr: () => stderr, db, tmp };
  }

  it('warns loudly on a non-loopback bind without --auth, and not on loopback or with --auth', async () => {
    const open = await server(['--host', '0.0.0.0']);
    expect(open.stderr()).toMatch(/WARNING: cairn server is listening on 0\.0\.0\.0 WITHOUT authentication/);
    const local = await server(['--host', '127.0.0.1']);
    expect(local.stderr()).not.toMatch(/WARNING/);
    const guarded = await server(['--host', '0.0.0.0', '--auth'], {
      CAIRN_ADMIN_USERNAME: 'ops',
      CAIRN_ADMIN_PASSWORD: 'ops-password',
    });
    expect(guarded.stderr()).not.toMatch(/WARNING/);
    const port = new URL(guarded.url).port;
    expect((await fetch(`http://127.0.0.1:${port}/api/2.0/mlflow/experiments/search`)).status).toBe(401);
  });

  it('creates the first admin once, a user and a token from the command line, and the server takes them', async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    const db = `sqlite:///${path.join(tmp.dir, 'meta.db')}`;
    const first = await runCli(
      ['users', 'create-admin', 'ops', '--backend-store-uri', db, '--password-stdin'],
      {},
      'ops-password\n',
    );
    expect(first.code, first.err).toBe(0);
    const again = await runCli(['users', 'create-admin', 'ops2', '--backend-store-uri', db], {
      CAIRN_ADMIN_PASSWORD: 'ops2-password',
    });
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/admin already exists/);
    const user = await runCli(['users', 'create', 'dana', '--backend-store-uri', db], {
      CAIRN_USER_PASSWORD: 'dana-password',
    });
    expect(user.code, user.err).toBe(0);
    const token = await runCli(
      ['tokens', 'create', '--user', 'dana', '--name', 'laptop', '--backend-store-uri', db],
      {},
    );
    expect(token.code, token.err).toBe(0);
    const secret = token.out.trim();
    expect(secret).toMatch(/^cairn_/);

    const tmpArt = path.join(tmp.dir, 'art');
    const child = spawnCli([
      'server',
      '--port',
      '0',
      '--auth',
      '--backend-store-uri',
      db,
      '--artifacts-destination',
      tmpArt,
    ]);
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await exitCode(child);
    });
    const [, url] = await waitForOutput(child, /listening on (http:\/\/\S+)/);
    const me = await fetch(`${url}/api/2.0/cairn/users/current`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(await me.json()).toMatchObject({ user: { username: 'dana', is_admin: false } });
    const ops = await fetch(`${url}/api/2.0/cairn/users/current`, {
      headers: { authorization: `Basic ${Buffer.from('ops:ops-password').toString('base64')}` },
    });
    expect(await ops.json()).toMatchObject({ user: { username: 'ops', is_admin: true } });
  });
});
