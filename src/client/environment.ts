import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { type KeyValue, SYSTEM_TAGS } from '../tracking/types.js';
import { LIMITS } from '../tracking/validate.js';

/** The run tags Cairn adds to MLflow's system tags. */
export const ENV_TAGS = {
  gitDirty: 'cairn.git.dirty',
  nodeVersion: 'cairn.node.version',
  platform: 'cairn.platform',
  command: 'cairn.command',
  packages: 'cairn.packages',
  lockfile: 'cairn.lockfile.sha256',
  seed: 'cairn.seed',
} as const;

/** Where the full environment goes when a tag cannot hold it. */
export const ENVIRONMENT_ARTIFACT = 'cairn/environment.json';

const LOCKFILES = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock'];

/** What the capture looks at; defaults to this process. */
export interface EnvironmentContext {
  cwd: string;
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  nodeVersion: string;
  platform: string;
  arch: string;
  /** For `git rev-parse` / `git status`, in ms. */
  gitTimeoutMs: number;
}

export interface CapturedEnvironment {
  tags: KeyValue[];
  /** Run artifacts to write (path → content), when a tag had to be cut short. */
  files: Array<{ path: string; content: string }>;
}

export function processContext(): EnvironmentContext {
  return {
    cwd: process.cwd(),
    argv: process.argv,
    env: process.env,
    nodeVersion: process.version,
    platform: process.platform,
    arch: process.arch,
    gitTimeoutMs: 3000,
  };
}

/**
 * What a run needs to be reproduced: who ran what, where (git commit, dirty or not), on which Node.js
 * and platform, with which installed package versions and lockfile. Best effort: whatever cannot be
 * found (no git, no package.json) is left out, never an error.
 */
export async function captureEnvironment(
  overrides: Partial<EnvironmentContext> = {},
): Promise<CapturedEnvironment> {
  const ctx = { ...processContext(), ...overrides };
  const [git, project] = await Promise.all([gitState(ctx.cwd, ctx.gitTimeoutMs), projectState(ctx.cwd)]);
  const tags: KeyValue[] = [
    { key: SYSTEM_TAGS.user, value: osUser(ctx.env) },
    { key: SYSTEM_TAGS.sourceName, value: sourceName(ctx.argv) },
    { key: SYSTEM_TAGS.sourceType, value: 'LOCAL' },
    { key: ENV_TAGS.nodeVersion, value: ctx.nodeVersion },
    { key: ENV_TAGS.platform, value: `${ctx.platform}-${ctx.arch}` },
  ];
  if (git) {
    tags.push({ key: SYSTEM_TAGS.gitCommit, value: git.commit });
    if (git.dirty !== undefined) tags.push({ key: ENV_TAGS.gitDirty, value: String(git.dirty) });
  }
  const full: Record<string, unknown> = {};
  const command = commandLine(ctx.argv);
  tags.push({ key: ENV_TAGS.command, value: truncateTag(command) });
  if (command.length > LIMITS.tagValueLength) full['command'] = command;
  if (project.packages) {
    const json = JSON.stringify(project.packages);
    if (json.length <= LIMITS.tagValueLength) {
      tags.push({ key: ENV_TAGS.packages, value: json });
    } else {
      full['packages'] = project.packages;
      const count = Object.keys(project.packages).length;
      tags.push({
        key: ENV_TAGS.packages,
        value: JSON.stringify({ truncated: true, count, artifact: ENVIRONMENT_ARTIFACT }),
      });
    }
  }
  if (project.lockfileSha256) tags.push({ key: ENV_TAGS.lockfile, value: project.lockfileSha256 });
  const files =
    Object.keys(full).length > 0
      ? [{ path: ENVIRONMENT_ARTIFACT, content: `${JSON.stringify(full, null, 2)}\n` }]
      : [];
  return { tags, files };
}

