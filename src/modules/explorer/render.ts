import { stringify } from 'yaml';
import { unterminatedComments } from '../../core/document-sections.js';
import { stableStringify } from '../../core/stable-json.js';
import type { FanoState, Json } from '../../core/types.js';
import { insightView, type InsightView } from './queries.js';
import { claimVerdict } from './review.js';
import { structureOf, type InsightStructure } from './structure.js';
import { normalizeText } from './text.js';
import type { ExchangeChat, InsightDoc, ThreadDoc } from './types.js';

/**
 * How the Explorer's documents look on disk: state/explorer/threads/<id>.md (the thread to read),
 * threads/<id>.json (the same thread as data, for scripts) and insights/<id>.md. Pure renderers:
 * the store's projection writes them.
 */

export const INSIGHTS_DIR = 'state/explorer/insights';
export const THREADS_DIR = 'state/explorer/threads';

export function renderThread(doc: Json): string {
  return stableStringify(doc);
}

/** `2026-01-10 12:00:05 UTC`: state times are ISO UTC; a reader wants them plain. */
function when(iso: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : iso;
}

/** Which conversation an exchange was in, and whether the thread's context was sent or kept by the site. */
function chatLine(c: ExchangeChat): string {
  if (c.url === null) return '_One request (the backend keeps no conversation): the thread so far was sent with it._';
  const url = neutral(c.url);
  if (c.how === 'continued') return `_In the continued chat ${url}: only the turns since its last answer were sent._`;
  if (c.how === 'repair') return `_In a chat of its own, ${url}: a repair prompt on another backend than the question's._`;
  return `_In a new chat ${url}, opened with the pinned summary and the recent exchanges._`;
}

/**
 * A thread as a person reads it: the seed, its state and insights, the pinned running summary,
 * then every exchange in order with its role, backend, mode and time. Model text is kept as
 * written (it is markdown) except that it can never open or close an HTML comment.
 */
export function renderThreadMarkdown(doc: ThreadDoc): string {
  const lines: string[] = [`# Thread ${doc.id}`, '', `> ${neutral(doc.seedText).replace(/\n/g, '\n> ')}`, ''];
  const tags = doc.tags.length > 0 ? `, tags ${doc.tags.join(', ')}` : '';
  lines.push(
    `Seed \`${doc.seedId}\` (${doc.seedType}${tags}). Status: **${doc.status}**, ${doc.exchanges.length} exchange(s), started ${when(doc.createdAt)}, last change ${when(doc.updatedAt)}.`,
    '',
  );
  if (doc.error) lines.push(`Failed: ${neutral(doc.error)}`, '');
  if (doc.insightIds.length > 0) lines.push(`Insights: ${doc.insightIds.map((i) => `[${i}](../insights/${i}.md)`).join(', ')}`, '');
  if (doc.summary) {
    lines.push(`## Running summary (exchanges 1–${doc.summary.throughIndex + 1})`, '', neutral(doc.summary.text).trim(), '');
  }
  for (const x of doc.exchanges) {
    lines.push(`## Exchange ${x.index + 1}: ${x.role === 'explore' ? 'exploring' : 'critiquing'}, ${x.backend} (${x.mode}), ${when(x.at)}`, '');
    if (x.chat) lines.push(chatLine(x.chat), '');
    lines.push(neutral(x.text).trim(), '');
  }
  if (doc.exchanges.length === 0) lines.push('_No exchange yet: the first is sent at a coming tick._', '');
  return lines.join('\n');
}

// A comment's text never runs past another `<!--`: an unclosed comment is a problem, not text.
const COMMENT_RE = /<!--\s*COMMENT:\s*((?:(?!<!--)[\s\S])*?)\s*-->/g;

/** `<!-- COMMENT: … -->` markers a person wrote into an insight file, in order. */
export function readCommentMarkers(text: string): string[] {
  return [...text.matchAll(COMMENT_RE)].map((m) => (m[1] ?? '').trim()).filter((t) => t !== '');
}

/** Comment text and model text never close an HTML comment or open a marker in our file. */
function neutral(s: string): string {
  return s.replace(/<!--/g, '<!—').replace(/-->/g, '—>');
}

const ROUND_NAME: Record<number, string> = {
  2: ' (after reading the others and the verification)',
  3: " (the minority's strongest case)",
  4: " (the majority's answer)",
};
const flat = (s: string) => s.replace(/\s+/g, ' ').trim();

const ARGUMENT_HEADING: Record<InsightStructure['kind'], string> = {
  proved: 'Proof',
  computed: 'Computation',
  conjectured: 'Evidence (a conjecture: not proved)',
};

