import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CairnError } from '../../src/core/errors.js';
import { loadModel } from '../../src/models/model-dir.js';
import { tempDir } from '../helpers/temp.js';

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

async function refusal(p: Promise<unknown>): Promise<CairnError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CairnError);
  return e as CairnError;
}

describe('formats: nothing that runs code on load is loaded unless allowed', () => {
  let tmp: { dir: string; remove(): Promise<void> };
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => tmp.remove());

  it('refuses a js model without allowCode and never imports its module', async () => {
    const marker = path.join(tmp.dir, 'ran');
    await writeFile(path.join(tmp.dir, 'MLmodel'), 'flavors:\n  js:\n    module: model.mjs\n');
    await writeFile(
      path.join(tmp.dir, 'model.mjs'),
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\nexport const predict = () => [];\n`,
    );
    const e = await refusal(loadModel(tmp.dir));
    expect(e.code).toBe('PERMISSION_DENIED');
    expect(await exists(marker)).toBe(false);
  });

  it('refuses every pickle-bearing flavor from its MLmodel alone, even with allowCode', async () => {
    for (const manifest of [
      'flavors:\n  sklearn:\n    pickled_model: model.pkl\n',
      'flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n',
      'flavors:\n  python_function:\n    cloudpickle_version: 3.0.0\n    python_model: python_model.pkl\n',
      'flavors:\n  pytorch:\n    model_data: data\n',
      'flavors:\n  custom:\n    serialization_format: cloudpickle\n',
    ]) {
      await writeFile(path.join(tmp.dir, 'MLmodel'), manifest);
      for (const allowCode of [false, true]) {
        const e = await refusal(loadModel(tmp.dir, { allowCode }));
        expect(e.code, manifest).toBe('INVALID_PARAMETER_VALUE');
        expect(e.message, manifest).toMatch(/pickle|no loader/);
      }
    }
  });
});
