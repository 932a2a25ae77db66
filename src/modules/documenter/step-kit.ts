import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shortHash } from '../../core/document-patch.js';
import { PREAMBLE_ID } from '../../core/document-sections.js';
import type { FanoEvent } from '../../core/events.js';
import type { Problem } from '../../core/problems.js';
import type { FanoState, Json, JsonObject } from '../../core/types.js';
import { sameStamp, stampOf, type Stamp } from '../../core/versions.js';
import type { ModuleContext, StepOutcome } from '../module.js';
import type { ParseResult } from '../shared/answer-format.js';
import { collection, docList, docOf, docsById, putDoc } from '../shared/collections.js';
import type { TaskHandler, TaskOf } from '../shared/task-handlers.js';
import { keepSpans, neutralize, parseDocument, renderSection, restoreSpans, sectionIdFor, STARTER_DOCUMENT, type SectionMeta } from './document.js';
import { TEMPLATES, type SectionView } from './prompts.js';
import { documentProblems, guidanceProblems } from './problems.js';
import { PROVENANCE_COLLECTION, PROVENANCE_DOC } from './provenance.js';
import {
  documenterOptions,
  DOCUMENT_PATH,
  GUIDANCE_PATH,
  HISTORY_DIR,
  MODULE,
  PATCHES,
  PROPOSALS,
  type DocumenterTasks,
  type PatchDoc,
  type ProposalDoc,
} from './types.js';

/**
 * What every Documenter task entry (handlers.ts, checks.ts) works with: reading the document as it
 * is now, strict answers with one repair prompt, and writing pending patches (or, for new text,
 * a proposal the check reads first).
 */

export type DTask<K extends keyof DocumenterTasks> = TaskOf<DocumenterTasks[K]['context'], DocumenterTasks[K]['data']>;
export type Entry<K extends keyof DocumenterTasks> = TaskHandler<DocumenterTasks[K]['context'], DocumenterTasks[K]['data']>;
export type AnyTask = DTask<keyof DocumenterTasks>;

/** The provenance sidecar is rendered from one (empty) document, created with the first change. */
const PROVENANCE = collection<{ id: string }>(MODULE, PROVENANCE_COLLECTION);

export function readText(home: string, rel: string): string | null {
  try {
    return readFileSync(join(home, rel), 'utf8');
  } catch {
    return null;
  }
}

function readBytes(home: string, rel: string): Buffer | null {
  try {
    return readFileSync(join(home, rel));
  } catch {
    return null;
  }
}

/**
 * The last problem check: the same bytes and the same patches give the same problems. Every
 * discovery asks (after each answer of a tick), and checking a document's bytes costs far more
 * than comparing them.
 */
let lastCheck: { doc: Buffer | null; guidance: Buffer | null; patches: Stamp; problems: Problem[] } | null = null;

const sameBytes = (a: Buffer | null, b: Buffer | null) => (a === null || b === null ? a === b : a.equals(b));

/** Problems of the document and the guidance: while there is one, the Documenter leaves them alone. */
export function documentProblemsOf(ctx: Pick<ModuleContext, 'home' | 'state'>): Problem[] {
  const doc = readBytes(ctx.home, DOCUMENT_PATH);
  const guidance = readBytes(ctx.home, GUIDANCE_PATH);
  const patches = stampOf([docsById(ctx.state, PATCHES)]);
  const last = lastCheck;
  if (last && patches !== null && sameStamp(last.patches, patches) && sameBytes(last.doc, doc) && sameBytes(last.guidance, guidance)) return [...last.problems];
  const problems = [...documentProblems(doc, ctx.state), ...guidanceProblems(guidance)];
  lastCheck = patches === null ? null : { doc, guidance, patches, problems: [...problems] };
  return problems;
}

/** Every problem of the Documenter's files; a broken prompt override only gives way to the default. */
export function problemsOf(ctx: Pick<ModuleContext, 'home' | 'state'>): Problem[] {
  return [...documentProblemsOf(ctx), ...TEMPLATES.homeProblems(ctx.home)];
}

export function viewOf(id: string, heading: string | null, insights: string[], body: string): SectionView & { kept: ReturnType<typeof keepSpans> } {
  const kept = keepSpans(body);
  return { id, heading, insights, prose: kept.prose, kept };
}

/** A section as it was when the prompt was built (task.data.base), re-parsed. */
export function baseSection(base: string, sectionId: string): { meta: SectionMeta | null; heading: string | null; body: string } {
  if (sectionId === PREAMBLE_ID) return { meta: null, heading: null, body: base };
  const s = parseDocument(base).sections[0];
  if (!s) throw new Error(`section ${sectionId} could not be re-read`);
  return { meta: s.meta, heading: s.heading, body: s.body };
}

/** strictStep as in the Explorer: one repair prompt, then the step fails with the raw answers kept in the task. */
export function strict<T>(task: AnyTask, answer: string, parsed: ParseResult<T>, ok: (v: T) => StepOutcome): StepOutcome {
  if (parsed.ok) return ok(parsed.value);
  if (task.data.phase !== 'repair') return { done: false, data: { ...task.data, phase: 'repair', raw: answer, error: parsed.error }, events: [] };
  return {
    done: false,
    data: { ...task.data, phase: 'ask', raw: null, error: null },
    events: [],
    fail: `not in the expected format after a repair prompt: ${parsed.error}`,
  };
}

