import type { FanoState } from '../../core/types.js';
import { sameStamp, stampOf, type Stamp } from '../../core/versions.js';
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
  const cached = cachedViews(state, opts)?.byDoc.get(ins);
  if (cached) return cached;
  const comments = docList(state, COMMENTS).filter((c) => c.insightId === ins.id);
  return computeView(state, ins, comments, opts);
}

function computeView(
  state: Readonly<FanoState>,
  ins: InsightDoc,
  ownComments: CommentDoc[],
  opts: Pick<ExplorerOptions, 'secondRound' | 'maxAttempts'>,
): InsightView {
  const comments = [...ownComments].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
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

/**
 * Every discovery of the Explorer and the Documenter, every prompt that lists the blessed
 * insights and the backlog figures read every insight's derived status: once per change of the
 * documents it is derived from, not once per reader. The memo is keyed by the reducer's change
 * counts of those collections (core/versions.ts); a state the reducer has not built is never
 * served from it. Views handed out are shared: readers never mutate them.
 */
interface ViewCache {
  stamp: Stamp;
  optsKey: string;
  /** The views by the insight document they were derived from (a changed insight is a new object). */
  byDoc: Map<InsightDoc, InsightView>;
  /** All views, oldest first. */
  sorted: InsightView[];
  blessed: InsightView[];
}

const viewCaches = new WeakMap<Readonly<FanoState>, ViewCache>();

function cachedViews(state: Readonly<FanoState>, opts: Pick<ExplorerOptions, 'secondRound' | 'maxAttempts'>): ViewCache | null {
  const stamp = stampOf([
    docsById(state, INSIGHTS),
    docsById(state, REVIEWS),
    docsById(state, FAILURES),
    docsById(state, VERIFICATIONS),
    docsById(state, COMMENTS),
  ]);
  if (stamp === null) return null;
  const optsKey = `${opts.secondRound}|${opts.maxAttempts}`;
  const hit = viewCaches.get(state);
  if (hit && hit.optsKey === optsKey && sameStamp(hit.stamp, stamp)) return hit;
  const byInsight = new Map<string, CommentDoc[]>();
  for (const c of docList(state, COMMENTS)) {
    const list = byInsight.get(c.insightId);
    if (list) list.push(c);
    else byInsight.set(c.insightId, [c]);
  }
  const byDoc = new Map<InsightDoc, InsightView>();
  for (const ins of docList(state, INSIGHTS)) byDoc.set(ins, computeView(state, ins, byInsight.get(ins.id) ?? [], opts));
  const sorted = [...byDoc.values()].sort(byAge);
  const cache: ViewCache = { stamp, optsKey, byDoc, sorted, blessed: sorted.filter((v) => v.status === 'blessed') };
  viewCaches.set(state, cache);
  return cache;
}

const byAge = (a: InsightView, b: InsightView) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);

/** All insights with their derived status, oldest first. */
export function insightViews(state: Readonly<FanoState>, opts: Pick<ExplorerOptions, 'secondRound' | 'maxAttempts'> = DEFAULT_OPTIONS): InsightView[] {
  const cached = cachedViews(state, opts);
  if (cached) return [...cached.sorted];
  return docList(state, INSIGHTS)
    .map((i) => insightView(state, i, opts))
    .sort(byAge);
}

/** Blessed insights, oldest first: what feeds future explorations and the Documenter. */
export function blessedInsights(state: Readonly<FanoState>, opts: Pick<ExplorerOptions, 'secondRound' | 'maxAttempts'> = DEFAULT_OPTIONS): InsightView[] {
  const cached = cachedViews(state, opts);
  if (cached) return [...cached.blessed];
  return insightViews(state, opts).filter((v) => v.status === 'blessed');
}
