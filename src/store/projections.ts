import fs from 'node:fs';
import path from 'node:path';
import { sha256Hex } from '../core/hash.js';
import type { ProjectionSpec } from '../core/projection-spec.js';
import type { FanoState } from '../core/types.js';
import { LockCompromisedError } from '../errors.js';
import type { Logger } from '../log.js';
import { fsyncDir, readTextOrNull, writeFileDurable } from './fsync.js';
import { leadsOutOfHome } from './home-guard.js';

/**
 * Projections: readable, git-diffable files mirroring module collections (e.g. one JSON file per
 * explorer thread, one markdown file per insight). The checkpoint stays the source of truth: a
 * projection is rebuilt from the state after every checkpoint, so a crash between the two only
 * leaves files one tick stale, and the next tick rewrites them.
 *
 * Each file is written atomically (temp file + fsync + rename) and only when its bytes change;
 * files of documents no longer in the collection are deleted. The store is the only writer of
 * state/, and this is the store's code: modules only supply pure renderers (core/projection-spec.ts).
 */
export interface ProjectionReport {
  written: string[];
  deleted: string[];
  /** Files left alone because a person changed them while we were writing (retried next tick). */
  skipped: string[];
  errors: string[];
}

/** Ids that are safe as one path segment; others are hashed (never a path outside `dir`). */
export function projectionFileName(id: string, ext: string): string {
  const safe = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,120}$/.test(id) && !id.includes('..');
  return (safe ? id : `id-${sha256Hex(id).slice(0, 16)}`) + ext;
}

const TEMP_RE = /^\..*\.tmp$/;

/** Writes every projection of `specs` for `state`. Never throws for one bad file: reports it. */
/**
 * `fence` proves the tick lock is still ours right before each file write (store/lock.ts); when it
 * throws (LockCompromisedError) nothing more is written and the error propagates.
 */
export function writeProjections(
  home: string,
  state: Readonly<FanoState>,
  specs: readonly ProjectionSpec[],
  log?: Logger,
  fence?: () => void,
): ProjectionReport {
  const report: ProjectionReport = { written: [], deleted: [], skipped: [], errors: [] };
  for (const spec of specs) {
    const dir = path.join(home, spec.dir);
    const escaped = leadsOutOfHome(home, dir);
    if (escaped !== null) {
      // A folder that leads out of the home is a problem (the tick reports it) and stays unwritten.
      report.errors.push(`${spec.dir}: leads out of the home (a symlink to ${escaped}); nothing written there`);
      continue;
    }
    const docs = state.modules[spec.module]?.[spec.collection] ?? {};
    const wanted = new Set<string>();
    let touched = false;
    try {
      fs.mkdirSync(dir, { recursive: true });
      for (const [id, doc] of Object.entries(docs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const name = projectionFileName(id, spec.ext);
        wanted.add(name);
        const file = path.join(dir, name);
        try {
          const current = readTextOrNull(file);
          let text = spec.render(id, doc, state);
          if (current !== null && spec.merge) text = spec.merge(current, text);
          if (current === text) continue;
          // Compare-and-swap against a person editing the file right now: if it changed since we
          // read it, leave it (the next tick merges the edit).
          if (readTextOrNull(file) !== current) {
            report.skipped.push(path.join(spec.dir, name));
            continue;
          }
          fence?.();
          writeFileDurable(file, text);
          touched = true;
          report.written.push(path.join(spec.dir, name));
        } catch (err) {
          if (err instanceof LockCompromisedError) throw err;
          report.errors.push(`${path.join(spec.dir, name)}: ${(err as Error).message}`);
        }
      }
      for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
        if (!ent.isFile()) continue;
        const full = path.join(dir, ent.name);
        fence?.();
        if (TEMP_RE.test(ent.name)) {
          fs.rmSync(full, { force: true }); // a temp file of a write a crash interrupted
        } else if (ent.name.endsWith(spec.ext) && !wanted.has(ent.name)) {
          fs.rmSync(full, { force: true });
          touched = true;
          report.deleted.push(path.join(spec.dir, ent.name));
        }
      }
      if (touched) fsyncDir(dir);
    } catch (err) {
      if (err instanceof LockCompromisedError) throw err;
      report.errors.push(`${spec.dir}: ${(err as Error).message}`);
    }
  }
  if (log && (report.written.length > 0 || report.deleted.length > 0))
    log.info('state.projected', { written: report.written.length, deleted: report.deleted.length });
  if (log && report.skipped.length > 0) log.info('state.projection_skipped', { files: report.skipped });
  if (log && report.errors.length > 0) log.warn('state.projection_failed', { errors: report.errors });
  return report;
}
