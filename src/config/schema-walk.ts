import type { KeyPath } from './yaml-positions.js';

/**
 * Reads the structure of a zod 4 schema (through its `_zod.def`) to find which keys an object
 * at a given path accepts, so an unknown key can get a did-you-mean. Only the def kinds the
 * config schema uses are understood; anything else ends the walk (no suggestion, never a throw).
 */

interface Def {
  type: string;
  shape?: Record<string, SchemaLike>;
  innerType?: SchemaLike;
  in?: SchemaLike;
  valueType?: SchemaLike;
  element?: SchemaLike;
  options?: SchemaLike[];
  discriminator?: string;
  values?: unknown[];
}
export interface SchemaLike {
  _zod: { def: unknown };
}

function defOf(schema: SchemaLike): Def {
  return schema._zod.def as Def;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

/** Strips defaults/optional/nullable wrappers down to the schema that says the shape. */
export function unwrap(schema: SchemaLike): SchemaLike {
  let current = schema;
  for (let i = 0; i < 20; i += 1) {
    const def = defOf(current);
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
  return current;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The literal a discriminated-union option requires for its discriminator key. */
function optionTag(option: SchemaLike, discriminator: string): unknown {
  const field = defOf(unwrap(option)).shape?.[discriminator];
  return field ? defOf(unwrap(field)).values?.[0] : undefined;
}

/** The option a discriminated union picks for `data`, or null when its tag matches none. */
function pickOption(union: SchemaLike, data: unknown): SchemaLike | null {
  const def = defOf(union);
  if (!def.discriminator || !def.options) return null;
  const tag = isPlainObject(data) ? data[def.discriminator] : undefined;
  return def.options.find((o) => optionTag(o, def.discriminator!) === tag) ?? null;
}

/** One step down: the schema of `segment` inside `schema`, given the data found there. */
function child(schema: SchemaLike, data: unknown, segment: string | number): SchemaLike | null {
  let s = unwrap(schema);
  let def = defOf(s);
  if (def.type === 'union') {
    const picked = def.discriminator
      ? pickOption(s, data)
      : (def.options ?? []).find((o) => {
          const t = defOf(unwrap(o)).type;
          return typeof segment === 'number' ? t === 'array' : t === 'object' || t === 'record';
        });
    if (!picked) return null;
    s = unwrap(picked);
    def = defOf(s);
  }
  if (def.type === 'object') return def.shape?.[String(segment)] ?? null;
  if (def.type === 'record') return def.valueType ?? null;
  if (def.type === 'array' && typeof segment === 'number') return def.element ?? null;
  return null;
}

function dataAt(data: unknown, path: KeyPath): unknown {
  let current = data;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isPlainObject(current)) current = current[String(segment)];
    else return undefined;
  }
  return current;
}

/** The schema at `path` (discriminated unions resolved by the data), or null if unknown. */
export function schemaAt(root: SchemaLike, data: unknown, path: KeyPath): SchemaLike | null {
  let schema: SchemaLike | null = root;
  for (let i = 0; i < path.length && schema; i += 1) {
    schema = child(schema, dataAt(data, path.slice(0, i)), path[i]!);
  }
  return schema;
}

/** Keys the object at `path` accepts (after picking a union option), or null if not an object. */
export function knownKeysAt(root: SchemaLike, data: unknown, path: KeyPath): string[] | null {
  const at = schemaAt(root, data, path);
  if (!at) return null;
  let s = unwrap(at);
  if (defOf(s).type === 'union') {
    const picked = pickOption(s, dataAt(data, path));
    if (!picked) return null;
    s = unwrap(picked);
  }
  const def = defOf(s);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : null;
}

/**
 * For an object inside a discriminated union: the other tags whose objects accept `key`
 * (e.g. `baseUrl` in a mock backend belongs to `openai`), so the message can say so.
 */
export function otherTagsAccepting(root: SchemaLike, data: unknown, path: KeyPath, key: string): string[] {
  const at = schemaAt(root, data, path);
  if (!at) return [];
  const s = unwrap(at);
  const def = defOf(s);
  if (def.type !== 'union' || !def.discriminator || !def.options) return [];
  const own = pickOption(s, dataAt(data, path));
  return def.options.filter((o) => o !== own && defOf(unwrap(o)).shape?.[key] !== undefined).map((o) => String(optionTag(o, def.discriminator!)));
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions): `maxSecnods`
 * is one edit from `maxSeconds`, not two.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < cols; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[rows - 1]![cols - 1]!;
}

const MAX_SUGGESTION_DISTANCE = 2;

/** snake_case, kebab-case and case differences are not typos worth counting: `max_seconds` ~ `maxSeconds`. */
function normalize(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

/**
 * The known key `unknown` most likely meant: distance ≤ 2 (after normalizing case and `_`/`-`,
 * and clearly less than the key's length) or a prefix match either way; the closest wins, ties go to the schema's order. Null if none.
 */
export function didYouMean(unknown: string, known: readonly string[]): string | null {
  const u = normalize(unknown);
  let best: { key: string; score: number } | null = null;
  for (const key of known) {
    const k = normalize(key);
    const distance = editDistance(u, k);
    const prefix = u.length >= 2 && (k.startsWith(u) || u.startsWith(k));
    // A distance close to the whole length is no resemblance (`a` is two edits from `in`).
    const close = distance <= MAX_SUGGESTION_DISTANCE && distance < Math.max(u.length, k.length) - 1;
    const score = close ? distance : prefix ? MAX_SUGGESTION_DISTANCE + 0.5 : Infinity;
    if (score < (best?.score ?? Infinity)) best = { key, score };
  }
  return best?.key ?? null;
}
