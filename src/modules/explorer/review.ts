import { structureOf } from './structure.js';
import { reviewId, shortHash, verificationId } from './text.js';
import type { ExplorerOptions, FailureDoc, InsightDoc, InsightStatus, Rating, ReviewDoc, VerificationDoc } from './types.js';

/**
 * The review panel, pure. An insight's status is DERIVED from its reviews (and a human decision),
 * never stored: reviews are separate documents written by separate tasks, and a status computed
 * from them cannot go stale or be lost to two reviewers answering in the same tick.
 *
 * The path of one revision (the statement never changes on it; only a person's comment makes a
 * new revision, reviewed from round 1):
 *   round 1      every panel slot reviews on its own, one verdict per claim plus the rating;
 *   verification each claim goes to a prove-or-refute task (skipped when round 1 rejected it
 *                unanimously); a confident refutation rejects the insight;
 *   decision     a unanimous round 1 decides, except a bless whose claims the verification did
 *                not all prove, which goes on to round 2;
 *   round 2      every reviewer reads the others' full reviews and the verification;
 *   rounds 3, 4  a split that persists with a majority: the minority makes its strongest case
 *                (round 3), the majority answers it (round 4); then each reviewer's last rating
 *                counts, a majority decides, and none leaves the insight needing development.
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
  verify: (insightId: string, revision: number, claim: number) => `v~${verificationId(insightId, revision, claim)}`,
  comment: (commentId: string) => `c~${commentId}`,
};

/** A refutation at least this sure rejects the insight (a less sure one is shown to round 2). */
export const REFUTE_CONFIDENCE = 0.8;

export interface RoundView {
  round: number;
  reviews: ReviewDoc[];
  abstained: number[];
}

export interface ClaimVerification {
  claim: number;
  text: string;
  verification: VerificationDoc | null;
  /** The prove-or-refute task failed for good: no verdict. */
  abstained: boolean;
}

/** A claim's verdict as shown to a person: the verification's, else failed (abstained) or pending. */
export function claimVerdict(c: ClaimVerification): VerificationDoc['verdict'] | 'failed' | 'pending' {
  return c.verification?.verdict ?? (c.abstained ? 'failed' : 'pending');
}

export interface ReviewState {
  status: InsightStatus;
  disputed: boolean;
  decidedBy: 'panel' | 'verification' | 'human' | null;
  /** Why the panel's decision is what it is, in a sentence (null while undecided). */
  reason: string | null;
  rounds: RoundView[];
  verification: ClaimVerification[];
  /** Reviews still to do now (round, slot); empty once decided. */
  missing: Array<{ round: number; slot: number }>;
  /** Claims still to verify now (their indices). */
  toVerify: number[];
}

function majority(ratings: Rating[]): Rating | null {
  const counts = new Map<Rating, number>();
  for (const r of ratings) counts.set(r, (counts.get(r) ?? 0) + 1);
  for (const [r, n] of counts) if (n * 2 > ratings.length) return r;
  return null;
}

const STATUS_OF: Record<Rating, InsightStatus> = { bless: 'blessed', reject: 'rejected', uncertain: 'needs_development' };

/** The verdicts that reject an insight: confident refutations. */
export function confidentRefutations(v: readonly ClaimVerification[]): VerificationDoc[] {
  return v.flatMap((c) => (c.verification && c.verification.verdict === 'refuted' && c.verification.confidence >= REFUTE_CONFIDENCE ? [c.verification] : []));
}

