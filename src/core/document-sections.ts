/**
 * The markup of a markdown file edited by a person AND by fano (the Documenter's document), pure:
 * the store applies patches with it and the modules read the file with it.
 *
 * A file is a preamble followed by sections. A section starts at a marker line
 * `<!-- SECTION id: <id> ... -->` and runs up to (not including) the next marker line. A marker
 * that cannot be read (no id, not closed on its line, an id used twice) starts a *malformed* block:
 * it is reported with its line, and no patch ever touches it.
 *
 * A patch replaces ONE section of the file as it is NOW, and only if that section is still exactly
 * the text fano based its change on (compare-and-swap): a person's edit made meanwhile is never
 * written over ('conflict': the module retries on the new text).
 */

export const PREAMBLE_ID = '_top';
const MARKER_LINE_RE = /^\s*<!--\s*SECTION\b/;
const ID_RE = /\bid:\s*([A-Za-z0-9][A-Za-z0-9._-]*)/;

export interface SectionBlock {
  kind: 'section' | 'malformed';
  /** The section id (also set on a duplicate-id block, which is malformed). */
  id: string | null;
  /** 1-based line of the marker. */
  line: number;
  /** Index range in the file's lines, [startLine, endLine) 0-based. */
  start: number;
  end: number;
  error: string | null;
}

export interface SplitDocument {
  /** The file split after each '\n' (every element but maybe the last ends with '\n'). */
  lines: string[];
  /** Lines [0, preambleEnd) are the preamble. */
  preambleEnd: number;
  blocks: SectionBlock[];
}

function splitLines(text: string): string[] {
  const out = text.split(/(?<=\n)/);
  return out.length === 1 && out[0] === '' ? [] : out;
}

/** Splits a file into preamble and section blocks; pure. */
export function splitSections(text: string): SplitDocument {
  const lines = splitLines(text);
  const starts: number[] = [];
  lines.forEach((l, i) => {
    if (MARKER_LINE_RE.test(l)) starts.push(i);
  });
  const blocks: SectionBlock[] = starts.map((start, k) => {
    const end = starts[k + 1] ?? lines.length;
    const head = lines[start]!;
    const line = start + 1;
    if (!/-->\s*$/.test(head)) return { kind: 'malformed', id: null, line, start, end, error: 'section marker is not closed with --> on its line' };
    const id = ID_RE.exec(head)?.[1] ?? null;
    if (id === null) return { kind: 'malformed', id: null, line, start, end, error: 'section marker has no valid "id: <id>"' };
    if (id === PREAMBLE_ID) return { kind: 'malformed', id, line, start, end, error: `section id "${PREAMBLE_ID}" is reserved` };
    return { kind: 'section', id, line, start, end, error: null };
  });
  // An id used twice is ambiguous: neither block can be addressed safely.
  const count = new Map<string, number>();
  for (const b of blocks) if (b.id !== null && b.kind === 'section') count.set(b.id, (count.get(b.id) ?? 0) + 1);
  for (const b of blocks) {
    if (b.kind === 'section' && (count.get(b.id!) ?? 0) > 1) {
      b.kind = 'malformed';
      b.error = `section id "${b.id}" is used more than once`;
    }
  }
  return { lines, preambleEnd: starts[0] ?? lines.length, blocks };
}

/** The text of a section (marker line included), the preamble for PREAMBLE_ID, or null. */
export function sectionText(doc: SplitDocument, id: string): string | null | 'malformed' {
  if (id === PREAMBLE_ID) return doc.lines.slice(0, doc.preambleEnd).join('');
  const b = doc.blocks.find((x) => x.id === id);
  if (!b) return null;
  if (b.kind === 'malformed') return 'malformed';
  return doc.lines.slice(b.start, b.end).join('');
}

export type PatchResult = 'applied' | 'already' | 'conflict' | 'malformed';

export interface PatchOptions {
  /** For a new section (expectedOld null): insert after this section (null or missing: at the end). */
  after?: string | null;
  /** For a new section: insert before this section (wins over `after` while it exists). */
  before?: string | null;
  /** The file's text when it does not exist yet (a new section is appended to it). */
  initialText?: string;
}

/**
 * The pure half of a patch: the new file text, or why not. `expectedOld` null means "the section
 * must not exist yet" (a new section); an existing section equal to `next` is 'already' (a patch
 * applied by a tick that died before recording it: idempotent, never applied twice).
 */
export function planPatch(current: string, sectionId: string, expectedOld: string | null, next: string, opts: PatchOptions = {}): { result: PatchResult; text: string } {
  const doc = splitSections(current);
  const found = sectionText(doc, sectionId);
  if (found === 'malformed') return { result: 'malformed', text: current };
  if (found === next) return { result: 'already', text: current };
  if (found !== expectedOld) return { result: 'conflict', text: current };
  const l = doc.lines;
  if (sectionId === PREAMBLE_ID) return { result: 'applied', text: next + l.slice(doc.preambleEnd).join('') };
  const b = doc.blocks.find((x) => x.id === sectionId);
  if (b) return { result: 'applied', text: l.slice(0, b.start).join('') + next + l.slice(b.end).join('') };
  // A new section: before `before`, else after `after`, when that is a well-formed section; else at the end.
  const ahead = opts.before ? doc.blocks.find((x) => x.id === opts.before && x.kind === 'section') : undefined;
  const anchor = opts.after ? doc.blocks.find((x) => x.id === opts.after && x.kind === 'section') : undefined;
  const at = ahead ? ahead.start : anchor ? anchor.end : l.length;
  let before = l.slice(0, at).join('');
  if (before !== '' && !before.endsWith('\n')) before += '\n';
  if (before !== '' && !before.endsWith('\n\n')) before += '\n';
  return { result: 'applied', text: before + next + l.slice(at).join('') };
}
