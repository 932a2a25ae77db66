import { reviewId, shortHash } from './text.js';
import type { ExplorerOptions, FailureDoc, InsightDoc, InsightStatus, Rating, ReviewDoc } from './types.js';

/**
 * The review panel, pure. An insight's status is DERIVED from its reviews (and a human decision),
 * never stored: reviews are separate documents written by separate tasks, and a status computed
 * from them cannot go stale or be lost to two reviewers answering in the same tick.
 */

/**
 * Reviewer backends by slot. Distinct backends other than the producer first (ordered by a hash
 * of the insight id, so the load spreads); the producer only when fewer than 2 others exist. A
 * home with a single backend gets `panelSize` slots on it (fresh conversations each).
 */
export function choosePanel(insightId: string, producer: string, backends: readonly string[], panelSize: number): string[] {
  const names = [...new Set(backends)].sort();
  if (names.length === 0) return [];
  if (names.length === 1) return Array.from({ length: panelSize }, () => names[0]!);
  const others = names.filter((n) => n !== producer).sort((a, b) => (shortHash(insightId, a) < shortHash(insightId, b) ? -1 : 1));
  const panel = others.slice(0, panelSize);
  if (panel.length < 2 && names.includes(producer)) panel.push(producer);
  return panel;
}

export const failureUnit = {
  exchange: (threadId: string, index: number) => `x~${threadId}~${index}`,
  synthesis: (threadId: string) => `s~${threadId}`,
  review: (insightId: string, revision: number, round: number, slot: number) => `r~${reviewId(insightId, revision, round, slot)}`,
  comment: (commentId: string) => `c~${commentId}`,
};

export interface RoundView {
  round: number;
  reviews: ReviewDoc[];
  abstained: number[];
}

export interface ReviewState {
  status: InsightStatus;
  disputed: boolean;
  decidedBy: 'panel' | 'human' | null;
  rounds: RoundView[];
  /** Reviews still to do now (round, slot); empty once decided. */
  missing: Array<{ round: number; slot: number }>;
}

function majority(ratings: Rating[]): Rating | null {
  const counts = new Map<Rating, number>();
  for (const r of ratings) counts.set(r, (counts.get(r) ?? 0) + 1);
  for (const [r, n] of counts) if (n * 2 > ratings.length) return r;
  return null;
}

const STATUS_OF: Record<Rating, InsightStatus> = { bless: 'blessed', reject: 'rejected', uncertain: 'needs_development' };

export function reviewState(
  ins: InsightDoc,
  reviews: Readonly<Record<string, ReviewDoc>>,
  failures: Readonly<Record<string, FailureDoc>>,
  opts: Pick<ExplorerOptions, 'secondRound' | 'maxAttempts'>,
): ReviewState {
  const rev = ins.revision;
  const get = (round: number, slot: number): ReviewDoc | undefined => reviews[reviewId(ins.id, rev, round, slot)];
  const abstains = (round: number, slot: number) => (failures[failureUnit.review(ins.id, rev, round, slot)]?.count ?? 0) >= opts.maxAttempts;
  const roundView = (round: number, slots: number[]): RoundView => ({
    round,
    reviews: slots.map((s) => get(round, s)).filter((r): r is ReviewDoc => r !== undefined),
    abstained: slots.filter((s) => !get(round, s) && abstains(round, s)),
  });
  const slots = ins.panel.map((_, i) => i);
  const r1 = roundView(1, slots);
  const rounds = [r1];
  const r2slots = r1.reviews.map((r) => r.slot);
  const r2 = roundView(2, r2slots);
  if (r2.reviews.length > 0 || r2.abstained.length > 0) rounds.push(r2);
  const done = (status: InsightStatus, disputed: boolean, decidedBy: ReviewState['decidedBy']): ReviewState => ({ status, disputed, decidedBy, rounds, missing: [] });

  if (ins.duplicateOf !== null) return done('duplicate', false, null);
  if (ins.decision && ins.decision.revision === rev) return done(ins.decision.status, false, 'human');

  const missing1 = slots.filter((s) => !get(1, s) && !abstains(1, s));
  if (missing1.length > 0) return { status: 'in_review', disputed: false, decidedBy: null, rounds, missing: missing1.map((slot) => ({ round: 1, slot })) };
  const ratings1 = r1.reviews.map((r) => r.rating);
  if (ratings1.length === 0) return done('needs_development', false, 'panel');
  if (ratings1.every((r) => r === ratings1[0])) return done(STATUS_OF[ratings1[0]!], false, 'panel');
  if (!opts.secondRound || r2slots.length < 2) {
    const m = majority(ratings1);
    return done(m ? STATUS_OF[m] : 'needs_development', true, 'panel');
  }
  if (!rounds.includes(r2)) rounds.push(r2);
  const missing2 = r2slots.filter((s) => !get(2, s) && !abstains(2, s));
  if (missing2.length > 0) return { status: 'in_review', disputed: true, decidedBy: null, rounds, missing: missing2.map((slot) => ({ round: 2, slot })) };
  const ratings2 = r2.reviews.map((r) => r.rating);
  const m = majority(ratings2.length > 0 ? ratings2 : ratings1);
  return done(m ? STATUS_OF[m] : 'needs_development', true, 'panel');
}
