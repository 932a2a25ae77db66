import { describe, expect, test } from 'vitest';
import { docsById } from '../shared/collections.js';
import { choosePanel, failureUnit, reviewState } from './review.js';
import { insight, review, stateWith } from './test-builders.js';
import { DEFAULT_OPTIONS, FAILURES, REVIEWS, type InsightDoc, type Rating } from './types.js';

function stateOf(ins: InsightDoc, r1: Rating[], r2: Rating[] = []) {
  const s = stateWith(...r1.map((r, i) => review(ins, 1, i, r)), ...r2.map((r, i) => review(ins, 2, i, r)));
  return reviewState(ins, docsById(s, REVIEWS), docsById(s, FAILURES), DEFAULT_OPTIONS);
}

describe('review panel', () => {
  test('panels use distinct backends, never the producer when others exist', () => {
    expect(choosePanel('i-1', 'a', ['a', 'b', 'c', 'd'], 3).sort()).toEqual(['b', 'c', 'd']);
    const two = choosePanel('i-1', 'a', ['a', 'b', 'c'], 3);
    expect(two.sort()).toEqual(['b', 'c']);
    // only one other backend: the producer fills the second seat (at least 2 distinct)
    expect(choosePanel('i-1', 'a', ['a', 'b'], 3).sort()).toEqual(['a', 'b']);
    // a single backend: panelSize fresh conversations on it
    expect(choosePanel('i-1', 'a', ['a'], 3)).toEqual(['a', 'a', 'a']);
    // the order spreads over insights
    const firsts = new Set(Array.from({ length: 20 }, (_, i) => choosePanel(`i-${i}`, 'a', ['a', 'b', 'c', 'd', 'e'], 2)[0]));
    expect(firsts.size).toBeGreaterThan(1);
  });

  test('no reviews yet: every slot of round 1 is missing', () => {
    const st = stateOf(insight(), []);
    expect(st.status).toBe('in_review');
    expect(st.missing).toEqual([0, 1, 2].map((slot) => ({ round: 1, slot })));
  });

  test.each([
    [['bless', 'bless', 'bless'], 'blessed'],
    [['reject', 'reject', 'reject'], 'rejected'],
    [['uncertain', 'uncertain', 'uncertain'], 'needs_development'],
  ] as const)('unanimous %j → %s, not disputed', (r1, status) => {
    const st = stateOf(insight(), [...r1]);
    expect(st).toMatchObject({ status, disputed: false, decidedBy: 'panel', missing: [] });
  });

  test('a split goes to round 2, and the round-2 majority decides, marked disputed', () => {
    const ins = insight();
    const split = stateOf(ins, ['bless', 'reject', 'bless']);
    expect(split.status).toBe('in_review');
    expect(split.missing).toEqual([0, 1, 2].map((slot) => ({ round: 2, slot })));
    const half = stateOf(ins, ['bless', 'reject', 'bless'], ['bless']);
    expect(half.missing).toEqual([1, 2].map((slot) => ({ round: 2, slot })));
    const done = stateOf(ins, ['bless', 'reject', 'bless'], ['reject', 'reject', 'bless']);
    expect(done).toMatchObject({ status: 'rejected', disputed: true, decidedBy: 'panel', missing: [] });
    expect(done.rounds.map((r) => r.reviews.length)).toEqual([3, 3]);
  });

  test('round 2 without a majority → needs development (disputed)', () => {
    expect(stateOf(insight(), ['bless', 'reject', 'uncertain'], ['bless', 'reject', 'uncertain'])).toMatchObject({ status: 'needs_development', disputed: true });
  });

  test('a reviewer whose review keeps failing abstains', () => {
    const ins = insight();
    const s = stateWith(review(ins, 1, 0, 'bless'), review(ins, 1, 1, 'bless'), { type: 'module.put', module: 'explorer', collection: 'failures', id: failureUnit.review(ins.id, 0, 1, 2), doc: { count: 2, lastError: 'x', at: 'y' } });
    const st = reviewState(ins, docsById(s, REVIEWS), docsById(s, FAILURES), DEFAULT_OPTIONS);
    expect(st).toMatchObject({ status: 'blessed', missing: [] });
    expect(st.rounds[0]!.abstained).toEqual([2]);
  });

  test('a human decision overrides the panel for its revision only', () => {
    const decided = insight({ decision: { status: 'rejected', note: 'no', at: 'x', revision: 0, by: 'human' } });
    expect(stateOf(decided, ['bless', 'bless', 'bless'])).toMatchObject({ status: 'rejected', decidedBy: 'human' });
    expect(stateOf(decided, [])).toMatchObject({ status: 'rejected', missing: [] });
    // a revised insight (revision 1) is reviewed afresh
    expect(stateOf({ ...decided, revision: 1 }, [])).toMatchObject({ status: 'in_review' });
  });

  test('duplicates are never reviewed', () => {
    expect(stateOf(insight({ duplicateOf: 'i-0', panel: [] }), [])).toMatchObject({ status: 'duplicate', missing: [] });
  });
});
