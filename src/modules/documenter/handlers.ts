import { PREAMBLE_ID } from '../../core/document-sections.js';
import type { FanoEvent } from '../../core/events.js';
import { blessedInsights } from '../explorer/index.js';
import type { StepRequest } from '../module.js';
import { docOf, docsById, putDoc } from '../shared/collections.js';
import { noCleanup, type HandlerTable } from '../shared/task-handlers.js';
import { CHECK_HANDLERS } from './checks.js';
import {
  commentHash,
  inMarker,
  keepSpans,
  neutralize,
  renderMarker,
  renderPreamble,
  renderSection,
  restoreSpans,
  sectionIdFor,
  STARTER_DOCUMENT,
} from './document.js';
import { parseCommentAnswer, parseDraft, parseIncorporate, parseReviewAnswer } from './formats.js';
import { commentPrompt, draftPrompt, incorporatePrompt, reviewPrompt, type SectionView } from './prompts.js';
import { baseSection, reading, strict, viewOf, writing, type Entry } from './step-kit.js';
import { DISPUTES, documenterOptions, PLANS, type DocumenterTasks } from './types.js';

/**
 * What each Documenter task type does, one entry per type (documenter-module.ts discovers them).
 * `prepare` reads the document as it is now and records the section text(s) the prompt was built
 * from in the task (`base`); `onAnswer` turns the answer into pending patches based on exactly
 * those texts, which the store applies compare-and-swap. A change that writes new text is first a
 * proposal: a check on another backend reads it before its patches are logged (checks.ts); a change
 * of markers only (a link, a dispute, a status) is logged at once.
 */

export { problemsOf, readText } from './step-kit.js';

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
      home: ctx.home,
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
    const { at, base, stamp, taken, patch, finish, propose, newSection } = writing('incorporate_insight', task, ctx);
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
      return propose(events, { insightId, placement: target !== null && targetBase !== undefined ? 'existing' : 'new' });
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
    const prompt = commentPrompt({
      home: ctx.home,
      guidance,
      section: v,
      keepIndex,
      comment: comment.text,
      attempts: task.context.round,
      ...(repair ? { repair } : {}),
    });
    return { prompt, deep: task.deep, data: { base: { [sectionId]: baseText }, commentRaw: comment.raw } };
  },

  onAnswer(task, answer, ctx) {
    const opts = documenterOptions(ctx.options);
    // The comment's text stays in the task's data, as discovery gave it.
    const { at, base, stamp, patch, finish, propose } = writing('address_comment', task, ctx, { text: task.data.text });
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
        return propose([patch(sectionId, baseText, next, `comment resolved: ${a.record}`)], { sectionId, action: 'revise' });
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
      prompt: reviewPrompt({ home: ctx.home, guidance, section: v, status: s.meta.status, ...(repair ? { repair } : {}) }),
      deep: task.deep,
      data: { base: { [s.meta.id]: s.text } },
    };
  },

  onAnswer(task, answer, ctx) {
    const { at, base, stamp, patch, finish, propose } = writing('review_section', task, ctx);
    return strict(task, answer, parseReviewAnswer(answer), (a) => {
      const sectionId = task.context.sectionId;
      const baseText = base[sectionId];
      if (baseText === undefined) throw new Error(`no base text for section ${sectionId}`);
      const b = baseSection(baseText, sectionId);
      const meta = b.meta!;
      const result = { sectionId, action: a.action, status: a.status };
      if (a.action === 'keep') {
        // At most the marker line changes (its status): the person's text stays byte for byte;
        // the review itself is recorded with the patch (provenance.ts), not in the marker.
        const rest = baseText.slice(baseText.indexOf('\n') + 1);
        return finish(
          [patch(sectionId, baseText, `${renderMarker({ ...meta, status: a.status })}\n${rest}`, `review (keep, ${a.status}): ${a.summary}`)],
          result,
        );
      }
      const next = renderSection({ ...meta, ...stamp, status: a.status, reviewed: at }, b.heading, restoreSpans(a.text ?? '', keepSpans(b.body)));
      return propose([patch(sectionId, baseText, next, `review (revise, ${a.status}): ${a.summary}`)], result);
    });
  },

  handleFailure: noCleanup,
};

const draftSection: Entry<'draft_section'> = {
  prepare(task, ctx) {
    const { guidance, doc, repair, outline } = reading(task, ctx);
    const p = docOf(ctx.state, PLANS, task.context.planId);
    if (!p) throw new Error(`plan entry ${task.context.planId} not found`);
    // A prerequisite is read first: it goes before the first section that needs it (as the
    // document is ordered now, a person's reordering included).
    const needs = new Set(p.neededBy ?? []);
    const first = doc.sections.find((s) => needs.has(s.meta.id) || s.meta.insights.includes(p.forInsight));
    return {
      prompt: draftPrompt({ home: ctx.home, guidance, title: p.title, reason: p.reason, outline, ...(repair ? { repair } : {}) }),
      deep: task.deep,
      data: { base: {}, before: first?.meta.id ?? null },
    };
  },

  onAnswer(task, answer, ctx) {
    const { patch, propose, newSection } = writing('draft_section', task, ctx);
    return strict(task, answer, parseDraft(answer), (a) => {
      const planId = task.context.planId;
      const s = newSection(a.title, a.text, [], planId);
      const before = typeof task.data.before === 'string' ? task.data.before : null;
      return propose([patch(s.id, null, s.text, `drafted: ${a.summary}`, [], { before })], { planId, sectionId: s.id, before });
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
  ...CHECK_HANDLERS,
};
