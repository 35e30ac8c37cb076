/** Mulberry32: a small, fast, seeded PRNG of uniform numbers in [0, 1); the same seed, the same stream. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** seededRandom for a seed; Math.random without one. */
export function randomFor(seed?: number): () => number {
  return seed === undefined ? Math.random : seededRandom(seed);
}
