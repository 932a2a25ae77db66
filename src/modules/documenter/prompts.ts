import { NOTATION_RULE } from '../shared/latex.js';
import { DOC_FORMAT } from './formats.js';

/**
 * Documenter prompts. The instruction comes first, then the material, then the strict format
 * block (appended by code, so the answer stays parseable). Sections are shown with their
 * protected blocks and markers replaced by `[[keep:N]]` placeholders the model must leave in place.
 */

export interface SectionView {
  id: string;
  heading: string | null;
  insights: string[];
  prose: string;
}

const one = (s: string): string => s.replace(/\s+/g, ' ').trim();

function guidanceBlock(guidance: string): string[] {
  const g = guidance.trim();
  return g === '' ? [] : ['GUIDANCE FROM THE RESEARCHER (follow it):', g, ''];
}

export function sectionBlock(s: SectionView): string {
  return [`=== SECTION ${s.id} | ${s.heading ?? '(no heading)'} | insights: ${s.insights.join(', ') || '-'} ===`, s.prose.trim(), '=== END SECTION ==='].join(
    '\n',
  );
}

const KEEP_RULE = 'Leave every [[keep:N]] placeholder exactly where it belongs: it stands for text you must not change.';

/** The writing standard every text the document receives must meet (the check task holds it to it too). */
export const STANDARDS = [
  'WRITING STANDARD (a mathematician must be able to trust and follow the text):',
  '- Define every term and symbol before its first use (here or in an earlier section); never use an undefined notion.',
  '- State every result as a Theorem, Proposition, Lemma or Conjecture, precisely, with its hypotheses.',
  '- Give the proof of every theorem right after it (**Proof.** ... $\\square$), or, when there is none yet, its status:',
  '  conjectured, or computed (and how), with the evidence. Never present a conjecture as a theorem.',
  '- Keep the exposition in order: what a result uses comes before it.',
];

function formatBlock(format: string, shape: string): string[] {
  return ['', NOTATION_RULE, '', `FORMAT: ${format}`, 'Answer with ONE JSON object, in a ```json fenced block, of this shape:', shape];
}

export function incorporatePrompt(o: {
  guidance: string;
  sections: SectionView[];
  omitted: number;
  insight: { id: string; text: string; tags: string[]; kind?: string; argument?: string };
  /** The document has no section yet: also ask for its title and abstract. */
  firstSection?: boolean;
  repair?: { raw: string; error: string };
}): string {
  const lines = [
    'You maintain a living research document. Incorporate ONE new, reviewed insight into it: either revise the existing section it belongs in, or write a new section.',
    'Keep the prose clear and self-contained; cite the insight by its id in square brackets, e.g. [i-123].',
    'If the document already states and proves this result (in any words), do not write it twice: answer with placement "covered" and the id of that section; fano links the insight to it.',
    ...STANDARDS,
    KEEP_RULE,
    '',
    ...guidanceBlock(o.guidance),
    `INSIGHT ID: ${o.insight.id}`,
    `INSIGHT TAGS: ${o.insight.tags.join(', ')}`,
    `INSIGHT KIND: ${o.insight.kind ?? 'conjectured'}`,
    `INSIGHT: ${one(o.insight.text)}`,
    `ARGUMENT: ${o.insight.argument ? one(o.insight.argument) : '(none given)'}`,
    '',
    `THE DOCUMENT (${o.sections.length} section(s)${o.omitted > 0 ? `, ${o.omitted} more not shown` : ''}):`,
    ...o.sections.map(sectionBlock),
  ];
  if (o.firstSection) {
    lines.push(
      '',
      'FIRST SECTION: yes',
      'This is the first section of the document: also give the document a short title ("documentTitle") and an abstract of two or three sentences ("abstract") saying what it is about.',
    );
  }
  if (o.repair) lines.push('', 'REPAIR: yes', `Your previous answer could not be used (${one(o.repair.error)}). Answer again in the format below.`);
  lines.push(
    ...formatBlock(
      DOC_FORMAT.incorporate,
      `{"placement": "existing" | "new" | "covered", "sectionId": "<id of the existing section, for existing or covered>", "title": "<title, for new>", "text": "<the FULL new text of that section, without its heading>", "summary": "<one line: what changed>", "prerequisites": [{"title": "<a section the reader needs first>", "reason": "<why>"}]${o.firstSection ? ', "documentTitle": "<the document\'s title>", "abstract": "<two or three sentences>"' : ''}}`,
    ),
  );
  return lines.join('\n');
}

