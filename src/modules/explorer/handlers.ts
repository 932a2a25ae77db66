import type { FanoEvent } from '../../core/events.js';
import type { FanoState, JsonObject, Task } from '../../core/types.js';
import type { ModuleContext } from '../module.js';
import { docList, docOf, docsById, putDoc } from '../shared/collections.js';
import type { ParseResult } from '../shared/answer-format.js';
import { latexProblem } from '../shared/latex.js';
import { clearRepair, strictStep, type RawAnswerKeep } from '../shared/strict-answer.js';
import type { TaskHandler, TaskOf } from '../shared/task-handlers.js';
import { dedupeCheck } from './dedupe.js';
import { parseCommentAnswer, parseReview, parseSynthesis, parseVerification } from './formats.js';
import {
  commentPrompt,
  continuePrompt,
  exchangePrompt,
  exchangeRepairPrompt,
  repairPrompt,
  reviewPrompt,
  sourceSection,
  synthesisPrompt,
  verifyPrompt,
} from './prompts.js';
import { seedsOrProblem } from './problems.js';
import { blessedInsights, insightView } from './queries.js';
import { choosePanel, failureUnit } from './review.js';
import { structureOf } from './structure.js';
import { insightIdFor, reviewId, similarity, verificationId } from './text.js';
import { appendExchange, heldConversation, makeExchange, newThread, roleFor } from './thread.js';
import {
  COMMENTS,
  explorerOptions,
  FAILURES,
  INSIGHTS,
  MODULE,
  REVIEWS,
  THREADS,
  type CommentDoc,
  type ExchangeChat,
  type ExplorerOptions,
  type ExplorerTasks,
  type InsightDoc,
  type ReviewDoc,
  type ThreadDoc,
  type VerificationDoc,
  VERIFICATIONS,
} from './types.js';

/**
 * What each Explorer task type does, one entry per type (explorer-module.ts discovers the tasks).
 * Besides its steps, every entry names its failure unit: what a new attempt (with a new key)
 * would redo, counted in `failures` so a unit that keeps failing is given up.
 */

type XTask<K extends keyof ExplorerTasks> = TaskOf<ExplorerTasks[K]['context'], ExplorerTasks[K]['data']>;
export type ExplorerEntry<K extends keyof ExplorerTasks> = TaskHandler<ExplorerTasks[K]['context'], ExplorerTasks[K]['data']> & {
  unit(task: XTask<K>): string;
};

type Backed = Readonly<Pick<Task, 'deep' | 'conversation' | 'llmPreference'>>;
const modeOf = (task: Backed): 'deep' | 'normal' => (task.deep ? 'deep' : 'normal');
const backendOf = (task: Backed): string => task.conversation?.backend ?? task.llmPreference ?? 'unknown';

export function failCount(state: Readonly<FanoState>, unit: string): number {
  return docOf(state, FAILURES, unit)?.count ?? 0;
}

function blessedFor(state: Readonly<FanoState>, opts: ExplorerOptions): Array<{ id: string; text: string }> {
  return blessedInsights(state, opts).map((b) => ({ id: b.id, text: b.text }));
}

/**
 * The axioms with their seed ids, and every seed id (what an insight may name in dependsOn), from
 * the seeds file; while it has a problem, the axioms the task was given (without ids to cite).
 */
function axiomSeeds(home: string, fallback: readonly string[]): { axioms: Array<{ id: string; text: string }>; seedIds: string[] } {
  const { seeds, problem } = seedsOrProblem(home);
  if (problem) return { axioms: fallback.map((text, i) => ({ id: `axiom ${i + 1}`, text })), seedIds: [] };
  return { axioms: seeds.filter((s) => s.type === 'axiom').map((s) => ({ id: s.id, text: s.text })), seedIds: seeds.map((s) => s.id) };
}

/** Where a strict answer that fails even after the repair prompt is kept (../strict-answer.ts). */
const keepRaw = (unit: string, at: string): RawAnswerKeep => ({ module: MODULE, unit, at });

