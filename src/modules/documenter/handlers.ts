import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shortHash } from '../../core/document-patch.js';
import { PREAMBLE_ID } from '../../core/document-sections.js';
import type { FanoEvent } from '../../core/events.js';
import type { Problem } from '../../core/problems.js';
import type { Json, JsonObject } from '../../core/types.js';
import { sameStamp, stampOf, type Stamp } from '../../core/versions.js';
import { blessedInsights } from '../explorer/index.js';
import type { ModuleContext, StepOutcome, StepRequest } from '../module.js';
import type { ParseResult } from '../shared/answer-format.js';
import { collection, docList, docOf, docsById, putDoc } from '../shared/collections.js';
import { noCleanup, type HandlerTable, type TaskHandler, type TaskOf } from '../shared/task-handlers.js';
import {
  commentHash,
  inMarker,
  keepSpans,
  neutralize,
  parseDocument,
  renderMarker,
  renderPreamble,
  renderSection,
  restoreSpans,
  sectionIdFor,
  STARTER_DOCUMENT,
  type SectionMeta,
} from './document.js';
import { parseCommentAnswer, parseDraft, parseIncorporate, parseReviewAnswer } from './formats.js';
import { commentPrompt, draftPrompt, incorporatePrompt, reviewPrompt, type SectionView } from './prompts.js';
import { documentProblems, guidanceProblems } from './problems.js';
import { PROVENANCE_COLLECTION, PROVENANCE_DOC } from './provenance.js';
import {
  DISPUTES,
  documenterOptions,
  DOCUMENT_PATH,
  GUIDANCE_PATH,
  HISTORY_DIR,
  MODULE,
  PATCHES,
  PLANS,
  type DocumenterTasks,
  type PatchDoc,
} from './types.js';

/**
 * What each Documenter task type does, one entry per type (documenter-module.ts discovers them).
 * `prepare` reads the document as it is now and records the section text(s) the prompt was built
 * from in the task (`base`); `onAnswer` turns the answer into pending patches based on exactly
 * those texts, which the store applies compare-and-swap.
 */

type DTask<K extends keyof DocumenterTasks> = TaskOf<DocumenterTasks[K]['context'], DocumenterTasks[K]['data']>;
type Entry<K extends keyof DocumenterTasks> = TaskHandler<DocumenterTasks[K]['context'], DocumenterTasks[K]['data']>;
type AnyTask = DTask<keyof DocumenterTasks>;

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

export function problemsOf(ctx: Pick<ModuleContext, 'home' | 'state'>): Problem[] {
  const doc = readBytes(ctx.home, DOCUMENT_PATH);
  const guidance = readBytes(ctx.home, GUIDANCE_PATH);
  const patches = stampOf([docsById(ctx.state, PATCHES)]);
  const last = lastCheck;
  if (last && patches !== null && sameStamp(last.patches, patches) && sameBytes(last.doc, doc) && sameBytes(last.guidance, guidance)) return [...last.problems];
  const problems = [...documentProblems(doc, ctx.state), ...guidanceProblems(guidance)];
  lastCheck = patches === null ? null : { doc, guidance, patches, problems: [...problems] };
  return problems;
}

function viewOf(id: string, heading: string | null, insights: string[], body: string): SectionView & { kept: ReturnType<typeof keepSpans> } {
  const kept = keepSpans(body);
  return { id, heading, insights, prose: kept.prose, kept };
}

/** A section as it was when the prompt was built (task.data.base), re-parsed. */
function baseSection(base: string, sectionId: string): { meta: SectionMeta | null; heading: string | null; body: string } {
  if (sectionId === PREAMBLE_ID) return { meta: null, heading: null, body: base };
  const s = parseDocument(base).sections[0];
  if (!s) throw new Error(`section ${sectionId} could not be re-read`);
  return { meta: s.meta, heading: s.heading, body: s.body };
}

/** strictStep as in the Explorer: one repair prompt, then the step fails with the raw answers kept in the task. */
function strict<T>(task: AnyTask, answer: string, parsed: ParseResult<T>, ok: (v: T) => StepOutcome): StepOutcome {
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
function reading(task: AnyTask, ctx: ModuleContext) {
  const problem = problemsOf(ctx)[0];
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
  };
}

