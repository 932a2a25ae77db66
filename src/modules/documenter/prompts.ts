import { join } from 'node:path';
import { NOTATION_RULE } from '../shared/latex.js';
import { promptTemplates } from '../shared/prompt-templates.js';
import { fill } from '../shared/strict-answer.js';
import { DOC_FORMAT, type CheckIssue } from './formats.js';

/**
 * Documenter prompts. Each is a template a home can override with `state/documenter/prompts/<name>.md`
 * (as the Explorer's: ../shared/prompt-templates.ts); code fills its `{{placeholders}}` with the
 * material (the document's sections, the insight, the guidance) and appends, after it, what a
 * parser needs: the first-section request, the repair note, the notation rule and the strict format
 * block. Sections are shown with their protected blocks and markers replaced by `[[keep:N]]`
 * placeholders the model must leave in place.
 */

export const PROMPT_DIR = join('state', 'documenter', 'prompts');

export interface SectionView {
  id: string;
  heading: string | null;
  insights: string[];
  prose: string;
}

const one = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * The writing standard every text the document receives must meet (the check task holds it to it
 * too); its own template, so a home changes it once for every prompt that quotes it.
 */
const STANDARDS = `WRITING STANDARD (a mathematician must be able to trust and follow the text):
- Define every term and symbol before its first use (here or in an earlier section); never use an undefined notion.
- State every result as a Theorem, Proposition, Lemma or Conjecture, precisely, with its hypotheses.
- Give the proof of every theorem right after it (**Proof.** ... $\\square$), or, when there is none yet, its status:
  conjectured, or computed (and how), with the evidence. Never present a conjecture as a theorem.
- Keep the exposition in order: what a result uses comes before it.`;

export const DEFAULT_TEMPLATES = {
  standards: STANDARDS,
  incorporate: `You maintain a living research document. Incorporate ONE new, reviewed insight into it: either revise the existing section it belongs in, or write a new section.
Keep the prose clear and self-contained; cite the insight by its id in square brackets, e.g. [i-123].
If the document already states and proves this result (in any words), do not write it twice: answer with placement "covered" and the id of that section; fano links the insight to it.
{{standards}}

{{guidance}}

{{insight}}

{{document}}`,
  comment: `The researcher left a comment on a section of the living research document. Revise the section to address it, or, if the comment is mistaken, dispute it and say why.
{{standards}}

{{guidance}}

{{comment}}

{{section}}`,
  review: `Review one section of the living research document: is it correct, clear and consistent with the insights it cites, and does it meet the writing standard below? Keep it, or revise it; then rate its status.
{{standards}}

{{guidance}}

{{section}}`,
  draft: `Draft a new section of the living research document that the reader needs before the sections that build on it.
{{standards}}

{{guidance}}

{{plan}}

{{outline}}`,
  check: `You are a referee checking a change to a living research document before it goes in. You check the new text; you do not rewrite it.
{{standards}}

{{guidance}}

Check the NEW TEXT below, separately for:
1. Correctness: every statement, computation and step of every proof. A result stated without its proof or its status, or a conjecture presented as a theorem, is an error.
2. Exposition: every term and symbol defined before its first use (in this text or an earlier section: the outline is below), results in order, clear enough for a mathematician to follow.
Answer "approve" when nothing must be fixed before the text goes in; otherwise "revise", with each issue: its kind, where it is, what is wrong and how to fix it. Do not ask for changes of taste.

{{change}}

{{outline}}

{{old}}

{{new}}`,
  rewrite: `A referee checked the text you wrote for a section of the living research document and asks for a revision. Fix every issue listed; where you are sure an issue is mistaken, keep the text and say why in the summary. Give the FULL revised text.
{{standards}}

{{guidance}}

{{issues}}

{{section}}`,
} as const;
export type TemplateName = keyof typeof DEFAULT_TEMPLATES;

/** The Documenter's templates and their overrides (a problem of one is listed by problems.ts). */
export const TEMPLATES = promptTemplates<TemplateName>(PROMPT_DIR, DEFAULT_TEMPLATES);

