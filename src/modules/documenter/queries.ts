import type { FanoState } from '../../core/types.js';
import { docList } from '../shared/collections.js';
import { parseDocument } from './document.js';
import { PATCHES } from './types.js';

/**
 * Read-side helpers for other parts of fano (status metrics, backlogs): the Documenter's facts
 * live partly in the state (patches) and partly in the document file, which the caller reads
 * (`state/documenter/document.md`, DOCUMENT_PATH; null when it does not exist).
 */

/**
 * Insights the document incorporates: cited by a section marker, or by a change fano made that is
 * pending or applied (a person deleting a section does not make fano write it again). A change
 * that conflicted with a person's edit does not count: it is redone.
 */
export function documentedInsightIds(state: Readonly<FanoState>, documentText: string | null): Set<string> {
  const out = new Set<string>(parseDocument(documentText ?? '').sections.flatMap((s) => s.meta.insights));
  for (const p of docList(state, PATCHES)) {
    if (p.status === 'pending' || p.status === 'applied') for (const id of p.insightIds ?? []) out.add(id);
  }
  return out;
}

/** Sections, open comments (not protected, not needing a human) and malformed markers of the document. */
export function documentCounts(documentText: string | null): { sections: number; openComments: number; malformed: number } {
  const d = parseDocument(documentText ?? '');
  return { sections: d.sections.length, openComments: d.comments.filter((c) => c.kind === 'comment' && !c.protected).length, malformed: d.malformed.length };
}