/**
 * What every answer writes with: pending patches of sections (ids sort by creation, also within
 * one step), new sections with ids not yet taken, and the step's end (with the provenance
 * sidecar's document when this is the first change).
 */
function writing(type: keyof DocumenterTasks, task: AnyTask, ctx: ModuleContext, keep: JsonObject = {}) {
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
  return { at, base, stamp, taken, patch, finish, newSection };
}

const incorporateInsight: Entry<'incorporate_insight'> = {
  prepare(task, ctx): StepRequest {
    const { opts, guidance, docText, doc, repair } = reading(task, ctx);
    const ins = blessedInsights(ctx.state, opts.explorer).find((i) => i.id === task.context.insightId);
    if (!ins) throw new Error(`insight ${task.context.insightId} is not blessed (any more)`);
    // The whole document within the budget, newest sections dropped last.
    const views: SectionView[] = [];
    const base: Record<string, string> = {};
    let used = 0;
    for (const s of doc.sections) {
      const v = viewOf(s.meta.id, s.heading, s.meta.insights, s.body);
      used += v.prose.length;
      if (used > opts.contextBudgetChars && views.length > 0) break;
      views.push({ id: v.id, heading: v.heading, insights: v.insights, prose: v.prose });
      base[s.meta.id] = s.text;
    }
    // The first section: the starter preamble (untouched by the person) gives way to a title and abstract.
    const starter = doc.sections.length === 0 && doc.malformed.length === 0 && (docText === null || doc.preamble === STARTER_DOCUMENT);
    const prompt = incorporatePrompt({
      guidance,
      sections: views,
      omitted: doc.sections.length - views.length,
      insight: { id: ins.id, text: ins.text, tags: ins.tags, ...(ins.kind ? { kind: ins.kind } : {}), ...(ins.argument ? { argument: ins.argument } : {}) },
      firstSection: starter,
      ...(repair ? { repair } : {}),
    });
    return { prompt, deep: task.deep, data: { base, insightText: ins.text, ...(starter ? { preamble: STARTER_DOCUMENT } : {}) } };
  },

  onAnswer(task, answer, ctx) {
    const { at, base, stamp, taken, patch, finish, newSection } = writing('incorporate_insight', task, ctx);
    return strict(task, answer, parseIncorporate(answer), (a) => {
      const insightId = task.context.insightId;
      if (a.placement === 'covered') {
        // Already in the document: the insight is linked to that section (its marker cites it),
        // and not one word of the text changes.
        const sid = a.sectionId ?? '';
        const coveredBase = base[sid];
        if (coveredBase === undefined || sid === PREAMBLE_ID)
          throw new Error(`the answer says section "${sid}" covers ${insightId}, but that section was not in the prompt`);
        const meta = baseSection(coveredBase, sid).meta!;
        const insights = meta.insights.includes(insightId) ? meta.insights : [...meta.insights, insightId];
        const next = `${renderMarker({ ...meta, insights })}\n${coveredBase.slice(coveredBase.indexOf('\n') + 1)}`;
        return finish([patch(sid, coveredBase, next, `linked ${insightId}, already covered: ${a.summary}`, [insightId])], {
          insightId,
          placement: 'covered',
          sectionId: sid,
        });
      }
      const events: FanoEvent[] = [];
      const target = a.placement === 'existing' && a.sectionId ? a.sectionId : null;
      const targetBase = target !== null ? base[target] : undefined;
      let placed: string;
      if (target !== null && targetBase !== undefined) {
        placed = target;
        const b = baseSection(targetBase, target);
        const meta = b.meta!;
        const body = restoreSpans(a.text, keepSpans(b.body));
        const insights = meta.insights.includes(insightId) ? meta.insights : [...meta.insights, insightId];
        events.push(patch(target, targetBase, renderSection({ ...meta, ...stamp, insights, status: 'provisional' }, b.heading, body), a.summary, [insightId]));
      } else {
        const s = newSection(a.title ?? target ?? 'Untitled', a.text, [insightId]);
        placed = s.id;
        taken.add(s.id);
        events.push(patch(s.id, null, s.text, a.summary, [insightId]));
      }
      if (typeof task.data.preamble === 'string' && placed !== target) {
        const title = a.documentTitle ?? a.title ?? 'Research notes';
        const abstract = a.abstract ?? `Notes written by fano from reviewed insights, and by you; it begins with ${a.title ?? 'its first section'}.`;
        events.push(patch(PREAMBLE_ID, task.data.preamble, renderPreamble(title, abstract), 'title and abstract in place of the starter text'));
      }
      const plans = docsById(ctx.state, PLANS);
      for (const p of a.prerequisites ?? []) {
        const id = sectionIdFor(p.title, new Set());
        if (taken.has(id)) continue;
        const known = plans[id];
        // A prerequisite several sections need goes before the first of them: each is recorded.
        if (known) {
          if (!(known.neededBy ?? []).includes(placed)) events.push(putDoc(PLANS, id, { ...known, neededBy: [...(known.neededBy ?? []), placed] }));
          continue;
        }
        events.push(putDoc(PLANS, id, { id, title: p.title, reason: p.reason, forInsight: insightId, neededBy: [placed], at }));
      }
      return finish(events, { insightId, placement: target !== null && targetBase !== undefined ? 'existing' : 'new' });
    });
  },

  handleFailure: noCleanup,
};

