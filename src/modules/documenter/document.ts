import { PREAMBLE_ID, splitSections, type SplitDocument } from '../../core/document-sections.js';
import { sha256Hex } from '../../core/hash.js';
import { SECTION_STATUSES, type SectionStatus } from './types.js';

/**
 * The document's markup, pure. Markers are HTML comments (invisible when rendered):
 *   <!-- SECTION id: <id> status: provisional|stable|needs_work insights: [i-1, i-2] -->   (one short line)
 *        (older markers also carry `updated: reviewed: by: conv:`; they are still read, and fano
 *        writes that provenance to document.provenance.md instead: provenance.ts)
 *   <!-- COMMENT: text -->                      a person's comment (anywhere)
 *   <!-- COMMENT [attempted 2 <ISO>]: text -->  a comment the model disputed twice (retried later)
 *   <!-- NEEDS_HUMAN_REVIEW: text — ... -->     disputed too often: never retried
 *   <!-- RESOLVED <ISO>: "text" — answer -->    what fano did about a comment
 *   <!-- PROTECTED --> ... <!-- /PROTECTED -->  never changed by fano
 * Model output is data: `neutralize` makes sure it can never create or alter any of these.
 */

export interface SectionMeta {
  id: string;
  status: SectionStatus;
  insights: string[];
  updated: string | null;
  reviewed: string | null;
  by: string | null;
  conv: string | null;
}

export interface ParsedSection {
  meta: SectionMeta;
  /** 1-based line of the marker. */
  line: number;
  /** The whole section as in the file (marker line included): what a patch compares. */
  text: string;
  /** The `## ` heading line (without newline), or null. */
  heading: string | null;
  /** Everything after the marker and heading lines. */
  body: string;
}

export interface CommentMarker {
  kind: 'comment' | 'needs_human';
  sectionId: string;
  line: number;
  text: string;
  attempts: number;
  lastAttemptAt: string | null;
  /** Inside a PROTECTED block: fano cannot replace it, so it is never turned into a task. */
  protected: boolean;
  raw: string;
}

export interface ParsedDocument {
  split: SplitDocument;
  preamble: string;
  sections: ParsedSection[];
  malformed: Array<{ line: number; message: string }>;
  comments: CommentMarker[];
}

// A comment's text never runs past another `<!--`: an unclosed comment is a problem, not text.
const COMMENT_RE = /<!--\s*(COMMENT|NEEDS_HUMAN_REVIEW)(?:\s*\[attempted\s+(\d+)(?:\s+([^\]\s]+))?\s*\])?\s*:\s*((?:(?!<!--)[\s\S])*?)\s*-->/g;
const PROTECTED_OPEN = /<!--\s*PROTECTED\s*-->/g;
const PROTECTED_CLOSE_RE = /<!--\s*\/PROTECTED\s*-->/;
/** Every fano marker that a revision must carry over unchanged (kept out of the model's hands). */
const KEEP_RE = /<!--\s*(?:COMMENT|NEEDS_HUMAN_REVIEW|RESOLVED)\b(?:(?!<!--)[\s\S])*?-->/g;

const field = (head: string, key: string): string | null => new RegExp(`\\b${key}:\\s*(\\S+)`).exec(head)?.[1] ?? null;
const orNull = (v: string | null): string | null => (v === null || v === '-' ? null : v);

export function parseMarker(head: string): SectionMeta | string {
  const id = field(head, 'id');
  if (id === null) return 'no id';
  const status = field(head, 'status') ?? 'provisional';
  if (!(SECTION_STATUSES as readonly string[]).includes(status)) return `status "${status}" is not one of ${SECTION_STATUSES.join(', ')}`;
  const ins = /\binsights:\s*\[([^\]]*)\]/.exec(head);
  if (/\binsights:/.test(head) && !ins) return 'insights must be a [list]';
  const insights = (ins?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return {
    id,
    status: status as SectionStatus,
    insights,
    updated: orNull(field(head, 'updated')),
    reviewed: orNull(field(head, 'reviewed')),
    by: orNull(field(head, 'by')),
    conv: orNull(field(head, 'conv')),
  };
}

/** The short marker fano writes: what a reader and editor need; provenance lives in the state (provenance.ts). */
export function renderMarker(m: Pick<SectionMeta, 'id' | 'status' | 'insights'>): string {
  return `<!-- SECTION id: ${m.id} status: ${m.status} insights: [${m.insights.join(', ')}] -->`;
}