/**
 * A final failure: the unit's failure count goes up; once it reaches maxAttempts, `giveUp` adds
 * what the failed unit leaves behind (below that, discover offers a fresh attempt with a new key).
 */
function countFailure<K extends keyof ExplorerTasks>(
  unitOfTask: (task: XTask<K>) => string,
  giveUp: (task: XTask<K>, message: string, at: string, ctx: ModuleContext) => FanoEvent[],
) {
  return (task: XTask<K>, error: string, ctx: ModuleContext): FanoEvent[] => {
    const opts = explorerOptions(ctx.options);
    const at = ctx.now.toISOString();
    const unit = unitOfTask(task);
    const count = failCount(ctx.state, unit) + 1;
    const events: FanoEvent[] = [putDoc(FAILURES, unit, { count, lastError: error, at })];
    if (count < opts.maxAttempts) return events;
    return [...events, ...giveUp(task, `${task.type} failed ${count} time(s): ${error}`, at, ctx)];
  };
}

/** A thread whose exchange or synthesis is given up is marked failed (created if it has none yet). */
function failThread(
  tid: string,
  seed: { seedId: string; seedText: string; seedType: string },
  message: string,
  at: string,
  state: Readonly<FanoState>,
): FanoEvent[] {
  const thread = docOf(state, THREADS, tid) ?? newThread({ id: tid, ...seed, tags: [], at });
  return [putDoc(THREADS, tid, { ...thread, status: 'failed', error: message, updatedAt: at })];
}

const exchangeUnit = (task: XTask<'exploration'>) => failureUnit.exchange(task.context.threadId, task.context.exchange);
const synthesisUnit = (task: XTask<'synthesis'>) => failureUnit.synthesis(task.context.threadId);
const reviewUnit = ({ context: c }: XTask<'review'>) => failureUnit.review(c.insightId, c.revision, c.round, c.slot);
const commentUnit = (task: XTask<'address_comment'>) => failureUnit.comment(task.context.commentId);

/**
 * Where an exchange's answer came from: the conversation the step ran in (the gateway's url, null
 * for a backend that keeps none), continued or opened as its question's prompt was built for that
 * backend; a repair answered on another backend than the question was asked on is a chat of its own.
 */
function chatOf(task: XTask<'exploration'>, backend: string): ExchangeChat {
  const url = task.conversation?.backend === backend ? task.conversation.url : null;
  const asked = task.data.chat;
  if (asked && asked.backend !== backend) return { url, how: 'repair' };
  return { url, how: asked?.continues != null && asked.continues === url ? 'continued' : 'opened' };
}

