import { z } from 'zod';
import type { FanoEvent } from '../../core/events.js';
import type { FanoState } from '../../core/types.js';
import { sameStamp, stampOf, type Stamp } from '../../core/versions.js';
import { parseWith, type ParseResult } from '../shared/answer-format.js';
import { collection, docList, docOf, docsById, putDoc } from '../shared/collections.js';
import { fill, repairPrompt as sharedRepairPrompt, strictStep, withFormat, clearRepair } from '../shared/strict-answer.js';
import type { TaskHandler } from '../shared/task-handlers.js';
import { loadTemplate } from './prompts.js';
import { similarity } from './text.js';
import { FAILURES, INSIGHTS, MODULE, THREADS, type ExplorerTasks, type InsightDoc } from './types.js';

/**
 * Paraphrase duplicates. The word-overlap check at synthesis (handlers.ts) catches a repeated
 * claim, not a reworded one; so every new insight it let through is then compared by a model with
 * its nearest existing insights (a `dedupe_check` task, base priority above the reviews'). The
 * reviews do not wait for it (a check that keeps failing must not hold a panel back): a duplicate
 * it finds ends the insight's review at once, whatever the panel said (review.ts checks
 * `duplicateOf` first), so it is never blessed nor written into the document.
 */

export const DEDUPE_FORMAT = 'fano.dedupe.v1';
/** How many of the nearest existing insights a check shows. */
export const DEDUPE_CANDIDATES = 4;

export type DedupeDoc = {
  insightId: string;
  revision: number;
  candidates: string[];
  duplicateOf: string | null;
  reasoning: string;
  backend: string;
  task: string;
  at: string;
};
export const DEDUPE_CHECKS = collection<DedupeDoc>(MODULE, 'dedupeChecks');

export const dedupeId = (insightId: string, revision: number): string => `${insightId}~r${revision}`;
export const dedupeUnit = (insightId: string, revision: number): string => `d~${dedupeId(insightId, revision)}`;

/** The order insights came in: time, then their place in their thread's batch, then id. */
function orderOf(state: Readonly<FanoState>): (a: InsightDoc, b: InsightDoc) => number {
  const threads = docsById(state, THREADS);
  const pos = (i: InsightDoc) => threads[i.threadId]?.insightIds.indexOf(i.id) ?? -1;
  return (a, b) => a.createdAt.localeCompare(b.createdAt) || (a.threadId === b.threadId ? pos(a) - pos(b) : 0) || a.id.localeCompare(b.id);
}

/**
 * The existing insights nearest to `ins` by word overlap (those that came before it and are not
 * duplicates themselves), at most DEDUPE_CANDIDATES, sharing at least one content word.
 */
export function dedupeCandidates(state: Readonly<FanoState>, ins: InsightDoc): Array<{ id: string; text: string; sim: number }> {
  // Every discovery asks for each insight not yet checked; the answer changes only with the insights and threads.
  const stamp = stampOf([docsById(state, INSIGHTS), docsById(state, THREADS)]);
  let memo = stamp === null ? undefined : candidateMemos.get(state);
  if (stamp !== null && (memo === undefined || !sameStamp(memo.stamp, stamp))) {
    memo = { stamp, byDoc: new Map() };
    candidateMemos.set(state, memo);
  }
  const hit = memo?.byDoc.get(ins);
  if (hit) return hit.map((c) => ({ ...c }));
  const out = computeCandidates(state, ins);
  memo?.byDoc.set(ins, out);
  return out.map((c) => ({ ...c }));
}

const candidateMemos = new WeakMap<Readonly<FanoState>, { stamp: Stamp; byDoc: Map<InsightDoc, Array<{ id: string; text: string; sim: number }>> }>();

function computeCandidates(state: Readonly<FanoState>, ins: InsightDoc): Array<{ id: string; text: string; sim: number }> {
  const before = orderOf(state);
  return docList(state, INSIGHTS)
    .filter((o) => o.id !== ins.id && o.duplicateOf === null && before(o, ins) < 0)
    .map((o) => ({ id: o.id, text: o.text, sim: similarity(ins.text, o.text) }))
    .filter((c) => c.sim > 0)
    .sort((a, b) => b.sim - a.sim || a.id.localeCompare(b.id))
    .slice(0, DEDUPE_CANDIDATES);
}

/**
 * Whether `ins` still waits for its paraphrase check: not a duplicate already, not decided by a
 * person, no answer yet for this revision, and the check not given up (after maxAttempts failures
 * the insight goes on to review: a failing check must not hold it back for ever).
 */
export function dedupePending(state: Readonly<FanoState>, ins: InsightDoc, maxAttempts: number): boolean {
  if (ins.duplicateOf !== null || ins.decision !== null) return false;
  if (docOf(state, DEDUPE_CHECKS, dedupeId(ins.id, ins.revision)) !== undefined) return false;
  if ((docOf(state, FAILURES, dedupeUnit(ins.id, ins.revision))?.count ?? 0) >= maxAttempts) return false;
  return dedupeCandidates(state, ins).length > 0;
}

