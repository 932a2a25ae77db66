import { hashUnit as unit, sha256Hex as h } from '../../core/hash.js';
import { lineValue } from '../shared/mock-prompt.js';
import { DOC_FORMAT } from './formats.js';

/**
 * What the mock backend answers to Documenter prompts (recognised by their `FORMAT:` line): valid,
 * deterministic content, a function of (seed, prompt) only. Placement: an insight goes into the
 * section named after its first tag when the document has one, else into a new one; now and then
 * it names a prerequisite section (always for an insight whose text says "needs background", so
 * tests and demos can see one placed). A comment containing "dispute", "disagree" or "wrong" is
 * disputed (so tests and demos can see the escalation); any other comment is addressed.
 *
 * The check of new text approves it, except: text that says "sloppy" is sent back once (and a
 * fifth of all texts, by hash, in their first round, so the simulator sees rewrites), and text that
 * says "hopeless" is always sent back (so the bound is reached). The rewrite replaces "sloppy" and
 * adds a line saying what it fixed.
 */

const fenced = (v: unknown): string => `\`\`\`json\n${JSON.stringify(v)}\n\`\`\``;
const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The prose of each `=== SECTION <id> | ... ===` block of the prompt. */
function sections(prompt: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of prompt.matchAll(/^=== SECTION (\S+) \|[^\n]*===\n([\s\S]*?)\n?=== END SECTION ===$/gm)) out.set(m[1]!, m[2] ?? '');
  return out;
}

/**
 * An insight as the writing standard wants it: a theorem with its proof, a computation with how it
 * was done, a conjecture with its status and evidence, in LaTeX.
 */
function resultBlock(id: string, statement: string, kind: string, argument: string): string {
  const arg = argument && argument !== '(none given)' ? argument : 'none recorded yet.';
  if (kind === 'proved') return `**Theorem** [${id}]**.** ${statement}\n\n**Proof.** ${arg} $\\square$`;
  if (kind === 'computed') return `**Proposition** [${id}]**.** ${statement}\n\n**Proof** (by computation). ${arg} $\\square$`;
  return `**Conjecture** [${id}]**.** ${statement}\n\n*Status:* conjectured, not proved. *Evidence:* ${arg}`;
}

