import type { FanoState } from '../../core/types.js';
import { docList, docsById } from '../shared/collections.js';
import { reviewState, type ReviewState } from './review.js';
import {
  COMMENTS,
  DEFAULT_OPTIONS,
  FAILURES,
  INSIGHTS,
  REVIEWS,
  THREADS,
  VERIFICATIONS,
  type CommentDoc,
  type ExplorerOptions,
  type InsightDoc,
  type ThreadDoc,
} from './types.js';

/**
 * Read-side helpers over the Explorer's documents (CLI, projections, and other modules such as
 * the Documenter, which should use `blessedInsights` rather than reading documents directly:
 * an insight's status is derived, see review.ts).
 */

export type InsightView = InsightDoc & ReviewState & { comments: CommentDoc[] };

export function threadsOf(state: Readonly<FanoState>): ThreadDoc[] {
  return docList(state, THREADS);
}

export function insightView(
  state: Readonly<FanoState>,
  ins: InsightDoc,
  opts: Pick<ExplorerOptions, 'secondRound' | 'maxAttempts'> = DEFAULT_OPTIONS,
): InsightView {
  const comments = docList(state, COMMENTS)
    .filter((c) => c.insightId === ins.id)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  const review = reviewState(ins, docsById(state, REVIEWS), docsById(state, FAILURES), opts, docsById(state, VERIFICATIONS));
  // Reviews and comments are documents of their own; the insight changed when any of them did.
  const times = [
    ins.updatedAt,
    ins.decision?.at,
    ...review.rounds.flatMap((r) => r.reviews.map((x) => x.at)),
    ...review.verification.map((c) => c.verification?.at),
    ...comments.flatMap((c) => [c.createdAt, c.answeredAt]),
  ];
  const updatedAt = times.reduce<string>((a, t) => (t && t > a ? t : a), ins.updatedAt);
  return { ...ins, ...review, comments, updatedAt };
}

/** All insights with their derived status, oldest first. */
export function insightViews(state: Readonly<FanoState>, opts: Pick<ExplorerOptions, 'secondRound' | 'maxAttempts'> = DEFAULT_OPTIONS): InsightView[] {
  return docList(state, INSIGHTS)
    .map((i) => insightView(state, i, opts))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/** Blessed insights, oldest first: what feeds future explorations and the Documenter. */
export function blessedInsights(state: Readonly<FanoState>, opts: Pick<ExplorerOptions, 'secondRound' | 'maxAttempts'> = DEFAULT_OPTIONS): InsightView[] {
  return insightViews(state, opts).filter((v) => v.status === 'blessed');
}
