import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';

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
export class SeedsFileError extends Error {}

/**
 * Reads `state/explorer/seeds.yaml` (the original system's format:
 * `seeds: [{id, text, type, priority, tags, notes}]`). A missing file means no seeds.
 */
export function readSeeds(home: string): Seed[] {
  const file = join(home, SEEDS_PATH);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const where = (offset: number | undefined) => {
    const p = lc.linePos(offset ?? 0);
    return `${file}:${p.line}:${p.col}`;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new SeedsFileError(`${where(e.pos[0])}: ${e.message.split('\n')[0]}`);
  }
  const root = doc.toJS() as { seeds?: unknown } | null;
  if (root === null || root === undefined) return [];
  if (typeof root !== 'object' || !Array.isArray(root.seeds)) {
    throw new SeedsFileError(`${where(0)}: expected a top-level "seeds:" list`);
  }
  const seq = doc.get('seeds', true) as { items?: Array<{ range?: [number, number, number] }> } | undefined;
  const seen = new Set<string>();
  return root.seeds.map((raw: unknown, i: number) => {
    const at = where(seq?.items?.[i]?.range?.[0]);
    if (raw === null || typeof raw !== 'object') throw new SeedsFileError(`${at}: seed ${i + 1} must be a map with id and text`);
    const s = raw as Record<string, unknown>;
    const id = typeof s.id === 'string' || typeof s.id === 'number' ? String(s.id) : null;
    if (!id) throw new SeedsFileError(`${at}: seed ${i + 1} has no id`);
    if (seen.has(id)) throw new SeedsFileError(`${at}: duplicate seed id "${id}"`);
    seen.add(id);
    if (typeof s.text !== 'string' || s.text.trim() === '') throw new SeedsFileError(`${at}: seed "${id}" has no text`);
    const type = s.type ?? 'question';
    if (type !== 'axiom' && type !== 'conjecture' && type !== 'question') {
      throw new SeedsFileError(`${at}: seed "${id}" has type "${String(type)}" (expected axiom, conjecture or question)`);
    }
    const p = s.priority ?? 5;
    const priority = typeof p === 'number' ? p : NAMED_PRIORITY[String(p)];
    if (priority === undefined || priority < 1 || priority > 10) {
      throw new SeedsFileError(`${at}: seed "${id}" priority must be 1-10 or high|medium|low`);
    }
    const tags = Array.isArray(s.tags) ? s.tags.map(String) : [];
    const status = s.status ?? 'active';
    if (status !== 'active' && status !== 'proposed') throw new SeedsFileError(`${at}: seed "${id}" has status "${String(status)}" (expected active or proposed)`);
    return { id, text: s.text.trim(), type, priority, tags, status, ...(typeof s.notes === 'string' ? { notes: s.notes } : {}) };
  });
}
