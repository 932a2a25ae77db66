import { sha256Hex } from '../../core/hash.js';
import { HOUR_MS } from '../../core/time.js';
import type { FanoEvent } from '../../core/events.js';
import { ACTIVE_STATES, type FanoState, type Json, type JsonObject, type Task } from '../../core/types.js';
import type { Module, ModuleContext, StepOutcome, StepRequest, TaskSpec } from '../module.js';
import { readSeeds } from '../seeds-file.js';
import { clearRepair, repairPrompt, REPAIR_TEMPLATE, strictStep, type RawAnswerKeep } from '../shared/strict-answer.js';
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
import { CACHE_DIR, knownSources, normalizeUrl, readCacheEntry, readSourceText, sourceIdFor, SOURCES_PATH } from './sources-file.js';

/**
 * The Researcher: brings outside knowledge in and checks it.
 *   generate_questions  recent Explorer insights → questions (+ URLs the model proposes as sources)
 *   evaluate_source     a fetched source → trust, relevance, reasoning
 *   extract_content     a trusted source → findings, each with a quote verified against the text
 *   synthesize_findings verified findings → proposed seeds for the Explorer
 * Every answer is in a strict format; a malformed one gets one repair prompt, then the step fails
 * with both raw answers kept in `rawAnswers` (../strict-answer.ts, as in the Explorer).
 *
 * Deterministic in (task, answer, state): fetched texts are read from the content-addressed cache
 * by the hash carried in the task's context; fetching itself happens in the tick (gateway/fetch),
 * and proposed seeds reach seeds.yaml through the tick too (tick/researcher-glue.ts).
 */

export const RESEARCHER = 'researcher';

export interface ResearcherOptions {
  autoApprove: boolean;
  minTrust: number;
  minRelevance: number;
  maxSourceChars: number;
  questionsEveryHours: number;
}

export function researcherOptions(o: JsonObject): ResearcherOptions {
  const n = (k: string, d: number) => (typeof o[k] === 'number' ? (o[k] as number) : d);
  return {
    autoApprove: o.autoApprove === true,
    minTrust: n('minTrust', 0.6),
    minRelevance: n('minRelevance', 0.5),
    maxSourceChars: n('maxSourceChars', 12_000),
    questionsEveryHours: n('questionsEveryHours', 24),
  };
}

export interface Evaluation {
  trust: number;
  relevance: number;
  trusted: boolean;
  reasoning: string;
  textHash: string;
  at: string;
}
export interface SourceDoc {
  id: string;
  url: string;
  addedBy: 'person' | 'model';
  questionId: string | null;
  evaluation: Evaluation | null;
}
export interface FindingDoc {
  id: string;
  sourceId: string;
  url: string;
  claim: string;
  quote: string;
  verified: boolean;
  reason: string | null;
  textHash: string;
  createdAt: string;
}
export interface ProposedSeedDoc {
  id: string;
  text: string;
  type: 'question' | 'conjecture';
  priority: number;
  findingIds: string[];
  urls: string[];
  status: 'proposed' | 'active';
  /** Set once the tick has appended it to state/explorer/seeds.yaml. */
  written: boolean;
  createdAt: string;
}

const toJson = (v: unknown): Json => JSON.parse(JSON.stringify(v)) as Json;
const put = (collection: string, id: string, doc: unknown): FanoEvent => ({ type: 'module.put', module: RESEARCHER, collection, id, doc: toJson(doc) });
const coll = (state: Readonly<FanoState>, name: string): Readonly<Record<string, Json>> => state.modules[RESEARCHER]?.[name] ?? {};
const docs = <T>(state: Readonly<FanoState>, name: string): T[] => Object.values(coll(state, name)) as unknown as T[];
const str = (v: Json | undefined): string => (typeof v === 'string' ? v : String(v ?? ''));
const spec = (type: string, context: JsonObject, data: JsonObject): TaskSpec => ({ module: RESEARCHER, type, context, data });