const addressComment: Entry<'address_comment'> = {
  prepare(task, ctx) {
    const { guidance, doc, repair, find } = reading(task, ctx);
    const { sectionId } = task.context;
    const comment = doc.comments.find((m) => m.kind === 'comment' && m.sectionId === sectionId && commentHash(sectionId, m.text) === task.context.commentHash);
    if (!comment) throw new Error(`the comment is no longer in section ${sectionId}`);
    const s = sectionId === PREAMBLE_ID ? null : find(sectionId);
    if (sectionId !== PREAMBLE_ID && !s) throw new Error(`section ${sectionId} is gone`);
    const baseText = s ? s.text : doc.preamble;
    const v = s ? viewOf(s.meta.id, s.heading, s.meta.insights, s.body) : viewOf(PREAMBLE_ID, null, [], doc.preamble);
    const keepIndex = v.kept.spans.indexOf(comment.raw);
    const prompt = commentPrompt({ guidance, section: v, keepIndex, comment: comment.text, attempts: task.context.round, ...(repair ? { repair } : {}) });
    return { prompt, deep: task.deep, data: { base: { [sectionId]: baseText }, commentRaw: comment.raw } };
  },

  onAnswer(task, answer, ctx) {
    const opts = documenterOptions(ctx.options);
    // The comment's text stays in the task's data, as discovery gave it.
    const { at, base, stamp, patch, finish } = writing('address_comment', task, ctx, { text: task.data.text });
    return strict(task, answer, parseCommentAnswer(answer), (a) => {
      const sectionId = task.context.sectionId;
      const baseText = base[sectionId];
      if (baseText === undefined) throw new Error(`no base text for section ${sectionId}`);
      const raw = task.data.commentRaw ?? '';
      const comment = task.data.text;
      if (a.action === 'revise') {
        const b = baseSection(baseText, sectionId);
        const kept = keepSpans(b.body);
        const idx = kept.spans.indexOf(raw);
        const record = `<!-- RESOLVED ${at}: "${inMarker(comment)}" — ${inMarker(neutralize(a.record))} -->`;
        const body = restoreSpans(a.text ?? '', kept, idx >= 0 ? { [idx]: record } : {});
        const next = b.meta ? renderSection({ ...b.meta, ...stamp }, b.heading, body) : `${body.trim()}\n\n`;
        return finish([patch(sectionId, baseText, next, `comment resolved: ${a.record}`)], { sectionId, action: 'revise' });
      }
      // Disputed: the section stays as it is; only the comment marker changes.
      const count = task.context.round + 1;
      const marker =
        count >= opts.maxDisputes
          ? `<!-- NEEDS_HUMAN_REVIEW: ${inMarker(comment)} — fano disputed it ${count} time(s), last at ${at}: ${inMarker(neutralize(a.record))} -->`
          : `<!-- COMMENT [attempted ${count} ${at}]: ${inMarker(comment)} -->`;
      const at0 = baseText.indexOf(raw);
      const next = at0 < 0 ? baseText : baseText.slice(0, at0) + marker + baseText.slice(at0 + raw.length);
      const unit = task.context.unit;
      return finish(
        [
          putDoc(DISPUTES, unit, { unit, sectionId, text: comment, count, lastAt: at, reason: neutralize(a.record) }),
          patch(sectionId, baseText, next, `comment disputed (${count}): ${a.record}`),
        ],
        { sectionId, action: 'dispute', count },
      );
    });
  },

  handleFailure: noCleanup,
};

