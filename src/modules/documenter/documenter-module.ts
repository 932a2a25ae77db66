import { readFileSync } from 'node:fs';
import type { Problem } from '../../core/problems.js';
import { join } from 'node:path';
import type { FanoEvent } from '../../core/events.js';
import { ACTIVE_STATES, type FanoState, type Json, type JsonObject, type Task } from '../../core/types.js';
import { PATCHES_COLLECTION, shortHash } from '../../core/document-patch.js';
import { PREAMBLE_ID } from '../../core/document-sections.js';
import { blessedInsights } from '../explorer/index.js';
import { documentedInsightIds } from './queries.js';
import type { ParseResult } from '../shared/answer-format.js';
import type { Module, ModuleContext, StepOutcome, StepRequest, TaskSpec } from '../module.js';
import { commentHash, inMarker, keepSpans, neutralize, parseDocument, renderMarker, renderPreamble, renderSection, restoreSpans, sectionIdFor, STARTER_DOCUMENT, type SectionMeta } from './document.js';
import { parseCommentAnswer, parseDraft, parseIncorporate, parseReviewAnswer } from './formats.js';
import { commentPrompt, draftPrompt, incorporatePrompt, reviewPrompt, type SectionView } from './prompts.js';
import { documentProblems, guidanceProblems } from './problems.js';
import { PROVENANCE_COLLECTION, PROVENANCE_DOC, PROVENANCE_EXT, renderProvenance, sectionProvenance } from './provenance.js';
import { asDoc, documenterOptions, DOCUMENT_PATH, GUIDANCE_PATH, HISTORY_DIR, MODULE, toJson, type DisputeDoc, type DocTaskType, type PatchDoc, type PlanDoc } from './types.js';
import { HOUR_MS, MINUTE_MS } from '../../core/time.js';

/**
 * The Documenter: blessed insights → a living markdown document the person edits too.
 *
 * The module never writes the document. `prepare` reads it as it is now and records the section
 * text(s) the prompt was built from in the task (StepRequest.data, logged with the claim);
 * `onAnswer` turns the answer into a *patch* of one section based on exactly that text, logged as
 * a pending `patches` doc in the same record as the task's completion; the tick then has the store
 * apply it compare-and-swap (store/document-file.ts). A person's edit made meanwhile makes the
 * patch a 'conflict', and discovery offers the same unit of work again (`rebase` + 1) on the new
 * text. Everything is keyed by a stable unit, so a unit is never worked on twice at once.
 */

type Coll = Readonly<Record<string, Json>>;
const coll = (state: Readonly<FanoState>, name: string): Coll => state.modules[MODULE]?.[name] ?? {};
const put = (collection: string, id: string, doc: unknown): FanoEvent => ({ type: 'module.put', module: MODULE, collection, id, doc: toJson(doc) });
const str = (v: Json | undefined): string => (typeof v === 'string' ? v : String(v ?? ''));
const num = (v: Json | undefined): number => (typeof v === 'number' ? v : Number(v ?? 0));

