import { sha256Hex } from '../../core/hash.js';
import { HOUR_MS } from '../../core/time.js';
import type { FanoEvent } from '../../core/events.js';
import { type FanoState, type Json, type JsonObject } from '../../core/types.js';
import { activeTasks } from '../../core/versions.js';
import type { Module, ModuleContext, StepOutcome, TaskSpec } from '../module.js';
import { readSeeds } from '../seeds-file.js';
import type { ParseResult } from '../shared/answer-format.js';
import { collection, docList, docOf, docsById, putDoc } from '../shared/collections.js';
import { NOTATION_RULE } from '../shared/latex.js';
import { clearRepair, repairPrompt, REPAIR_TEMPLATE, strictStep, type RawAnswerKeep } from '../shared/strict-answer.js';
import { dispatchByType, noCleanup, taskSpec, type HandlerTable, type TaskHandler, type TaskOf } from '../shared/task-handlers.js';
import { verifyQuote } from './citations.js';
import {
  parseEvaluation,
  parseFindings,
  parseQuestions,
  parseSeeds,
  researchFormatBlock,
  type ParsedEvaluation,
  type ParsedFinding,
  type ParsedQuestions,
  type ParsedSeed,
  type RFORMAT,
} from './formats.js';
import { CACHE_DIR, knownSources, normalizeUrl, readCacheEntry, readSourceText, sourceIdFor, sourcesProblem, SOURCES_PATH } from './sources-file.js';
import {
  EXTRACTIONS,
  FINDINGS,
  PROPOSED_SEEDS,
  QUESTIONS,
  RESEARCHER,
  researcherOptions,
  SOURCES,
  SYNTHESES,
  type Evaluation,
  type FindingDoc,
  type ProposedSeedDoc,
  type RepairData,
  type ResearcherTasks,
  type SourceDoc,
  type SourceTextRef,
} from './types.js';

export { RESEARCHER, researcherOptions, type Evaluation, type FindingDoc, type ProposedSeedDoc, type ResearcherOptions, type SourceDoc } from './types.js';

/**
 * The Researcher: brings outside knowledge in and checks it (task types in ./types.ts, one entry
 * each in HANDLERS below). Every answer is in a strict format; a malformed one gets one repair
 * prompt, then the step fails with both raw answers kept in `rawAnswers` (../strict-answer.ts, as
 * in the Explorer).
 *
 * Deterministic in (task, answer, state): fetched texts are read from the content-addressed cache
 * by the hash carried in the task's context; fetching itself happens in the tick (gateway/fetch),
 * and proposed seeds reach seeds.yaml through the tick too (tick/researcher-glue.ts).
 */

/** The fields the Researcher reads of the Explorer's insights (their basis for questions). */
type InsightSeen = { id: string; text: string; createdAt: string };
const EXPLORER_INSIGHTS = collection<InsightSeen>('explorer', 'insights');
const insightsSeen = (state: Readonly<FanoState>): InsightSeen[] => docList(state, EXPLORER_INSIGHTS);

const spec = <K extends keyof ResearcherTasks>(type: K, context: ResearcherTasks[K]['context'], data: ResearcherTasks[K]['data']): TaskSpec =>
  taskSpec<ResearcherTasks, K>(RESEARCHER, type, context, data);

function sourceText(ctx: ModuleContext, task: TaskOf<SourceTextRef, { url: string }>): string {
  const text = readSourceText(ctx.home, task.context.textHash);
  if (text === null) throw new Error(`fetched text ${task.context.textHash} of ${task.data.url} is missing from the cache`);
  return text;
}

function topics(home: string): string[] {
  try {
    return readSeeds(home)
      .filter((s) => s.status !== 'proposed')
      .slice(0, 5)
      .map((s) => s.text);
  } catch {
    return [];
  }
}

function sourceBlock(url: string, text: string, maxChars: number): string {
  const excerpt = text.length > maxChars ? `${text.slice(0, maxChars)}\n[... ${text.length - maxChars} more characters not shown]` : text;
  return [`URL: ${url}`, 'SOURCE TEXT BEGIN', excerpt, 'SOURCE TEXT END'].join('\n');
}

/**
 * Raw answers kept in task data (for the repair prompt) and in `rawAnswers` are capped: a runaway
 * answer must not bloat every checkpoint. Well above the largest valid answer (10 findings).
 */
const RAW_MAX_CHARS = 20_000;

