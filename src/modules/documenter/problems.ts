import { bytesToBinary, invalidUtf8Lines, PREAMBLE_ID, structureProblems, unterminatedComments } from '../../core/document-sections.js';
import type { Problem } from '../../core/problems.js';
import type { FanoState } from '../../core/types.js';
import { parseDocument, sectionIdFor } from './document.js';
import { docList } from '../shared/collections.js';
import { DOCUMENT_PATH, GUIDANCE_PATH, PATCHES } from './types.js';

/**
 * What a person must fix in the Documenter's files before fano touches them again (core/problems.ts).
 * While the document has any, the Documenter offers no work on it and the tick applies no patch to
 * it: an unterminated COMMENT stays untouched, a section whose marker was deleted is neither merged
 * into its neighbour nor written a second time.
 */

const UTF8_FIX = 'save the file as UTF-8';

/** At most this many lines are named for one kind of problem (a file of binary noise is one problem). */
const MAX_LINES = 3;

function utf8Problem(file: string, bytes: Uint8Array): Problem[] {
  const bad = invalidUtf8Lines(bytes);
  if (bad.length === 0) return [];
  const more = bad.length > MAX_LINES ? ` and ${bad.length - MAX_LINES} more` : '';
  return [
    {
      file,
      line: bad[0]!,
      message: `not valid UTF-8 text (line ${bad.slice(0, MAX_LINES).join(', ')}${more}); fano never re-encodes a person's text`,
      fix: UTF8_FIX,
    },
  ];
}

/**
 * Section ids fano wrote (an applied patch) that have no marker in the document any more while
 * their heading is still there: the marker was deleted by hand and the text now reads as part of
 * the section above. (A section deleted whole, heading and all, is the person's choice: no problem.)
 */
function missingMarkers(text: string, state: Readonly<FanoState> | null): Problem[] {
  if (!state) return [];
  const doc = parseDocument(text);
  const present = new Set(doc.split.blocks.map((b) => b.id).filter((id): id is string => id !== null));
  const known = new Set<string>();
  for (const p of docList(state, PATCHES)) {
    if (p.status === 'applied' && p.file === DOCUMENT_PATH && p.sectionId !== PREAMBLE_ID) known.add(p.sectionId);
  }
  const lost = [...known].filter((id) => !present.has(id));
  if (lost.length === 0) return [];
  // Headings that do not open a section (they sit in the preamble or inside another section's body).
  const own = new Set(doc.sections.map((s) => s.line + 1));
  const out: Problem[] = [];
  doc.split.lines.forEach((l, i) => {
    const m = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(l.replace(/\n$/, ''));
    if (!m || own.has(i + 1)) return;
    const slug = sectionIdFor(m[1]!, new Set());
    const id = lost.find((x) => x === slug || new RegExp(`^${slug.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+$`).test(x));
    if (!id) return;
    out.push({
      file: DOCUMENT_PATH,
      line: i + 1,
      message: `section "${id}" has lost its SECTION marker: its heading "${m[1]}" now reads as part of ${sectionAbove(doc, i)}`,
      fix: `put "<!-- SECTION id: ${id} -->" back on the line above the heading, or delete the section's text as well`,
    });
  });
  return out;
}

function sectionAbove(doc: ReturnType<typeof parseDocument>, lineIndex: number): string {
  const b = [...doc.split.blocks].reverse().find((x) => x.start < lineIndex);
  return b?.id ? `section "${b.id}"` : 'the text before the first section';
}

/** The document's problems; `state` lets missing markers be found (null: only what the file shows). */
export function documentProblems(bytes: Uint8Array | null, state: Readonly<FanoState> | null): Problem[] {
  if (bytes === null) return [];
  const bin = bytesToBinary(bytes);
  const out: Problem[] = structureProblems(bin).map((p) => ({ file: DOCUMENT_PATH, ...p }));
  out.push(...utf8Problem(DOCUMENT_PATH, bytes));
  // Latin1 and UTF-8 agree on every ASCII marker and on line numbers.
  const text = new TextDecoder().decode(bytes);
  const parsed = parseDocument(text);
  for (const m of parsed.malformed) {
    if (!/^section marker:|PROTECTED/.test(m.message)) continue; // the others are structure problems above
    out.push({
      file: DOCUMENT_PATH,
      line: m.line,
      message: m.message,
      fix: /PROTECTED/.test(m.message)
        ? 'close the block with <!-- /PROTECTED -->'
        : 'correct the marker (status: provisional|stable|needs_work, insights: [a, b])',
    });
  }
  if (out.length === 0) out.push(...missingMarkers(text, state));
  return out;
}

/** Guidance goes into every prompt: a part hidden by an unclosed comment or unreadable bytes would be sent blind. */
export function guidanceProblems(bytes: Uint8Array | null): Problem[] {
  if (bytes === null) return [];
  const out = utf8Problem(GUIDANCE_PATH, bytes);
  out.push(...unterminatedComments(bytesToBinary(bytes)).map((p) => ({ file: GUIDANCE_PATH, ...p })));
  return out;
}