function incorporate(seed: number, prompt: string): string {
  const id = lineValue(prompt, 'INSIGHT ID') ?? 'i-unknown';
  const text = lineValue(prompt, 'INSIGHT') ?? '';
  const tag = (lineValue(prompt, 'INSIGHT TAGS') ?? '').split(',')[0]?.trim() || 'notes';
  const secs = sections(prompt);
  // A result the document already states is linked, not written twice.
  const covering = [...secs].find(([, prose]) => text.length > 20 && prose.includes(text));
  if (covering) return fenced({ placement: 'covered', sectionId: covering[0], text: '', summary: `${id} is already stated in ${covering[0]}` });
  const target = `s-${tag.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  const paragraph = resultBlock(id, text, lineValue(prompt, 'INSIGHT KIND') ?? 'conjectured', lineValue(prompt, 'ARGUMENT') ?? '');
  // By the insight, not the whole prompt: a change of the prompt's wording moves no section.
  const wants = unit(h('documenter.plan', seed, id)) < 0.25 || /\bneeds background\b/i.test(text);
  const prerequisites =
    wants && !secs.has(`s-background-on-${tag}`) ? [{ title: `Background on ${tag}`, reason: `the ${tag} results assume familiar definitions` }] : [];
  if (secs.has(target)) {
    const prose = secs.get(target)!.trim();
    return fenced({ placement: 'existing', sectionId: target, text: `${prose}\n\n${paragraph}`, summary: `added ${id} to ${target}`, prerequisites });
  }
  const first =
    lineValue(prompt, 'FIRST SECTION') === 'yes'
      ? { documentTitle: `Notes on ${tag}`, abstract: `This document develops what is known about ${tag}, starting from one reviewed result: ${text}` }
      : {};
  return fenced({ placement: 'new', title: cap(tag), text: paragraph, summary: `new section for ${id}`, prerequisites, ...first });
}

function comment(seed: number, prompt: string): string {
  const c = lineValue(prompt, 'COMMENT') ?? '';
  const target = lineValue(prompt, 'TARGET SECTION') ?? '';
  const prose = (sections(prompt).get(target) ?? '').trim();
  if (/\b(dispute|disagree|wrong)\b/i.test(c)) {
    return fenced({ action: 'dispute', record: `The section already states this correctly; the comment "${c.slice(0, 60)}" does not point to an error.` });
  }
  const x = h('documenter.comment', seed, prompt);
  return fenced({
    action: 'revise',
    text: `${prose}\n\nClarification (${x.slice(0, 6)}): this addresses the remark "${c.slice(0, 80)}".`,
    record: 'Added a clarifying paragraph at the end of the section.',
  });
}

function review(seed: number, prompt: string): string {
  const x = h('documenter.review', seed, prompt);
  return fenced({ action: 'keep', status: unit(x) < 0.8 ? 'stable' : 'needs_work', summary: 'The section is consistent with the insights it cites.' });
}

function draft(seed: number, prompt: string): string {
  const title = lineValue(prompt, 'PLAN TITLE') ?? 'Background';
  const x = h('documenter.draft', seed, prompt);
  return fenced({
    title,
    text: `This section collects the definitions used later (${x.slice(0, 6)}): ${lineValue(prompt, 'WHY IT IS NEEDED') ?? ''}.`,
    summary: `drafted ${title}`,
  });
}

function check(seed: number, prompt: string): string {
  const [id, prose] = [...sections(prompt)][0] ?? ['?', ''];
  const round = Number(lineValue(prompt, 'CHECK ROUND') ?? '0');
  const hopeless = /\bhopeless\b/i.test(prose);
  const sloppy = /\bsloppy\b/i.test(prose);
  const unlucky = round === 0 && unit(h('documenter.check', seed, id, prose)) < 0.2;
  if (!hopeless && !(round === 0 && (sloppy || unlucky))) {
    return fenced({ verdict: 'approve', issues: [], summary: `Section ${id} is correct, and every symbol is defined before it is used.` });
  }
  const issues = [
    {
      kind: 'exposition',
      where: `section ${id}`,
      problem: 'A symbol is used before it is defined, and the last step of the argument is only sketched.',
      fix: 'Define every symbol where it first appears and write out the last step.',
    },
    ...(sloppy || hopeless
      ? [
          {
            kind: 'correctness',
            where: `section ${id}, the sloppy step`,
            problem: 'The step does not follow from what precedes it.',
            fix: 'Give the missing argument.',
          },
        ]
      : []),
  ];
  return fenced({ verdict: 'revise', issues, summary: `Section ${id} needs ${issues.length} fix(es) before it goes in.` });
}

function rewrite(_seed: number, prompt: string): string {
  const target = lineValue(prompt, 'TARGET SECTION') ?? '';
  const prose = (sections(prompt).get(target) ?? '').trim().replace(/\bsloppy\b/gi, 'careful');
  return fenced({
    text: `${prose}\n\n*Revised after the check:* every symbol is now defined where it first appears, and the last step is written out.`,
    summary: 'defined the symbols and wrote out the last step',
  });
}

export function documenterMockAnswer(seed: number, prompt: string): string | null {
  switch (lineValue(prompt, 'FORMAT')) {
    case DOC_FORMAT.incorporate:
      return incorporate(seed, prompt);
    case DOC_FORMAT.comment:
      return comment(seed, prompt);
    case DOC_FORMAT.review:
      return review(seed, prompt);
    case DOC_FORMAT.draft:
      return draft(seed, prompt);
    case DOC_FORMAT.check:
      return check(seed, prompt);
    case DOC_FORMAT.rewrite:
      return rewrite(seed, prompt);
    default:
      return null;
  }
}