export function renderInsight(v: InsightView): string {
  const st = structureOf(v);
  const front = {
    id: v.id,
    status: v.status,
    disputed: v.disputed,
    decidedBy: v.decidedBy,
    revision: v.revision,
    kind: st.kind,
    dependsOn: st.dependsOn,
    tags: v.tags,
    confidence: v.confidence,
    source: { thread: v.threadId, seed: v.seedId, exchanges: v.exchanges },
    provenance: v.provenance,
    duplicateOf: v.duplicateOf,
    similarity: v.similarity,
    panel: v.panel,
    reason: v.reason,
    verification: v.verification.map((c) => ({
      claim: c.claim + 1,
      verdict: claimVerdict(c),
      confidence: c.verification?.confidence ?? null,
      backend: c.verification?.backend ?? null,
    })),
    reviews: v.rounds.flatMap((r) =>
      r.reviews.map((x) => ({
        round: r.round,
        slot: x.slot,
        backend: x.backend,
        mode: x.mode,
        rating: x.rating,
        confidence: x.confidence,
        claims: (x.claims ?? []).map((c) => c.verdict),
        structuralDepth: x.structuralDepth?.verdict ?? null,
        naturalness: x.naturalness?.verdict ?? null,
        changedFrom: x.changedFrom,
        at: x.at,
      })),
    ),
    decision: v.decision,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
  };
  const lines: string[] = [
    '---',
    stringify(front, { lineWidth: 0 }).trimEnd(),
    '---',
    '',
    `# Insight ${v.id} (${st.kind})`,
    '',
    '## Statement',
    '',
    neutral(st.statement),
    '',
  ];
  lines.push(
    `## ${ARGUMENT_HEADING[st.kind]}`,
    '',
    st.argument.trim() === '' ? '_None recorded (extracted before insights carried their argument)._' : neutral(st.argument),
    '',
  );
  lines.push('## Claims', '', ...st.claims.map((c, i) => `${i + 1}. ${neutral(c)}`), '');
  if (st.dependsOn.length > 0) lines.push(`Depends on: ${st.dependsOn.map((d) => (d.startsWith('i-') ? `[${d}](${d}.md)` : `seed \`${d}\``)).join(', ')}`, '');
  if (v.duplicateOf) lines.push(`Duplicate of [${v.duplicateOf}](${v.duplicateOf}.md) (similarity ${v.similarity}).`, '');
  if (v.verification.some((c) => c.verification !== null || c.abstained)) {
    lines.push('## Verification', '');
    for (const c of v.verification) {
      const d = c.verification;
      if (!d) {
        lines.push(`- claim ${c.claim + 1}: ${c.abstained ? 'no verdict (the prove-or-refute task failed)' : 'pending'}`);
        continue;
      }
      lines.push(`- claim ${c.claim + 1}: **${d.verdict}** (confidence ${d.confidence}, ${d.backend}, ${d.mode}): ${neutral(flat(d.argument))}`);
      if (d.counterexample) lines.push(`  - counterexample: ${neutral(flat(d.counterexample))}`);
    }
    lines.push('');
  }
  for (const r of v.rounds) {
    if (r.reviews.length === 0 && r.abstained.length === 0) continue;
    lines.push(`## Review round ${r.round}${ROUND_NAME[r.round] ?? ''}`, '');
    for (const x of r.reviews) {
      const changed = x.changedFrom ? ` (changed from ${x.changedFrom})` : '';
      lines.push(`- **${x.rating}**${changed}, confidence ${x.confidence}, reviewer ${x.slot + 1} on ${x.backend} (${x.mode}): ${neutral(flat(x.reasoning))}`);
      for (const [i, c] of (x.claims ?? []).entries()) lines.push(`  - claim ${i + 1}: ${c.verdict}: ${neutral(flat(c.argument))}`);
      if (x.structuralDepth) lines.push(`  - structural depth: ${x.structuralDepth.verdict}: ${neutral(flat(x.structuralDepth.argument))}`);
      if (x.naturalness) lines.push(`  - naturalness: ${x.naturalness.verdict}: ${neutral(flat(x.naturalness.argument))}`);
    }
    for (const s of r.abstained) lines.push(`- reviewer ${s + 1} abstained (its review failed)`);
    lines.push('');
  }
  if (v.reason && v.decidedBy !== 'human') lines.push(`Decided by the ${v.decidedBy}: ${v.status} (${v.reason}).`, '');
  if (v.decision)
    lines.push('## Decision', '', `${v.decision.status} by a human at ${v.decision.at}${v.decision.note ? `: ${neutral(v.decision.note)}` : ''}`, '');
  if (v.history.length > 0) {
    lines.push('## Earlier revisions', '');
    for (const h of v.history) lines.push(`- revision ${h.revision} (${h.reason}): ${neutral(h.text)}`);
    lines.push('');
  }
  if (v.comments.length > 0) {
    lines.push('## Comments', '');
    for (const c of v.comments) {
      lines.push(`- (${c.status}) ${neutral(c.text)}`);
      if (c.answer) lines.push(`  - answer${c.revised ? ' (insight revised)' : ''}: ${neutral(c.answer.replace(/\s+/g, ' '))}`);
    }
    lines.push('');
  }
  lines.push(
    `_To comment, add an HTML comment whose text starts with "COMMENT:" anywhere in this file, or run \`fano insight comment ${v.id} "<text>"\`._`,
    '',
  );
  return lines.join('\n');
}

export function renderInsightDoc(_id: string, doc: InsightDoc, state: Readonly<FanoState>): string {
  return renderInsight(insightView(state, doc));
}

/**
 * Before an insight file is rewritten: comments the person typed into it that fano has not yet
 * recorded (their text is not in the new rendering) are carried over, so a rewrite never loses
 * one. Once recorded, the rendering lists the comment and the raw marker is dropped.
 */
export function keepNewComments(current: string, rendered: string): string {
  // A file with an unclosed comment is the person's to fix (a problem): it is not rewritten meanwhile.
  if (unterminatedComments(current).length > 0) return current;
  const renderedNorm = normalizeText(rendered);
  const pending = readCommentMarkers(current).filter((c) => !renderedNorm.includes(normalizeText(c)));
  if (pending.length === 0) return rendered;
  return `${rendered.trimEnd()}\n\n${pending.map((c) => `<!-- COMMENT: ${c} -->`).join('\n')}\n`;
}
