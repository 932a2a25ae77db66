import { shortHash } from '../../core/document-patch.js';
import { PREAMBLE_ID } from '../../core/document-sections.js';
import type { FanoEvent } from '../../core/events.js';
import type { ModuleContext, StepRequest } from '../module.js';
import { docOf, putDoc } from '../shared/collections.js';
import type { HandlerTable } from '../shared/task-handlers.js';
import { keepSpans, neutralize, renderMarker, renderSection, restoreSpans } from './document.js';
import { parseCheck, parseRewrite } from './formats.js';
import { checkPrompt, rewritePrompt, type SectionView } from './prompts.js';
import { baseSection, reading, strict, viewOf, writing, type DTask, type Entry } from './step-kit.js';
import { documenterOptions, PATCHES, PROPOSALS, type CheckRecord, type CheckSummary, type DocumenterTasks, type ProposalDoc } from './types.js';

/**
 * The check of new text before it goes in (docs: README, The Documenter). A change that writes new
 * text (an insight placed, a comment answered, a section revised or drafted) becomes a proposal
 * (step-kit.ts `propose`); `check_section` reads the new text on another backend than its writer's
 * (where one exists) and answers approve or revise with its issues. Approve: the proposal's patches
 * are logged pending, and the store applies them compare-and-swap as any other. Revise: the text
 * goes back to its writer (`rewrite_section`, with the issues) and is checked again, at most
 * `checkRewrites` times; a text the check still sends back after that is applied marked
 * `needs_work`, with the open issues kept in its patch record, so the work is not lost and a person
 * (or the next review) sees what is open. An unreadable check gets the repair prompt and then fails:
 * it never becomes a verdict, and a failed check or rewrite drops the proposal (its unit is redone).
 */

type CheckTask = DTask<'check_section'> | DTask<'rewrite_section'>;

/** The open proposal a check or rewrite task works on, at the round the task was made for. */
function proposalOf(task: CheckTask, ctx: ModuleContext, status: ProposalDoc['status']): ProposalDoc {
  const p = docOf(ctx.state, PROPOSALS, task.context.proposalId);
  if (!p || p.status !== status || p.round !== task.context.round)
    throw new Error(`proposal ${task.context.proposalId} is not waiting for a ${status === 'checking' ? 'check' : 'rewrite'} in round ${task.context.round}`);
  return p;
}

/** A proposed section text as the model sees it (protected blocks and markers as placeholders). */
function proposedView(sectionId: string, text: string): SectionView & { kept: ReturnType<typeof keepSpans>; meta: ReturnType<typeof baseSection> } {
  const b = baseSection(text, sectionId);
  return { ...viewOf(sectionId, b.heading, b.meta?.insights ?? [], b.body), meta: b };
}

const backendOf = (task: CheckTask) => task.conversation?.backend ?? task.llmPreference ?? 'unknown';

/** The proposal's patches logged pending, each with what the check said and what fano decided. */
function apply(p: ProposalDoc, id: string, summary: CheckSummary, needsWork: boolean): FanoEvent[] {
  const patches = p.patches.map(({ id: pid, doc }, i) => {
    let next = doc.next ?? '';
    // After the bound: the section is marked needs_work (its marker only; the text is the writer's).
    if (needsWork && i === 0 && doc.sectionId !== PREAMBLE_ID) {
      const meta = baseSection(next, doc.sectionId).meta!;
      next = `${renderMarker({ ...meta, status: 'needs_work' })}\n${next.slice(next.indexOf('\n') + 1)}`;
    }
    return putDoc(PATCHES, pid, { ...doc, next, nextHash: shortHash(next), check: summary });
  });
  return [...patches, putDoc(PROPOSALS, id, { ...p, status: 'applied', decision: summary.decision })];
}