export function reviewState(
  ins: InsightDoc,
  reviews: Readonly<Record<string, ReviewDoc>>,
  failures: Readonly<Record<string, FailureDoc>>,
  opts: Pick<ExplorerOptions, 'secondRound' | 'maxAttempts'>,
  verifications: Readonly<Record<string, VerificationDoc>> = {},
): ReviewState {
  const rev = ins.revision;
  const get = (round: number, slot: number): ReviewDoc | undefined => reviews[reviewId(ins.id, rev, round, slot)];
  const failed = (unit: string) => (failures[unit]?.count ?? 0) >= opts.maxAttempts;
  const abstains = (round: number, slot: number) => failed(failureUnit.review(ins.id, rev, round, slot));
  const roundView = (round: number, slots: number[]): RoundView => ({
    round,
    reviews: slots.map((s) => get(round, s)).filter((r): r is ReviewDoc => r !== undefined),
    abstained: slots.filter((s) => !get(round, s) && abstains(round, s)),
  });
  const verification: ClaimVerification[] = structureOf(ins).claims.map((text, claim) => {
    const doc = verifications[verificationId(ins.id, rev, claim)] ?? null;
    return { claim, text, verification: doc, abstained: doc === null && failed(failureUnit.verify(ins.id, rev, claim)) };
  });
  const slots = ins.panel.map((_, i) => i);
  const rounds: RoundView[] = [roundView(1, slots)];
  const base = { rounds, verification };
  const done = (status: InsightStatus, disputed: boolean, decidedBy: ReviewState['decidedBy'], reason: string | null): ReviewState => ({
    ...base,
    status,
    disputed,
    decidedBy,
    reason,
    missing: [],
    toVerify: [],
  });
  const waiting = (disputed: boolean, missing: ReviewState['missing'], toVerify: number[] = []): ReviewState => ({
    ...base,
    status: 'in_review',
    disputed,
    decidedBy: null,
    reason: null,
    missing,
    toVerify,
  });
  /** A round over `slots`, shown once any of it exists or it is due; its missing seats, or null when complete. */
  const runRound = (round: number, roundSlots: number[]): ReviewState['missing'] | null => {
    const view = roundView(round, roundSlots);
    rounds.push(view);
    const missing = roundSlots.filter((s) => !get(round, s) && !abstains(round, s));
    return missing.length > 0 ? missing.map((slot) => ({ round, slot })) : null;
  };

  if (ins.duplicateOf !== null) return done('duplicate', false, null, null);
  if (ins.decision && ins.decision.revision === rev) {
    // Rounds already held stay visible beside a person's decision.
    for (const round of [2, 3, 4]) {
      const view = roundView(round, slots);
      if (view.reviews.length > 0) rounds.push(view);
    }
    return done(ins.decision.status, false, 'human', ins.decision.note);
  }

  const r1 = rounds[0]!;
  const missing1 = slots.filter((s) => !get(1, s) && !abstains(1, s));
  if (missing1.length > 0)
    return waiting(
      false,
      missing1.map((slot) => ({ round: 1, slot })),
    );
  const ratings1 = r1.reviews.map((r) => r.rating);
  if (ratings1.length === 0) return done('needs_development', false, 'panel', 'every reviewer abstained');
  const unanimous1 = ratings1.every((r) => r === ratings1[0]);
  if (unanimous1 && ratings1[0] === 'reject') return done('rejected', false, 'panel', 'rejected unanimously in round 1');

  // Verification: every claim before round 2; a confident refutation ends the review.
  const toVerify = verification.filter((c) => c.verification === null && !c.abstained).map((c) => c.claim);
  if (toVerify.length > 0) return waiting(!unanimous1, [], toVerify);
  const refuted = confidentRefutations(verification);
  if (refuted.length > 0) return done('rejected', !unanimous1, 'verification', `claim ${refuted.map((v) => v.claim + 1).join(', ')} refuted in verification`);
  const allProved = verification.every((c) => c.verification?.verdict === 'proved');
  if (unanimous1 && (ratings1[0] !== 'bless' || allProved))
    return done(STATUS_OF[ratings1[0]!], false, 'panel', `unanimous in round 1${allProved ? ', every claim proved in verification' : ''}`);

  const r2slots = r1.reviews.map((r) => r.slot);
  if (!opts.secondRound || r2slots.length < 2) {
    const m = majority(ratings1);
    // A bless needs every claim checked: without a second round, an unproved claim holds it back.
    const status = m === 'bless' && !allProved ? 'needs_development' : m ? STATUS_OF[m] : 'needs_development';
    return done(
      status,
      true,
      'panel',
      m ? `majority in round 1${status !== STATUS_OF[m] ? ', but not every claim was proved' : ''}` : 'no majority in round 1',
    );
  }
  const missing2 = runRound(2, r2slots);
  if (missing2) return waiting(true, missing2);
  const r2 = rounds[1]!.reviews;
  if (r2.length === 0) {
    const m = majority(ratings1);
    return done(m ? STATUS_OF[m] : 'needs_development', true, 'panel', 'every reviewer abstained in round 2: round 1 decides');
  }
  const ratings2 = r2.map((r) => r.rating);
  const m2 = majority(ratings2);
  if (ratings2.every((r) => r === ratings2[0])) return done(STATUS_OF[ratings2[0]!], !unanimous1, 'panel', 'unanimous in round 2');
  if (m2 === null) return done('needs_development', true, 'panel', 'no majority in round 2');

  // The split persists: the minority's strongest case, then the majority's direct answer.
  const minority = r2.filter((r) => r.rating !== m2).map((r) => r.slot);
  const majoritySlots = r2.filter((r) => r.rating === m2).map((r) => r.slot);
  const missing3 = runRound(3, minority);
  if (missing3) return waiting(true, missing3);
  const missing4 = runRound(4, majoritySlots);
  if (missing4) return waiting(true, missing4);
  const last = r2.map((r) => get(4, r.slot) ?? get(3, r.slot) ?? r);
  const m = majority(last.map((r) => r.rating));
  return done(m ? STATUS_OF[m] : 'needs_development', true, 'panel', m ? 'majority after the argument round' : 'no majority after the argument round');
}
