import { describe, expect, it } from 'vitest';
import { sampleEvenly } from './metric-sampling.js';

describe('sampleEvenly', () => {
  it('keeps everything when there are few steps', () => {
    expect(sampleEvenly([1, 2, 3], 5)).toEqual([1, 2, 3]);
  });
  it('keeps the first and last step and spreads the rest', () => {
    const steps = Array.from({ length: 1001 }, (_, i) => i);
    const kept = sampleEvenly(steps, 11);
    expect(kept).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(sampleEvenly(steps, 1)).toEqual([1000]);
  });
});