/** What a parsed answer changes: the task's result and the module's events. */
interface Applied {
  result: Json;
  events: FanoEvent[];
}

/**
 * A task type that asks in one strict format: its prompt (instructions, the research topics, the
 * format block), the parser of its answers and what a parsed answer changes. The repair step and
 * the failure after it are the same for all of them.
 */
function strictTask<C extends JsonObject, D extends JsonObject & RepairData, V>(t: {
  format: keyof typeof RFORMAT;
  parse: (answer: string) => ParseResult<V>;
  /** The prompt's lines before the format block; `research` lists the research topics. */
  body: (task: TaskOf<C, D>, ctx: ModuleContext, research: string) => string[];
  apply: (task: TaskOf<C, D>, value: V, ctx: ModuleContext) => Applied;
}): TaskHandler<C, D> {
  return {
    prepare(task, ctx) {
      // The repair prompt needs neither the source text nor the findings: the raw answer carries
      // the content, and quotes are still checked against the fetched text when it is applied.
      if (task.data.phase === 'repair') {
        return { prompt: repairPrompt(REPAIR_TEMPLATE, task.data.raw ?? '', task.data.error ?? '', researchFormatBlock(t.format)), deep: false };
      }
      const topicLines = topics(ctx.home).map((line) => `- ${line}`);
      const research = ['RESEARCH TOPICS:', ...(topicLines.length > 0 ? topicLines : ['- (none yet)'])].join('\n');
      return { prompt: [...t.body(task, ctx, research), '', NOTATION_RULE, '', researchFormatBlock(t.format)].join('\n'), deep: false };
    },
    onAnswer(task, answer, ctx) {
      // A first unparseable answer gets one repair prompt; one still wrong after it fails the step
      // with both raw answers kept. A parsed answer (first or repaired) is applied the same way.
      const keep: RawAnswerKeep = { module: RESEARCHER, unit: task.key, at: ctx.now.toISOString(), maxRawChars: RAW_MAX_CHARS };
      return strictStep(task, answer, t.parse(answer), keep, (value): StepOutcome => {
        const { result, events } = t.apply(task, value, ctx);
        return { done: true, data: clearRepair(task.data), result, events };
      });
    },
    // Nothing half-done to clean up: every researcher task writes its results in one record.
    handleFailure: noCleanup,
  };
}

type RTask<K extends keyof ResearcherTasks> = TaskOf<ResearcherTasks[K]['context'], ResearcherTasks[K]['data']>;

function applyQuestions(task: RTask<'generate_questions'>, questions: ParsedQuestions, ctx: ModuleContext): Applied {
  const at = ctx.now.toISOString();
  const basis = task.context.basis;
  const events: FanoEvent[] = [];
  const known = docsById(ctx.state, SOURCES);
  const proposed: string[] = [];
  questions.forEach((q, i) => {
    const id = `q-${sha256Hex(basis, String(i), q.text).slice(0, 12)}`;
    const urls = q.urls.map(normalizeUrl).filter((u): u is string => u !== null);
    events.push(putDoc(QUESTIONS, id, { id, text: q.text, urls, basis, createdAt: at }));
    for (const url of urls) {
      const sid = sourceIdFor(url);
      if (known[sid] !== undefined || proposed.includes(sid)) continue;
      proposed.push(sid);
      // Model-proposed: fetched under the SSRF guard (never from private addresses by default).
      events.push(putDoc(SOURCES, sid, { id: sid, url, addedBy: 'model', questionId: id, evaluation: null }));
    }
  });
  return { result: { questions: questions.length, sourcesProposed: proposed.length }, events };
}

function applyEvaluation(task: RTask<'evaluate_source'>, e: ParsedEvaluation, ctx: ModuleContext): Applied {
  const opts = researcherOptions(ctx.options);
  const sid = task.context.sourceId;
  const old = docOf(ctx.state, SOURCES, sid);
  const trusted = e.trust >= opts.minTrust && e.relevance >= opts.minRelevance;
  const evaluation: Evaluation = {
    trust: e.trust,
    relevance: e.relevance,
    trusted,
    reasoning: e.reasoning,
    textHash: task.context.textHash,
    at: ctx.now.toISOString(),
  };
  const doc: SourceDoc = {
    id: sid,
    url: task.data.url,
    addedBy: old?.addedBy ?? (task.data.addedBy === 'model' ? 'model' : 'person'),
    questionId: old?.questionId ?? null,
    evaluation,
  };
  return { result: { trusted, trust: e.trust, relevance: e.relevance }, events: [putDoc(SOURCES, sid, doc)] };
}

