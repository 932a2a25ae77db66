import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYaml } from '../../config/yaml-document.js';
import { ProblemError, type Problem } from '../../core/problems.js';
import type { FanoState } from '../../core/types.js';

/**
 * `state/researcher/sources.yaml`: the sources a person added (`fano source add <url>`). The file
 * is the person's (edits keep comments, see cli/source.ts); sources a model proposes live in the
 * state instead (collection `sources`, `addedBy: model`), so a person's file is never rewritten by
 * a tick.
 */

export const RESEARCHER_DIR = join('state', 'researcher');
export const SOURCES_PATH = join(RESEARCHER_DIR, 'sources.yaml');
export const CACHE_DIR = join(RESEARCHER_DIR, 'cache');
export const TEXTS_DIR = join(RESEARCHER_DIR, 'texts');

export interface SourceEntry {
  url: string;
  addedBy: 'person' | 'model';
  note?: string;
}

export class SourcesFileError extends ProblemError {}

/** Stable id of a URL (the cache file name and the state document id). */
export function sourceIdFor(url: string): string {
  return `src-${createHash('sha256').update(url.trim()).digest('hex').slice(0, 12)}`;
}

export function normalizeUrl(raw: string): string | null {
  try {
    const u = new URL(raw.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    u.hash = '';
    return u.href;
  } catch {
    return null;
  }
}

export function readSources(home: string): SourceEntry[] {
  let text: string;
  try {
    text = readFileSync(join(home, SOURCES_PATH), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return parseSourcesCached(text);
}

/**
 * The last text parsed and what it gave: discovery and the fetch pass read the sources file several
 * times a tick, and parsing YAML was a large part of it (the simulator's profile). Callers get
 * their own copies.
 */
let lastParsed: { text: string; sources: SourceEntry[] | null; error: unknown } | null = null;

function parseSourcesCached(text: string): SourceEntry[] {
  if (lastParsed === null || lastParsed.text !== text) {
    try {
      lastParsed = { text, sources: parseSources(text), error: null };
    } catch (err) {
      lastParsed = { text, sources: null, error: err };
    }
  }
  if (lastParsed.sources === null) throw lastParsed.error;
  return lastParsed.sources.map((s) => ({ ...s }));
}

/** The person's sources in a sources file's text (pure); SourcesFileError names the line. */
export function parseSources(text: string): SourceEntry[] {
  const FIX = 'correct state/researcher/sources.yaml ("sources:" then one "- url: https://…" per source), or use `fano source add <url>`';
  const parsed = parseYaml(text, SOURCES_PATH);
  const fail = (line: number | null, message: string, fix = FIX): never => {
    throw new SourcesFileError({ file: SOURCES_PATH, line, message, fix });
  };
  const first = parsed.issues[0];
  if (first) fail(first.line, first.message);
  const lineOf = (offset: number | undefined) => parsed.lineCounter.linePos(offset ?? 0).line;
  const root = parsed.data as { sources?: unknown } | null;
  if (root === null || root === undefined) return [];
  if (typeof root !== 'object' || !Array.isArray(root.sources)) return fail(1, 'expected a top-level "sources:" list');
  const seq = parsed.doc.get('sources', true) as { items?: Array<{ range?: [number, number, number] }> } | undefined;
  const out: SourceEntry[] = [];
  for (const [i, raw] of root.sources.entries()) {
    const s = typeof raw === 'string' ? { url: raw } : (raw as Record<string, unknown> | null);
    const url = s && typeof s.url === 'string' ? normalizeUrl(s.url) : null;
    if (url === null) fail(lineOf(seq?.items?.[i]?.range?.[0]), `source ${i + 1} needs an http(s) url`, 'give it a "url: https://…"');
    out.push({ url: url!, addedBy: 'person', ...(s && typeof s.note === 'string' ? { note: s.note } : {}) });
  }
  return out;
}

/** What the fetcher left for a source: state/researcher/cache/<sourceId>.json. */
export interface CacheEntry {
  sourceId: string;
  url: string;
  addedBy: 'person' | 'model';
  fetchedAt: string;
  ok: boolean;
  error: { kind: string; message: string } | null;
  finalUrl: string;
  contentType: string | null;
  /** sha256 of the text (the file state/researcher/texts/<textHash>.txt): content-addressed. */
  textHash: string | null;
  chars: number;
}

export function readCacheEntry(home: string, sourceId: string): CacheEntry | null {
  try {
    return JSON.parse(readFileSync(join(home, CACHE_DIR, `${sourceId}.json`), 'utf8')) as CacheEntry;
  } catch {
    return null;
  }
}

/** The fetched text by its hash; content-addressed, so reading it is deterministic in the hash. */
export function readSourceText(home: string, textHash: string): string | null {
  try {
    return readFileSync(join(home, TEXTS_DIR, `${textHash}.txt`), 'utf8');
  } catch {
    return null;
  }
}

export const textHashOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 24);

/** The sources file's problem, or null (the Researcher lists it as a problem). */
export function sourcesProblem(home: string): Problem | null {
  try {
    readSources(home);
    return null;
  } catch (err) {
    if (err instanceof SourcesFileError) return err.problem;
    throw err;
  }
}

/**
 * Sources known to the Researcher: the person's file, then the models' proposals in the state. A
 * sources file with a problem contributes nothing until it is fixed (the problem is listed).
 */
export function knownSources(home: string, state: Readonly<FanoState>): SourceEntry[] {
  const out = new Map<string, SourceEntry>();
  let person: SourceEntry[] = [];
  try {
    person = readSources(home);
  } catch (err) {
    if (!(err instanceof SourcesFileError)) throw err;
  }
  for (const s of person) out.set(s.url, s);
  for (const raw of Object.values(state.modules.researcher?.sources ?? {})) {
    const d = raw as { url?: unknown; addedBy?: unknown };
    if (typeof d.url === 'string' && d.addedBy === 'model' && !out.has(d.url)) out.set(d.url, { url: d.url, addedBy: 'model' });
  }
  return [...out.values()];
}