const checkSection: Entry<'check_section'> = {
  prepare(task, ctx): StepRequest {
    const { guidance, repair, outline } = reading(task, ctx);
    const p = proposalOf(task, ctx, 'checking');
    const main = p.patches[0]!.doc;
    const next = proposedView(main.sectionId, main.next ?? '');
    const old = main.base !== null ? proposedView(main.sectionId, main.base) : null;
    const prompt = checkPrompt({
      home: ctx.home,
      guidance,
      change: { task: p.taskType, summary: main.summary, round: p.round },
      outline,
      old,
      next,
      ...(repair ? { repair } : {}),
    });
    return { prompt, deep: task.deep, data: { base: {} } };
  },

  onAnswer(task, answer, ctx) {
    const { at, finish } = writing('check_section', task, ctx);
    const opts = documenterOptions(ctx.options);
    return strict(task, answer, parseCheck(answer), (a) => {
      const id = task.context.proposalId;
      const p = proposalOf(task, ctx, 'checking');
      const backend = backendOf(task);
      const mode = task.deep ? 'deep' : 'normal';
      const record: CheckRecord = { round: p.round, backend, mode, task: task.key, verdict: a.verdict, issues: a.issues, summary: neutralize(a.summary), at };
      const checked = { ...p, checks: [...p.checks, record] };
      const result = { proposalId: id, sectionId: p.sectionId, verdict: a.verdict, issues: a.issues.length, round: p.round, backend };
      const by = `${backend}/${mode}`;
      const rewritten = p.round === 0 ? '' : ` after ${p.round} rewrite(s)`;
      if (a.verdict === 'approve') {
        const decision = `approved by the check on ${by}${rewritten}`;
        return finish(apply(checked, id, { verdict: 'approve', by, rewrites: p.round, issues: a.issues, decision }, false), { ...result, decision: 'applied' });
      }
      if (p.round < opts.checkRewrites) {
        return finish([putDoc(PROPOSALS, id, { ...checked, status: 'rewriting' })], { ...result, decision: 'rewrite' });
      }
      // The bound: the writer had its rewrites. Dropping the text would lose the work and redo it
      // from scratch on the same terms; applying it silently would hide the open issues. So it goes
      // in marked needs_work, with the issues in its record, where a person and the next review see them.
      const decision = `the check on ${by} still asked for a revision${rewritten} (the bound is ${opts.checkRewrites}); applied marked needs_work with its ${a.issues.length} open issue(s) recorded`;
      return finish(apply(checked, id, { verdict: 'revise', by, rewrites: p.round, issues: a.issues, decision }, true), {
        ...result,
        decision: 'applied_needs_work',
      });
    });
  },

  handleFailure(task, error, ctx) {
    return drop(task, error, ctx, 'checking');
  },
};

const rewriteSection: Entry<'rewrite_section'> = {
  prepare(task, ctx): StepRequest {
    const { guidance, repair } = reading(task, ctx);
    const p = proposalOf(task, ctx, 'rewriting');
    const main = p.patches[0]!.doc;
    const issues = p.checks[p.checks.length - 1]?.issues ?? [];
    const prompt = rewritePrompt({ home: ctx.home, guidance, issues, section: proposedView(main.sectionId, main.next ?? ''), ...(repair ? { repair } : {}) });
    return { prompt, deep: task.deep, data: { base: {} } };
  },

  onAnswer(task, answer, ctx) {
    const { finish } = writing('rewrite_section', task, ctx);
    return strict(task, answer, parseRewrite(answer), (a) => {
      const id = task.context.proposalId;
      const p = proposalOf(task, ctx, 'rewriting');
      const [first, ...rest] = p.patches;
      const main = first!.doc;
      const v = proposedView(main.sectionId, main.next ?? '');
      const body = restoreSpans(a.text, v.kept);
      const next = v.meta.meta ? renderSection(v.meta.meta, v.meta.heading, body) : `${body.trim()}\n\n`;
      const summary = `${main.summary}; rewritten after the check: ${neutralize(a.summary)}`.replace(/\s+/g, ' ').slice(0, 300);
      const patches = [{ id: first!.id, doc: { ...main, next, nextHash: shortHash(next), summary } }, ...rest];
      return finish([putDoc(PROPOSALS, id, { ...p, patches, round: p.round + 1, status: 'checking' })], {
        proposalId: id,
        sectionId: p.sectionId,
        round: p.round + 1,
      });
    });
  },

  handleFailure(task, error, ctx) {
    return drop(task, error, ctx, 'rewriting');
  },
};

/** A check or rewrite that failed for good: the proposal is dropped (never applied on a guess) and its unit redone. */
function drop(task: CheckTask, error: string, ctx: ModuleContext, status: ProposalDoc['status']): FanoEvent[] {
  const p = docOf(ctx.state, PROPOSALS, task.context.proposalId);
  if (!p || p.status !== status) return [];
  const what = status === 'checking' ? 'check' : 'rewrite';
  return [
    putDoc(PROPOSALS, task.context.proposalId, {
      ...p,
      status: 'dropped',
      decision: `the ${what} failed for good (${error}); not applied, the change is redone`,
    }),
  ];
}

export const CHECK_HANDLERS: Pick<HandlerTable<DocumenterTasks>, 'check_section' | 'rewrite_section'> = {
  check_section: checkSection,
  rewrite_section: rewriteSection,
};