function sourceText(ctx: ModuleContext, task: Readonly<Task>): string {
  const text = readSourceText(ctx.home, str(task.context.textHash));
  if (text === null) throw new Error(`fetched text ${str(task.context.textHash)} of ${str(task.data.url)} is missing from the cache`);
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

/** The format each task type answers in (its repair prompt repeats exactly that block). */
const FORMAT_OF: Readonly<Record<string, keyof typeof RFORMAT>> = {
  generate_questions: 'questions',
  evaluate_source: 'evaluate',
  extract_content: 'extract',
  synthesize_findings: 'synthesize',
};

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

function applyQuestions(task: Readonly<Task>, questions: ParsedQuestions, ctx: ModuleContext): Applied {
  const at = ctx.now.toISOString();
  const basis = str(task.context.basis);
  const events: FanoEvent[] = [];
  const known = coll(ctx.state, 'sources');
  const proposed: string[] = [];
  questions.forEach((q, i) => {
    const id = `q-${sha256Hex(basis, String(i), q.text).slice(0, 12)}`;
    const urls = q.urls.map(normalizeUrl).filter((u): u is string => u !== null);
    events.push(put('questions', id, { id, text: q.text, urls, basis, createdAt: at }));
    for (const url of urls) {
      const sid = sourceIdFor(url);
      if (known[sid] !== undefined || proposed.includes(sid)) continue;
      proposed.push(sid);
      // Model-proposed: fetched under the SSRF guard (never from private addresses by default).
      events.push(put('sources', sid, { id: sid, url, addedBy: 'model', questionId: id, evaluation: null } satisfies SourceDoc));
    }
  });
  return { result: { questions: questions.length, sourcesProposed: proposed.length }, events };
}

function applyEvaluation(task: Readonly<Task>, e: ParsedEvaluation, ctx: ModuleContext): Applied {
  const opts = researcherOptions(ctx.options);
  const sid = str(task.context.sourceId);
  const old = coll(ctx.state, 'sources')[sid] as unknown as SourceDoc | undefined;
  const trusted = e.trust >= opts.minTrust && e.relevance >= opts.minRelevance;
  const evaluation: Evaluation = { trust: e.trust, relevance: e.relevance, trusted, reasoning: e.reasoning, textHash: str(task.context.textHash), at: ctx.now.toISOString() };
  const doc: SourceDoc = {
    id: sid,
    url: str(task.data.url),
    addedBy: old?.addedBy ?? (task.data.addedBy === 'model' ? 'model' : 'person'),
    questionId: old?.questionId ?? null,
    evaluation,
  };
  return { result: { trusted, trust: e.trust, relevance: e.relevance }, events: [put('sources', sid, doc)] };
}

function applyFindings(task: Readonly<Task>, found: ParsedFinding[], ctx: ModuleContext): Applied {
  const at = ctx.now.toISOString();
  const sid = str(task.context.sourceId);
  const textHash = str(task.context.textHash);
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
    const doc: FindingDoc = { id, sourceId: sid, url: str(task.data.url), claim: f.claim, quote: f.quote, verified: check.verified, reason: check.verified ? null : check.reason, textHash, createdAt: at };
    events.push(put('findings', id, doc));
  }
  events.push(put('extractions', `${sid}-${textHash}`, { sourceId: sid, textHash, findingIds: ids, verified, unverified: ids.length - verified, at }));
  return { result: { findings: ids.length, verified, unverified: ids.length - verified }, events };
}

function applySeeds(task: Readonly<Task>, seeds: ParsedSeed[], ctx: ModuleContext): Applied {
  const opts = researcherOptions(ctx.options);
  const at = ctx.now.toISOString();
  const findings = coll(ctx.state, 'findings');
  const offered = new Set(Array.isArray(task.data.findingIds) ? task.data.findingIds.map(String) : []);
  const events: FanoEvent[] = [];
  const seedIds: string[] = [];
  const rejected: Array<{ text: string; reason: string }> = [];
  for (const s of seeds) {
    // Only verified findings back a seed: an unverified (or invented) id never does.
    const cited = [...new Set(s.findings)].filter((id) => offered.has(id) && (findings[id] as unknown as FindingDoc | undefined)?.verified === true).sort();
    if (cited.length === 0) {
      rejected.push({ text: s.text, reason: 'cites no verified finding' });
      continue;
    }
    const id = `r-${sha256Hex(s.text.toLowerCase()).slice(0, 10)}`;
    if (seedIds.includes(id) || coll(ctx.state, 'proposedSeeds')[id] !== undefined) continue;
    seedIds.push(id);
    const urls = [...new Set(cited.map((f) => (findings[f] as unknown as FindingDoc).url))].sort();
    const doc: ProposedSeedDoc = { id, text: s.text, type: s.type, priority: s.priority, findingIds: cited, urls, status: opts.autoApprove ? 'active' : 'proposed', written: false, createdAt: at };
    events.push(put('proposedSeeds', id, doc));
  }
  const id = str(task.context.findings);
  events.push(put('syntheses', id, { id, findingIds: [...offered].sort(), seedIds, rejected, at }));
  return { result: { seeds: seedIds.length, rejected: rejected.length }, events };
}

