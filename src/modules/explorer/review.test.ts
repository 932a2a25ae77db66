import { describe, expect, test } from 'vitest';
import { docsById } from '../shared/collections.js';
import { choosePanel, failureUnit, reviewState } from './review.js';
import { insight, review, stateWith, verification } from './test-builders.js';
import { DEFAULT_OPTIONS, FAILURES, REVIEWS, VERIFICATIONS, type InsightDoc, type Rating } from './types.js';

type Verdict = 'proved' | 'refuted' | 'unclear';

/** The panel's state after these ratings per round (rounds 1 to 4 by slot) and verdicts per claim. */
function stateOf(
  ins: InsightDoc,
  r1: Rating[],
  r2: Array<Rating | null> = [],
  v: Verdict[] = [],
  later: { r3?: Array<Rating | null>; r4?: Array<Rating | null> } = {},
) {
  const rounds = [r1, r2, later.r3 ?? [], later.r4 ?? []];
  const reviews = rounds.flatMap((rs, k) => rs.flatMap((r, i) => (r === null ? [] : [review(ins, k + 1, i, r)])));
  const s = stateWith(...reviews, ...v.map((d, c) => verification(ins, c, d)));
  return reviewState(ins, docsById(s, REVIEWS), docsById(s, FAILURES), DEFAULT_OPTIONS, docsById(s, VERIFICATIONS));
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

  test('a unanimous reject in round 1 decides at once; anything else first has every claim verified', () => {
    expect(stateOf(insight(), ['reject', 'reject', 'reject'])).toMatchObject({
      status: 'rejected',
      disputed: false,
      decidedBy: 'panel',
      missing: [],
      toVerify: [],
    });
    const two = insight({ claims: ['$v = b$', '$v = 7$'] });
    expect(stateOf(two, ['bless', 'bless', 'bless'])).toMatchObject({ status: 'in_review', missing: [], toVerify: [0, 1] });
    expect(stateOf(two, ['bless', 'bless', 'bless'], [], ['proved'])).toMatchObject({ status: 'in_review', toVerify: [1] });
  });

  test.each([
    [['bless', 'bless', 'bless'], 'blessed'],
    [['uncertain', 'uncertain', 'uncertain'], 'needs_development'],
  ] as const)('unanimous %j with every claim proved → %s, not disputed', (r1, status) => {
    expect(stateOf(insight(), [...r1], [], ['proved'])).toMatchObject({ status, disputed: false, decidedBy: 'panel', missing: [] });
  });

  test('a confident refutation in verification rejects the insight, whatever the panel said', () => {
    const ins = insight({ claims: ['$v = b$', '$v = 7$'] });
    const st = stateOf(ins, ['bless', 'bless', 'uncertain'], [], ['proved', 'refuted']);
    expect(st).toMatchObject({ status: 'rejected', decidedBy: 'verification', reason: 'claim 2 refuted in verification', missing: [] });
    expect(st.verification[1]!.verification).toMatchObject({ verdict: 'refuted', counterexample: 'n = 2' });
    // a refutation the verifier is not sure of is only shown to round 2
    const s = stateWith(
      review(ins, 1, 0, 'bless'),
      review(ins, 1, 1, 'bless'),
      review(ins, 1, 2, 'bless'),
      verification(ins, 0, 'proved'),
      verification(ins, 1, 'refuted', { confidence: 0.5 }),
    );
    expect(reviewState(ins, docsById(s, REVIEWS), docsById(s, FAILURES), DEFAULT_OPTIONS, docsById(s, VERIFICATIONS)).missing).toEqual(
      [0, 1, 2].map((slot) => ({ round: 2, slot })),
    );
  });

  test('a unanimous bless whose claims were not all proved goes to round 2', () => {
    expect(stateOf(insight(), ['bless', 'bless', 'bless'], [], ['unclear']).missing).toEqual([0, 1, 2].map((slot) => ({ round: 2, slot })));
  });

  test('a split goes to round 2 after the verification, and a unanimous round 2 decides, marked disputed', () => {
    const ins = insight();
    expect(stateOf(ins, ['bless', 'reject', 'bless'])).toMatchObject({ status: 'in_review', missing: [], toVerify: [0] });
    const split = stateOf(ins, ['bless', 'reject', 'bless'], [], ['proved']);
    expect(split.missing).toEqual([0, 1, 2].map((slot) => ({ round: 2, slot })));
    expect(stateOf(ins, ['bless', 'reject', 'bless'], ['bless'], ['proved']).missing).toEqual([1, 2].map((slot) => ({ round: 2, slot })));
    const done = stateOf(ins, ['bless', 'reject', 'bless'], ['bless', 'bless', 'bless'], ['proved']);
    expect(done).toMatchObject({ status: 'blessed', disputed: true, decidedBy: 'panel', missing: [] });
    expect(done.rounds.map((r) => r.reviews.length)).toEqual([3, 3]);
  });

  test('a 2–1 split that persists: the minority states its case (round 3), the majority answers (round 4), then the last ratings decide', () => {
    const ins = insight();
    const r1: Rating[] = ['bless', 'uncertain', 'bless'];
    const r2: Rating[] = ['bless', 'uncertain', 'bless'];
    expect(stateOf(ins, r1, r2, ['proved']).missing).toEqual([{ round: 3, slot: 1 }]);
    expect(stateOf(ins, r1, r2, ['proved'], { r3: [null, 'uncertain'] }).missing).toEqual([
      { round: 4, slot: 0 },
      { round: 4, slot: 2 },
    ]);
    const held = stateOf(ins, r1, r2, ['proved'], { r3: [null, 'uncertain'], r4: ['bless', null, 'bless'] });
    expect(held).toMatchObject({ status: 'blessed', disputed: true, decidedBy: 'panel', reason: 'majority after the argument round' });
    expect(held.rounds.map((r) => [r.round, r.reviews.map((x) => x.slot)])).toEqual([
      [1, [0, 1, 2]],
      [2, [0, 1, 2]],
      [3, [1]],
      [4, [0, 2]],
    ]);
    // the minority's case convinced one of the majority: the last ratings are uncertain 2–1
    expect(stateOf(ins, r1, r2, ['proved'], { r3: [null, 'uncertain'], r4: ['uncertain', null, 'bless'] })).toMatchObject({ status: 'needs_development' });
  });

  test('round 2 without a majority → needs development (disputed), no argument round', () => {
    expect(stateOf(insight(), ['bless', 'reject', 'uncertain'], ['bless', 'reject', 'uncertain'], ['proved'])).toMatchObject({
      status: 'needs_development',
      disputed: true,
      missing: [],
    });
  });

  test('a reviewer whose review keeps failing abstains; so does a verification', () => {
    const ins = insight();
    const fail = (id: string) => ({ type: 'module.put' as const, module: 'explorer', collection: 'failures', id, doc: { count: 2, lastError: 'x', at: 'y' } });
    const s = stateWith(
      review(ins, 1, 0, 'uncertain'),
      review(ins, 1, 1, 'uncertain'),
      fail(failureUnit.review(ins.id, 0, 1, 2)),
      fail(failureUnit.verify(ins.id, 0, 0)),
    );
    const st = reviewState(ins, docsById(s, REVIEWS), docsById(s, FAILURES), DEFAULT_OPTIONS, docsById(s, VERIFICATIONS));
    expect(st).toMatchObject({ status: 'needs_development', missing: [], toVerify: [] });
    expect(st.rounds[0]!.abstained).toEqual([2]);
    expect(st.verification[0]).toMatchObject({ verification: null, abstained: true });
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
