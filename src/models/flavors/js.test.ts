import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Frame } from '../../core/frame.js';
import type { ModelManifest } from '../types.js';
import { jsFlavor } from './js.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-js-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const manifest = (module: unknown): ModelManifest => ({ flavors: { js: { module } } });
const input = Frame.fromRecords([{ x: 1 }, { x: 2 }]);

describe('js flavor', () => {
  it('is refused without allowCode, naming --allow-code-models, and its code never runs', async () => {
    const marker = join(dir, 'ran');
    await writeFile(
      join(dir, 'model.mjs'),
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\nexport const predict = () => [];\n`,
    );
    const err = await jsFlavor.load(dir, manifest('model.mjs'), { allowCode: false }).catch((e) => e);
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.message).toMatch(/--allow-code-models/);
    await expect(import('node:fs').then((fs) => fs.existsSync(marker))).resolves.toBe(false);
  });

  it('runs predict when allowed: arrays, records, column objects and frames', async () => {
    await writeFile(
      join(dir, 'model.mjs'),
      [
        'export function predict(frame, params) {',
        '  const xs = Array.from(frame.get("x").values);',
        '  if (params.shape === "records") return xs.map((x) => ({ y: x * 2, tag: "t" }));',
        '  if (params.shape === "columns") return { y: new Float64Array(xs.map((x) => x + 0.5)) };',
        '  if (params.shape === "frame") return { columns: frame.columns, length: frame.length, get: (n) => frame.get(n) };',
        '  if (params.shape === "bad") return 42;',
        '  return xs.map((x) => x * 10);',
        '}',
      ].join('\n'),
    );
    const model = await jsFlavor.load(dir, manifest('model.mjs'), { allowCode: true });
    expect((await model.predict(input)).toRecords()).toEqual([{ prediction: 10 }, { prediction: 20 }]);
    expect((await model.predict(input, { shape: 'records' })).toRecords()).toEqual([
      { y: 2, tag: 't' },
      { y: 4, tag: 't' },
    ]);
    expect((await model.predict(input, { shape: 'columns' })).get('y')!.type).toBe('double');
    expect((await model.predict(input, { shape: 'frame' })).names).toEqual(['x']);
    await expect(model.predict(input, { shape: 'bad' })).rejects.toThrow(/returned number from predict/);
    await model.close?.();
  });

  it('accepts a default export and calls close', async () => {
    await writeFile(
      join(dir, 'm.js'),
      'let closed = false;\nexport default { predict: () => [closed], close() { closed = true; } };\n',
    );
    await writeFile(join(dir, 'package.json'), '{"type": "module"}');
    const model = await jsFlavor.load(dir, manifest('m.js'), { allowCode: true });
    expect((await model.predict(input)).toRecords()).toEqual([{ prediction: false }]);
    await model.close?.();
  });

  it('keeps the module inside the model directory', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'cairn-js-out-'));
    try {
      await writeFile(join(outside, 'evil.mjs'), 'export const predict = () => [];\n');
      await symlink(join(outside, 'evil.mjs'), join(dir, 'link.mjs'));
      await expect(jsFlavor.load(dir, manifest('link.mjs'), { allowCode: true })).rejects.toThrow(
        /resolves outside the model directory/,
      );
      await expect(jsFlavor.load(dir, manifest('../evil.mjs'), { allowCode: true })).rejects.toThrow(
        /'\.\.' segment/,
      );
      await expect(
        jsFlavor.load(dir, manifest(join(outside, 'evil.mjs')), { allowCode: true }),
      ).rejects.toThrow(/absolute/);
      await expect(jsFlavor.load(dir, manifest('%2e%2e/evil.mjs'), { allowCode: true })).rejects.toThrow(
        /'\.\.'/,
      );
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('refuses a missing or non-module path and a module without predict', async () => {
    await expect(jsFlavor.load(dir, manifest(undefined), { allowCode: true })).rejects.toThrow(
      /needs 'module'/,
    );
    await expect(jsFlavor.load(dir, manifest('model.py'), { allowCode: true })).rejects.toThrow(
      /\.mjs or \.js/,
    );
    await expect(jsFlavor.load(dir, manifest('gone.mjs'), { allowCode: true })).rejects.toThrow(/is missing/);
    await writeFile(join(dir, 'empty.mjs'), 'export const x = 1;\n');
    await expect(jsFlavor.load(dir, manifest('empty.mjs'), { allowCode: true })).rejects.toThrow(
      /does not export a predict function/,
    );
  });
});