function applyFindings(task: RTask<'extract_content'>, found: ParsedFinding[], ctx: ModuleContext): Applied {
  const at = ctx.now.toISOString();
  const { sourceId: sid, textHash } = task.context;
  const text = sourceText(ctx, task);
  const events: FanoEvent[] = [];
  const ids: string[] = [];
  let verified = 0;
  for (const f of found) {
    const check = verifyQuote(f.quote, text);
    const id = `f-${sha256Hex(sid, textHash, f.quote, f.claim).slice(0, 12)}`;
    if (ids.includes(id)) continue;
    ids.push(id);
    if (check.verified) verified += 1;
    const doc: FindingDoc = {
      id,
      sourceId: sid,
      url: task.data.url,
      claim: f.claim,
      quote: f.quote,
      verified: check.verified,
      reason: check.verified ? null : check.reason,
      textHash,
      createdAt: at,
    };
    events.push(putDoc(FINDINGS, id, doc));
  }
  events.push(putDoc(EXTRACTIONS, `${sid}-${textHash}`, { sourceId: sid, textHash, findingIds: ids, verified, unverified: ids.length - verified, at }));
  return { result: { findings: ids.length, verified, unverified: ids.length - verified }, events };
}

function applySeeds(task: RTask<'synthesize_findings'>, seeds: ParsedSeed[], ctx: ModuleContext): Applied {
  const opts = researcherOptions(ctx.options);
  const at = ctx.now.toISOString();
  const findings = docsById(ctx.state, FINDINGS);
  const offered = new Set(task.data.findingIds);
  const events: FanoEvent[] = [];
  const seedIds: string[] = [];
  const rejected: Array<{ text: string; reason: string }> = [];
  for (const s of seeds) {
    // Only verified findings back a seed: an unverified (or invented) id never does.
    const cited = [...new Set(s.findings)].filter((id) => offered.has(id) && findings[id]?.verified === true).sort();
    if (cited.length === 0) {
      rejected.push({ text: s.text, reason: 'cites no verified finding' });
      continue;
    }
    const id = `r-${sha256Hex(s.text.toLowerCase()).slice(0, 10)}`;
    if (seedIds.includes(id) || docOf(ctx.state, PROPOSED_SEEDS, id) !== undefined) continue;
    seedIds.push(id);
    const urls = [...new Set(cited.flatMap((f) => findings[f]?.url ?? []))].sort();
    const doc: ProposedSeedDoc = {
      id,
      text: s.text,
      type: s.type,
      priority: s.priority,
      findingIds: cited,
      urls,
      status: opts.autoApprove ? 'active' : 'proposed',
      written: false,
      createdAt: at,
    };
    events.push(putDoc(PROPOSED_SEEDS, id, doc));
  }
  const id = task.context.findings;
  events.push(putDoc(SYNTHESES, id, { id, findingIds: [...offered].sort(), seedIds, rejected, at }));
  return { result: { seeds: seedIds.length, rejected: rejected.length }, events };
}

/** One entry per task type: adding a task type is adding its entry (and its line in ResearcherTasks). */
const HANDLERS: HandlerTable<ResearcherTasks> = {
  generate_questions: strictTask({
    format: 'questions',
    parse: parseQuestions,
    body: (task, _ctx, research) => [
      'You support a mathematical research project. From the recent findings below, ask questions that published sources (papers, lecture notes, encyclopedias) could answer, and name pages likely to answer them.',
      research,
      'RECENT INSIGHTS:',
      ...task.data.insights.map((t) => `- ${t}`),
    ],
    apply: applyQuestions,
  }),
  evaluate_source: strictTask({
    format: 'evaluate',
    parse: parseEvaluation,
    body: (task, ctx, research) => [
      'Judge this source for the research topics below: how far can it be trusted (authorship, rigour, references) and how relevant is it?',
      research,
      sourceBlock(task.data.url, sourceText(ctx, task), researcherOptions(ctx.options).maxSourceChars),
    ],
    apply: applyEvaluation,
  }),
  extract_content: strictTask({
    format: 'extract',
    parse: parseFindings,
    body: (task, ctx, research) => [
      'Extract the findings of this source that matter for the research topics below. Each finding needs a verbatim quote from the source text.',
      research,
      sourceBlock(task.data.url, sourceText(ctx, task), researcherOptions(ctx.options).maxSourceChars),
    ],
    apply: applyFindings,
  }),
  synthesize_findings: strictTask({
    format: 'synthesize',
    parse: parseSeeds,
    body: (task, ctx, research) => {
      const findings = docsById(ctx.state, FINDINGS);
      const lines = task.data.findingIds
        .map((id) => findings[id])
        .filter((f): f is FindingDoc => f !== undefined)
        .map((f) => `FINDING ${f.id}: ${f.claim} | QUOTE: "${f.quote}" | SOURCE: ${f.url}`);
      return [
        'Combine these verified findings from outside sources into new seeds (questions or conjectures) for the exploration of the research topics.',
        research,
        ...lines,
      ];
    },
    apply: applySeeds,
  }),
};