const exchange: ExplorerEntry<'exploration' | 'critique'> = {
  unit: exchangeUnit,

  prepare(task, ctx, target) {
    const opts = explorerOptions(ctx.options);
    const { threadId, exchange: index } = task.context;
    if (task.data.phase === 'repair') return { prompt: exchangeRepairPrompt(ctx.home, task.data.raw ?? '', task.data.error ?? '', opts), deep: task.deep };
    const thread = docOf(ctx.state, THREADS, threadId) ?? null;
    // An exploration is a conversation: on a backend that holds the thread's chat, only the new
    // turn goes there (the site keeps the rest); anywhere else a fresh chat gets the pinned summary
    // and the recent exchanges. The backend is the allocator's choice, known before this prompt.
    const held = target && thread ? heldConversation(thread, target.backend, index) : null;
    // Kept with the claim, so the answer knows whether it continued a chat (no target: a caller
    // that picks no backend first gets a self-contained prompt and records nothing).
    const data: JsonObject = target ? { chat: { backend: target.backend, continues: held?.url ?? null } } : {};
    if (held && thread)
      return {
        prompt: continuePrompt({ home: ctx.home, role: roleFor(index), index, thread, through: held.through, opts }),
        deep: task.deep,
        conversationUrl: held.url,
        data,
      };
    const seed = {
      id: thread?.seedId ?? task.context.seedId,
      text: thread?.seedText ?? task.data.seedText,
      type: thread?.seedType ?? task.data.seedType,
      notes: task.data.seedNotes ?? thread?.seedNotes ?? null,
    };
    return {
      prompt: exchangePrompt({
        home: ctx.home,
        role: roleFor(index),
        index,
        seed,
        axioms: task.data.axioms,
        blessed: blessedFor(ctx.state, opts),
        thread,
        opts,
      }),
      deep: task.deep,
      data,
    };
  },

  onAnswer(task, answer, ctx) {
    const opts = explorerOptions(ctx.options);
    const at = ctx.now.toISOString();
    const { threadId: tid, exchange: index, seedId } = task.context;
    // Prose, but its mathematics must read: an unbalanced `$` gets the repair prompt (../shared/latex.ts).
    const problem = latexProblem(answer);
    const parsed: ParseResult<string> = problem === null ? { ok: true, value: answer } : { ok: false, error: `the LaTeX does not balance: ${problem}` };
    return strictStep(task, answer, parsed, keepRaw(exchangeUnit(task), at), (text) => {
      const thread =
        docOf(ctx.state, THREADS, tid) ??
        newThread({
          id: tid,
          seedId,
          seedText: task.data.seedText,
          seedType: task.data.seedType,
          seedNotes: task.data.seedNotes ?? null,
          tags: task.data.tags,
          at,
        });
      const repairedError = task.data.phase === 'repair' ? (task.data.error ?? null) : null;
      const backend = backendOf(task);
      const next = appendExchange(thread, makeExchange({ index, backend, mode: modeOf(task), text, at, repairedError, chat: chatOf(task, backend) }), opts);
      return {
        done: true,
        data: clearRepair(task.data),
        result: { threadId: tid, exchange: index, repaired: repairedError !== null },
        events: next === thread ? [] : [putDoc(THREADS, tid, next)],
      };
    });
  },

  handleFailure: countFailure(exchangeUnit, (task, message, at, ctx) =>
    failThread(task.context.threadId, { seedId: task.context.seedId, seedText: task.data.seedText, seedType: task.data.seedType }, message, at, ctx.state),
  ),
};

