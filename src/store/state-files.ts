import fs from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, parseDocument, type Document, type YAMLSeq } from 'yaml';
import { onFile } from '../errors.js';
import { fsyncDir, readTextOrNull, writeFileDurable } from './fsync.js';
import { assertInsideHome } from './home-guard.js';

/**
 * The store's writer for files under state/ that are not the log or the checkpoint: the seeds and
 * sources a person edits too, the Researcher's cache and texts, the files `fano init` creates.
 * Every write is durable (temp file fsynced, rename, directory fsynced; a new folder's parent
 * fsynced too) and, when a lock is held, fenced: `fence` proves the tick lock is still ours
 * immediately before the write (store/lock.ts). A fence test keeps code outside src/store from
 * writing under state/ by itself (test/fences/state-writers.test.ts).
 */

export type Fence = () => void;

/** Makes `dir` and its missing parents, each new entry made durable by fsyncing its parent. */
export function ensureDirDurable(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    onFile(d, () => fs.mkdirSync(d));
    fsyncDir(path.dirname(d));
  }
}

/** Replaces (or creates) `file` with `text`, fenced and durable. */
export function writeStateFile(fence: Fence, file: string, text: string | Buffer): void {
  fence();
  const at = path.resolve(file).lastIndexOf(`${path.sep}state${path.sep}`);
  if (at >= 0) assertInsideHome(path.resolve(file).slice(0, at) || path.sep, path.dirname(file));
  ensureDirDurable(path.dirname(file));
  fence();
  writeFileDurable(file, text);
}

/**
 * Creates `file` with `text` only if it does not exist (never overwrites a person's file), durably:
 * the temp file is fsynced and then hard-linked to the name, which fails if the name exists.
 * Returns whether it created the file.
 */
export function createStateFile(file: string, text: string): boolean {
  ensureDirDurable(path.dirname(file));
  if (fs.existsSync(file)) return false;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  onFile(file, () => {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  fsyncDir(path.dirname(file));
  return true;
}

/** A YAML list file that cannot be edited (not a map with a `<key>:` list). */
export class YamlListFileError extends Error {}

/**
 * The one editor of the YAML list files a person and fano both write (`seeds:` in
 * state/explorer/seeds.yaml, `sources:` in state/researcher/sources.yaml): reads the file as it is
 * now, hands `edit` its list as a yaml Document node (so the person's comments, order and layout
 * are kept), and writes the result back through writeStateFile when the edit changed it. A missing or empty
 * file starts as `emptyText`. Returns what `edit` returns.
 */
export function editYamlList<R>(fence: Fence, file: string, key: string, emptyText: string, edit: (list: YAMLSeq, doc: Document) => R): R {
  const text = readTextOrNull(file) ?? '';
  const doc = parseDocument(text.trim() === '' ? emptyText : text);
  if (doc.errors.length > 0) throw new YamlListFileError(`${file}: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (!isMap(doc.contents)) throw new YamlListFileError(`${file}: expected a top-level "${key}:" list`);
  if (!isSeq(doc.get(key, true))) doc.set(key, doc.createNode([]));
  const unedited = doc.toString();
  const result = edit(doc.get(key, true) as YAMLSeq, doc);
  const after = doc.toString();
  // Only an edit writes: a file that merely lacked its list is left as the person wrote it.
  if (after !== unedited) writeStateFile(fence, file, after);
  return result;
}
