import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { configSchema } from './schema.js';
import { didYouMean, editDistance, knownKeysAt, otherTagsAccepting } from './schema-walk.js';
import type { SchemaLike } from './schema-walk.js';

const root = configSchema as unknown as SchemaLike;

describe('editDistance', () => {
  test('counts insertions, deletions, substitutions and adjacent swaps as one edit', () => {
    expect(editDistance('maxSecond', 'maxSeconds')).toBe(1);
    expect(editDistance('maxSeconds', 'maxSecond')).toBe(1);
    expect(editDistance('latencyMs', 'latencyMz')).toBe(1);
    expect(editDistance('tpye', 'type')).toBe(1);
    expect(editDistance('abc', 'xyz')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  test('is a symmetric distance that is zero only for equal strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), (a, b) => {
        const d = editDistance(a, b);
        expect(d).toBe(editDistance(b, a));
        expect(d === 0).toBe(a === b);
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
      }),
    );
  });
});

describe('didYouMean', () => {
  const tickKeys = ['maxSeconds', 'maxRequests', 'intervalSeconds', 'lockStaleSeconds', 'rediscoverSeconds'];
  test('typos, case, snake_case and prefixes find the key; unrelated words do not', () => {
    expect(didYouMean('maxSecond', tickKeys)).toBe('maxSeconds');
    expect(didYouMean('max_requests', tickKeys)).toBe('maxRequests');
    expect(didYouMean('MAXSECONDS', tickKeys)).toBe('maxSeconds');
    expect(didYouMean('interval', tickKeys)).toBe('intervalSeconds');
    expect(didYouMean('colour', tickKeys)).toBeNull();
    expect(didYouMean('a', ['in', 'url'])).toBeNull();
  });
});

describe('schema walking', () => {
  test('known keys follow records and pick the discriminated-union option from the data', () => {
    const data = { backends: { x: { type: 'openai' }, y: { type: 'browser' } } };
    expect(knownKeysAt(root, data, ['tick'])).toEqual(['maxSeconds', 'maxRequests', 'intervalSeconds', 'lockStaleSeconds', 'rediscoverSeconds']);
    expect(knownKeysAt(root, data, ['backends', 'x'])).toContain('baseUrl');
    expect(knownKeysAt(root, data, ['backends', 'y', 'selectors'])).toContain('response');
    expect(knownKeysAt(root, { backends: { z: { type: 'nope' } } }, ['backends', 'z'])).toBeNull();
    expect(otherTagsAccepting(root, { backends: { m: { type: 'mock' } } }, ['backends', 'm'], 'url')).toEqual(['browser']);
  });
});
