import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unterminatedComments } from '../../core/document-sections.js';
import { activeTasks } from '../../core/versions.js';
import type { Module, ModuleContext, TaskSpec } from '../module.js';
import { SEEDS_PATH } from '../seeds-file.js';
import { docList, docOf, docsById, projection } from '../shared/collections.js';
import { dispatchByType, taskSpec } from '../shared/task-handlers.js';
import { dedupePending, dedupeUnit } from './dedupe.js';
import { failCount, HANDLERS, unitOf } from './handlers.js';
import { explorerProblems, seedsOrProblem } from './problems.js';
import { PROMPT_DIR } from './prompts.js';
import { insightView } from './queries.js';
import { keepNewComments, readCommentMarkers, renderInsightDoc, renderThread, renderThreadMarkdown, INSIGHTS_DIR, THREADS_DIR } from './render.js';
import { failureUnit } from './review.js';
import { commentIdFor, threadIdFor } from './text.js';
import { chooseExchangeBackend, deepLeft, roleFor, verifierFor } from './thread.js';
import { COMMENTS, explorerOptions, INSIGHTS, MODULE, THREADS, type CommentDoc, type ExplorerTasks, type ThreadDoc } from './types.js';

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

function spec<K extends keyof ExplorerTasks>(
  type: K,
  context: ExplorerTasks[K]['context'],
  data: ExplorerTasks[K]['data'],
  extra: Pick<TaskSpec, 'llmPreference' | 'llmAvoid' | 'deep' | 'priority'> = {},
): TaskSpec {
  return taskSpec<ExplorerTasks, K>(MODULE, type, context, data, extra);
}

/** A verification's extra priority: with the default base (50) it runs just before reviews (55). */
const VERIFY_PRIORITY = 8;