export function dedupeFormatBlock(): string {
  return [
    `FORMAT: ${DEDUPE_FORMAT}`,
    'Answer with ONE JSON object and nothing else, exactly of this shape:',
    '{"duplicateOf": "<the id of the existing insight it repeats>" | null, "reasoning": "<why, in one or two sentences>"}',
  ].join('\n');
}

export function dedupePrompt(home: string, ins: InsightDoc, candidates: ReadonlyArray<{ id: string; text: string }>): string {
  const list = candidates.map((c) => `- [${c.id}] ${c.text.replace(/\s+/g, ' ').trim()}`).join('\n');
  return withFormat(fill(loadTemplate(home, 'dedupe'), { id: ins.id, insight: ins.text.replace(/\s+/g, ' ').trim(), candidates: list }), dedupeFormatBlock());
}

export function parseDedupe(answer: string, candidates: readonly string[]): ParseResult<{ duplicateOf: string | null; reasoning: string }> {
  const r = parseWith(answer, z.strictObject({ duplicateOf: z.string().trim().min(1).nullable(), reasoning: z.string().trim().min(1).max(2000) }));
  if (!r.ok) return r;
  if (r.value.duplicateOf !== null && !candidates.includes(r.value.duplicateOf)) {
    return {
      ok: false,
      error: `duplicateOf: "${r.value.duplicateOf}" is not one of the existing insights shown (${candidates.join(', ')}); give one of them, or null`,
    };
  }
  return r;
}

type DTask = Parameters<TaskHandler<ExplorerTasks['dedupe_check']['context'], ExplorerTasks['dedupe_check']['data']>['prepare']>[0];
const unitOfTask = (task: DTask) => dedupeUnit(task.context.insightId, task.context.revision);

export const dedupeCheck: TaskHandler<ExplorerTasks['dedupe_check']['context'], ExplorerTasks['dedupe_check']['data']> & { unit(task: DTask): string } = {
  unit: unitOfTask,

  prepare(task, ctx) {
    const ins = docOf(ctx.state, INSIGHTS, task.context.insightId);
    if (!ins) throw new Error(`insight ${task.context.insightId} not found`);
    const shown = task.data.candidates ?? [];
    if (task.data.phase === 'repair')
      return {
        prompt: sharedRepairPrompt(loadTemplate(ctx.home, 'repair'), task.data.raw ?? '', task.data.error ?? '', dedupeFormatBlock()),
        deep: false,
        data: { candidates: shown },
      };
    // The candidates are fixed when the prompt is built (logged with the claim): the answer is read against what the model saw.
    const candidates = dedupeCandidates(ctx.state, ins);
    return { prompt: dedupePrompt(ctx.home, ins, candidates), deep: false, data: { candidates: candidates.map((c) => c.id) } };
  },

  onAnswer(task, answer, ctx) {
    const at = ctx.now.toISOString();
    const { insightId, revision } = task.context;
    const shown = task.data.candidates ?? [];
    return strictStep(task, answer, parseDedupe(answer, shown), { module: MODULE, unit: unitOfTask(task), at }, (r) => {
      const backend = task.conversation?.backend ?? task.llmPreference ?? 'unknown';
      const doc: DedupeDoc = { insightId, revision, candidates: shown, duplicateOf: r.duplicateOf, reasoning: r.reasoning, backend, task: task.key, at };
      const events: FanoEvent[] = [putDoc(DEDUPE_CHECKS, dedupeId(insightId, revision), doc)];
      const ins = docOf(ctx.state, INSIGHTS, insightId);
      if (r.duplicateOf !== null && ins && ins.duplicateOf === null && ins.revision === revision) {
        // The link goes to the original, should the one named have become a duplicate meanwhile.
        let original = r.duplicateOf;
        for (let hops = 0; hops < 10; hops++) {
          const next = docOf(ctx.state, INSIGHTS, original)?.duplicateOf ?? null;
          if (next === null || next === insightId) break;
          original = next;
        }
        const other = docOf(ctx.state, INSIGHTS, original);
        const sim = other ? Math.round(similarity(ins.text, other.text) * 1000) / 1000 : null;
        events.push(putDoc(INSIGHTS, insightId, { ...ins, duplicateOf: original, similarity: sim, duplicateBy: 'model', panel: [], updatedAt: at }));
      }
      return { done: true, data: clearRepair(task.data), result: { insightId, duplicateOf: r.duplicateOf }, events };
    });
  },

  handleFailure(task, error, ctx) {
    const unit = unitOfTask(task);
    const count = (docOf(ctx.state, FAILURES, unit)?.count ?? 0) + 1;
    return [putDoc(FAILURES, unit, { count, lastError: error, at: ctx.now.toISOString() })];
  },
};
