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
  type ReviewDoc,
  type FailureDoc,
  type VerificationDoc,
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
  from: DerivedFrom = [docsById(state, REVIEWS), docsById(state, FAILURES), docsById(state, VERIFICATIONS)],
): InsightView {
  const comments = [...ownComments].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  const [reviews, failures, verifications] = from as unknown as [
    Readonly<Record<string, ReviewDoc>>,
    Readonly<Record<string, FailureDoc>>,
    Readonly<Record<string, VerificationDoc>>,
  ];
  const review = reviewState(ins, reviews, failures, opts, verifications);
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
  const sources: DerivedFrom = [docsById(state, REVIEWS), docsById(state, FAILURES), docsById(state, VERIFICATIONS)];
  for (const ins of docList(state, INSIGHTS)) byDoc.set(ins, memoView(state, ins, byInsight.get(ins.id) ?? [], opts, optsKey, sources));
  const sorted = [...byDoc.values()].sort(byAge);
  const cache: ViewCache = { stamp, optsKey, byDoc, sorted, blessed: sorted.filter((v) => v.status === 'blessed') };
  viewCaches.set(state, cache);
  return cache;
}

/** The collections an insight's status is derived from: reviews, failures, verifications. */
type DerivedFrom = readonly [Readonly<Record<string, unknown>>, Readonly<Record<string, unknown>>, Readonly<Record<string, unknown>>];

/**
 * One insight's view, reused while the insight document, its comments and every review, failure
 * and verification document its derivation looked up (present or absent) are the same objects:
 * a review of one insight does not re-derive the others.
 */
interface ViewMemo {
  optsKey: string;
  comments: CommentDoc[];
  /** (collection, id, what the lookup found). */
  lookups: Array<readonly [0 | 1 | 2, string, unknown]>;
  view: InsightView;
}

const viewMemos = new WeakMap<InsightDoc, ViewMemo>();

function memoView(
  state: Readonly<FanoState>,
  ins: InsightDoc,
  comments: CommentDoc[],
  opts: Pick<ExplorerOptions, 'secondRound' | 'maxAttempts'>,
  optsKey: string,
  sources: DerivedFrom,
): InsightView {
  const m = viewMemos.get(ins);
  if (
    m &&
    m.optsKey === optsKey &&
    m.comments.length === comments.length &&
    m.comments.every((c, i) => c === comments[i]) &&
    m.lookups.every(([c, id, doc]) => sources[c][id] === doc)
  )
    return m.view;
  const lookups: ViewMemo['lookups'] = [];
  const tracked = (c: 0 | 1 | 2) =>
    new Proxy(sources[c], {
      get(target, id) {
        const doc = Reflect.get(target, id) as unknown;
        if (typeof id === 'string') lookups.push([c, id, doc]);
        return doc;
      },
    });
  const view = computeView(state, ins, comments, opts, [tracked(0), tracked(1), tracked(2)]);
  viewMemos.set(ins, { optsKey, comments, lookups, view });
  return view;
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