const synthesis: ExplorerEntry<'synthesis'> = {
  unit: synthesisUnit,

  prepare(task, ctx) {
    const opts = explorerOptions(ctx.options);
    const thread = docOf(ctx.state, THREADS, task.context.threadId);
    if (!thread) throw new Error(`thread ${task.context.threadId} not found`);
    if (task.data.phase === 'repair')
      return { prompt: repairPrompt(ctx.home, 'synthesis', task.data.raw ?? '', task.data.error ?? '', opts.maxInsightsPerSynthesis), deep: task.deep };
    const seed = { id: thread.seedId, text: thread.seedText, type: thread.seedType, notes: thread.seedNotes ?? null };
    const { axioms, seedIds } = axiomSeeds(ctx.home, task.data.axioms);
    // The seed ids the prompt showed go into the task's data: onAnswer checks dependsOn against them.
    return {
      prompt: synthesisPrompt({ home: ctx.home, seed, axioms, blessed: blessedFor(ctx.state, opts), thread, opts }),
      deep: task.deep,
      data: { seedIds },
    };
  },

  onAnswer(task, answer, ctx) {
    const opts = explorerOptions(ctx.options);
    const at = ctx.now.toISOString();
    const tid = task.context.threadId;
    const thread = docOf(ctx.state, THREADS, tid);
    if (!thread) throw new Error(`thread ${tid} not found`);
    const existing = docList(ctx.state, INSIGHTS);
    const knownIds = new Set([thread.seedId, ...(task.data.seedIds ?? []), ...existing.map((i) => i.id)]);
    const parsed = parseSynthesis(answer, { maxInsights: opts.maxInsightsPerSynthesis, exchangeCount: thread.exchanges.length, knownIds });
    return strictStep(task, answer, parsed, keepRaw(synthesisUnit(task), at), (found) => {
      const originals = existing.filter((i) => i.duplicateOf === null);
      const producer = backendOf(task);
      const events: FanoEvent[] = [];
      const ids: string[] = [];
      let duplicates = 0;
      for (const f of found) {
        const id = insightIdFor(tid, f.statement);
        if (ids.includes(id) || existing.some((i) => i.id === id)) continue;
        // Dedupe against every insight so far (this batch included): the link is recorded.
        let best: { id: string; sim: number } | null = null;
        for (const o of originals) {
          const sim = similarity(f.statement, o.text);
          if (sim >= opts.dedupeThreshold && (best === null || sim > best.sim)) best = { id: o.id, sim };
        }
        const doc: InsightDoc = {
          id,
          text: f.statement,
          kind: f.kind,
          argument: f.argument,
          claims: f.claims,
          dependsOn: f.dependsOn,
          tags: f.tags,
          confidence: f.confidence,
          revision: 0,
          history: [],
          threadId: tid,
          seedId: thread.seedId,
          exchanges: f.exchanges,
          provenance: { backend: producer, mode: modeOf(task), task: task.key, at },
          duplicateOf: best?.id ?? null,
          similarity: best ? Math.round(best.sim * 1000) / 1000 : null,
          panel: best ? [] : choosePanel(id, producer, Object.keys(opts.backends), opts.panelSize),
          decision: null,
          createdAt: at,
          updatedAt: at,
        };
        if (best) duplicates += 1;
        else originals.push(doc);
        ids.push(id);
        events.push(putDoc(INSIGHTS, id, doc));
      }
      const next: ThreadDoc = { ...thread, status: 'synthesized', insightIds: [...thread.insightIds, ...ids], updatedAt: at };
      events.push(putDoc(THREADS, tid, next));
      return { done: true, data: { ...task.data, raw: null, error: null }, result: { threadId: tid, insights: ids.length, duplicates }, events };
    });
  },

  // A synthesis is only offered for a thread that exists; its context has no seed of its own.
  handleFailure: countFailure(synthesisUnit, (task, message, at, ctx) =>
    failThread(task.context.threadId, { seedId: '', seedText: '', seedType: '' }, message, at, ctx.state),
  ),
};

/** What a review or verification prompt shows of the insight's origin: seed, axioms, source exchanges. */
function context(ins: InsightDoc, ctx: ModuleContext, opts: ExplorerOptions) {
  const thread = docOf(ctx.state, THREADS, ins.threadId) ?? null;
  const seed = thread ? { id: thread.seedId, text: thread.seedText, type: thread.seedType } : { id: ins.seedId, text: '(unknown)', type: 'question' };
  return { seed, axioms: axiomSeeds(ctx.home, []).axioms, source: sourceSection(thread, ins.exchanges, opts), insight: structureOf(ins) };
}

