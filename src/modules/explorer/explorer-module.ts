import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FanoEvent } from '../../core/events.js';
import { ACTIVE_STATES, type FanoState, type Json, type JsonObject, type Task } from '../../core/types.js';
import type { Module, ModuleContext, StepOutcome, StepRequest, TaskSpec } from '../module.js';
import { SEEDS_PATH } from '../seeds-file.js';
import { unterminatedComments } from '../../core/document-sections.js';
import { explorerProblems, seedsOrProblem } from './problems.js';
import { strictStep } from '../shared/strict-answer.js';
import { parseCommentAnswer, parseReview, parseSynthesis } from './formats.js';
import { commentPrompt, exchangePrompt, PROMPT_DIR, repairPrompt, reviewPrompt, synthesisPrompt, type SeedInfo } from './prompts.js';
import { blessedInsights, insightView } from './queries.js';
import { keepNewComments, readCommentMarkers, renderInsightDoc, renderThread, renderThreadMarkdown, INSIGHTS_DIR, THREADS_DIR } from './render.js';
import { choosePanel, failureUnit } from './review.js';
import { commentIdFor, insightIdFor, reviewId, similarity, threadIdFor } from './text.js';
import { appendExchange, chooseExchangeBackend, deepLeft, makeExchange, newThread, roleFor } from './thread.js';
import {
  asDoc,
  explorerOptions,
  MODULE,
  toJson,
  type CommentDoc,
  type ExplorerOptions,
  type FailureDoc,
  type InsightDoc,
  type ReviewDoc,
  type ThreadDoc,
} from './types.js';

/**
 * The Explorer: seeds → one thread per seed of alternating explore/critique exchanges
 * (one task per exchange, so each is one preemptible step) → a synthesis of atomic insights →
 * dedupe → a review panel across distinct backends → blessed / rejected / needs development.
 *
 * Deterministic in (task, answer, state): time is ctx.now, no randomness, no LLM, no writes. Every
 * unit of work has a key that includes what makes it distinct (exchange index, revision, round,
 * slot, attempt), and discover never offers a second task for a thread that has one active, so
 * polling every minute never runs one thread twice at once (docs/architecture.md, The life of a task).
 */

const EXCHANGE_TYPES = new Set(['exploration', 'critique']);

type Coll = Readonly<Record<string, Json>>;
const coll = (state: Readonly<FanoState>, name: string): Coll => state.modules[MODULE]?.[name] ?? {};
const put = (collection: string, id: string, doc: unknown): FanoEvent => ({ type: 'module.put', module: MODULE, collection, id, doc: toJson(doc) });
const modeOf = (task: Readonly<Task>): 'deep' | 'normal' => (task.deep ? 'deep' : 'normal');
const backendOf = (task: Readonly<Task>): string => task.conversation?.backend ?? task.llmPreference ?? 'unknown';
const str = (v: Json | undefined): string => (typeof v === 'string' ? v : String(v ?? ''));
const num = (v: Json | undefined): number => (typeof v === 'number' ? v : Number(v ?? 0));

function failCount(state: Readonly<FanoState>, unit: string): number {
  return asDoc<FailureDoc>(coll(state, 'failures')[unit])?.count ?? 0;
}

/** The failure unit of a task: what a new attempt (with a new key) would redo. */
function unitOf(task: Readonly<Task>): string {
  const c = task.context;
  if (EXCHANGE_TYPES.has(task.type)) return failureUnit.exchange(str(c.threadId), num(c.exchange));
  if (task.type === 'synthesis') return failureUnit.synthesis(str(c.threadId));
  if (task.type === 'review') return failureUnit.review(str(c.insightId), num(c.revision), num(c.round), num(c.slot));
  return failureUnit.comment(str(c.commentId));
}

function seedOf(task: Readonly<Task>, thread: ThreadDoc | undefined): SeedInfo {
  return { id: thread?.seedId ?? str(task.context.seedId), text: thread?.seedText ?? str(task.data.seedText), type: thread?.seedType ?? str(task.data.seedType) };
}

const axiomsOf = (task: Readonly<Task>): string[] => (Array.isArray(task.data.axioms) ? task.data.axioms.map(String) : []);

function blessedFor(state: Readonly<FanoState>, opts: ExplorerOptions): Array<{ id: string; text: string }> {
  return blessedInsights(state, opts).map((b) => ({ id: b.id, text: b.text }));
}

/** Where a strict answer that fails even after the repair prompt is kept (../strict-answer.ts). */
const keepRaw = (task: Readonly<Task>, at: string) => ({ module: MODULE, unit: unitOf(task), at });