/** What every prompt starts from: the document as it is now, the guidance, the repair state. */
export function reading(task: AnyTask, ctx: ModuleContext) {
  const problem = documentProblemsOf(ctx)[0];
  if (problem)
    throw new Error(`${problem.file}${problem.line !== null ? `:${problem.line}` : ''} has a problem to fix first (${problem.message}); nothing of it is sent`);
  const docText = readText(ctx.home, DOCUMENT_PATH);
  const doc = parseDocument(docText ?? '');
  return {
    opts: documenterOptions(ctx.options),
    guidance: readText(ctx.home, GUIDANCE_PATH) ?? '',
    docText,
    doc,
    repair: task.data.phase === 'repair' ? { raw: task.data.raw ?? '', error: task.data.error ?? '' } : undefined,
    find: (id: string) => doc.sections.find((s) => s.meta.id === id),
    outline: doc.sections.map((s) => `${s.meta.id}: ${s.heading ?? '(no heading)'}`),
  };
}

/**
 * What every answer writes with: pending patches of sections (ids sort by creation, also within
 * one step), new sections with ids not yet taken, and the step's end (with the provenance
 * sidecar's document when this is the first change).
 */
export function writing(type: keyof DocumenterTasks, task: AnyTask, ctx: ModuleContext, keep: JsonObject = {}) {
  const at = ctx.now.toISOString();
  const base = task.data.base ?? {};
  const backend = task.conversation?.backend ?? task.llmPreference ?? 'unknown';
  const mode = task.deep ? 'deep' : 'normal';
  const conv = task.conversation?.url ?? null;
  const stamp = { updated: at, by: `${backend}/${mode}`, conv };
  const taken = new Set<string>([
    ...Object.keys(base),
    ...docList(ctx.state, PATCHES)
      .filter((p) => p.status !== 'conflict')
      .map((p) => p.sectionId),
    ...openProposals(ctx.state).flatMap((p) => p.patches.map((x) => x.doc.sectionId)),
  ]);
  let patches = 0;
  const patch = (
    sectionId: string,
    baseText: string | null,
    next: string,
    summary: string,
    insightIds: string[] = [],
    place: { after?: string | null; before?: string | null } = {},
  ): FanoEvent => {
    const doc: PatchDoc = {
      status: 'pending',
      file: DOCUMENT_PATH,
      sectionId,
      base: baseText,
      next,
      after: place.after ?? null,
      before: place.before ?? null,
      initialText: STARTER_DOCUMENT,
      snapshotDir: HISTORY_DIR,
      nextHash: shortHash(next),
      resolvedAt: null,
      unit: task.context.unit,
      taskType: type,
      task: task.key,
      summary: neutralize(summary).replace(/\s+/g, ' ').slice(0, 300),
      insightIds,
      backend,
      mode,
      conversation: conv,
      at,
    };
    const n = patches++;
    return putDoc(PATCHES, `p-${at.replace(/[-:.]/g, '')}-${shortHash(task.key)}${n === 0 ? '' : `-${n}`}`, doc);
  };
  const sidecar = docOf(ctx.state, PROVENANCE, PROVENANCE_DOC) === undefined ? [putDoc(PROVENANCE, PROVENANCE_DOC, { id: PROVENANCE_DOC })] : [];
  const finish = (events: FanoEvent[], result: Json): StepOutcome => ({
    done: true,
    data: { phase: 'ask', raw: null, error: null, ...keep },
    result,
    events: [...events, ...sidecar],
  });
  const newSection = (title: string, text: string, insights: string[], preferredId?: string): { id: string; text: string } => {
    const id = preferredId && !taken.has(preferredId) ? preferredId : sectionIdFor(title, taken);
    const heading = `## ${neutralize(title).replace(/\s+/g, ' ').trim()}`;
    return {
      id,
      text: renderSection({ id, status: 'provisional', insights, reviewed: null, ...stamp }, heading, restoreSpans(text, { prose: '', spans: [] })),
    };
  };
  /**
   * Like `finish`, for a change that writes new text: its patches are not logged yet but kept in a
   * proposal the check task reads first (checks.ts); the other events (plans) are logged now.
   */
  const propose = (events: FanoEvent[], result: JsonObject): StepOutcome => {
    const patchEvents = events.filter((e): e is PutEvent => e.type === 'module.put' && e.module === MODULE && e.collection === PATCHES.name);
    const main = patchEvents[0];
    if (!main) return finish(events, result);
    const proposal: ProposalDoc = {
      unit: task.context.unit,
      taskType: type,
      task: task.key,
      writer: backend,
      sectionId: (main.doc as PatchDoc).sectionId,
      patches: patchEvents.map((e) => ({ id: e.id, doc: e.doc as PatchDoc })),
      round: 0,
      status: 'checking',
      checks: [],
      decision: null,
      at,
    };
    const others = events.filter((e) => !patchEvents.includes(e as PutEvent));
    return finish([...others, putDoc(PROPOSALS, main.id, proposal)], { ...result, checking: main.id });
  };
  return { at, base, stamp, taken, patch, finish, propose, newSection };
}

type PutEvent = Extract<FanoEvent, { type: 'module.put' }>;

/** Proposals still waiting for a check or a rewrite: their units and sections are busy. */
export function openProposals(state: Readonly<FanoState>): Array<ProposalDoc & { id: string }> {
  return Object.entries(docsById(state, PROPOSALS))
    .filter(([, p]) => p.status === 'checking' || p.status === 'rewriting')
    .map(([id, p]) => ({ ...p, id }));
}