const review: ExplorerEntry<'review'> = {
  unit: reviewUnit,

  prepare(task, ctx) {
    const opts = explorerOptions(ctx.options);
    const { state } = ctx;
    const { insightId, round, slot } = task.context;
    const ins = docOf(state, INSIGHTS, insightId);
    if (!ins) throw new Error(`insight ${insightId} not found`);
    if (task.data.phase === 'repair')
      return {
        prompt: repairPrompt(ctx.home, 'review', task.data.raw ?? '', task.data.error ?? '', opts.maxInsightsPerSynthesis, structureOf(ins).claims),
        deep: task.deep,
      };
    const reviews = docsById(state, REVIEWS);
    const get = (r: number, s: number): ReviewDoc | undefined => reviews[reviewId(ins.id, ins.revision, r, s)];
    const own = previousReview(reviews, ins, round, slot);
    const others = (r: number) => ins.panel.map((_, s) => get(r, s)).filter((x): x is ReviewDoc => x !== undefined && x.slot !== slot);
    // Round 2 reads the others' first reviews; the minority (round 3) reads the majority's second
    // ones; the majority (round 4) reads the minority's cases. Every review is shown in full.
    const stances = round === 2 ? others(1) : round === 3 ? others(2).filter((r) => r.rating !== get(2, slot)?.rating) : round >= 4 ? others(3) : [];
    const verification = insightView(state, ins, opts).verification;
    return {
      prompt: reviewPrompt({ home: ctx.home, round, slot, panelSize: ins.panel.length, ...context(ins, ctx, opts), own: own ?? null, stances, verification }),
      deep: task.deep,
    };
  },

  onAnswer(task, answer, ctx) {
    const at = ctx.now.toISOString();
    const { insightId, revision, round, slot } = task.context;
    const ins = docOf(ctx.state, INSIGHTS, insightId);
    if (!ins) throw new Error(`insight ${insightId} not found`);
    return strictStep(task, answer, parseReview(answer, structureOf(ins).claims.length), keepRaw(reviewUnit(task), at), (r) => {
      const prev = previousReview(docsById(ctx.state, REVIEWS), ins, round, slot);
      const doc: ReviewDoc = {
        insightId,
        revision,
        round,
        slot,
        backend: backendOf(task),
        mode: modeOf(task),
        rating: r.rating,
        confidence: r.confidence,
        reasoning: r.reasoning,
        claims: r.claims,
        structuralDepth: r.structuralDepth,
        naturalness: r.naturalness,
        changedFrom: prev && prev.rating !== r.rating ? prev.rating : null,
        task: task.key,
        at,
      };
      return {
        done: true,
        data: { ...task.data, raw: null, error: null },
        result: { insightId, round, slot, rating: r.rating },
        events: [putDoc(REVIEWS, reviewId(insightId, revision, round, slot), doc)],
      };
    });
  },

  // A review that keeps failing abstains (derived in review.ts from the failure count).
  handleFailure: countFailure(reviewUnit, () => []),
};

/** A slot's latest review before `round` (its own stance so far), if any. */
function previousReview(reviews: Readonly<Record<string, ReviewDoc>>, ins: InsightDoc, round: number, slot: number): ReviewDoc | undefined {
  for (let r = round - 1; r >= 1; r--) {
    const doc = reviews[reviewId(ins.id, ins.revision, r, slot)];
    if (doc) return doc;
  }
  return undefined;
}

const verifyUnit = ({ context: c }: XTask<'verify_claim'>) => failureUnit.verify(c.insightId, c.revision, c.claim);

const verifyClaim: ExplorerEntry<'verify_claim'> = {
  unit: verifyUnit,

  prepare(task, ctx) {
    const opts = explorerOptions(ctx.options);
    if (task.data.phase === 'repair')
      return { prompt: repairPrompt(ctx.home, 'verify', task.data.raw ?? '', task.data.error ?? '', opts.maxInsightsPerSynthesis), deep: task.deep };
    const ins = docOf(ctx.state, INSIGHTS, task.context.insightId);
    if (!ins) throw new Error(`insight ${task.context.insightId} not found`);
    const { seed, axioms, insight } = context(ins, ctx, opts);
    return { prompt: verifyPrompt({ home: ctx.home, claim: task.context.claim, seed, axioms, insight }), deep: task.deep };
  },

  onAnswer(task, answer, ctx) {
    const at = ctx.now.toISOString();
    const { insightId, revision, claim } = task.context;
    const ins = docOf(ctx.state, INSIGHTS, insightId);
    if (!ins) throw new Error(`insight ${insightId} not found`);
    return strictStep(task, answer, parseVerification(answer), keepRaw(verifyUnit(task), at), (v) => {
      const doc: VerificationDoc = {
        insightId,
        revision,
        claim,
        text: structureOf(ins).claims[claim] ?? ins.text,
        backend: backendOf(task),
        mode: modeOf(task),
        verdict: v.verdict,
        confidence: v.confidence,
        argument: v.argument,
        counterexample: v.counterexample,
        task: task.key,
        at,
      };
      return {
        done: true,
        data: { ...task.data, raw: null, error: null },
        result: { insightId, claim, verdict: v.verdict },
        events: [putDoc(VERIFICATIONS, verificationId(insightId, revision, claim), doc)],
      };
    });
  },

  // A verification that keeps failing gives no verdict (derived in review.ts): round 2 sees that.
  handleFailure: countFailure(verifyUnit, () => []),
};