/** The operating-system user, as MLflow's `mlflow.user` (getpass: the environment first). */
export function osUser(env: NodeJS.ProcessEnv): string {
  for (const name of ['LOGNAME', 'USER', 'LNAME', 'USERNAME']) {
    const v = env[name];
    if (v) return v;
  }
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** The entry script (`process.argv[1]`), or the executable when there is none (`node -e`, a REPL). */
export function sourceName(argv: readonly string[]): string {
  return argv[1] ?? path.basename(argv[0] ?? 'node');
}

/** argv as a shell would take it back: arguments with spaces or shell characters single-quoted. */
export function commandLine(argv: readonly string[]): string {
  return argv
    .map((a) => (a !== '' && /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`))
    .join(' ');
}

/** A tag value cut to the limit, ending with `…` when cut. */
export function truncateTag(value: string, limit: number = LIMITS.tagValueLength): string {
  return value.length <= limit ? value : `${value.slice(0, limit - 1)}…`;
}

/** The direct dependencies (runtime and dev) named in a package.json, sorted. */
export function directDependencies(manifest: unknown): string[] {
  const m = (manifest && typeof manifest === 'object' ? manifest : {}) as Record<string, unknown>;
  const names = new Set<string>();
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    const deps = m[field];
    if (deps && typeof deps === 'object') for (const name of Object.keys(deps)) names.add(name);
  }
  return [...names].sort();
}

/** The installed version of each package, found as Node resolves it (node_modules upward); null if absent. */
export async function installedVersions(
  projectDir: string,
  names: readonly string[],
): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  await Promise.all(
    names.map(async (name) => {
      out[name] = null;
      for (let dir = projectDir; ; dir = path.dirname(dir)) {
        const manifest = await readJson(path.join(dir, 'node_modules', name, 'package.json'));
        if (manifest !== undefined) {
          const v = (manifest as { version?: unknown }).version;
          out[name] = typeof v === 'string' ? v : null;
          return;
        }
        if (path.dirname(dir) === dir) return;
      }
    }),
  );
  return Object.fromEntries(names.map((n) => [n, out[n] ?? null]));
}

/** The nearest directory at or above `start` that holds one of `names`, and the name found. */
export async function findUp(
  start: string,
  names: readonly string[],
): Promise<{ dir: string; name: string } | undefined> {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    for (const name of names) {
      if (await exists(path.join(dir, name))) return { dir, name };
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The project's installed direct dependencies and its lockfile hash (a workspace's lockfile is above it). */
export async function projectState(
  cwd: string,
): Promise<{ packages?: Record<string, string | null>; lockfileSha256?: string }> {
  const pkg = await findUp(cwd, ['package.json']);
  if (!pkg) return {};
  const manifest = await readJson(path.join(pkg.dir, 'package.json'));
  const packages = await installedVersions(pkg.dir, directDependencies(manifest));
  const lock = await findUp(pkg.dir, LOCKFILES);
  const lockfileSha256 = lock
    ? await sha256File(path.join(lock.dir, lock.name)).catch(() => undefined)
    : undefined;
  return { packages, ...(lockfileSha256 ? { lockfileSha256 } : {}) };
}

/** HEAD's commit and whether the work tree differs from it; undefined outside a repository or without git. */
export async function gitState(
  cwd: string,
  timeoutMs: number,
): Promise<{ commit: string; dirty?: boolean } | undefined> {
  const head = await git(cwd, ['rev-parse', 'HEAD'], timeoutMs);
  const commit = head.ok ? head.stdout.trim() : '';
  if (!/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  const status = await git(cwd, ['status', '--porcelain'], timeoutMs);
  if (status.ok) return { commit, dirty: status.stdout.trim() !== '' };
  // More output than we buffer: certainly dirty.
  if (status.tooLong) return { commit, dirty: true };
  return { commit };
}

function git(
  cwd: string,
  args: string[],
  timeoutMs: number,
): Promise<{ ok: boolean; stdout: string; tooLong?: boolean }> {
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      // No optional locks: `git status` must never write the index of a repository it only looks at.
      {
        cwd,
        timeout: timeoutMs,
        maxBuffer: 1024 * 1024,
        windowsHide: true,
        env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
      },
      (error, stdout) => {
        if (!error) return resolve({ ok: true, stdout: String(stdout) });
        const tooLong = (error as { code?: unknown }).code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
        resolve({ ok: false, stdout: '', tooLong });
      },
    );
  });
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