const KEEP_RULE = 'Leave every [[keep:N]] placeholder exactly where it belongs: it stands for text you must not change.';

function guidanceBlock(guidance: string): string {
  const g = guidance.trim();
  return g === '' ? '' : ['GUIDANCE FROM THE RESEARCHER (follow it):', g].join('\n');
}

export function sectionBlock(s: SectionView, label = 'SECTION'): string {
  return [`=== ${label} ${s.id} | ${s.heading ?? '(no heading)'} | insights: ${s.insights.join(', ') || '-'} ===`, s.prose.trim(), `=== END ${label} ===`].join(
    '\n',
  );
}

interface Repair {
  raw: string;
  error: string;
}

/** The filled template, then what code adds after it: extra lines, the repair note, notation and format. */
function build(
  home: string,
  name: TemplateName,
  vars: Record<string, string>,
  o: { extra?: string[]; repair?: Repair | undefined; format: string; shape: string },
): string {
  const standards = TEMPLATES.load(home, 'standards');
  const lines = [fill(TEMPLATES.load(home, name), { standards, ...vars }).trim()];
  if (o.extra && o.extra.length > 0) lines.push('', ...o.extra);
  if (o.repair) lines.push('', 'REPAIR: yes', `Your previous answer could not be used (${one(o.repair.error)}). Answer again in the format below.`);
  lines.push('', NOTATION_RULE, '', `FORMAT: ${o.format}`, 'Answer with ONE JSON object, in a ```json fenced block, of this shape:', o.shape);
  return lines.join('\n');
}

export function incorporatePrompt(o: {
  home: string;
  guidance: string;
  sections: SectionView[];
  omitted: number;
  insight: { id: string; text: string; tags: string[]; kind?: string; argument?: string };
  /** The document has no section yet: also ask for its title and abstract. */
  firstSection?: boolean;
  repair?: Repair;
}): string {
  const insight = [
    `INSIGHT ID: ${o.insight.id}`,
    `INSIGHT TAGS: ${o.insight.tags.join(', ')}`,
    `INSIGHT KIND: ${o.insight.kind ?? 'conjectured'}`,
    `INSIGHT: ${one(o.insight.text)}`,
    `ARGUMENT: ${o.insight.argument ? one(o.insight.argument) : '(none given)'}`,
  ].join('\n');
  const document = [
    KEEP_RULE,
    `THE DOCUMENT (${o.sections.length} section(s)${o.omitted > 0 ? `, ${o.omitted} more not shown` : ''}):`,
    ...o.sections.map((s) => sectionBlock(s)),
  ].join('\n');
  const extra = o.firstSection
    ? [
        'FIRST SECTION: yes',
        'This is the first section of the document: also give the document a short title ("documentTitle") and an abstract of two or three sentences ("abstract") saying what it is about.',
      ]
    : [];
  return build(
    o.home,
    'incorporate',
    { guidance: guidanceBlock(o.guidance), insight, document },
    {
      extra,
      repair: o.repair,
      format: DOC_FORMAT.incorporate,
      shape: `{"placement": "existing" | "new" | "covered", "sectionId": "<id of the existing section, for existing or covered>", "title": "<title, for new>", "text": "<the FULL new text of that section, without its heading>", "summary": "<one line: what changed>", "prerequisites": [{"title": "<a section the reader needs first>", "reason": "<why>"}]${o.firstSection ? ', "documentTitle": "<the document\'s title>", "abstract": "<two or three sentences>"' : ''}}`,
    },
  );
}

export function commentPrompt(o: {
  home: string;
  guidance: string;
  section: SectionView;
  keepIndex: number;
  comment: string;
  attempts: number;
  repair?: Repair;
}): string {
  const comment = [
    `TARGET SECTION: ${o.section.id}`,
    `COMMENT: ${one(o.comment)}`,
    `The comment is the placeholder [[keep:${o.keepIndex}]]; leave it in place, fano replaces it with your record.`,
    ...(o.attempts > 0 ? [`EARLIER DISPUTES: ${o.attempts}`] : []),
  ].join('\n');
  return build(
    o.home,
    'comment',
    { guidance: guidanceBlock(o.guidance), comment, section: [KEEP_RULE, sectionBlock(o.section)].join('\n') },
    {
      repair: o.repair,
      format: DOC_FORMAT.comment,
      shape:
        '{"action": "revise" | "dispute", "text": "<the FULL revised section text without its heading, for revise>", "record": "<for the researcher: what you changed and why, or why not>"}',
    },
  );
}