const reviewSection: Entry<'review_section'> = {
  prepare(task, ctx) {
    const { guidance, repair, find } = reading(task, ctx);
    const s = find(task.context.sectionId);
    if (!s) throw new Error(`section ${task.context.sectionId} is gone`);
    const v = viewOf(s.meta.id, s.heading, s.meta.insights, s.body);
    return {
      prompt: reviewPrompt({ guidance, section: v, status: s.meta.status, ...(repair ? { repair } : {}) }),
      deep: task.deep,
      data: { base: { [s.meta.id]: s.text } },
    };
  },

  onAnswer(task, answer, ctx) {
    const { at, base, stamp, patch, finish } = writing('review_section', task, ctx);
    return strict(task, answer, parseReviewAnswer(answer), (a) => {
      const sectionId = task.context.sectionId;
      const baseText = base[sectionId];
      if (baseText === undefined) throw new Error(`no base text for section ${sectionId}`);
      const b = baseSection(baseText, sectionId);
      const meta = b.meta!;
      let next: string;
      if (a.action === 'keep') {
        // At most the marker line changes (its status): the person's text stays byte for byte;
        // the review itself is recorded with the patch (provenance.ts), not in the marker.
        const rest = baseText.slice(baseText.indexOf('\n') + 1);
        next = `${renderMarker({ ...meta, status: a.status })}\n${rest}`;
      } else {
        next = renderSection({ ...meta, ...stamp, status: a.status, reviewed: at }, b.heading, restoreSpans(a.text ?? '', keepSpans(b.body)));
      }
      return finish([patch(sectionId, baseText, next, `review (${a.action}, ${a.status}): ${a.summary}`)], { sectionId, action: a.action, status: a.status });
    });
  },

  handleFailure: noCleanup,
};

const draftSection: Entry<'draft_section'> = {
  prepare(task, ctx) {
    const { guidance, doc, repair } = reading(task, ctx);
    const p = docOf(ctx.state, PLANS, task.context.planId);
    if (!p) throw new Error(`plan entry ${task.context.planId} not found`);
    const outline = doc.sections.map((s) => `${s.meta.id}: ${s.heading ?? '(no heading)'}`);
    // A prerequisite is read first: it goes before the first section that needs it (as the
    // document is ordered now, a person's reordering included).
    const needs = new Set(p.neededBy ?? []);
    const first = doc.sections.find((s) => needs.has(s.meta.id) || s.meta.insights.includes(p.forInsight));
    return {
      prompt: draftPrompt({ guidance, title: p.title, reason: p.reason, outline, ...(repair ? { repair } : {}) }),
      deep: task.deep,
      data: { base: {}, before: first?.meta.id ?? null },
    };
  },

  onAnswer(task, answer, ctx) {
    const { patch, finish, newSection } = writing('draft_section', task, ctx);
    return strict(task, answer, parseDraft(answer), (a) => {
      const planId = task.context.planId;
      const s = newSection(a.title, a.text, [], planId);
      const before = typeof task.data.before === 'string' ? task.data.before : null;
      return finish([patch(s.id, null, s.text, `drafted: ${a.summary}`, [], { before })], { planId, sectionId: s.id, before });
    });
  },

  // Nothing to undo: a failed unit has no pending patch, and discovery never re-offers a key.
  handleFailure: noCleanup,
};

/** One entry per task type: adding a task type is adding its entry (and its line in DocumenterTasks). */
export const HANDLERS: HandlerTable<DocumenterTasks> = {
  incorporate_insight: incorporateInsight,
  address_comment: addressComment,
  review_section: reviewSection,
  draft_section: draftSection,
};
