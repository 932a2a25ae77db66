import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempHome as newHome } from '../../../test/support/temp-home.js';
import type { FanoEvent } from '../../core/events.js';
import { applyEvents } from '../../core/reducer.js';
import { emptyState, type FanoState } from '../../core/types.js';
import type { QuotaOptions } from '../../core/quota.js';
import type { ModuleContext } from '../module.js';
import { AT, NOW } from '../shared/test-builders.js';
import { makeExchange, newThread } from './thread.js';
import { DEFAULT_OPTIONS, type ExplorerOptions, type InsightDoc, type ReviewDoc, type ThreadDoc, type VerificationDoc } from './types.js';
import { reviewId, verificationId } from './text.js';

/** Builders for the Explorer's tests (plain functions, no vitest import). */

export { AT, NOW, running } from '../shared/test-builders.js';

export const QUOTA: QuotaOptions = { hourlyLimit: 50, deepDailyLimit: 5, dayResetHour: 0, decreaseFactor: 0.8, increasePerCleanHour: 2, backoffMs: 1_800_000 };

export function options(over: Partial<ExplorerOptions> = {}, backends = ['mock-a', 'mock-b', 'mock-c']): ExplorerOptions {
  return { ...DEFAULT_OPTIONS, backends: Object.fromEntries(backends.map((b) => [b, QUOTA])), ...over };
}

/** A home with the Explorer's folder, and its seeds file when given. */
export function tempHome(seedsYaml?: string): string {
  const home = newHome(seedsYaml !== undefined ? { 'state/explorer/seeds.yaml': seedsYaml } : {}, 'fano-explorer-');
  mkdirSync(join(home, 'state', 'explorer'), { recursive: true });
  return home;
}

export const SEEDS = `seeds:
  - id: ax
    type: axiom
    text: Lines have three points.
  - id: q1
    type: question
    priority: high
    text: Why does the plane have seven points?
`;

export function ctx(state: FanoState, home: string, opts: ExplorerOptions = options(), now: Date = NOW): ModuleContext {
  // Options as the config hands them over: plain JSON, the backends' quota options copied out.
  const backends = Object.fromEntries(Object.entries(opts.backends).map(([name, q]) => [name, { ...q }]));
  return { state, home, now, options: { ...opts, backends } };
}

export function apply(state: FanoState, events: FanoEvent[]): FanoState {
  return applyEvents(state, events);
}

export function put(collection: string, id: string, doc: unknown): FanoEvent {
  return { type: 'module.put', module: 'explorer', collection, id, doc: doc as never };
}

export function thread(over: Partial<ThreadDoc> = {}, exchanges = 0, backends = ['mock-a', 'mock-b']): ThreadDoc {
  const t = newThread({ id: 'q1', seedId: 'q1', seedText: 'Why does the plane have seven points?', seedType: 'question', tags: [], at: AT });
  for (let i = 0; i < exchanges; i++) {
    t.exchanges.push(
      makeExchange({
        index: i,
        backend: backends[i % backends.length]!,
        mode: 'normal',
        text: `Exchange ${i} says something.\nKEY POINTS: point ${i}`,
        at: AT,
      }),
    );
  }
  return { ...t, ...over };
}

export function insight(over: Partial<InsightDoc> = {}): InsightDoc {
  return {
    id: 'i-1',
    text: 'The plane has seven points because each line has three.',
    tags: ['geometry'],
    confidence: 0.7,
    revision: 0,
    history: [],
    threadId: 'q1',
    seedId: 'q1',
    exchanges: [0],
    provenance: { backend: 'mock-a', mode: 'normal', task: 'explorer:synthesis:x', at: AT },
    duplicateOf: null,
    similarity: null,
    panel: ['mock-b', 'mock-c', 'mock-a'],
    decision: null,
    createdAt: AT,
    updatedAt: AT,
    ...over,
  };
}

export function review(ins: InsightDoc, round: number, slot: number, rating: ReviewDoc['rating'], over: Partial<ReviewDoc> = {}): FanoEvent {
  const doc: ReviewDoc = {
    insightId: ins.id,
    revision: ins.revision,
    round,
    slot,
    backend: ins.panel[slot]!,
    mode: 'normal',
    rating,
    confidence: 0.8,
    reasoning: `r${round}s${slot}`,
    changedFrom: null,
    task: 't',
    at: AT,
    ...over,
  };
  return put('reviews', reviewId(ins.id, ins.revision, round, slot), doc);
}

/** A prove-or-refute verdict on claim `claim` of `ins`. */
export function verification(ins: InsightDoc, claim: number, verdict: VerificationDoc['verdict'], over: Partial<VerificationDoc> = {}): FanoEvent {
  const doc: VerificationDoc = {
    insightId: ins.id,
    revision: ins.revision,
    claim,
    text: ins.claims?.[claim] ?? ins.text,
    backend: 'mock-c',
    mode: 'deep',
    verdict,
    confidence: 0.9,
    argument: `v${claim} ${verdict}`,
    counterexample: verdict === 'refuted' ? 'n = 2' : null,
    task: 't',
    at: AT,
    ...over,
  };
  return put('verifications', verificationId(ins.id, ins.revision, claim), doc);
}

export function stateWith(...events: FanoEvent[]): FanoState {
  return apply(emptyState(), events);
}
