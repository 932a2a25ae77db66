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

const cell = (s: string | null): string => (s === null || s === '' ? '-' : s.replace(/\|/g, '\\|').replace(/\s+/g, ' '));

/** The sidecar: per section, the fields markers used to carry and every change, as markdown tables. */
export function renderProvenance(state: Readonly<FanoState>): string {
  const lines = [
    '# Provenance of document.md',
    '',
    'Rebuilt by fano after every tick from its state; edits here are overwritten. Each SECTION marker in',
    'document.md keeps its id, status and insights; this file has the rest: when fano last changed and',
    'reviewed each section, with which backend, mode and conversation, and every change it made.',
    '',
  ];
  const all = [...sectionProvenance(state)];
  if (all.length === 0) lines.push('fano has not changed the document yet.', '');
  for (const [sectionId, s] of all) {
    lines.push(`## ${sectionId === '_top' ? 'Preamble (title and abstract)' : sectionId}`, '');
    lines.push(`updated: ${s.updated ?? '-'} · reviewed: ${s.reviewed ?? '-'} · by: ${s.by ?? '-'} · conv: ${s.conv ?? '-'}`, '');
    lines.push('| time (UTC) | task | by | conversation | outcome | change |', '|---|---|---|---|---|---|');
    for (const c of s.changes) lines.push(`| ${c.at} | ${c.taskType} | ${c.backend}/${c.mode} | ${cell(c.conversation)} | ${c.status} | ${cell(c.summary)} |`);
    lines.push('');
  }
  return lines.join('\n');
}