export const explorerModule: Module = {
  name: MODULE,

  projections: [
    projection(THREADS, { dir: THREADS_DIR, ext: '.md', render: (_id, doc) => renderThreadMarkdown(doc) }),
    projection(THREADS, { dir: THREADS_DIR, ext: '.json', render: (_id, doc) => renderThread(doc) }),
    projection(INSIGHTS, { dir: INSIGHTS_DIR, ext: '.md', render: renderInsightDoc, merge: keepNewComments }),
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
    const threads = docsById(state, THREADS);

    // In flight: at most one task per thread (exchange or synthesis), one per review/comment unit.
    const busyThreads = new Set<string>();
    const busyUnits = new Set<string>();
    for (const t of activeTasks(state)) {
      if (t.module !== MODULE) continue;
      if (typeof t.context.threadId === 'string') busyThreads.add(t.context.threadId);
      const unit = unitOf(t);
      if (unit !== null) busyUnits.add(unit);
    }
    const out: TaskSpec[] = [];

    const exchangeSpec = (
      threadId: string,
      thread: ThreadDoc | null,
      seed: { id: string; text: string; type: string; notes?: string | undefined; tags: string[]; priority: number },
    ) => {
      const n = thread?.exchanges.length ?? 0;
      const attempt = failCount(state, failureUnit.exchange(threadId, n));
      if (attempt >= opts.maxAttempts) return;
      const backend = chooseExchangeBackend(thread, threadId, n, state, now, opts);
      const critique = roleFor(n) === 'critique';
      // A critique answers the previous exchange: never by the vendor that wrote it while another
      // exists (the allocator may move the task off a backend that cannot serve, never onto that one).
      const prev = critique ? (thread?.exchanges.find((e) => e.index === n - 1)?.backend ?? null) : null;
      out.push(
        spec(
          critique ? 'critique' : 'exploration',
          { threadId, seedId: seed.id, exchange: n, attempt, seedPriority: seed.priority },
          { phase: 'ask', seedText: seed.text, seedType: seed.type, seedNotes: seed.notes ?? thread?.seedNotes ?? null, tags: seed.tags, axioms },
          { llmPreference: backend, ...(prev !== null ? { llmAvoid: [prev] } : {}) },
        ),
      );
    };

    for (const seed of seeds) {
      if (seedsProblem) break;
      if (seed.type === 'axiom' || seed.status === 'proposed') continue;
      const tid = threadIdFor(seed.id);
      if (threads[tid] === undefined && !busyThreads.has(tid)) exchangeSpec(tid, null, seed);
    }
    for (const thread of Object.values(threads)) {
      if (seedsProblem || thread.status !== 'exploring' || busyThreads.has(thread.id)) continue;
      const seed = seedById.get(thread.seedId);
      const priority = seed?.priority ?? 5;
      if (thread.exchanges.length < opts.exchangesBeforeSynthesis) {
        exchangeSpec(thread.id, thread, { id: thread.seedId, text: thread.seedText, type: thread.seedType, notes: seed?.notes, tags: thread.tags, priority });
        continue;
      }
      const attempt = failCount(state, failureUnit.synthesis(thread.id));
      if (attempt >= opts.maxAttempts) continue;
      const deep = opts.deepSynthesis && Object.keys(opts.backends).some((b) => deepLeft(b, state, now, opts) > 0);
      out.push(spec('synthesis', { threadId: thread.id, attempt, seedPriority: priority }, { phase: 'ask', axioms }, { deep }));
    }

    const configured = Object.keys(opts.backends).sort();
    for (const ins of docList(state, INSIGHTS)) {
      // A new insight is also compared by a model with its nearest existing ones (a paraphrase is
      // a duplicate too, dedupe.ts); a duplicate found ends its review (review.ts puts it first).
      if (dedupePending(state, ins, opts.maxAttempts)) {
        const unit = dedupeUnit(ins.id, ins.revision);
        const seedPriority = seedById.get(ins.seedId)?.priority ?? 5;
        if (!busyUnits.has(unit))
          out.push(spec('dedupe_check', { insightId: ins.id, revision: ins.revision, attempt: failCount(state, unit), seedPriority }, { phase: 'ask' }));
      }
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
        out.push(
          spec(
            'review',
            { insightId: ins.id, revision: ins.revision, round, slot, attempt: failCount(state, unit), seedPriority },
            { phase: 'ask' },
            { llmPreference: backend, deep, ...avoid },
          ),
        );
      }
      // Verification: each claim to a prove-or-refute task, in deep mode on a backend with deep
      // quota left (the strongest a home has), never on the author's while another exists.
      for (const claim of view.toVerify) {
        const unit = failureUnit.verify(ins.id, ins.revision, claim);
        if (busyUnits.has(unit)) continue;
        const author = ins.provenance.backend;
        const backend = verifierFor(ins.id, claim, author, state, now, opts);
        const deep = backend !== null && deepLeft(backend, state, now, opts) > 0;
        const seedPriority = seedById.get(ins.seedId)?.priority ?? 5;
        const avoid = backend !== null && author !== backend ? { llmAvoid: [author] } : {};
        // Above the reviews' base priority (the default base + VERIFY_PRIORITY): round 2 waits on it.
        out.push(
          spec(
            'verify_claim',
            { insightId: ins.id, revision: ins.revision, claim, attempt: failCount(state, unit), seedPriority },
            { phase: 'ask' },
            { llmPreference: backend, deep, priority: VERIFY_PRIORITY, ...avoid },
          ),
        );
      }
    }

    // Human comments: recorded by `fano insight comment`, or typed into an insight's file.
    const comments = docsById(state, COMMENTS);
    const wantComment = (commentId: string, insightId: string, text: string, source: CommentDoc['source']) => {
      const unit = failureUnit.comment(commentId);
      const attempt = failCount(state, unit);
      if (busyUnits.has(unit) || attempt >= opts.maxAttempts) return;
      busyUnits.add(unit);
      const ins = docOf(state, INSIGHTS, insightId);
      const seedPriority = (ins && seedById.get(ins.seedId)?.priority) ?? 5;
      out.push(spec('address_comment', { commentId, insightId, attempt, seedPriority }, { phase: 'ask', text, source }));
    };
    for (const c of Object.values(comments)) {
      if (c.status === 'open') wantComment(c.id, c.insightId, c.text, c.source);
    }
    // One listing instead of a failed read per insight without a file (before its first projection).
    let files: Set<string>;
    try {
      files = new Set(readdirSync(join(ctx.home, INSIGHTS_DIR)));
    } catch {
      files = new Set();
    }
    for (const id of Object.keys(docsById(state, INSIGHTS))) {
      if (!files.has(`${id}.md`)) continue;
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

  ...dispatchByType(MODULE, HANDLERS),
};
