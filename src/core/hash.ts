import { createHash } from 'node:crypto';

/**
 * sha256, in hex, of the parts joined by NUL (one part: the plain hash of that string). Stable ids
 * and keys are prefixes of it, and the mocks derive every "random" choice from it, so the same
 * inputs give the same result in every process.
 */
export function sha256Hex(...parts: Array<string | number>): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** A fraction in [0, 1) from the 8 hex digits of `hex` at `at`: deterministic "randomness". */
export function hashUnit(hex: string, at = 0): number {
  return parseInt(hex.slice(at, at + 8), 16) / 0x1_0000_0000;
}
