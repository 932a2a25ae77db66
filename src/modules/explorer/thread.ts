import { quotaView } from '../../core/quota.js';
import { emptyBackendState, type FanoState } from '../../core/types.js';
import { keyPointsOf } from './formats.js';
import { clipMiddle, firstSentences, shortHash } from './text.js';
import type { Exchange, ExchangeChat, ExplorerOptions, Role, ThreadDoc } from './types.js';

/** Thread state transitions, pure (time comes in as an ISO string). */

export function newThread(args: {
  id: string;
  seedId: string;
  seedText: string;
  seedType: string;
  seedNotes?: string | null;
  tags: string[];
  at: string;
}): ThreadDoc {
  return {
    id: args.id,
    seedId: args.seedId,
    seedText: args.seedText,
    seedType: args.seedType,
    ...(args.seedNotes ? { seedNotes: args.seedNotes } : {}),
    tags: args.tags,
    status: 'exploring',
    exchanges: [],
    summary: null,
    insightIds: [],
    error: null,
    createdAt: args.at,
    updatedAt: args.at,
  };
}

/** Exchanges alternate: even indices explore, odd ones critique the exchange before. */
export function roleFor(index: number): Role {
  return index % 2 === 0 ? 'explore' : 'critique';
}

export const KEY_POINTS_MAX_CHARS = 300;

/** What the running notes keep of one exchange. */
export function noteFor(e: Exchange): string {
  return `- #${e.index} ${e.role} (${e.backend}): ${e.keyPoints}`;
}

export function makeExchange(args: {
  index: number;
  backend: string;
  mode: 'deep' | 'normal';
  text: string;
  at: string;
  repairedError?: string | null;
  chat?: ExchangeChat;
}): Exchange {
  const text = args.text.trim();
  return {
    ...(args.repairedError ? { repaired: { error: args.repairedError } } : {}),
    ...(args.chat ? { chat: args.chat } : {}),
    index: args.index,
    role: roleFor(args.index),
    backend: args.backend,
    mode: args.mode,
    text,
    keyPoints: firstSentences(keyPointsOf(text) ?? text, KEY_POINTS_MAX_CHARS),
    at: args.at,
  };
}

function liveChars(thread: ThreadDoc): number {
  const through = thread.summary?.throughIndex ?? -1;
  return thread.exchanges.filter((e) => e.index > through).reduce((n, e) => n + e.text.length, 0) + (thread.summary?.text.length ?? 0);
}

/**
 * Appends an exchange, then folds the oldest unsummarized exchanges into the pinned running
 * summary while the thread's context (summary + live exchanges) is over the budget, always
 * keeping the `keepRecentExchanges` newest ones verbatim: truncation never silently drops what
 * earlier turns established (definitions, assumptions); their key points stay pinned.
 * Idempotent by index: an exchange already present is not appended twice.
 */
export function appendExchange(
  thread: ThreadDoc,
  ex: Exchange,
  opts: Pick<ExplorerOptions, 'contextBudgetChars' | 'keepRecentExchanges' | 'summaryMaxChars'>,
): ThreadDoc {
  if (thread.exchanges.some((e) => e.index === ex.index)) return thread;
  let next: ThreadDoc = { ...thread, exchanges: [...thread.exchanges, ex], updatedAt: ex.at };
  for (;;) {
    const through = next.summary?.throughIndex ?? -1;
    const live = next.exchanges.filter((e) => e.index > through);
    if (live.length <= opts.keepRecentExchanges || liveChars(next) <= opts.contextBudgetChars) break;
    const oldest = live[0]!;
    const text = clipMiddle([next.summary?.text, noteFor(oldest)].filter(Boolean).join('\n'), opts.summaryMaxChars);
    next = { ...next, summary: { text, throughIndex: oldest.index } };
  }
  return next;
}

/**
 * The conversation `backend` holds for the thread before exchange `index`: the chat of its latest
 * exchange there, which has seen the thread through that exchange, so continuing it needs only the
 * exchanges after it. Null when the backend has none the thread can continue (no exchange there,
 * a backend that keeps no conversation, or a repair chat that never saw the thread).
 */
export function heldConversation(thread: ThreadDoc | null, backend: string, index: number): { url: string; through: number } | null {
  let last: Exchange | null = null;
  for (const e of thread?.exchanges ?? []) if (e.backend === backend && e.index < index && (last === null || e.index > last.index)) last = e;
  if (last?.chat?.url == null || last.chat.how === 'repair') return null;
  return { url: last.chat.url, through: last.index };
}

/**
 * The backend for the next exchange. An exploration is a conversation: the backend of the
 * exchange before the previous one (the same role's, which holds its chat) keeps the thread while
 * it is configured; the allocator moves the exchange when that backend cannot serve it
 * (core/allocator.ts), and the prompt is then built for a fresh chat. Otherwise a different one
 * from the previous exchange's when one is usable (so explore and critique come from different
 * vendors), then the one least used in this thread; ties broken by a per-thread rotation so
 * threads spread over the backends.
 */
export function chooseExchangeBackend(
  thread: ThreadDoc | null,
  threadId: string,
  index: number,
  state: Readonly<FanoState>,
  now: Date,
  opts: Pick<ExplorerOptions, 'backends'>,
): string | null {
  const names = Object.keys(opts.backends).sort();
  if (names.length === 0) return null;
  const prev = thread?.exchanges.find((e) => e.index === index - 1)?.backend ?? null;
  const keep = thread?.exchanges.find((e) => e.index === index - 2)?.backend ?? null;
  if (keep !== null && keep !== prev && names.includes(keep) && heldConversation(thread, keep, index) !== null) return keep;
  const usable = (n: string) => quotaView(state.backends[n] ?? emptyBackendState(), now, opts.backends[n]!).status === 'available';
  const uses = (n: string) => thread?.exchanges.filter((e) => e.backend === n).length ?? 0;
  const rank = (n: string) => [n !== prev && usable(n) ? 0 : n !== prev ? 1 : usable(n) ? 2 : 3, uses(n), shortHash(threadId, n)] as const;
  return [...names].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    return ra[0] - rb[0] || ra[1] - rb[1] || (ra[2] < rb[2] ? -1 : ra[2] > rb[2] ? 1 : 0);
  })[0]!;
}

/** Deep quota left today on `backend` (by the state's own bookkeeping). */
export function deepLeft(backend: string, state: Readonly<FanoState>, now: Date, opts: Pick<ExplorerOptions, 'backends'>): number {
  const q = opts.backends[backend];
  if (!q) return 0;
  return quotaView(state.backends[backend] ?? emptyBackendState(), now, q).deepRemaining;
}

/**
 * The backend for a prove-or-refute task: not the insight's author while another exists; one with
 * deep quota left first (deep mode is the strongest model a home has), then the least loaded by a
 * per-claim rotation. Null when no backend is configured.
 */
export function verifierFor(
  insightId: string,
  claim: number,
  author: string,
  state: Readonly<FanoState>,
  now: Date,
  opts: Pick<ExplorerOptions, 'backends'>,
): string | null {
  const names = Object.keys(opts.backends).sort();
  const others = names.filter((n) => n !== author);
  const pool = others.length > 0 ? others : names;
  if (pool.length === 0) return null;
  const rank = (n: string) => [deepLeft(n, state, now, opts) > 0 ? 0 : 1, shortHash(insightId, claim, n)] as const;
  return [...pool].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    return ra[0] - rb[0] || (ra[1] < rb[1] ? -1 : ra[1] > rb[1] ? 1 : 0);
  })[0]!;
}