function readText(home: string, rel: string): string | null {
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

function problemsOf(ctx: Pick<ModuleContext, 'home' | 'state'>): Problem[] {
  return [...documentProblems(readBytes(ctx.home, DOCUMENT_PATH), ctx.state), ...guidanceProblems(readBytes(ctx.home, GUIDANCE_PATH))];
}

const patchesOf = (state: Readonly<FanoState>): PatchDoc[] => Object.values(coll(state, PATCHES_COLLECTION)) as unknown as PatchDoc[];

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

function spec(type: DocTaskType, context: JsonObject, extra: Partial<TaskSpec> = {}): TaskSpec {
  return { module: MODULE, type, context, ...extra };
}

/** strictStep as in the Explorer: one repair prompt, then the step fails with the raw answers kept in the task. */
function strict<T>(task: Readonly<Task>, answer: string, parsed: ParseResult<T>, ok: (v: T) => StepOutcome): StepOutcome {
  if (parsed.ok) return ok(parsed.value);
  if (task.data.phase !== 'repair') return { done: false, data: { ...task.data, phase: 'repair', raw: answer, error: parsed.error }, events: [] };
  return { done: false, data: { ...task.data, phase: 'ask', raw: null, error: null }, events: [], fail: `not in the expected format after a repair prompt: ${parsed.error}` };
}

const repairOf = (task: Readonly<Task>) => (task.data.phase === 'repair' ? { raw: str(task.data.raw), error: str(task.data.error) } : undefined);
const baseMap = (task: Readonly<Task>): Record<string, string> => (task.data.base && typeof task.data.base === 'object' && !Array.isArray(task.data.base) ? (task.data.base as Record<string, string>) : {});

export const documenterModule: Module = {
  name: MODULE,

  /** The sidecar with each section's provenance (the short SECTION markers do not carry it). */
  projections: [{ module: MODULE, collection: PROVENANCE_COLLECTION, dir: 'state/documenter', ext: PROVENANCE_EXT, render: (_id, _doc, state) => renderProvenance(state) }],

  /** The document's edits create work (comments); guidance is watched for its problems. */
  discoveryInputs: () => [DOCUMENT_PATH, GUIDANCE_PATH],

  problems: (ctx: ModuleContext): Problem[] => problemsOf(ctx),

  nextDiscoveryAt(ctx: ModuleContext): Date | null {
    const opts = documenterOptions(ctx.options);
    let best: number | null = null;
    for (const raw of Object.values(coll(ctx.state, 'disputes'))) {
      const d = raw as unknown as DisputeDoc;
      if (d.count >= opts.maxDisputes) continue;
      const t = Date.parse(d.lastAt) + opts.disputeRetryMinutes * MINUTE_MS;
      if (t > ctx.now.getTime() && (best === null || t < best)) best = t;
    }
    return best === null ? null : new Date(best);
  },

  discover(ctx: ModuleContext): TaskSpec[] {
    // A document or guidance with a problem is left alone until a person fixes it (status lists it).
    if (problemsOf(ctx).length > 0) return [];
    const opts = documenterOptions(ctx.options);
    const { state, now } = ctx;
    const docText = readText(ctx.home, DOCUMENT_PATH);
    const doc = parseDocument(docText ?? '');
    const patches = patchesOf(state);
    const conflicts = new Map<string, number>();
    const documented = documentedInsightIds(state, docText);
    const doneUnits = new Set<string>();
    const pendingSections = new Set<string>();
    let reviews = 0;
    for (const p of patches) {
      if (p.status === 'conflict') conflicts.set(p.unit, (conflicts.get(p.unit) ?? 0) + 1);
      if (p.status === 'pending' || p.status === 'applied') {
        doneUnits.add(p.unit);
        if (p.taskType === 'review_section') reviews++;
      }
      if (p.status === 'pending') pendingSections.add(p.sectionId);
    }
    const busyUnits = new Set<string>();
    const busySections = new Set<string>(pendingSections);
    let activeReview = false;
    for (const t of Object.values(state.tasks)) {
      if (t.module !== MODULE || !ACTIVE_STATES.has(t.state)) continue;
      busyUnits.add(str(t.context.unit));
      if (typeof t.context.sectionId === 'string') busySections.add(t.context.sectionId);
      if (t.type === 'review_section') activeReview = true;
    }
    const out: TaskSpec[] = [];
    const want = (type: DocTaskType, unit: string, context: JsonObject, extra: Partial<TaskSpec> = {}) => {
      const rebase = conflicts.get(unit) ?? 0;
      if (busyUnits.has(unit) || rebase > opts.maxRebases) return;
      busyUnits.add(unit);
      out.push(spec(type, { unit, ...context, rebase }, { deep: opts.deep, ...extra, data: { phase: 'ask', ...(extra.data ?? {}) } }));
    };

    // Human comments first (they also carry the highest priority: 70 + commentBoost).
    const disputes = coll(state, 'disputes');
    for (const c of doc.comments) {
      if (c.kind !== 'comment' || c.protected) continue;
      const hash = commentHash(c.sectionId, c.text);
      const unit = `comment:${c.sectionId}:${hash}`;
      const d = asDoc<DisputeDoc>(disputes[unit]);
      const count = Math.max(d?.count ?? 0, c.attempts);
      if (count >= opts.maxDisputes) continue;
      if (d && count > 0 && now.getTime() < Date.parse(d.lastAt) + opts.disputeRetryMinutes * MINUTE_MS) continue;
      if (busySections.has(c.sectionId)) continue;
      busySections.add(c.sectionId);
      want('address_comment', unit, { sectionId: c.sectionId, commentHash: hash, round: count }, { data: { text: c.text } });
    }

    for (const ins of blessedInsights(state, opts.explorer)) {
      if (documented.has(ins.id)) continue;
      want('incorporate_insight', `insight:${ins.id}`, { insightId: ins.id });
    }

    const sectionIds = new Set(doc.sections.map((s) => s.meta.id));
    for (const raw of Object.values(coll(state, 'plan'))) {
      const p = raw as unknown as PlanDoc;
      const unit = `draft:${p.id}`;
      if (sectionIds.has(p.id) || doneUnits.has(unit)) continue;
      want('draft_section', unit, { planId: p.id });
    }

    // Reviews: oldest-reviewed first, only while they are under their share of the changes made.
    if (!activeReview && reviews < opts.reviewShare * patches.length) {
      // When a section was last changed and reviewed: fano's record, or an older long marker's fields.
      const prov = sectionProvenance(state);
      const latest = (...t: Array<string | null | undefined>): string | null => t.reduce<string | null>((a, x) => (x && (a === null || x > a) ? x : a), null);
      const dates = (id: string, m: SectionMeta) => ({ reviewed: latest(m.reviewed, prov.get(id)?.reviewed), changed: latest(m.reviewed, m.updated, prov.get(id)?.updated) });
      const due = doc.sections
        .filter((s) => !busySections.has(s.meta.id))
        // A section fano just wrote or reviewed is not due yet; one a person wrote (no dates) is.
        .filter((s) => {
          const last = dates(s.meta.id, s.meta).changed;
          return last === null || Date.parse(last) + opts.reviewIntervalHours * HOUR_MS <= now.getTime();
        })
        .sort((a, b) => (dates(a.meta.id, a.meta).reviewed ?? '').localeCompare(dates(b.meta.id, b.meta).reviewed ?? '') || a.line - b.line);
      const s = due[0];
      if (s) want('review_section', `review:${s.meta.id}:${dates(s.meta.id, s.meta).reviewed ?? 'never'}`, { sectionId: s.meta.id });
    }
    return out;
  },

  prepare(task: Readonly<Task>, ctx: ModuleContext): StepRequest {
    const problem = problemsOf(ctx)[0];
    if (problem) throw new Error(`${problem.file}${problem.line !== null ? `:${problem.line}` : ''} has a problem to fix first (${problem.message}); nothing of it is sent`);
    const opts = documenterOptions(ctx.options);
    const guidance = readText(ctx.home, GUIDANCE_PATH) ?? '';
    const docText = readText(ctx.home, DOCUMENT_PATH);
    const doc = parseDocument(docText ?? '');
    const repair = repairOf(task);
    const c = task.context;
    const deep = task.deep;
    const find = (id: string) => doc.sections.find((s) => s.meta.id === id);

    if (task.type === 'incorporate_insight') {
      const ins = blessedInsights(ctx.state, opts.explorer).find((i) => i.id === str(c.insightId));
      if (!ins) throw new Error(`insight ${str(c.insightId)} is not blessed (any more)`);
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
      const prompt = incorporatePrompt({ guidance, sections: views, omitted: doc.sections.length - views.length, insight: { id: ins.id, text: ins.text, tags: ins.tags }, firstSection: starter, ...(repair ? { repair } : {}) });
      return { prompt, deep, data: { base, insightText: ins.text, ...(starter ? { preamble: STARTER_DOCUMENT } : {}) } };
    }

    if (task.type === 'address_comment') {
      const sectionId = str(c.sectionId);
      const comment = doc.comments.find((m) => m.kind === 'comment' && m.sectionId === sectionId && commentHash(sectionId, m.text) === str(c.commentHash));
      if (!comment) throw new Error(`the comment is no longer in section ${sectionId}`);
      const s = sectionId === PREAMBLE_ID ? null : find(sectionId);
      if (sectionId !== PREAMBLE_ID && !s) throw new Error(`section ${sectionId} is gone`);
      const baseText = s ? s.text : doc.preamble;
      const v = s ? viewOf(s.meta.id, s.heading, s.meta.insights, s.body) : viewOf(PREAMBLE_ID, null, [], doc.preamble);
      const keepIndex = v.kept.spans.indexOf(comment.raw);
      const prompt = commentPrompt({ guidance, section: v, keepIndex, comment: comment.text, attempts: num(c.round), ...(repair ? { repair } : {}) });
      return { prompt, deep, data: { base: { [sectionId]: baseText }, commentRaw: comment.raw } };
    }

    if (task.type === 'review_section') {
      const s = find(str(c.sectionId));
      if (!s) throw new Error(`section ${str(c.sectionId)} is gone`);
      const v = viewOf(s.meta.id, s.heading, s.meta.insights, s.body);
      return { prompt: reviewPrompt({ guidance, section: v, status: s.meta.status, ...(repair ? { repair } : {}) }), deep, data: { base: { [s.meta.id]: s.text } } };
    }

    if (task.type === 'draft_section') {
      const p = asDoc<PlanDoc>(coll(ctx.state, 'plan')[str(c.planId)]);
      if (!p) throw new Error(`plan entry ${str(c.planId)} not found`);
      const outline = doc.sections.map((s) => `${s.meta.id}: ${s.heading ?? '(no heading)'}`);
      // A prerequisite is read first: it goes before the first section that needs it (as the
      // document is ordered now, a person's reordering included).
      const needs = new Set(p.neededBy ?? []);
      const first = doc.sections.find((s) => needs.has(s.meta.id) || s.meta.insights.includes(p.forInsight));
      return { prompt: draftPrompt({ guidance, title: p.title, reason: p.reason, outline, ...(repair ? { repair } : {}) }), deep, data: { base: {}, before: first?.meta.id ?? null } };
    }
    throw new Error(`unknown documenter task type ${task.type}`);
  },

  onAnswer(task: Readonly<Task>, answer: string, ctx: ModuleContext): StepOutcome {
    const opts = documenterOptions(ctx.options);
    const at = ctx.now.toISOString();
    const c = task.context;
    const base = baseMap(task);
    const backend = task.conversation?.backend ?? task.llmPreference ?? 'unknown';
    const mode = task.deep ? 'deep' : 'normal';
    const conv = task.conversation?.url ?? null;
    const stamp = { updated: at, by: `${backend}/${mode}`, conv };
    const doneData: JsonObject = { phase: 'ask', raw: null, error: null, ...(task.data.text !== undefined ? { text: task.data.text } : {}) };
    const taken = new Set<string>([...Object.keys(base), ...patchesOf(ctx.state).filter((p) => p.status !== 'conflict').map((p) => p.sectionId)]);

    let patches = 0;
    const patch = (sectionId: string, baseText: string | null, next: string, summary: string, insightIds: string[] = [], place: { after?: string | null; before?: string | null } = {}): FanoEvent => {
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
        unit: str(c.unit),
        taskType: task.type as DocTaskType,
        task: task.key,
        summary: neutralize(summary).replace(/\s+/g, ' ').slice(0, 300),
        insightIds,
        backend,
        mode,
        conversation: conv,
        at,
      };
      // Ids sort by creation, also between the patches of one step (applied in that order).
      const n = patches++;
      return put(PATCHES_COLLECTION, `p-${at.replace(/[-:.]/g, '')}-${shortHash(task.key)}${n === 0 ? '' : `-${n}`}`, doc);
    };
    // The provenance sidecar is rendered from one (empty) document, created with the first change.
    const sidecar = coll(ctx.state, PROVENANCE_COLLECTION)[PROVENANCE_DOC] === undefined ? [put(PROVENANCE_COLLECTION, PROVENANCE_DOC, { id: PROVENANCE_DOC })] : [];
    const finish = (events: FanoEvent[], result: Json): StepOutcome => ({ done: true, data: doneData, result, events: [...events, ...sidecar] });
    const newSection = (title: string, text: string, insights: string[], preferredId?: string): { id: string; text: string } => {
      const id = preferredId && !taken.has(preferredId) ? preferredId : sectionIdFor(title, taken);
      const heading = `## ${neutralize(title).replace(/\s+/g, ' ').trim()}`;
      return { id, text: renderSection({ id, status: 'provisional', insights, reviewed: null, ...stamp }, heading, restoreSpans(text, { prose: '', spans: [] })) };
    };

    if (task.type === 'incorporate_insight') {
      return strict(task, answer, parseIncorporate(answer), (a) => {
        const insightId = str(c.insightId);
        const events: FanoEvent[] = [];
        const target = a.placement === 'existing' && a.sectionId ? a.sectionId : null;
        let placed: string;
        if (target !== null && base[target] !== undefined) {
          placed = target;
          const b = baseSection(base[target], target);
          const meta = b.meta!;
          const body = restoreSpans(a.text, keepSpans(b.body));
          const insights = meta.insights.includes(insightId) ? meta.insights : [...meta.insights, insightId];
          events.push(patch(target, base[target], renderSection({ ...meta, ...stamp, insights, status: 'provisional' }, b.heading, body), a.summary, [insightId]));
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
        const plans = coll(ctx.state, 'plan');
        for (const p of a.prerequisites ?? []) {
          const id = sectionIdFor(p.title, new Set());
          if (taken.has(id)) continue;
          const known = asDoc<PlanDoc>(plans[id]);
          // A prerequisite several sections need goes before the first of them: each is recorded.
          if (known) {
            if (!(known.neededBy ?? []).includes(placed)) events.push(put('plan', id, { ...known, neededBy: [...(known.neededBy ?? []), placed] } satisfies PlanDoc));
            continue;
          }
          events.push(put('plan', id, { id, title: p.title, reason: p.reason, forInsight: insightId, neededBy: [placed], at } satisfies PlanDoc));
        }
        return finish(events, { insightId, placement: target !== null && base[target] !== undefined ? 'existing' : 'new' });
      });
    }

    if (task.type === 'address_comment') {
      return strict(task, answer, parseCommentAnswer(answer), (a) => {
        const sectionId = str(c.sectionId);
        const baseText = base[sectionId];
        if (baseText === undefined) throw new Error(`no base text for section ${sectionId}`);
        const raw = str(task.data.commentRaw);
        const comment = str(task.data.text);
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
        const count = num(c.round) + 1;
        const marker =
          count >= opts.maxDisputes
            ? `<!-- NEEDS_HUMAN_REVIEW: ${inMarker(comment)} — fano disputed it ${count} time(s), last at ${at}: ${inMarker(neutralize(a.record))} -->`
            : `<!-- COMMENT [attempted ${count} ${at}]: ${inMarker(comment)} -->`;
        const at0 = baseText.indexOf(raw);
        const next = at0 < 0 ? baseText : baseText.slice(0, at0) + marker + baseText.slice(at0 + raw.length);
        const unit = str(c.unit);
        const dispute: DisputeDoc = { unit, sectionId, text: comment, count, lastAt: at, reason: neutralize(a.record) };
        return finish([put('disputes', unit, dispute), patch(sectionId, baseText, next, `comment disputed (${count}): ${a.record}`)], { sectionId, action: 'dispute', count });
      });
    }

    if (task.type === 'review_section') {
      return strict(task, answer, parseReviewAnswer(answer), (a) => {
        const sectionId = str(c.sectionId);
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
    }

    if (task.type === 'draft_section') {
      return strict(task, answer, parseDraft(answer), (a) => {
        const planId = str(c.planId);
        const s = newSection(a.title, a.text, [], planId);
        const before = typeof task.data.before === 'string' ? task.data.before : null;
        return finish([patch(s.id, null, s.text, `drafted: ${a.summary}`, [], { before })], { planId, sectionId: s.id, before });
      });
    }
    throw new Error(`unknown documenter task type ${task.type}`);
  },

  handleFailure(): FanoEvent[] {
    // Nothing to undo: a failed unit has no pending patch, and discovery never re-offers a key.
    return [];
  },
};