export function commentPrompt(o: {
  guidance: string;
  section: SectionView;
  keepIndex: number;
  comment: string;
  attempts: number;
  repair?: { raw: string; error: string };
}): string {
  const lines = [
    'The researcher left a comment on a section of the living research document. Revise the section to address it, or, if the comment is mistaken, dispute it and say why.',
    ...STANDARDS,
    `The comment is the placeholder [[keep:${o.keepIndex}]]; leave it in place, fano replaces it with your record.`,
    KEEP_RULE,
    '',
    ...guidanceBlock(o.guidance),
    `TARGET SECTION: ${o.section.id}`,
    `COMMENT: ${one(o.comment)}`,
    ...(o.attempts > 0 ? [`EARLIER DISPUTES: ${o.attempts}`] : []),
    '',
    sectionBlock(o.section),
  ];
  if (o.repair) lines.push('', 'REPAIR: yes', `Your previous answer could not be used (${one(o.repair.error)}). Answer again in the format below.`);
  lines.push(
    ...formatBlock(
      DOC_FORMAT.comment,
      '{"action": "revise" | "dispute", "text": "<the FULL revised section text without its heading, for revise>", "record": "<for the researcher: what you changed and why, or why not>"}',
    ),
  );
  return lines.join('\n');
}

export function reviewPrompt(o: { guidance: string; section: SectionView; status: string; repair?: { raw: string; error: string } }): string {
  const lines = [
    'Review one section of the living research document: is it correct, clear and consistent with the insights it cites, and does it meet the writing standard below? Keep it, or revise it; then rate its status.',
    ...STANDARDS,
    KEEP_RULE,
    '',
    ...guidanceBlock(o.guidance),
    `TARGET SECTION: ${o.section.id}`,
    `CURRENT STATUS: ${o.status}`,
    '',
    sectionBlock(o.section),
  ];
  if (o.repair) lines.push('', 'REPAIR: yes', `Your previous answer could not be used (${one(o.repair.error)}). Answer again in the format below.`);
  lines.push(
    ...formatBlock(
      DOC_FORMAT.review,
      '{"action": "keep" | "revise", "status": "provisional" | "stable" | "needs_work", "text": "<the FULL revised section text without its heading, for revise>", "summary": "<one line>"}',
    ),
  );
  return lines.join('\n');
}

export function draftPrompt(o: { guidance: string; title: string; reason: string; outline: string[]; repair?: { raw: string; error: string } }): string {
  const lines = [
    'Draft a new section of the living research document that the reader needs before the sections that build on it.',
    ...STANDARDS,
    '',
    ...guidanceBlock(o.guidance),
    `PLAN TITLE: ${one(o.title)}`,
    `WHY IT IS NEEDED: ${one(o.reason)}`,
    '',
    'EXISTING SECTIONS:',
    ...(o.outline.length > 0 ? o.outline.map((t) => `- ${t}`) : ['- (none)']),
  ];
  if (o.repair) lines.push('', 'REPAIR: yes', `Your previous answer could not be used (${one(o.repair.error)}). Answer again in the format below.`);
  lines.push(...formatBlock(DOC_FORMAT.draft, '{"title": "<section title>", "text": "<the section text, without its heading>", "summary": "<one line>"}'));
  return lines.join('\n');
}
