import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  captureEnvironment,
  commandLine,
  directDependencies,
  ENV_TAGS,
  ENVIRONMENT_ARTIFACT,
  gitState,
  installedVersions,
  projectState,
  sourceName,
  truncateTag,
} from './environment.js';

const tagsOf = (env: { tags: Array<{ key: string; value: string }> }) =>
  Object.fromEntries(env.tags.map((t) => [t.key, t.value]));

async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(value));
}

describe('environment capture, pure parts', () => {
  it('quotes argv only where a shell needs it', () => {
    expect(commandLine(['/usr/bin/node', 'train.js', '--lr=0.1', 'two words', "it's", ''])).toBe(
      `/usr/bin/node train.js --lr=0.1 'two words' 'it'\\''s' ''`,
    );
  });

  it('cuts long tag values to the limit', () => {
    expect(truncateTag('abc', 5)).toBe('abc');
    const cut = truncateTag('x'.repeat(9000));
    expect(cut).toHaveLength(8000);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('names the entry script, or the executable without one', () => {
    expect(sourceName(['/usr/bin/node', '/app/train.js'])).toBe('/app/train.js');
    expect(sourceName(['/usr/bin/node'])).toBe('node');
  });

  it('lists runtime, dev and optional dependencies, sorted', () => {
    expect(
      directDependencies({
        dependencies: { b: '1', a: '2' },
        devDependencies: { c: '3' },
        optionalDependencies: { a: '2' },
      }),
    ).toEqual(['a', 'b', 'c']);
    expect(directDependencies(undefined)).toEqual([]);
  });
});

describe('environment capture, on disk', () => {
  let dir: string;
  beforeEach(async () => {
    // realpath: on some systems the temp directory is a symbolic link.
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'cairn-env-')));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads installed versions as Node resolves them (hoisted to a parent), null when absent', async () => {
    const project = path.join(dir, 'packages', 'app');
    await writeJson(path.join(project, 'node_modules', 'local', 'package.json'), { version: '1.2.3' });
    await writeJson(path.join(dir, 'node_modules', '@scope', 'hoisted', 'package.json'), {
      version: '4.5.6',
    });
    expect(await installedVersions(project, ['@scope/hoisted', 'local', 'missing'])).toEqual({
      '@scope/hoisted': '4.5.6',
      local: '1.2.3',
      missing: null,
    });
  });

  it("finds the project's package.json and the workspace lockfile above it", async () => {
    const project = path.join(dir, 'packages', 'app');
    await writeJson(path.join(project, 'package.json'), { dependencies: { zod: '^4' } });
    await writeJson(path.join(dir, 'node_modules', 'zod', 'package.json'), { version: '4.0.1' });
    await writeFile(path.join(dir, 'pnpm-lock.yaml'), 'lockfileVersion: 9\n');
    await mkdir(path.join(project, 'src'));
    const state = await projectState(path.join(project, 'src'));
    expect(state.packages).toEqual({ zod: '4.0.1' });
    expect(state.lockfileSha256).toBe(createHash('sha256').update('lockfileVersion: 9\n').digest('hex'));
  });

  it('writes the full package list as an artifact when the tag cannot hold it', async () => {
    const deps = Object.fromEntries(
      Array.from({ length: 400 }, (_, i) => [`package-with-a-long-name-${i}`, '^1.0.0']),
    );
    await writeJson(path.join(dir, 'package.json'), { dependencies: deps });
    await writeJson(path.join(dir, 'node_modules', 'package-with-a-long-name-7', 'package.json'), {
      version: '1.0.7',
    });
    const env = await captureEnvironment({ cwd: dir, argv: ['node', 'x.js'], env: { USER: 'ada' } });
    const tags = tagsOf(env);
    expect(JSON.parse(tags[ENV_TAGS.packages]!)).toEqual({
      truncated: true,
      count: 400,
      artifact: ENVIRONMENT_ARTIFACT,
    });
    expect(env.files).toHaveLength(1);
    expect(env.files[0]!.path).toBe(ENVIRONMENT_ARTIFACT);
    const full = JSON.parse(env.files[0]!.content) as { packages: Record<string, string | null> };
    expect(Object.keys(full.packages)).toHaveLength(400);
    expect(full.packages['package-with-a-long-name-7']).toBe('1.0.7');
    expect(tags[ENV_TAGS.lockfile]).toBeUndefined();
  });

  it('records the tags a run needs, outside any git repository', async () => {
    const env = await captureEnvironment({
      cwd: dir,
      argv: ['/usr/bin/node', '/app/train.js', '--epochs', '3'],
      env: { LOGNAME: 'ada' },
      nodeVersion: 'v20.0.0',
      platform: 'linux',
      arch: 'x64',
    });
    expect(tagsOf(env)).toMatchObject({
      'mlflow.user': 'ada',
      'mlflow.source.name': '/app/train.js',
      'mlflow.source.type': 'LOCAL',
      [ENV_TAGS.nodeVersion]: 'v20.0.0',
      [ENV_TAGS.platform]: 'linux-x64',
      [ENV_TAGS.command]: '/usr/bin/node /app/train.js --epochs 3',
    });
    // No git repository in a fresh temp directory (unless the temp dir itself is inside one).
    const inRepo = (await gitState(dir, 3000)) !== undefined;
    expect('mlflow.source.git.commit' in tagsOf(env)).toBe(inRepo);
    expect(env.files).toEqual([]);
  });

  it('reads the commit and whether the work tree is dirty', async () => {
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        cwd: dir,
        stdio: 'pipe',
      });
    git('init', '-q');
    await writeFile(path.join(dir, 'train.js'), '1');
    git('add', 'train.js');
    git('commit', '-q', '-m', 'first');
    const head = git('rev-parse', 'HEAD').toString().trim();
    expect(await gitState(dir, 3000)).toEqual({ commit: head, dirty: false });
    await writeFile(path.join(dir, 'train.js'), '2');
    expect(await gitState(dir, 3000)).toEqual({ commit: head, dirty: true });
    const tags = tagsOf(await captureEnvironment({ cwd: dir }));
    expect(tags['mlflow.source.git.commit']).toBe(head);
    expect(tags[ENV_TAGS.gitDirty]).toBe('true');
  });
});