function spec(type: string, context: JsonObject, extra: Partial<TaskSpec> = {}): TaskSpec {
  return { module: MODULE, type, context, ...extra };
}

export const explorerModule: Module = {
  name: MODULE,

  projections: [
    { module: MODULE, collection: 'threads', dir: THREADS_DIR, ext: '.md', render: (_id, doc) => renderThreadMarkdown(doc as unknown as ThreadDoc) },
    { module: MODULE, collection: 'threads', dir: THREADS_DIR, ext: '.json', render: (_id, doc) => renderThread(doc) },
    { module: MODULE, collection: 'insights', dir: INSIGHTS_DIR, ext: '.md', render: renderInsightDoc, merge: keepNewComments },
  ],

  /**
   * Files whose change can create work (the tick's idle fast path watches them): the seeds, and
   * the insight files a person may write a comment into (the folder too, for files added).
   */
  discoveryInputs({ home }): string[] {
    let files: string[] = [];
    try {
      files = readdirSync(join(home, INSIGHTS_DIR)).filter((f) => f.endsWith('.md'));
    } catch {
      // no insights yet
    }
    let prompts: string[] = [];
    try {
      prompts = readdirSync(join(home, PROMPT_DIR)).filter((f) => f.endsWith('.md'));
    } catch {
      // no prompt overrides
    }
    return [SEEDS_PATH, INSIGHTS_DIR, ...files.sort().map((f) => join(INSIGHTS_DIR, f)), PROMPT_DIR, ...prompts.sort().map((f) => join(PROMPT_DIR, f))];
  },

  problems: (ctx: ModuleContext) => explorerProblems(ctx.home, ctx.state),

  discover(ctx: ModuleContext): TaskSpec[] {
    const opts = explorerOptions(ctx.options);
    const { state, now } = ctx;
    // A malformed seeds file is a problem (status lists it, the tick prints it once): no thread is
    // started or continued meanwhile (their prompts quote seeds and axioms); reviews and comments go on.
    const { seeds, problem: seedsProblem } = seedsOrProblem(ctx.home);
    const axioms = seeds.filter((s) => s.type === 'axiom').map((s) => s.text);
    const seedById = new Map(seeds.map((s) => [s.id, s]));
    const threads = coll(state, 'threads');

    // In flight: at most one task per thread (exchange or synthesis), one per review/comment unit.
    const busyThreads = new Set<string>();
    const busyUnits = new Set<string>();
    for (const t of Object.values(state.tasks)) {
      if (t.module !== MODULE || !ACTIVE_STATES.has(t.state)) continue;
      if (typeof t.context.threadId === 'string') busyThreads.add(t.context.threadId);
      busyUnits.add(unitOf(t));
    }
    const out: TaskSpec[] = [];

    const exchangeSpec = (threadId: string, thread: ThreadDoc | null, seed: { id: string; text: string; type: string; tags: string[]; priority: number }) => {
      const n = thread?.exchanges.length ?? 0;
      const attempt = failCount(state, failureUnit.exchange(threadId, n));
      if (attempt >= opts.maxAttempts) return;
      const backend = chooseExchangeBackend(thread, threadId, n, state, now, opts);
      const critique = roleFor(n) === 'critique';
      // A critique answers the previous exchange: never by the vendor that wrote it while another
      // exists (the allocator may move the task off a backend that cannot serve, never onto that one).
      const prev = critique ? (thread?.exchanges.find((e) => e.index === n - 1)?.backend ?? null) : null;
      out.push(
        spec(critique ? 'critique' : 'exploration', { threadId, seedId: seed.id, exchange: n, attempt, seedPriority: seed.priority }, {
          data: { seedText: seed.text, seedType: seed.type, tags: seed.tags, axioms },
          llmPreference: backend,
          ...(prev !== null ? { llmAvoid: [prev] } : {}),
        }),
      );
    };

    for (const seed of seeds) {
      if (seedsProblem) break;
      if (seed.type === 'axiom' || seed.status === 'proposed') continue;
      const tid = threadIdFor(seed.id);
      if (threads[tid] === undefined && !busyThreads.has(tid)) exchangeSpec(tid, null, seed);
    }
    for (const raw of Object.values(threads)) {
      const thread = raw as unknown as ThreadDoc;
      if (seedsProblem || thread.status !== 'exploring' || busyThreads.has(thread.id)) continue;
      const seed = seedById.get(thread.seedId);
      const priority = seed?.priority ?? 5;
      if (thread.exchanges.length < opts.exchangesBeforeSynthesis) {
        exchangeSpec(thread.id, thread, { id: thread.seedId, text: thread.seedText, type: thread.seedType, tags: thread.tags, priority });
        continue;
      }
      const attempt = failCount(state, failureUnit.synthesis(thread.id));
      if (attempt >= opts.maxAttempts) continue;
      const deep = opts.deepSynthesis && Object.keys(opts.backends).some((b) => deepLeft(b, state, now, opts) > 0);
      out.push(spec('synthesis', { threadId: thread.id, attempt, seedPriority: priority }, { data: { phase: 'ask', axioms }, deep }));
    }

    const configured = Object.keys(opts.backends).sort();
    for (const raw of Object.values(coll(state, 'insights'))) {
      const ins = raw as unknown as InsightDoc;
      const view = insightView(state, ins, opts);
      for (const { round, slot } of view.missing) {
        const unit = failureUnit.review(ins.id, ins.revision, round, slot);
        if (busyUnits.has(unit)) continue;
        // A panel backend removed from the config is replaced, so the panel can still finish.
        const wanted = ins.panel[slot]!;
        const backend = configured.includes(wanted) || configured.length === 0 ? wanted : configured[slot % configured.length]!;
        const deep = round >= 2 && opts.deepSecondRound && deepLeft(backend, state, now, opts) > 0;
        // The seed's priority carries over (the seed factor of core/priority.ts), so reviews do not
        // starve behind the explorations of the same seed.
        const seedPriority = seedById.get(ins.seedId)?.priority ?? 5;
        // Reviews come from other models than the author's: a review that moves off its panel
        // backend (limited, logged out) never moves to the author.
        const author = ins.provenance.backend;
        const avoid = author !== backend ? { llmAvoid: [author] } : {};
        out.push(spec('review', { insightId: ins.id, revision: ins.revision, round, slot, attempt: failCount(state, unit), seedPriority }, { data: { phase: 'ask' }, llmPreference: backend, deep, ...avoid }));
      }
    }

    // Human comments: recorded by `fano insight comment`, or typed into an insight's file.
    const comments = coll(state, 'comments');
    const wantComment = (commentId: string, insightId: string, text: string, source: CommentDoc['source']) => {
      const unit = failureUnit.comment(commentId);
      const attempt = failCount(state, unit);
      if (busyUnits.has(unit) || attempt >= opts.maxAttempts) return;
      busyUnits.add(unit);
      const ins = asDoc<InsightDoc>(coll(state, 'insights')[insightId]);
      const seedPriority = (ins && seedById.get(ins.seedId)?.priority) ?? 5;
      out.push(spec('address_comment', { commentId, insightId, attempt, seedPriority }, { data: { phase: 'ask', text, source } }));
    };
    for (const raw of Object.values(comments)) {
      const c = raw as unknown as CommentDoc;
      if (c.status === 'open') wantComment(c.id, c.insightId, c.text, c.source);
    }
    for (const id of Object.keys(coll(state, 'insights'))) {
      let text: string;
      try {
        text = readFileSync(join(ctx.home, INSIGHTS_DIR, `${id}.md`), 'utf8');
      } catch {
        continue;
      }
      // A file with an unclosed comment is a problem: none of its comments is answered until it is fixed.
      if (unterminatedComments(text).length > 0) continue;
      for (const c of readCommentMarkers(text)) {
        const cid = commentIdFor(id, c);
        if (comments[cid] === undefined) wantComment(cid, id, c, 'file');
      }
    }
    return out;
  },

  prepare(task: Readonly<Task>, ctx: ModuleContext): StepRequest {
    const opts = explorerOptions(ctx.options);
    const { state } = ctx;
    const c = task.context;
    const deep = task.deep;
    const repair = task.data.phase === 'repair';
    if (EXCHANGE_TYPES.has(task.type)) {
      const thread = asDoc<ThreadDoc>(coll(state, 'threads')[str(c.threadId)]) ?? null;
      const index = num(c.exchange);
      return {
        prompt: exchangePrompt({ home: ctx.home, role: roleFor(index), index, seed: seedOf(task, thread ?? undefined), axioms: axiomsOf(task), blessed: blessedFor(state, opts), thread, opts }),
        deep,
      };
    }
    if (task.type === 'synthesis') {
      const thread = asDoc<ThreadDoc>(coll(state, 'threads')[str(c.threadId)]);
      if (!thread) throw new Error(`thread ${str(c.threadId)} not found`);
      if (repair) return { prompt: repairPrompt(ctx.home, 'synthesis', str(task.data.raw), str(task.data.error), opts.maxInsightsPerSynthesis), deep };
      return { prompt: synthesisPrompt({ home: ctx.home, seed: seedOf(task, thread), axioms: axiomsOf(task), blessed: blessedFor(state, opts), thread, opts }), deep };
    }
    if (task.type === 'review') {
      if (repair) return { prompt: repairPrompt(ctx.home, 'review', str(task.data.raw), str(task.data.error), opts.maxInsightsPerSynthesis), deep };
      const ins = asDoc<InsightDoc>(coll(state, 'insights')[str(c.insightId)]);
      if (!ins) throw new Error(`insight ${str(c.insightId)} not found`);
      const thread = asDoc<ThreadDoc>(coll(state, 'threads')[ins.threadId]);
      const round = num(c.round);
      const slot = num(c.slot);
      const reviews = coll(state, 'reviews');
      const r1 = (s: number) => asDoc<ReviewDoc>(reviews[reviewId(ins.id, ins.revision, 1, s)]);
      const stances = ins.panel
        .map((_, s) => r1(s))
        .filter((r): r is ReviewDoc => r !== undefined && r.slot !== slot)
        .map((r) => ({ slot: r.slot, backend: r.backend, rating: r.rating, confidence: r.confidence, reasoning: r.reasoning }));
      const seed = thread ? { id: thread.seedId, text: thread.seedText, type: thread.seedType } : { id: ins.seedId, text: '(unknown)', type: 'question' };
      return {
        prompt: reviewPrompt({ home: ctx.home, round, slot, panelSize: ins.panel.length, seed, axioms: axiomsOf(task), insight: ins, own: r1(slot)?.rating ?? null, stances }),
        deep,
      };
    }
    if (task.type === 'address_comment') {
      if (repair) return { prompt: repairPrompt(ctx.home, 'comment', str(task.data.raw), str(task.data.error), opts.maxInsightsPerSynthesis), deep };
      const ins = asDoc<InsightDoc>(coll(state, 'insights')[str(c.insightId)]);
      if (!ins) throw new Error(`insight ${str(c.insightId)} not found`);
      return { prompt: commentPrompt({ home: ctx.home, insight: ins, status: insightView(state, ins, opts).status, comment: str(task.data.text) }), deep };
    }
    throw new Error(`unknown explorer task type ${task.type}`);
  },

  onAnswer(task: Readonly<Task>, answer: string, ctx: ModuleContext): StepOutcome {
    const opts = explorerOptions(ctx.options);
    const { state } = ctx;
    const at = ctx.now.toISOString();
    const c = task.context;

    if (EXCHANGE_TYPES.has(task.type)) {
      const tid = str(c.threadId);
      const index = num(c.exchange);
      const thread =
        asDoc<ThreadDoc>(coll(state, 'threads')[tid]) ??
        newThread({ id: tid, seedId: str(c.seedId), seedText: str(task.data.seedText), seedType: str(task.data.seedType), tags: Array.isArray(task.data.tags) ? task.data.tags.map(String) : [], at });
      const next = appendExchange(thread, makeExchange({ index, backend: backendOf(task), mode: modeOf(task), text: answer, at }), opts);
      return { done: true, data: task.data, result: { threadId: tid, exchange: index }, events: next === thread ? [] : [put('threads', tid, next)] };
    }

    if (task.type === 'synthesis') {
      const tid = str(c.threadId);
      const thread = asDoc<ThreadDoc>(coll(state, 'threads')[tid]);
      if (!thread) throw new Error(`thread ${tid} not found`);
      const parsed = parseSynthesis(answer, { maxInsights: opts.maxInsightsPerSynthesis, exchangeCount: thread.exchanges.length });
      return strictStep(task, answer, parsed, keepRaw(task, at), (found) => {
        const existing = Object.values(coll(state, 'insights')) as unknown as InsightDoc[];
        const originals = existing.filter((i) => i.duplicateOf === null);
        const producer = backendOf(task);
        const events: FanoEvent[] = [];
        const ids: string[] = [];
        let duplicates = 0;
        for (const f of found) {
          const id = insightIdFor(tid, f.text);
          if (ids.includes(id) || existing.some((i) => i.id === id)) continue;
          // Dedupe against every insight so far (this batch included): the link is recorded.
          let best: { id: string; sim: number } | null = null;
          for (const o of originals) {
            const sim = similarity(f.text, o.text);
            if (sim >= opts.dedupeThreshold && (best === null || sim > best.sim)) best = { id: o.id, sim };
          }
          const doc: InsightDoc = {
            id,
            text: f.text,
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
          events.push(put('insights', id, doc));
        }
        const next: ThreadDoc = { ...thread, status: 'synthesized', insightIds: [...thread.insightIds, ...ids], updatedAt: at };
        events.push(put('threads', tid, next));
        return { done: true, data: { ...task.data, raw: null, error: null }, result: { threadId: tid, insights: ids.length, duplicates }, events };
      });
    }

    if (task.type === 'review') {
      return strictStep(task, answer, parseReview(answer), keepRaw(task, at), (r) => {
        const insightId = str(c.insightId);
        const revision = num(c.revision);
        const round = num(c.round);
        const slot = num(c.slot);
        const prev = round >= 2 ? asDoc<ReviewDoc>(coll(state, 'reviews')[reviewId(insightId, revision, round - 1, slot)]) : undefined;
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
          changedFrom: prev && prev.rating !== r.rating ? prev.rating : null,
          task: task.key,
          at,
        };
        return { done: true, data: { ...task.data, raw: null, error: null }, result: { insightId, round, slot, rating: r.rating }, events: [put('reviews', reviewId(insightId, revision, round, slot), doc)] };
      });
    }

    if (task.type === 'address_comment') {
      return strictStep(task, answer, parseCommentAnswer(answer), keepRaw(task, at), (r) => {
        const insightId = str(c.insightId);
        const commentId = str(c.commentId);
        const ins = asDoc<InsightDoc>(coll(state, 'insights')[insightId]);
        const old = asDoc<CommentDoc>(coll(state, 'comments')[commentId]);
        const revise = r.revise && r.revisedText !== null && ins !== undefined && r.revisedText.trim() !== ins.text.trim();
        const comment: CommentDoc = {
          id: commentId,
          insightId,
          text: str(task.data.text),
          source: (task.data.source as CommentDoc['source'] | undefined) ?? 'file',
          status: 'answered',
          answer: r.answer,
          revised: revise,
          createdAt: old?.createdAt ?? at,
          answeredAt: at,
        };
        const events: FanoEvent[] = [put('comments', commentId, comment)];
        if (revise && ins) {
          // A new revision goes back through review from round 1 (reviews are keyed by revision).
          const next: InsightDoc = {
            ...ins,
            text: r.revisedText!,
            revision: ins.revision + 1,
            history: [...ins.history, { revision: ins.revision, text: ins.text, at, reason: `revised for comment ${commentId}` }],
            decision: null,
            updatedAt: at,
          };
          events.push(put('insights', insightId, next));
        }
        return { done: true, data: { ...task.data, raw: null, error: null }, result: { commentId, revised: revise }, events };
      });
    }
    throw new Error(`unknown explorer task type ${task.type}`);
  },

  handleFailure(task: Readonly<Task>, error: string, ctx: ModuleContext): FanoEvent[] {
    const opts = explorerOptions(ctx.options);
    const { state } = ctx;
    const at = ctx.now.toISOString();
    const unit = unitOf(task);
    const count = failCount(state, unit) + 1;
    const events: FanoEvent[] = [put('failures', unit, { count, lastError: error, at } satisfies FailureDoc)];
    if (count < opts.maxAttempts) return events; // discover offers a fresh attempt (new key)
    const c = task.context;
    if (EXCHANGE_TYPES.has(task.type) || task.type === 'synthesis') {
      const tid = str(c.threadId);
      const thread =
        asDoc<ThreadDoc>(coll(state, 'threads')[tid]) ??
        newThread({ id: tid, seedId: str(c.seedId), seedText: str(task.data.seedText), seedType: str(task.data.seedType), tags: [], at });
      events.push(put('threads', tid, { ...thread, status: 'failed', error: `${task.type} failed ${count} time(s): ${error}`, updatedAt: at } satisfies ThreadDoc));
    } else if (task.type === 'address_comment') {
      const commentId = str(c.commentId);
      const old = asDoc<CommentDoc>(coll(state, 'comments')[commentId]);
      const doc: CommentDoc = {
        id: commentId,
        insightId: str(c.insightId),
        text: str(task.data.text),
        source: (task.data.source as CommentDoc['source'] | undefined) ?? 'file',
        status: 'failed',
        answer: null,
        revised: false,
        createdAt: old?.createdAt ?? at,
        answeredAt: null,
      };
      events.push(put('comments', commentId, doc));
    }
    // A review that keeps failing abstains (derived in review.ts from the failure count).
    return events;
  },
};