export function reviewPrompt(o: { home: string; guidance: string; section: SectionView; status: string; repair?: Repair }): string {
  const section = [`TARGET SECTION: ${o.section.id}`, `CURRENT STATUS: ${o.status}`, KEEP_RULE, sectionBlock(o.section)].join('\n');
  return build(
    o.home,
    'review',
    { guidance: guidanceBlock(o.guidance), section },
    {
      repair: o.repair,
      format: DOC_FORMAT.review,
      shape:
        '{"action": "keep" | "revise", "status": "provisional" | "stable" | "needs_work", "text": "<the FULL revised section text without its heading, for revise>", "summary": "<one line>"}',
    },
  );
}

function outlineBlock(outline: string[]): string {
  return ['EXISTING SECTIONS:', ...(outline.length > 0 ? outline.map((t) => `- ${t}`) : ['- (none)'])].join('\n');
}

export function draftPrompt(o: { home: string; guidance: string; title: string; reason: string; outline: string[]; repair?: Repair }): string {
  return build(
    o.home,
    'draft',
    {
      guidance: guidanceBlock(o.guidance),
      plan: [`PLAN TITLE: ${one(o.title)}`, `WHY IT IS NEEDED: ${one(o.reason)}`].join('\n'),
      outline: outlineBlock(o.outline),
    },
    {
      repair: o.repair,
      format: DOC_FORMAT.draft,
      shape: '{"title": "<section title>", "text": "<the section text, without its heading>", "summary": "<one line>"}',
    },
  );
}

/** The check of a change before it goes in: the new text, the text it replaces, the outline. */
export function checkPrompt(o: {
  home: string;
  guidance: string;
  change: { task: string; summary: string; round: number };
  outline: string[];
  old: SectionView | null;
  next: SectionView;
  repair?: Repair;
}): string {
  const change = [`CHANGE: ${o.change.task}: ${one(o.change.summary)}`, `CHECK ROUND: ${o.change.round}`].join('\n');
  const old = o.old ? ['THE SECTION AS IT IS NOW (for comparison):', sectionBlock(o.old, 'OLD SECTION')].join('\n') : 'THE SECTION IS NEW.';
  const next = ['NEW TEXT (placeholders [[keep:N]] stand for text the person wrote or protected):', sectionBlock(o.next)].join('\n');
  return build(
    o.home,
    'check',
    { guidance: guidanceBlock(o.guidance), change, outline: outlineBlock(o.outline), old, new: next },
    {
      repair: o.repair,
      format: DOC_FORMAT.check,
      shape:
        '{"verdict": "approve" | "revise", "issues": [{"kind": "correctness" | "exposition", "where": "<the statement, proof or sentence>", "problem": "<what is wrong>", "fix": "<how to fix it>"}], "summary": "<one line>"}',
    },
  );
}

/** The text goes back to its writer with the check's issues. */
export function rewritePrompt(o: { home: string; guidance: string; issues: readonly CheckIssue[]; section: SectionView; repair?: Repair }): string {
  const issues = ["THE REFEREE'S ISSUES:", ...o.issues.map((i, n) => `${n + 1}. [${i.kind}] ${one(i.where)}: ${one(i.problem)} Fix: ${one(i.fix)}`)].join('\n');
  const section = [`TARGET SECTION: ${o.section.id}`, KEEP_RULE, sectionBlock(o.section)].join('\n');
  return build(
    o.home,
    'rewrite',
    { guidance: guidanceBlock(o.guidance), issues, section },
    {
      repair: o.repair,
      format: DOC_FORMAT.rewrite,
      shape:
        '{"text": "<the FULL revised section text without its heading>", "summary": "<one line: what you changed, and any issue you did not follow and why>"}',
    },
  );
}
