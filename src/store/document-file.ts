import fs from 'node:fs';
import path from 'node:path';
import { planPatchBytes, type PatchOptions, type PatchResult } from '../core/document-sections.js';
import { PATCHES_COLLECTION, shortHash, type PatchRecord } from '../core/document-patch.js';
import type { FanoEvent } from '../core/events.js';
import type { Json } from '../core/types.js';
import { crashPoint } from '../crash.js';
import { LockCompromisedError } from '../errors.js';
import type { Logger } from '../log.js';
import { readTextOrNull, writeFileDurable } from './fsync.js';
import { assertInsideHome } from './home-guard.js';
import type { Store } from './store.js';

/**
 * A markdown file edited by a person AND by fano (state/documenter/document.md). The store is the
 * only writer of state/, so the write lives here; modules only compute patches. The markup and the
 * pure planning of a patch are in core/document-sections.ts.
 */

/**
 * Writes `text` to `file` atomically: temp file (fsynced) → rename → directory fsync. A SIGKILL at
 * any instant leaves the old file or the new one, never a mix (the temp name `.x.<pid>.tmp` is
 * git-ignored and removed by the next locked open). Not write-file-atomic: the crash points must
 * sit between the steps.
 */
function writeDurable(file: string, text: Uint8Array): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const prefix = `.${path.basename(file)}.`;
  // Temp files of a killed writer (we hold the tick lock, so no live writer owns them).
  for (const name of fs.readdirSync(dir)) if (name.startsWith(prefix) && name.endsWith('.tmp')) fs.rmSync(path.join(dir, name), { force: true });
  writeFileDurable(file, text, { beforeRename: () => crashPoint('document.before-rename'), afterRename: () => crashPoint('document.after-rename') });
}

function readBytesOrNull(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Re-reads `file` (relative to `home`) as it is NOW and replaces one section if it is still
 * `expectedOld`. Synchronous from read to rename, so no other writer in this process interleaves.
 * Works on the file's bytes: everything outside the section is written back exactly as read.
 */
export function patchSection(
  home: string,
  file: string,
  sectionId: string,
  expectedOld: string | null,
  next: string,
  opts: PatchOptions = {},
  fence?: () => void,
): PatchResult {
  const full = path.join(home, file);
  // A missing file is only a base for a new section (it starts as `initialText`).
  const read = (): Buffer | null => readBytesOrNull(full) ?? (expectedOld === null ? Buffer.from(opts.initialText ?? '', 'utf8') : null);
  const current = read();
  if (current === null) return 'conflict';
  const plan = planPatchBytes(current, sectionId, expectedOld, next, opts);
  if (plan.result !== 'applied') return plan.result;
  // Last look before the write: a person's save landing after our read wins.
  const again = read();
  if (again === null || !again.equals(current)) return 'conflict';
  fence?.(); // the tick lock is still ours (store/lock.ts)
  assertInsideHome(home, path.dirname(full));
  writeDurable(full, plan.bytes);
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
function pendingPatches(state: Store['state']): Array<{ module: string; id: string; doc: PatchRecord }> {
  const out: Array<{ module: string; id: string; doc: PatchRecord }> = [];
  for (const [module, colls] of Object.entries(state.modules)) {
    for (const [id, doc] of Object.entries(colls[PATCHES_COLLECTION] ?? {})) {
      if (isPendingPatch(doc)) out.push({ module, id, doc });
    }
  }
  // Oldest first (ids are chosen by the module to sort by creation).
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Every module writes its `patches` collection as PatchRecords (core/document-patch.ts). */
function isPendingPatch(doc: Json): doc is PatchRecord {
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && doc.status === 'pending';
}

export function hasPendingPatches(state: Store['state']): boolean {
  return pendingPatches(state).length > 0;
}

/**
 * Applies every pending patch of every module, in id order, each followed by one logged record of
 * its outcome. Returns the outcomes. A patch whose write throws (disk full) stays pending.
 */
export async function applyPendingPatches(
  store: Store,
  now: () => Date,
  log?: Logger,
  opts: { skipFiles?: ReadonlySet<string> } = {},
): Promise<Array<{ id: string; result: PatchResult }>> {
  const done: Array<{ id: string; result: PatchResult }> = [];
  for (const { module, id, doc } of pendingPatches(store.state)) {
    // A file with an open problem (core/problems.ts) is not touched: its patches wait, pending,
    // until a person fixes it, then apply compare-and-swap like any other.
    if (opts.skipFiles?.has(doc.file)) continue;
    let result: PatchResult;
    try {
      result = patchSection(
        store.home,
        doc.file,
        doc.sectionId,
        doc.base,
        doc.next ?? '',
        { after: doc.after ?? null, before: doc.before ?? null, ...(doc.initialText !== undefined ? { initialText: doc.initialText } : {}) },
        () => store.fence(),
      );
    } catch (err) {
      if (err instanceof LockCompromisedError) throw err;
      log?.warn('document.patch_failed', { module, patch: id, file: doc.file, error: (err as Error).message });
      continue;
    }
    if (result === 'malformed') {
      log?.warn('document.patch_refused', {
        module,
        patch: id,
        file: doc.file,
        section: doc.sectionId,
        reason: 'the file has a problem a person must fix (fano status lists it); the patch waits',
      });
      continue;
    }
    const at = now();
    const applied = result === 'applied' || result === 'already';
    if (applied && doc.snapshotDir) snapshot(store, doc.file, doc.snapshotDir, at, log);
    // Once applied the texts are history (the snapshot, git): only the hash stays in the state.
    const final: PatchRecord = {
      ...doc,
      status: applied ? 'applied' : 'conflict',
      base: null,
      next: null,
      nextHash: shortHash(doc.next ?? ''),
      resolvedAt: at.toISOString(),
    };
    const ev: FanoEvent = { type: 'module.put', module, collection: PATCHES_COLLECTION, id, doc: final };
    await store.append([ev], at);
    log?.info(applied ? 'document.patched' : 'document.patch_conflict', { module, patch: id, file: doc.file, section: doc.sectionId, result });
    done.push({ id, result });
  }
  return done;
}

/** The file as it is now, copied to `<dir>/<YYYY-MM-DD>.md` (the day's last version wins). */
function snapshot(store: Store, file: string, dir: string, at: Date, log?: Logger): void {
  const home = store.home;
  try {
    const text = fs.readFileSync(path.join(home, file), 'utf8');
    const target = path.join(home, dir, `${at.toISOString().slice(0, 10)}${path.extname(file) || '.md'}`);
    if (readTextOrNull(target) === text) return;
    const d = path.dirname(target);
    assertInsideHome(home, d);
    fs.mkdirSync(d, { recursive: true });
    store.fence();
    writeFileDurable(target, text);
  } catch (err) {
    if (err instanceof LockCompromisedError) throw err;
    log?.warn('document.snapshot_failed', { file, error: (err as Error).message });
  }
}
