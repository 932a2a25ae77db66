import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYaml } from '../config/yaml-document.js';
import { ProblemError } from '../core/problems.js';

export interface Seed {
  id: string;
  text: string;
  type: 'axiom' | 'conjecture' | 'question';
  priority: number;
  tags: string[];
  /** `proposed` seeds (e.g. from the Researcher) wait for `fano seed approve`; absent means active. */
  status?: 'active' | 'proposed';
  notes?: string;
}

export const SEEDS_PATH = join('state', 'explorer', 'seeds.yaml');

const NAMED_PRIORITY: Record<string, number> = { high: 8, medium: 5, low: 2 };

/** A seeds file that cannot be used; names the file and line. The rest of fano keeps running. */
export class SeedsFileError extends ProblemError {}

const FIX = 'correct the seeds file (each seed: id, text, optional type axiom|conjecture|question, priority 1-10, tags)';

/**
 * Reads `state/explorer/seeds.yaml` (the original system's format:
 * `seeds: [{id, text, type, priority, tags, notes}]`). A missing file means no seeds. Throws
 * SeedsFileError (a problem with its line) for a file that cannot be used.
 */
export function readSeeds(home: string): Seed[] {
  let text: string;
  try {
    text = readFileSync(join(home, SEEDS_PATH), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return parseSeedsCached(text);
}

/**
 * The last text parsed and what it gave. Discovery reads the seeds file after every answer of a
 * tick, and parsing the YAML was most of its cost (the simulator's profile); the file rarely
 * changes between two reads. Callers get their own copies.
 */
let lastParsed: { text: string; seeds: Seed[] | null; error: unknown } | null = null;

function parseSeedsCached(text: string): Seed[] {
  if (lastParsed === null || lastParsed.text !== text) {
    try {
      lastParsed = { text, seeds: parseSeeds(text), error: null };
    } catch (err) {
      lastParsed = { text, seeds: null, error: err };
    }
  }
  if (lastParsed.seeds === null) throw lastParsed.error;
  return lastParsed.seeds.map((s) => ({ ...s, tags: [...s.tags] }));
}

/** The seeds in a seeds file's text (pure). */
export function parseSeeds(text: string): Seed[] {
  const parsed = parseYaml(text, SEEDS_PATH);
  const fail = (line: number | null, message: string, fix = FIX): never => {
    throw new SeedsFileError({ file: SEEDS_PATH, line, message, fix });
  };
  const first = parsed.issues[0];
  if (first) fail(first.line, first.message);
  const { doc, lineCounter } = parsed;
  const lineOf = (offset: number | undefined) => lineCounter.linePos(offset ?? 0).line;
  const root = parsed.data as { seeds?: unknown } | null;
  if (root === null || root === undefined) return [];
  if (typeof root !== 'object' || !Array.isArray(root.seeds))
    return fail(lineOf(0), 'expected a top-level "seeds:" list', 'start the file with "seeds:" followed by one "- id: …" entry per seed');
  const seq = doc.get('seeds', true) as { items?: Array<{ range?: [number, number, number] }> } | undefined;
  const seen = new Set<string>();
  return root.seeds.map((raw: unknown, i: number) => {
    const at = lineOf(seq?.items?.[i]?.range?.[0]);
    if (raw === null || typeof raw !== 'object') return fail(at, `seed ${i + 1} must be a map with id and text`);
    const s = raw as Record<string, unknown>;
    const id = typeof s.id === 'string' || typeof s.id === 'number' ? String(s.id) : null;
    if (!id) return fail(at, `seed ${i + 1} has no id`, 'give the seed an "id:"');
    if (seen.has(id)) return fail(at, `duplicate seed id "${id}"`, 'give one of the two seeds another id');
    seen.add(id);
    if (typeof s.text !== 'string' || s.text.trim() === '') return fail(at, `seed "${id}" has no text`, 'give the seed a "text:"');
    const type = s.type ?? 'question';
    if (type !== 'axiom' && type !== 'conjecture' && type !== 'question')
      return fail(at, `seed "${id}" has type ${JSON.stringify(type)}`, 'use type axiom, conjecture or question');
    const p = s.priority ?? 5;
    const priority = typeof p === 'number' ? p : typeof p === 'string' ? NAMED_PRIORITY[p] : undefined;
    if (priority === undefined || priority < 1 || priority > 10)
      return fail(at, `seed "${id}" has priority ${JSON.stringify(p)}`, 'use a priority from 1 to 10, or high, medium or low');
    const tags = Array.isArray(s.tags) ? s.tags.map(String) : [];
    const status = s.status ?? 'active';
    if (status !== 'active' && status !== 'proposed')
      return fail(at, `seed "${id}" has status ${JSON.stringify(status)}`, 'use status active or proposed (or leave it out)');
    return { id, text: s.text.trim(), type, priority, tags, status, ...(typeof s.notes === 'string' ? { notes: s.notes } : {}) };
  });
}
