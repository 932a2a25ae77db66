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
 *
 * A file whose structure fano cannot read unambiguously (a malformed or duplicated marker, an HTML
 * comment that is never closed and so swallows what follows it) is refused whole: no patch touches
 * it until a person fixes it. Everything outside the patched section is copied byte for byte,
 * invalid UTF-8 included (planPatchBytes works on the bytes, never re-encodes them).
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

export interface StructureProblem {
  line: number;
  message: string;
  fix: string;
}

const lineOf = (text: string, index: number): number => {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

/** A short, one-line quote of where a comment starts (for messages). */
const quoteAt = (text: string, index: number): string => {
  const head = text.slice(index, index + 40).split('\n')[0]!;
  return head.length < 40 ? head : `${head}…`;
};

/**
 * HTML comments that are never closed: a `<!--` with no `-->` before the next `<!--` (or the end).
 * In a rendered page such a comment hides everything up to the next `-->`, markers included, so
 * fano cannot tell where it was meant to end.
 */
export function unterminatedComments(text: string): StructureProblem[] {
  const out: StructureProblem[] = [];
  let open = text.indexOf('<!--');
  while (open >= 0) {
    const close = text.indexOf('-->', open + 4);
    const next = text.indexOf('<!--', open + 4);
    if (close < 0 || (next >= 0 && next < close)) {
      out.push({
        line: lineOf(text, open),
        message: `the HTML comment "${quoteAt(text, open)}" is not closed${next >= 0 ? ` before the next "<!--" (line ${lineOf(text, next)})` : ''}`,
        fix: 'close it with --> where it should end',
      });
      open = next;
      continue;
    }
    open = text.indexOf('<!--', close + 3);
  }
  return out;
}

const MARKER_FIX: Record<string, string> = {
  closed: 'end the marker on its own line with -->',
  id: 'write the marker as <!-- SECTION id: s-name -->',
  reserved: 'give the section another id',
  duplicate: 'give one of the sections a new id, or delete the copy',
};

/**
 * Everything that makes the file's structure ambiguous (malformed or duplicated markers, comments
 * that are not closed), by line. A file with any of these is not patched.
 */
export function structureProblems(text: string, doc: SplitDocument = splitSections(text)): StructureProblem[] {
  const out: StructureProblem[] = [];
  for (const b of doc.blocks) {
    if (b.kind !== 'malformed') continue;
    const kind = /closed/.test(b.error ?? '')
      ? 'closed'
      : /reserved/.test(b.error ?? '')
        ? 'reserved'
        : /more than once/.test(b.error ?? '')
          ? 'duplicate'
          : 'id';
    const lines = kind === 'duplicate' ? doc.blocks.filter((x) => x.id === b.id).map((x) => x.line) : [];
    out.push({
      line: b.line,
      message: `${b.error ?? 'malformed section marker'}${lines.length > 1 ? ` (lines ${lines.join(', ')})` : ''}`,
      fix: MARKER_FIX[kind]!,
    });
  }
  out.push(...unterminatedComments(text));
  return out.sort((a, b) => a.line - b.line);
}

/** The text of a section (marker line included), the preamble for PREAMBLE_ID, or null. */
/** What sectionText returns for a malformed block (a symbol: a preamble may read "malformed"). */
export const MALFORMED_SECTION: unique symbol = Symbol('malformed section');

export function sectionText(doc: SplitDocument, id: string): string | null | typeof MALFORMED_SECTION {
  if (id === PREAMBLE_ID) return doc.lines.slice(0, doc.preambleEnd).join('');
  const b = doc.blocks.find((x) => x.id === id);
  if (!b) return null;
  if (b.kind === 'malformed') return MALFORMED_SECTION;
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

/** How a patch reads and writes the file's text: identity for strings, latin1 ↔ UTF-8 for bytes. */
interface Codec {
  /** File text → the string a module sees, or null when it cannot be read as one (invalid UTF-8). */
  decode(raw: string): string | null;
  /** A module's string → file text. */
  encode(s: string): string;
}
const IDENTITY: Codec = { decode: (s) => s, encode: (s) => s };

/**
 * The pure half of a patch: the new file text, or why not. `expectedOld` null means "the section
 * must not exist yet" (a new section); an existing section equal to `next` is 'already' (a patch
 * applied by a tick that died before recording it: idempotent, never applied twice).
 */
export function planPatch(
  current: string,
  sectionId: string,
  expectedOld: string | null,
  next: string,
  opts: PatchOptions = {},
): { result: PatchResult; text: string } {
  return planWith(IDENTITY, current, sectionId, expectedOld, next, opts);
}

function planWith(
  codec: Codec,
  current: string,
  sectionId: string,
  expectedOld: string | null,
  next: string,
  opts: PatchOptions,
): { result: PatchResult; text: string } {
  const doc = splitSections(current);
  // A file fano cannot read unambiguously is refused whole (a problem for a person to fix).
  if (structureProblems(current, doc).length > 0) return { result: 'malformed', text: current };
  const raw = sectionText(doc, sectionId);
  if (raw === MALFORMED_SECTION) return { result: 'malformed', text: current };
  const found = raw === null ? null : codec.decode(raw);
  // A section that is not valid UTF-8 would be re-encoded by any change: refused.
  if (raw !== null && found === null) return { result: 'malformed', text: current };
  if (found === next) return { result: 'already', text: current };
  if (found !== expectedOld) return { result: 'conflict', text: current };
  const l = doc.lines;
  const out = codec.encode(next);
  if (sectionId === PREAMBLE_ID) return { result: 'applied', text: out + l.slice(doc.preambleEnd).join('') };
  const b = doc.blocks.find((x) => x.id === sectionId);
  if (b) return { result: 'applied', text: l.slice(0, b.start).join('') + out + l.slice(b.end).join('') };
  // A new section: before `before`, else after `after`, when that is a well-formed section; else at the end.
  const ahead = opts.before ? doc.blocks.find((x) => x.id === opts.before && x.kind === 'section') : undefined;
  const anchor = opts.after ? doc.blocks.find((x) => x.id === opts.after && x.kind === 'section') : undefined;
  const at = ahead ? ahead.start : anchor ? anchor.end : l.length;
  let before = l.slice(0, at).join('');
  if (before !== '' && !before.endsWith('\n')) before += '\n';
  if (before !== '' && !before.endsWith('\n\n')) before += '\n';
  return { result: 'applied', text: before + out + l.slice(at).join('') };
}

// ---- Bytes: a person's file is copied byte for byte -------------------------------------------

/** Bytes → a string of one char per byte (latin1): lossless, and ASCII markers read as themselves. */
export function bytesToBinary(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return s;
}

export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const ENC = new TextEncoder();

/** The UTF-8 text of a binary string, or null when its bytes are not valid UTF-8. */
export function utf8OfBinary(s: string): string | null {
  try {
    return UTF8.decode(binaryToBytes(s));
  } catch {
    return null;
  }
}

const BYTES: Codec = { decode: utf8OfBinary, encode: (s) => bytesToBinary(ENC.encode(s)) };

/**
 * planPatch on the file's bytes: the patched section's bytes are replaced by the UTF-8 of `next`,
 * every other byte is copied as it is (invalid UTF-8 included); a target section that is not valid
 * UTF-8 is 'malformed' (changing it would re-encode a person's bytes).
 */
export function planPatchBytes(
  current: Uint8Array,
  sectionId: string,
  expectedOld: string | null,
  next: string,
  opts: PatchOptions = {},
): { result: PatchResult; bytes: Uint8Array } {
  const bin = bytesToBinary(current);
  const plan = planWith(BYTES, bin, sectionId, expectedOld, next, opts);
  return { result: plan.result, bytes: plan.result === 'applied' ? binaryToBytes(plan.text) : current };
}

/** 1-based lines of `bytes` that are not valid UTF-8. */
export function invalidUtf8Lines(bytes: Uint8Array): number[] {
  const bin = bytesToBinary(bytes);
  if (utf8OfBinary(bin) !== null) return [];
  const out: number[] = [];
  bin.split('\n').forEach((l, i) => {
    if (utf8OfBinary(l) === null) out.push(i + 1);
  });
  return out;
}
