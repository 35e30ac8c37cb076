import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/index.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('cairn models (the CLI)', () => {
  let home: { dir: string; remove(): Promise<void> };
  let runId: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    home = await tempDir();
    env = { CAIRN_HOME: home.dir, CAIRN_TRACKING_URI: '', MLFLOW_TRACKING_URI: '' };
    const client = await connect(undefined, { env });
    const run = await client.startRun({ experiment: 'cli', captureEnvironment: false });
    await client.logModel(run, path.join(ROOT, 'test/fixtures/models/xgboost/binary/json/model.json'));
    await run.end();
    runId = run.id;
    await client.close();
  });
  afterAll(async () => home.remove());

  it('registers, lists versions, sets an alias, transitions and downloads, with --json', async () => {
    const reg = await cli(['models', 'register', `runs:/${runId}/model`, '--name', 'fraud', '--json'], env);
    expect(reg.code, reg.stderr).toBe(0);
    expect(JSON.parse(reg.stdout)).toMatchObject({
      name: 'fraud',
      version: '1',
      source: `runs:/${runId}/model`,
    });
    await cli(['models', 'register', `runs:/${runId}/model`, '--name', 'fraud'], env);

    const alias = await cli(['models', 'set-alias', 'fraud', 'champion', '2'], env);
    expect(alias.stdout).toContain('fraud@champion → version 2');
    const moved = await cli(['models', 'transition', 'fraud', '1', 'Production', '--json'], env);
    expect(JSON.parse(moved.stdout)).toMatchObject({ version: '1', current_stage: 'Production' });

    const versions = await cli(['models', 'versions', 'fraud', '--json'], env);
    const list = JSON.parse(versions.stdout) as Array<{
      version: string;
      aliases: string[];
      current_stage: string;
    }>;
    expect(list.map((v) => [v.version, v.current_stage, v.aliases]).sort()).toEqual([
      ['1', 'Production', []],
      ['2', 'None', ['champion']],
    ]);
    const models = await cli(['models', 'list'], env);
    expect(models.stdout).toMatch(/fraud\s+latest: .*v1 \(Production\).*aliases: champion→v2/);

    const dst = path.join(home.dir, 'downloaded');
    const dl = await cli(['models', 'download', 'models:/fraud@champion', '--dst', dst], env);
    expect(dl.code, dl.stderr).toBe(0);
    expect((await readdir(dst)).sort()).toEqual(expect.arrayContaining(['MLmodel', 'model.json']));
  });

  it('fails with the error code for bad input', async () => {
    const res = await cli(['models', 'transition', 'fraud', '1', 'Heaven'], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/INVALID_PARAMETER_VALUE/);
    const missing = await cli(
      ['models', 'download', 'models:/nope/1', '--dst', path.join(home.dir, 'x')],
      env,
    );
    expect(missing.stderr).toMatch(/RESOURCE_DOES_NOT_EXIST/);
  });
});
