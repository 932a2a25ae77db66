import { describe, expect, it } from 'vitest';
import { SEED_ID_MAX, seedIdFor, seedIdWords } from './seed-id.js';

describe('seed ids keep the meaning of the seed', () => {
  it('keeps negations and numbers (the reported case)', () => {
    expect(seedIdFor('The Fano plane has no ovals of size 4.')).toBe('fano-plane-has-no-ovals-size-4');
    expect(seedIdFor('The Fano plane has ovals of size 4.')).toBe('fano-plane-has-ovals-size-4');
    expect(seedIdFor('Every line is not a conic.')).toBe('every-line-not-conic');
    expect(seedIdFor("A projective plane of order 6 doesn't exist.")).toBe('projective-plane-order-6-does-not-exist');
    expect(seedIdFor("We can't colour it with 2 colours; we won't try 3.")).toBe('we-can-not-colour-with-2-colours-we-will-not-try-3');
    expect(seedIdFor('No two lines are parallel')).toBe('no-two-lines-parallel');
  });

  it('a seed and its negation never get the same id', () => {
    const pairs = [
      ['The Fano plane has no ovals of size 4.', 'The Fano plane has ovals of size 4.'],
      ['Every graph is planar.', 'Not every graph is planar.'],
      ['There are exactly 7 points.', 'There are exactly 8 points.'],
      ['n < 4 for every oval', 'n > 4 for every oval'],
      ['n <= 4', 'n >= 4'],
      ['x = 1', 'x ≠ 1'],
      ['the bound is 3.5', 'the bound is 35'],
      ['the exponent is -1', 'the exponent is 1'],
    ];
    for (const [a, b] of pairs) expect(seedIdFor(a!), `${a} / ${b}`).not.toBe(seedIdFor(b!));
  });

  it('symbols and accents become words and letters', () => {
    expect(seedIdWords('n ≤ 4, m ≥ 2, k ≠ 0, a+b = c, −3 × 2')).toEqual([
      'n',
      'le',
      '4',
      'm',
      'ge',
      '2',
      'k',
      'ne',
      '0',
      'a',
      'plus',
      'b',
      'eq',
      'c',
      'minus',
      '3',
      'times',
      '2',
    ]);
    expect(seedIdFor('Erdős–Ko–Rado holds for q = 2.5')).toBe('erdos-ko-rado-holds-for-q-eq-2p5');
    expect(seedIdFor('?!')).toBe('seed');
  });

  it('long texts: at most 64 characters, ordinary words go before negations and numbers', () => {
    const long = 'Every sufficiently large Steiner triple system on v points with v congruent to 1 or 3 modulo 6 contains no Pasch configuration of size 4';
    const id = seedIdFor(long);
    expect(id.length).toBeLessThanOrEqual(SEED_ID_MAX);
    for (const w of ['every', 'no', '1', '3', '6', '4']) expect(id.split('-')).toContain(w);
    expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('unique: a taken id gets -2, -3, … and stays within the length', () => {
    const taken = new Set(['fano-plane-has-no-ovals-size-4']);
    expect(seedIdFor('The Fano plane has no ovals of size 4.', taken)).toBe('fano-plane-has-no-ovals-size-4-2');
    taken.add('fano-plane-has-no-ovals-size-4-2');
    expect(seedIdFor('The Fano plane has no ovals of size 4!', taken)).toBe('fano-plane-has-no-ovals-size-4-3');
    const long = 'word '.repeat(40);
    const first = seedIdFor(long);
    const second = seedIdFor(long, new Set([first]));
    expect(second).not.toBe(first);
    expect(second.length).toBeLessThanOrEqual(SEED_ID_MAX);
    expect(second.endsWith('-2')).toBe(true);
  });

  it('stable: the same text gives the same id (the id is written once, then read from the seeds file)', () => {
    expect(seedIdFor('The Fano plane has no ovals of size 4.')).toBe(seedIdFor('The Fano plane has no ovals of size 4.'));
  });
});
