/** Milliseconds since the epoch. One seam, so tests can reason about time. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
