import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Problem } from '../../core/problems.js';
import { activeTasks } from '../../core/versions.js';
import { blessedInsights } from '../explorer/index.js';
import type { Module, ModuleContext, TaskSpec } from '../module.js';
import { collection, docList, docsById, projection } from '../shared/collections.js';
import { dispatchByType, taskSpec } from '../shared/task-handlers.js';
import { commentHash, parseDocument, type SectionMeta } from './document.js';
import { HANDLERS } from './handlers.js';
import { PROMPT_DIR } from './prompts.js';
import { documentProblemsOf, openProposals, problemsOf, readText } from './step-kit.js';
import { PROVENANCE_COLLECTION, PROVENANCE_EXT, renderProvenance, sectionProvenance } from './provenance.js';
import { documentedInsightIds } from './queries.js';
import { DISPUTES, documenterOptions, DOCUMENT_PATH, GUIDANCE_PATH, MODULE, PATCHES, PLANS, PROPOSALS, type DocumenterTasks } from './types.js';
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

export const documenterModule: Module = {
  name: MODULE,

  /** The sidecar with each section's provenance (the short SECTION markers do not carry it). */
  projections: [
    projection(collection<{ id: string }>(MODULE, PROVENANCE_COLLECTION), {
      dir: 'state/documenter',
      ext: PROVENANCE_EXT,
      render: (_id, _doc, state) => renderProvenance(state),
    }),
  ],

  /** The document's edits create work (comments); guidance and prompt overrides are watched for their problems. */
  discoveryInputs({ home }): string[] {
    let prompts: string[] = [];
    try {
      prompts = readdirSync(join(home, PROMPT_DIR)).filter((f) => f.endsWith('.md'));
    } catch {
      // no prompt overrides
    }
    return [DOCUMENT_PATH, GUIDANCE_PATH, PROMPT_DIR, ...prompts.sort().map((f) => join(PROMPT_DIR, f))];
  },

  problems: (ctx: ModuleContext): Problem[] => problemsOf(ctx),

  nextDiscoveryAt(ctx: ModuleContext): Date | null {
    const opts = documenterOptions(ctx.options);
    let best: number | null = null;
    for (const d of docList(ctx.state, DISPUTES)) {
      if (d.count >= opts.maxDisputes) continue;
      const t = Date.parse(d.lastAt) + opts.disputeRetryMinutes * MINUTE_MS;
      if (t > ctx.now.getTime() && (best === null || t < best)) best = t;
    }
    return best === null ? null : new Date(best);
  },

  discover(ctx: ModuleContext): TaskSpec[] {
    // A document or guidance with a problem is left alone until a person fixes it (status lists it).
    if (documentProblemsOf(ctx).length > 0) return [];
    const opts = documenterOptions(ctx.options);
    const { state, now } = ctx;
    const docText = readText(ctx.home, DOCUMENT_PATH);
    const doc = parseDocument(docText ?? '');
    const patches = docList(state, PATCHES);
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
    // A proposal the check dropped is redone like a conflict (a new key: rebase + 1).
    for (const p of docList(state, PROPOSALS)) if (p.status === 'dropped') conflicts.set(p.unit, (conflicts.get(p.unit) ?? 0) + 1);
    const busyUnits = new Set<string>();
    const busySections = new Set<string>(pendingSections);
    let activeReview = false;
    for (const t of activeTasks(state)) {
      if (t.module !== MODULE) continue;
      if (typeof t.context.unit === 'string') busyUnits.add(t.context.unit);
      if (typeof t.context.sectionId === 'string') busySections.add(t.context.sectionId);
      if (t.type === 'review_section') activeReview = true;
    }
    const out: TaskSpec[] = [];
    const spec = <K extends keyof DocumenterTasks>(
      type: K,
      context: DocumenterTasks[K]['context'],
      data: DocumenterTasks[K]['data'],
      extra: Pick<TaskSpec, 'llmPreference' | 'llmAvoid' | 'priority'> = {},
    ) => out.push(taskSpec<DocumenterTasks, K>(MODULE, type, context, data, { deep: opts.deep, ...extra }));

    // New text waiting for its check, or for its writer's rewrite: its unit and sections are busy
    // until it is applied or dropped. The check runs on another backend than the writer's; the
    // rewrite goes back to the writer.
    for (const p of openProposals(state)) {
      busyUnits.add(p.unit);
      for (const x of p.patches) busySections.add(x.doc.sectionId);
      // The check of a comment's answer keeps the comment's urgency (a person waits on it): the
      // comment boost, and the comment's base priority (address_comment 70 = check 60 + 10).
      const forComment = p.taskType === 'address_comment';
      const context = { unit: p.unit, proposalId: p.id, sectionId: p.sectionId, round: p.round, rebase: 0, ...(forComment ? { answersComment: true } : {}) };
      const urgency = forComment ? { priority: 10 } : {};
      if (p.status === 'checking')
        spec('check_section', context, { phase: 'ask' }, { ...urgency, ...(p.writer !== 'unknown' ? { llmAvoid: [p.writer] } : {}) });
      else spec('rewrite_section', context, { phase: 'ask' }, { ...urgency, ...(p.writer !== 'unknown' ? { llmPreference: p.writer } : {}) });
    }
    /** The unit's rebase count when it may be offered now (not busy, not rebased too often), else null. */
    const rebaseOf = (unit: string): number | null => {
      const rebase = conflicts.get(unit) ?? 0;
      if (busyUnits.has(unit) || rebase > opts.maxRebases) return null;
      busyUnits.add(unit);
      return rebase;
    };

    // Human comments first (they also carry the highest priority: 70 + commentBoost).
    const disputes = docsById(state, DISPUTES);
    for (const c of doc.comments) {
      if (c.kind !== 'comment' || c.protected) continue;
      const hash = commentHash(c.sectionId, c.text);
      const unit = `comment:${c.sectionId}:${hash}`;
      const d = disputes[unit];
      const count = Math.max(d?.count ?? 0, c.attempts);
      if (count >= opts.maxDisputes) continue;
      if (d && count > 0 && now.getTime() < Date.parse(d.lastAt) + opts.disputeRetryMinutes * MINUTE_MS) continue;
      if (busySections.has(c.sectionId)) continue;
      busySections.add(c.sectionId);
      const rebase = rebaseOf(unit);
      if (rebase !== null) spec('address_comment', { unit, sectionId: c.sectionId, commentHash: hash, round: count, rebase }, { phase: 'ask', text: c.text });
    }

    for (const ins of blessedInsights(state, opts.explorer)) {
      if (documented.has(ins.id)) continue;
      const unit = `insight:${ins.id}`;
      const rebase = rebaseOf(unit);
      if (rebase !== null) spec('incorporate_insight', { unit, insightId: ins.id, rebase }, { phase: 'ask' });
    }

    const sectionIds = new Set(doc.sections.map((s) => s.meta.id));
    for (const p of docList(state, PLANS)) {
      const unit = `draft:${p.id}`;
      if (sectionIds.has(p.id) || doneUnits.has(unit)) continue;
      const rebase = rebaseOf(unit);
      if (rebase !== null) spec('draft_section', { unit, planId: p.id, rebase }, { phase: 'ask' });
    }

    // Reviews: oldest-reviewed first, only while they are under their share of the changes made.
    if (!activeReview && reviews < opts.reviewShare * patches.length) {
      // When a section was last changed and reviewed: fano's record, or an older long marker's fields.
      const prov = sectionProvenance(state);
      const latest = (...t: Array<string | null | undefined>): string | null => t.reduce<string | null>((a, x) => (x && (a === null || x > a) ? x : a), null);
      const dates = (id: string, m: SectionMeta) => ({
        reviewed: latest(m.reviewed, prov.get(id)?.reviewed),
        changed: latest(m.reviewed, m.updated, prov.get(id)?.updated),
      });
      const due = doc.sections
        .filter((s) => !busySections.has(s.meta.id))
        // A section fano just wrote or reviewed is not due yet; one a person wrote (no dates) is.
        .filter((s) => {
          const last = dates(s.meta.id, s.meta).changed;
          return last === null || Date.parse(last) + opts.reviewIntervalHours * HOUR_MS <= now.getTime();
        })
        .sort((a, b) => (dates(a.meta.id, a.meta).reviewed ?? '').localeCompare(dates(b.meta.id, b.meta).reviewed ?? '') || a.line - b.line);
      const s = due[0];
      if (s) {
        const unit = `review:${s.meta.id}:${dates(s.meta.id, s.meta).reviewed ?? 'never'}`;
        const rebase = rebaseOf(unit);
        if (rebase !== null) spec('review_section', { unit, sectionId: s.meta.id, rebase }, { phase: 'ask' });
      }
    }
    return out;
  },

  ...dispatchByType(MODULE, HANDLERS),
};
