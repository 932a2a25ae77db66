import { describe, expect, it } from 'vitest';
import { normalizeForQuote, verifyQuote } from './citations.js';

const TEXT = `The Fano plane
It has seven points and seven lines.  Every line
contains exactly three points, and every point lies on “three” lines — a symmetric design.`;

describe('citation verification', () => {
  it('accepts a verbatim quote across a line break and extra spaces', () => {
    expect(verifyQuote('Every line contains exactly three points', TEXT)).toEqual({ verified: true });
  });
  it('ignores punctuation, smart quotes and case', () => {
    expect(verifyQuote('every point lies on "three" lines - a symmetric design', TEXT)).toEqual({ verified: true });
    expect(verifyQuote('It has seven points, and seven lines', TEXT)).toEqual({ verified: true });
  });
  it('rejects a fabricated quote', () => {
    const r = verifyQuote('Every line contains exactly four points', TEXT);
    expect(r.verified).toBe(false);
  });
  it('rejects a quote that only matches inside words', () => {
    expect(verifyQuote('ven points and seven lin', TEXT).verified).toBe(false);
  });
  it('rejects quotes too short to prove anything', () => {
    const r = verifyQuote('seven points', TEXT);
    expect(r).toMatchObject({ verified: false });
    expect((r as { reason: string }).reason).toMatch(/too short/);
  });
  it('normalizes Unicode compatibility forms', () => {
    expect(normalizeForQuote('ﬁnite  Field—GF(2)')).toBe('finite field gf 2');
  });
});
