import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FanoEvent } from '../core/events.js';
import type { Json } from '../core/types.js';
import { crashPoint } from '../crash.js';
import type { Logger } from '../log.js';
import { fsyncDir, readTextOrNull, writeFileDurable } from './fsync.js';
import type { Store } from './store.js';

/**
 * A markdown file edited by a person AND by fano (state/documenter/document.md). The store is the
 * only writer of state/, so the write lives here; modules only compute patches.
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
  // A new section: after `after` when it is a well-formed section, else at the end.
  const anchor = opts.after ? doc.blocks.find((x) => x.id === opts.after && x.kind === 'section') : undefined;
  const at = anchor ? anchor.end : l.length;
  let before = l.slice(0, at).join('');
  if (before !== '' && !before.endsWith('\n')) before += '\n';
  if (before !== '' && !before.endsWith('\n\n')) before += '\n';
  return { result: 'applied', text: before + next + l.slice(at).join('') };
}

/**
 * Writes `text` to `file` atomically: temp file (fsynced) → rename → directory fsync. A SIGKILL at
 * any instant leaves the old file or the new one, never a mix (the temp name `.x.<pid>.tmp` is
 * git-ignored and removed by the next locked open). Not write-file-atomic: the crash points must
 * sit between the steps.
 */
function writeDurable(file: string, text: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const prefix = `.${path.basename(file)}.`;
  // Temp files of a killed writer (we hold the tick lock, so no live writer owns them).
  for (const name of fs.readdirSync(dir)) if (name.startsWith(prefix) && name.endsWith('.tmp')) fs.rmSync(path.join(dir, name), { force: true });
  writeFileDurable(file, text, { beforeRename: () => crashPoint('document.before-rename'), afterRename: () => crashPoint('document.after-rename') });
}

/**
 * Re-reads `file` (relative to `home`) as it is NOW and replaces one section if it is still
 * `expectedOld`. Synchronous from read to rename, so no other writer in this process interleaves.
 */
export function patchSection(home: string, file: string, sectionId: string, expectedOld: string | null, next: string, opts: PatchOptions = {}): PatchResult {
  const full = path.join(home, file);
  // A missing file is only a base for a new section (it starts as `initialText`).
  const read = (): string | null => readTextOrNull(full) ?? (expectedOld === null ? (opts.initialText ?? '') : null);
  const current = read();
  if (current === null) return 'conflict';
  const plan = planPatch(current, sectionId, expectedOld, next, opts);
  if (plan.result !== 'applied') return plan.result;
  // Last look before the write: a person's save landing after our read wins.
  if (read() !== current) return 'conflict';
  writeDurable(full, plan.text);
  return 'applied';
}

// ---- Pending patches: the hand-off from a module's answer to the file -------------------------

/**
 * A module records a change to a shared document as a `patches` doc (module.put, logged in the
 * same record as the task's completion). The tick then calls applyPendingPatches, which writes the
 * file and logs the outcome. Crash ordering, and why nothing is lost or applied twice:
 *   1. the pending doc is durable in the log before the file is touched;
 *   2. the file is replaced atomically;
 *   3. the outcome (applied | conflict | malformed) is logged.
 * A crash before 2 leaves the doc pending: the next tick applies it. A crash between 2 and 3 also
 * leaves it pending, and the next attempt finds the section already equal to `next`: 'already',
 * recorded as applied without a second write.
 */
export interface PendingPatchDoc {
  status: 'pending' | 'applied' | 'conflict' | 'malformed';
  /** Relative to the home. */
  file: string;
  sectionId: string;
  base: string | null;
  next: string | null;
  after?: string | null;
  /** Text of the file when it does not exist yet. */
  initialText?: string;
  /** Folder (relative to the home) for a daily snapshot of the file after each applied patch. */
  snapshotDir?: string | null;
  /** sha256 (16 hex) of `next`: kept when the texts are dropped once applied. */
  nextHash?: string;
  resolvedAt?: string | null;
  [k: string]: Json | undefined;
}

export const PATCHES_COLLECTION = 'patches';
export const shortHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

function pendingPatches(state: Store['state']): Array<{ module: string; id: string; doc: PendingPatchDoc }> {
  const out: Array<{ module: string; id: string; doc: PendingPatchDoc }> = [];
  for (const [module, colls] of Object.entries(state.modules)) {
    for (const [id, raw] of Object.entries(colls[PATCHES_COLLECTION] ?? {})) {
      const doc = raw as unknown as PendingPatchDoc;
      if (doc && doc.status === 'pending') out.push({ module, id, doc });
    }
  }
  // Oldest first (ids are chosen by the module to sort by creation).
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function hasPendingPatches(state: Store['state']): boolean {
  return pendingPatches(state).length > 0;
}

/**
 * Applies every pending patch of every module, in id order, each followed by one logged record of
 * its outcome. Returns the outcomes. A patch whose write throws (disk full) stays pending.
 */
export async function applyPendingPatches(store: Store, now: () => Date, log?: Logger): Promise<Array<{ id: string; result: PatchResult }>> {
  const done: Array<{ id: string; result: PatchResult }> = [];
  for (const { module, id, doc } of pendingPatches(store.state)) {
    let result: PatchResult;
    try {
      result = patchSection(store.home, doc.file, doc.sectionId, doc.base, doc.next ?? '', { after: doc.after ?? null, ...(doc.initialText !== undefined ? { initialText: doc.initialText } : {}) });
    } catch (err) {
      log?.warn('document.patch_failed', { module, patch: id, file: doc.file, error: (err as Error).message });
      continue;
    }
    const at = now();
    const applied = result === 'applied' || result === 'already';
    if (applied && doc.snapshotDir) snapshot(store.home, doc.file, doc.snapshotDir, at, log);
    // Once applied the texts are history (the snapshot, git): only the hash stays in the state.
    const final: PendingPatchDoc = { ...doc, status: applied ? 'applied' : result === 'malformed' ? 'malformed' : 'conflict', base: null, next: null, nextHash: shortHash(doc.next ?? ''), resolvedAt: at.toISOString() };
    const ev: FanoEvent = { type: 'module.put', module, collection: PATCHES_COLLECTION, id, doc: final as unknown as Json };
    await store.append([ev], at);
    log?.info(applied ? 'document.patched' : 'document.patch_conflict', { module, patch: id, file: doc.file, section: doc.sectionId, result });
    done.push({ id, result });
  }
  return done;
}

/** The file as it is now, copied to `<dir>/<YYYY-MM-DD>.md` (the day's last version wins). */
function snapshot(home: string, file: string, dir: string, at: Date, log?: Logger): void {
  try {
    const text = fs.readFileSync(path.join(home, file), 'utf8');
    const target = path.join(home, dir, `${at.toISOString().slice(0, 10)}${path.extname(file) || '.md'}`);
    if (readTextOrNull(target) === text) return;
    const d = path.dirname(target);
    fs.mkdirSync(d, { recursive: true });
    const tmp = path.join(d, `.${path.basename(target)}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, target);
    fsyncDir(d);
  } catch (err) {
    log?.warn('document.snapshot_failed', { file, error: (err as Error).message });
  }
}