/** [start, end) character ranges of PROTECTED blocks; an unclosed one protects to the end of `text`. */
export function protectedRanges(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  PROTECTED_OPEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PROTECTED_OPEN.exec(text)) !== null) {
    const rest = text.slice(m.index + m[0].length);
    const close = PROTECTED_CLOSE_RE.exec(rest);
    const end = close ? m.index + m[0].length + close.index + close[0].length : text.length;
    out.push([m.index, end]);
    PROTECTED_OPEN.lastIndex = end;
  }
  return out;
}

const lineAt = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/**
 * The last documents parsed. Every discovery (after each answer of a tick), the problem check and
 * the backlog figures parse the same document text again; parsing was a large part of a tick's
 * work in the simulator's profile. The result is shared: callers only read it.
 */
const parsedCache: Array<{ text: string; doc: ParsedDocument }> = [];
const PARSED_CACHE_SIZE = 4;

export function parseDocument(text: string): ParsedDocument {
  const hit = parsedCache.find((c) => c.text === text);
  if (hit) return hit.doc;
  const doc = parseDocumentText(text);
  parsedCache.unshift({ text, doc });
  if (parsedCache.length > PARSED_CACHE_SIZE) parsedCache.pop();
  return doc;
}

function parseDocumentText(text: string): ParsedDocument {
  const split = splitSections(text);
  const malformed: ParsedDocument['malformed'] = [];
  const sections: ParsedSection[] = [];
  const owner: Array<{ id: string; from: number; to: number }> = [];
  for (const b of split.blocks) {
    if (b.kind === 'malformed') {
      malformed.push({ line: b.line, message: b.error ?? 'malformed section marker' });
      continue;
    }
    const lines = split.lines.slice(b.start, b.end);
    const meta = parseMarker(lines[0]!);
    if (typeof meta === 'string') {
      malformed.push({ line: b.line, message: `section marker: ${meta}` });
      continue;
    }
    let i = 1;
    while (i < lines.length && lines[i]!.trim() === '') i++;
    const heading = i < lines.length && /^#{1,6}\s/.test(lines[i]!) ? lines[i]!.replace(/\n$/, '') : null;
    const body = (heading !== null ? lines.slice(i + 1) : lines.slice(1)).join('');
    sections.push({ meta, line: b.line, text: lines.join(''), heading, body });
    owner.push({ id: meta.id, from: b.start + 1, to: b.end });
  }
  const prot = protectedRanges(text);
  for (const [a, z] of prot)
    if (!PROTECTED_CLOSE_RE.test(text.slice(a, z)))
      malformed.push({ line: lineAt(text, a), message: 'PROTECTED block is not closed: everything after it is protected' });
  const comments: CommentMarker[] = [];
  COMMENT_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = COMMENT_RE.exec(text)) !== null) {
    const line = lineAt(text, m.index);
    const block = split.blocks.find((b) => b.start < line && line <= b.end);
    // Comments in a malformed block are left alone with the block.
    if (block && block.kind === 'malformed') continue;
    const sec = owner.find((o) => o.from <= line && line <= o.to);
    if (block && !sec) continue; // the block's marker did not parse
    const t = (m[4] ?? '').trim();
    if (t === '') continue;
    comments.push({
      kind: m[1] === 'COMMENT' ? 'comment' : 'needs_human',
      sectionId: sec?.id ?? PREAMBLE_ID,
      line,
      text: t,
      attempts: m[2] ? Number(m[2]) : 0,
      lastAttemptAt: m[3] ?? null,
      protected: prot.some(([a, z]) => a <= m!.index && m!.index < z),
      raw: m[0],
    });
  }
  return { split, preamble: split.lines.slice(0, split.preambleEnd).join(''), sections, malformed: malformed.sort((a, b) => a.line - b.line), comments };
}

/** A stable short hash of a comment's text (whitespace-insensitive): part of its task key. */
export function commentHash(sectionId: string, text: string): string {
  return sha256Hex(`${sectionId}\n${text.replace(/\s+/g, ' ').trim()}`).slice(0, 12);
}

/**
 * Model text as plain data: it can never open or close an HTML comment, so it cannot create a
 * SECTION, COMMENT, NEEDS_HUMAN_REVIEW, RESOLVED or PROTECTED marker (nor end one), and cannot
 * forge a keep placeholder.
 */