export const researcherModule: Module = {
  name: RESEARCHER,

  discoveryInputs: () => [SOURCES_PATH, CACHE_DIR],

  nextDiscoveryAt(ctx: ModuleContext): Date | null {
    const opts = researcherOptions(ctx.options);
    const last = docs<{ createdAt: string }>(ctx.state, 'questions').reduce((a, q) => (q.createdAt > a ? q.createdAt : a), '');
    return last === '' ? null : new Date(Date.parse(last) + opts.questionsEveryHours * HOUR_MS);
  },

  discover(ctx: ModuleContext): TaskSpec[] {
    const opts = researcherOptions(ctx.options);
    const { state, home, now } = ctx;
    const out: TaskSpec[] = [];
    const active = Object.values(state.tasks).filter((t) => t.module === RESEARCHER && ACTIVE_STATES.has(t.state));
    const activeTypes = new Set(active.map((t) => t.type));
    const sources = coll(state, 'sources');
    const extractions = coll(state, 'extractions');

    for (const s of knownSources(home, state)) {
      const sourceId = sourceIdFor(s.url);
      const cache = readCacheEntry(home, sourceId);
      if (!cache?.ok || cache.textHash === null) continue;
      const doc = sources[sourceId] as unknown as SourceDoc | undefined;
      const ev = doc?.evaluation ?? null;
      const context = { sourceId, textHash: cache.textHash };
      if (ev === null || ev.textHash !== cache.textHash) out.push(spec('evaluate_source', context, { url: s.url, addedBy: s.addedBy }));
      else if (ev.trusted && extractions[`${sourceId}-${cache.textHash}`] === undefined) out.push(spec('extract_content', context, { url: s.url }));
    }

    // Verified findings no synthesis has used yet; one synthesis at a time, so a finding is
    // never offered to two.
    const used = new Set(docs<{ findingIds: string[] }>(state, 'syntheses').flatMap((d) => d.findingIds));
    const fresh = docs<FindingDoc>(state, 'findings')
      .filter((f) => f.verified && !used.has(f.id))
      .map((f) => f.id)
      .sort();
    if (fresh.length > 0 && !activeTypes.has('synthesize_findings')) {
      out.push(spec('synthesize_findings', { findings: sha256Hex(...fresh).slice(0, 16) }, { findingIds: fresh }));
    }

    // Questions from what the Explorer found lately, at most every questionsEveryHours.
    const insights = Object.values(state.modules.explorer?.insights ?? {}) as unknown as Array<{ id: string; text: string; createdAt: string }>;
    const latest = insights.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id)).slice(0, 5);
    if (latest.length > 0 && !activeTypes.has('generate_questions')) {
      const basis = sha256Hex(...latest.map((i) => i.id)).slice(0, 16);
      const asked = docs<{ basis: string; createdAt: string }>(state, 'questions');
      const last = asked.reduce((a, q) => (q.createdAt > a ? q.createdAt : a), '');
      const due = last === '' || now.getTime() - Date.parse(last) >= opts.questionsEveryHours * HOUR_MS;
      if (due && !asked.some((q) => q.basis === basis)) out.push(spec('generate_questions', { basis }, { insights: latest.map((i) => i.text) }));
    }
    return out;
  },

  prepare(task: Readonly<Task>, ctx: ModuleContext): StepRequest {
    const format = FORMAT_OF[task.type];
    // The repair prompt needs neither the source text nor the findings: the raw answer carries the
    // content, and quotes are still checked against the fetched text when the answer is applied.
    if (format !== undefined && task.data.phase === 'repair') {
      return { prompt: repairPrompt(REPAIR_TEMPLATE, str(task.data.raw), str(task.data.error), researchFormatBlock(format)), deep: false };
    }
    const opts = researcherOptions(ctx.options);
    const topicLines = topics(ctx.home).map((t) => `- ${t}`);
    const research = ['RESEARCH TOPICS:', ...(topicLines.length > 0 ? topicLines : ['- (none yet)'])].join('\n');
    switch (task.type) {
      case 'generate_questions': {
        const insights = Array.isArray(task.data.insights) ? task.data.insights.map(String) : [];
        return {
          prompt: [
            'You support a mathematical research project. From the recent findings below, ask questions that published sources (papers, lecture notes, encyclopedias) could answer, and name pages likely to answer them.',
            research,
            'RECENT INSIGHTS:',
            ...insights.map((t) => `- ${t}`),
            '',
            researchFormatBlock('questions'),
          ].join('\n'),
          deep: false,
        };
      }
      case 'evaluate_source':
        return {
          prompt: [
            'Judge this source for the research topics below: how far can it be trusted (authorship, rigour, references) and how relevant is it?',
            research,
            sourceBlock(str(task.data.url), sourceText(ctx, task), opts.maxSourceChars),
            '',
            researchFormatBlock('evaluate'),
          ].join('\n'),
          deep: false,
        };
      case 'extract_content':
        return {
          prompt: [
            'Extract the findings of this source that matter for the research topics below. Each finding needs a verbatim quote from the source text.',
            research,
            sourceBlock(str(task.data.url), sourceText(ctx, task), opts.maxSourceChars),
            '',
            researchFormatBlock('extract'),
          ].join('\n'),
          deep: false,
        };
      case 'synthesize_findings': {
        const findings = coll(ctx.state, 'findings');
        const ids = Array.isArray(task.data.findingIds) ? task.data.findingIds.map(String) : [];
        const lines = ids
          .map((id) => findings[id] as unknown as FindingDoc | undefined)
          .filter((f): f is FindingDoc => f !== undefined)
          .map((f) => `FINDING ${f.id}: ${f.claim} | QUOTE: "${f.quote}" | SOURCE: ${f.url}`);
        return {
          prompt: [
            'Combine these verified findings from outside sources into new seeds (questions or conjectures) for the exploration of the research topics.',
            research,
            ...lines,
            '',
            researchFormatBlock('synthesize'),
          ].join('\n'),
          deep: false,
        };
      }
      default:
        throw new Error(`unknown researcher task type ${task.type}`);
    }
  },

  onAnswer(task: Readonly<Task>, answer: string, ctx: ModuleContext): StepOutcome {
    // A first unparseable answer gets one repair prompt; one still wrong after it fails the step
    // with both raw answers kept. A parsed answer (first or repaired) is applied the same way.
    const keep: RawAnswerKeep = { module: RESEARCHER, unit: task.key, at: ctx.now.toISOString(), maxRawChars: RAW_MAX_CHARS };
    const done = ({ result, events }: Applied): StepOutcome => ({ done: true, data: clearRepair(task.data), result, events });
    switch (task.type) {
      case 'generate_questions':
        return strictStep(task, answer, parseQuestions(answer), keep, (v) => done(applyQuestions(task, v, ctx)));
      case 'evaluate_source':
        return strictStep(task, answer, parseEvaluation(answer), keep, (v) => done(applyEvaluation(task, v, ctx)));
      case 'extract_content':
        return strictStep(task, answer, parseFindings(answer), keep, (v) => done(applyFindings(task, v, ctx)));
      case 'synthesize_findings':
        return strictStep(task, answer, parseSeeds(answer), keep, (v) => done(applySeeds(task, v, ctx)));
      default:
        throw new Error(`unknown researcher task type ${task.type}`);
    }
  },

  handleFailure(): FanoEvent[] {
    // Nothing half-done to clean up: every researcher task writes its results in one record.
    return [];
  },
};

/** Proposed seeds the tick still has to append to seeds.yaml (oldest first). */
export function seedsToWrite(state: Readonly<FanoState>): ProposedSeedDoc[] {
  return docs<ProposedSeedDoc>(state, 'proposedSeeds')
    .filter((s) => !s.written)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

export function markWritten(seed: ProposedSeedDoc): FanoEvent {
  return put('proposedSeeds', seed.id, { ...seed, written: true });
}
