/**
 * A tiny seeded PRNG (mulberry32) for everything that needs injected randomness: backoff jitter,
 * the simulator, property tests. 32-bit state, period 2^32, good enough for scheduling noise and
 * fully deterministic for a seed (the same seed gives the same sequence on every platform).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    // Result in [0, 1): never exactly 1, so `floor(rng() * n)` is always a valid index.
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
