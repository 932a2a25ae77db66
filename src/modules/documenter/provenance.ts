import type { FanoState } from '../../core/types.js';
import { docsById } from '../shared/collections.js';
import { PATCHES, type PatchDoc } from './types.js';

/**
 * Where each section of the document came from, derived from the state's `patches` (every change
 * fano made, with its time, task, backend, mode, conversation and outcome). The SECTION marker in
 * the document keeps only what a reader and editor need (id, status, insights); the rest of what
 * markers used to carry (updated, reviewed, by, conv) is here, and in the sidecar file
 * state/documenter/document.provenance.md rendered from it after every tick.
 */

export const PROVENANCE_COLLECTION = 'provenance';
/** The one document of that collection: the projection renders it as document.provenance.md. */
export const PROVENANCE_DOC = 'document';
export const PROVENANCE_EXT = '.provenance.md';

export interface SectionProvenance {
  /** The last applied change (of any kind). */
  updated: string | null;
  /** The last applied review. */
  reviewed: string | null;
  /** `backend/mode` and conversation of the last applied change. */
  by: string | null;
  conv: string | null;
  /** Every change fano made to the section, oldest first, with its outcome. */
  changes: Array<PatchDoc & { id: string }>;
}

/** Per section id, from the patches (ids sort by creation). Pure. */
export function sectionProvenance(state: Readonly<FanoState>): Map<string, SectionProvenance> {
  const out = new Map<string, SectionProvenance>();
  const patches = Object.entries(docsById(state, PATCHES)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [id, p] of patches) {
    const s = out.get(p.sectionId) ?? { updated: null, reviewed: null, by: null, conv: null, changes: [] };
    s.changes.push({ ...p, id });
    if (p.status === 'applied') {
      const at = p.resolvedAt ?? p.at;
      s.updated = at;
      s.by = `${p.backend}/${p.mode}`;
      s.conv = p.conversation;
      if (p.taskType === 'review_section') s.reviewed = at;
    }
    out.set(p.sectionId, s);
  }
  return out;
}

/** What the check said about a change, for the table ('-': only markers changed, nothing to check). */
export function checkCell(c: Pick<PatchDoc, 'check'>): string {
  const k = c.check;
  if (!k) return '-';
  const after = k.rewrites > 0 ? ` after ${k.rewrites} rewrite(s)` : '';
  return k.verdict === 'approve' ? `approved by ${k.by}${after}` : `still revise on ${k.by}${after}: applied as needs_work`;
}

const cell = (s: string | null): string => (s === null || s === '' ? '-' : s.replace(/\|/g, '\\|').replace(/\s+/g, ' '));

/** The sidecar: per section, the fields markers used to carry and every change, as markdown tables. */
export function renderProvenance(state: Readonly<FanoState>): string {
  const lines = [
    '# Provenance of document.md',
    '',
    'Rebuilt by fano after every tick from its state; edits here are overwritten. Each SECTION marker in',
    'document.md keeps its id, status and insights; this file has the rest: when fano last changed and',
    'reviewed each section, with which backend, mode and conversation, and every change it made with',
    'what the check of its new text said (a change of markers only is not checked).',
    '',
  ];
  const all = [...sectionProvenance(state)];
  if (all.length === 0) lines.push('fano has not changed the document yet.', '');
  for (const [sectionId, s] of all) {
    lines.push(`## ${sectionId === '_top' ? 'Preamble (title and abstract)' : sectionId}`, '');
    lines.push(`updated: ${s.updated ?? '-'} · reviewed: ${s.reviewed ?? '-'} · by: ${s.by ?? '-'} · conv: ${s.conv ?? '-'}`, '');
    lines.push('| time (UTC) | task | by | conversation | outcome | check | change |', '|---|---|---|---|---|---|---|');
    for (const c of s.changes)
      lines.push(`| ${c.at} | ${c.taskType} | ${c.backend}/${c.mode} | ${cell(c.conversation)} | ${c.status} | ${cell(checkCell(c))} | ${cell(c.summary)} |`);
    lines.push('');
    // A text applied with the check's issues still open: the issues, where a person reads them.
    for (const c of s.changes.filter((x) => x.check?.verdict === 'revise')) {
      lines.push(`Open issues of the change at ${c.at} (${c.check!.decision}):`, '');
      for (const i of c.check!.issues) lines.push(`- ${i.kind}: ${i.where}: ${i.problem} Fix: ${i.fix}`.replace(/\s+/g, ' '));
      lines.push('');
    }
  }
  return lines.join('\n');
}