export function neutralize(s: string): string {
  return s
    .replace(/<!--/g, '<!\u2014')
    .replace(/--!?>/g, '\u2014>')
    .replace(/\[\[keep:(\d+)\]\]/g, '[keep $1]');
}

/** Text from a comment or a person that goes INSIDE one of our markers: must not end it early. */
export function inMarker(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/<!--/g, '<!\u2014').replace(/--!?>/g, '\u2014>').trim();
}

export interface Kept {
  /** Text for the model: every protected block and marker replaced by `[[keep:N]]`. */
  prose: string;
  spans: string[];
}

/** Takes the protected blocks and fano markers out of a section body, leaving placeholders. */
export function keepSpans(body: string): Kept {
  const spans: string[] = [];
  const ranges: Array<[number, number]> = [...protectedRanges(body)];
  KEEP_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = KEEP_RE.exec(body)) !== null) {
    const a = m.index;
    if (!ranges.some(([x, z]) => x <= a && a < z)) ranges.push([a, a + m[0].length]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let prose = '';
  let at = 0;
  for (const [a, z] of ranges) {
    prose += body.slice(at, a) + `[[keep:${spans.length}]]`;
    spans.push(body.slice(a, z));
    at = z;
  }
  return { prose: prose + body.slice(at), spans };
}

/**
 * The model's revised prose back into a body: neutralized, then each placeholder replaced by its
 * span (or by `replace[N]`, e.g. the resolved record of the comment being answered) at its first
 * occurrence; a span whose placeholder the model dropped is appended, so protected text and
 * pending comments always survive byte for byte.
 */
export function restoreSpans(modelText: string, kept: Kept, replace: Record<number, string> = {}): string {
  let text = neutralize(modelText).replace(/\[keep (\d+)\]/g, (all, n: string) => (Number(n) < kept.spans.length ? `[[keep:${n}]]` : all));
  const missing: string[] = [];
  kept.spans.forEach((span, i) => {
    const ph = `[[keep:${i}]]`;
    const value = replace[i] ?? span;
    const at = text.indexOf(ph);
    if (at < 0) {
      missing.push(value);
      return;
    }
    text =
      text.slice(0, at) +
      value +
      text
        .slice(at + ph.length)
        .split(ph)
        .join('');
  });
  text = text.trimEnd();
  if (missing.length > 0) text = `${text}${text === '' ? '' : '\n\n'}${missing.join('\n\n')}`;
  return text;
}

/** The full text of a section: marker line, heading, blank line, body, one blank line after. */
export function renderSection(meta: SectionMeta, heading: string | null, body: string): string {
  const b = body.trim();
  return `${renderMarker(meta)}\n${heading !== null ? `${heading}\n\n` : ''}${b === '' ? '' : `${b}\n`}\n`;
}

/** A section id from a title: `s-` + slug; `taken` ids get a numeric suffix. */
export function sectionIdFor(title: string, taken: ReadonlySet<string>): string {
  const slug =
    title
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'section';
  let id = `s-${slug}`;
  for (let n = 2; taken.has(id); n++) id = `s-${slug}-${n}`;
  return id;
}

export const STARTER_DOCUMENT = `# Research notes

This document is written by fano from blessed insights, and by you. Edit it freely: fano changes
one section at a time, and never writes over a section you changed while it was working.

- To ask for a change, put an HTML comment whose text starts with COMMENT: anywhere in a section.
  fano revises the section and replaces the comment with a RESOLVED record saying what it did.
- Text between a PROTECTED and a /PROTECTED HTML comment is never changed by fano.
- Steer the writing in guidance.md next to this file.

`;

/**
 * The preamble that replaces the starter text once the document has its first section: a title
 * and an abstract (the starter's instructions live in the README and guidance.md).
 */
export function renderPreamble(title: string, abstract: string): string {
  const t = neutralize(title)
    .replace(/\s+/g, ' ')
    .replace(/^#+\s*/, '')
    .trim();
  return `# ${t}\n\n${neutralize(abstract).trim()}\n\n`;
}

export const STARTER_GUIDANCE = `# Guidance for the Documenter

Free-form notes that are included in every Documenter prompt. For example:

- Audience: a mathematically literate reader new to the subject.
- Prefer short sections with one idea each; define terms before using them.
`;