const lastQuestionAt = (state: Readonly<FanoState>): string => docList(state, QUESTIONS).reduce((a, q) => (q.createdAt > a ? q.createdAt : a), '');

export const researcherModule: Module = {
  name: RESEARCHER,

  discoveryInputs: () => [SOURCES_PATH, CACHE_DIR],

  problems: (ctx: ModuleContext) => {
    const p = sourcesProblem(ctx.home);
    return p ? [p] : [];
  },

  nextDiscoveryAt(ctx: ModuleContext): Date | null {
    const opts = researcherOptions(ctx.options);
    const last = lastQuestionAt(ctx.state);
    return last === '' ? null : new Date(Date.parse(last) + opts.questionsEveryHours * HOUR_MS);
  },

  discover(ctx: ModuleContext): TaskSpec[] {
    const opts = researcherOptions(ctx.options);
    const { state, home, now } = ctx;
    const out: TaskSpec[] = [];
    const active = activeTasks(state).filter((t) => t.module === RESEARCHER);
    const activeTypes = new Set(active.map((t) => t.type));
    const sources = docsById(state, SOURCES);
    const extractions = docsById(state, EXTRACTIONS);

    for (const s of knownSources(home, state)) {
      const sourceId = sourceIdFor(s.url);
      const cache = readCacheEntry(home, sourceId);
      if (!cache?.ok || cache.textHash === null) continue;
      const ev = sources[sourceId]?.evaluation ?? null;
      const context = { sourceId, textHash: cache.textHash };
      if (ev === null || ev.textHash !== cache.textHash) out.push(spec('evaluate_source', context, { url: s.url, addedBy: s.addedBy }));
      else if (ev.trusted && extractions[`${sourceId}-${cache.textHash}`] === undefined) out.push(spec('extract_content', context, { url: s.url }));
    }

    // Verified findings no synthesis has used yet; one synthesis at a time, so a finding is
    // never offered to two.
    const used = new Set(docList(state, SYNTHESES).flatMap((d) => d.findingIds));
    const fresh = docList(state, FINDINGS)
      .filter((f) => f.verified && !used.has(f.id))
      .map((f) => f.id)
      .sort();
    if (fresh.length > 0 && !activeTypes.has('synthesize_findings')) {
      out.push(spec('synthesize_findings', { findings: sha256Hex(...fresh).slice(0, 16) }, { findingIds: fresh }));
    }

    // Questions from what the Explorer found lately, at most every questionsEveryHours.
    const latest = insightsSeen(state)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id))
      .slice(0, 5);
    if (latest.length > 0 && !activeTypes.has('generate_questions')) {
      const basis = sha256Hex(...latest.map((i) => i.id)).slice(0, 16);
      const last = lastQuestionAt(state);
      const due = last === '' || now.getTime() - Date.parse(last) >= opts.questionsEveryHours * HOUR_MS;
      if (due && !docList(state, QUESTIONS).some((q) => q.basis === basis))
        out.push(spec('generate_questions', { basis }, { insights: latest.map((i) => i.text) }));
    }
    return out;
  },

  ...dispatchByType(RESEARCHER, HANDLERS),
};

/** Proposed seeds the tick still has to append to seeds.yaml (oldest first). */
export function seedsToWrite(state: Readonly<FanoState>): ProposedSeedDoc[] {
  return docList(state, PROPOSED_SEEDS)
    .filter((s) => !s.written)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

export function markWritten(seed: ProposedSeedDoc): FanoEvent {
  return putDoc(PROPOSED_SEEDS, seed.id, { ...seed, written: true });
}