const addressComment: ExplorerEntry<'address_comment'> = {
  unit: commentUnit,

  prepare(task, ctx) {
    const opts = explorerOptions(ctx.options);
    if (task.data.phase === 'repair')
      return { prompt: repairPrompt(ctx.home, 'comment', task.data.raw ?? '', task.data.error ?? '', opts.maxInsightsPerSynthesis), deep: task.deep };
    const ins = docOf(ctx.state, INSIGHTS, task.context.insightId);
    if (!ins) throw new Error(`insight ${task.context.insightId} not found`);
    return {
      prompt: commentPrompt({ home: ctx.home, insight: ins, status: insightView(ctx.state, ins, opts).status, comment: task.data.text }),
      deep: task.deep,
    };
  },

  onAnswer(task, answer, ctx) {
    const at = ctx.now.toISOString();
    return strictStep(task, answer, parseCommentAnswer(answer), keepRaw(commentUnit(task), at), (r) => {
      const { insightId, commentId } = task.context;
      const ins = docOf(ctx.state, INSIGHTS, insightId);
      const old = docOf(ctx.state, COMMENTS, commentId);
      const revise = r.revise && r.revisedText !== null && ins !== undefined && r.revisedText.trim() !== ins.text.trim();
      const comment: CommentDoc = {
        id: commentId,
        insightId,
        text: task.data.text,
        source: task.data.source,
        status: 'answered',
        answer: r.answer,
        revised: revise,
        createdAt: old?.createdAt ?? at,
        answeredAt: at,
      };
      const events: FanoEvent[] = [putDoc(COMMENTS, commentId, comment)];
      if (revise && ins && r.revisedText !== null) {
        // A new revision goes back through review from round 1 (reviews are keyed by revision).
        const next: InsightDoc = {
          ...ins,
          text: r.revisedText,
          // The claims were those of the old statement: the new one is reviewed as one claim.
          claims: [r.revisedText],
          revision: ins.revision + 1,
          history: [...ins.history, { revision: ins.revision, text: ins.text, at, reason: `revised for comment ${commentId}` }],
          decision: null,
          updatedAt: at,
        };
        events.push(putDoc(INSIGHTS, insightId, next));
      }
      return { done: true, data: { ...task.data, raw: null, error: null }, result: { commentId, revised: revise }, events };
    });
  },

  handleFailure: countFailure(commentUnit, (task, _message, at, ctx) => {
    const { commentId, insightId } = task.context;
    const old = docOf(ctx.state, COMMENTS, commentId);
    const doc: CommentDoc = {
      id: commentId,
      insightId,
      text: task.data.text,
      source: task.data.source,
      status: 'failed',
      answer: null,
      revised: false,
      createdAt: old?.createdAt ?? at,
      answeredAt: null,
    };
    return [putDoc(COMMENTS, commentId, doc)];
  }),
};

/** One entry per task type: adding a task type is adding its entry (and its line in ExplorerTasks). */
export const HANDLERS: { readonly [K in keyof ExplorerTasks]: ExplorerEntry<K> } = {
  exploration: exchange,
  critique: exchange,
  synthesis,
  review,
  verify_claim: verifyClaim,
  address_comment: addressComment,
  dedupe_check: dedupeCheck,
};

/** The failure unit of any Explorer task (null for a type this version does not know). */
export function unitOf(task: Readonly<Task>): string | null {
  const entries: Readonly<Record<string, { unit(task: Readonly<Task>): string } | undefined>> = HANDLERS;
  const entry = Object.hasOwn(entries, task.type) ? entries[task.type] : undefined;
  return entry ? entry.unit(task) : null;
}
