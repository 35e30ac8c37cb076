import { describe, expect, it } from 'vitest';
import type { CairnError } from '../core/errors.js';
import { frameFromV2, MAX_TENSOR_WIDTH } from './oip.js';

const tensor = (shape: unknown, data: unknown[], name = 'x') => ({
  inputs: [{ name, shape, datatype: 'FP64', data }],
});

const refusal = (body: unknown): CairnError => {
  try {
    frameFromV2(body);
  } catch (e) {
    return e as CairnError;
  }
  throw new Error('accepted');
};

describe('frameFromV2 on hostile shapes', () => {
  it('refuses an empty tensor claiming a huge width instead of allocating its columns', () => {
    for (const shape of [
      [0, 1e9],
      [0, 2 ** 31],
      [0, MAX_TENSOR_WIDTH + 1],
    ]) {
      const e = refusal(tensor(shape, []));
      expect(e.code).toBe('BAD_REQUEST');
      expect(e.message).toMatch(/wide/);
    }
  });

  it('refuses dimensions that are not whole sizes', () => {
    for (const shape of [[-1], [1.5], ['1'], [null], [[1]], [2 ** 53, 1], [-2, -3], [1e308]]) {
      expect(refusal(tensor(shape, [1])).code, JSON.stringify(shape)).toBe('BAD_REQUEST');
    }
  });

  it('still reads good tensors, and an input named __proto__ as a column', () => {
    expect(frameFromV2(tensor([2, 2], [1, 2, 3, 4])).names).toEqual(['x_0', 'x_1']);
    expect(frameFromV2(tensor([0, 3], [])).names).toEqual(['x_0', 'x_1', 'x_2']);
    const proto = frameFromV2(tensor([2], [1, 2], '__proto__'));
    expect(proto.names).toEqual(['__proto__']);
    const records = proto.toRecords();
    expect(records.map((r) => Object.getPrototypeOf(r))).toEqual([Object.prototype, Object.prototype]);
    expect(records.map((r) => JSON.stringify(r))).toEqual(['{"__proto__":1}', '{"__proto__":2}']);
  });
});
