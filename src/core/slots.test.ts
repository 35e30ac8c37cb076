import { describe, expect, it } from 'vitest';
import { Slots } from './slots.js';

describe('Slots', () => {
  it('runs at most max at once, queues up to maxWaiting, refuses past that', async () => {
    const slots = new Slots(2, 1);
    const releases = await Promise.all([slots.take(), slots.take()]);
    expect(slots.inUse).toBe(2);
    let third = false;
    const waiter = slots.take().then((r) => {
      third = true;
      return r;
    });
    await Promise.resolve();
    expect(slots.queued).toBe(1);
    await expect(slots.take()).rejects.toMatchObject({ code: 'REQUEST_LIMIT_EXCEEDED' });
    expect(third).toBe(false);
    releases[0]!();
    releases[0]!(); // a second release of the same slot is ignored
    const r3 = await waiter;
    expect(third).toBe(true);
    expect(slots.inUse).toBe(2);
    releases[1]!();
    r3();
    expect(slots.inUse).toBe(0);
  });

  it('gives the slot back when the work fails', async () => {
    const slots = new Slots(1, 0);
    await expect(slots.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await slots.run(async () => 42)).toBe(42);
    expect(slots.inUse).toBe(0);
  });
});
