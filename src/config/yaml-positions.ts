import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node, Pair } from 'yaml';

/**
 * Maps key paths of a parsed YAML document back to 1-based line/column positions, so every
 * config issue can name the exact place to fix. Pure: works on an already parsed Document.
 */

export type KeyPath = readonly (string | number)[];
export interface Position {
  line: number;
  column: number;
}

/** What a path segment resolved to: the value node and, inside a map, the pair that holds it. */
interface Step {
  node: Node | null;
  pair: Pair | null;
}

function resolve(doc: Document, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? null;
  return (node as Node | null) ?? null;
}

function keyText(key: unknown): string | null {
  if (!isScalar(key)) return null;
  const v: unknown = key.value;
  if (v === null) return '';
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : null;
}

/** The pair of `map` whose key equals `segment` (YAML keys are compared as strings, like toJS does). */
export function findPair(node: Node | null, segment: string | number): Pair | null {
  if (!isMap(node)) return null;
  for (const item of node.items) {
    if (keyText(item.key) === String(segment)) return item;
  }
  return null;
}

/** Walks as far as the document goes; `steps[i]` is where `path[0..i)` leads (steps[0] is the root). */
function walk(doc: Document, path: KeyPath): Step[] {
  const steps: Step[] = [{ node: resolve(doc, doc.contents), pair: null }];
  for (const segment of path) {
    const here = steps[steps.length - 1]!.node;
    if (isMap(here)) {
      const pair = findPair(here, segment);
      if (!pair) break;
      steps.push({ node: resolve(doc, pair.value), pair });
    } else if (isSeq(here) && typeof segment === 'number') {
      const item = here.items[segment];
      if (item === undefined) break;
      steps.push({ node: resolve(doc, item), pair: null });
    } else {
      break;
    }
  }
  return steps;
}

function start(node: unknown): number | null {
  const range = (node as Node | null)?.range;
  return range ? range[0] : null;
}

/** The offset of a step: its value, unless the value is empty (`key:` alone), then its key. */
function stepOffset(step: Step): number | null {
  const value = step.node;
  const emptyScalar = isScalar(value) && value.value === null && value.source === '';
  if (value && !emptyScalar) return start(value);
  return start(step.pair?.key) ?? start(value);
}

export type Anchor = 'value' | 'key' | 'parent';

/**
 * Offset for an issue at `path`:
 *  - 'value': the value at path (a wrong type, a bad number);
 *  - 'key': the key at path itself (an unknown key);
 *  - 'parent': the map holding path (a missing required key).
 * When the document does not reach `path` (e.g. a default filled in by the schema), the
 * deepest part that exists is used, so an issue always has a position.
 */
export function offsetOf(doc: Document, path: KeyPath, anchor: Anchor): number {
  const target = anchor === 'parent' ? path.slice(0, -1) : path;
  const steps = walk(doc, target);
  const reached = steps.length - 1 === target.length;
  const last = steps[steps.length - 1]!;
  if (reached && anchor === 'key') {
    const keyStart = start(last.pair?.key);
    if (keyStart !== null) return keyStart;
  }
  for (let i = steps.length - 1; i >= 0; i -= 1) {
    const offset = stepOffset(steps[i]!);
    if (offset !== null) return offset;
  }
  return 0;
}

export function positionAt(lineCounter: LineCounter, offset: number): Position {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/**
 * The key path of the innermost pair whose source range contains `offset` (for YAML syntax
 * errors, e.g. a duplicate key, so they name a key too). Empty when outside every pair.
 */
export function keyPathAt(doc: Document, offset: number): (string | number)[] {
  const path: (string | number)[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    let next: unknown = undefined;
    if (isMap(node)) {
      for (const pair of node.items) {
        const from = start(pair.key);
        const valueRange = (pair.value as Node | null)?.range;
        const to = valueRange ? valueRange[2] : ((pair.key as Node | null)?.range?.[2] ?? -1);
        if (from !== null && offset >= from && offset < to) {
          path.push(keyText(pair.key) ?? '?');
          next = pair.value;
          break;
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const range = (item as Node | null)?.range;
        if (next === undefined && range && offset >= range[0] && offset < range[2]) {
          path.push(index);
          next = item;
        }
      });
    }
    if (next === undefined || next === null) return path;
    node = next;
  }
}

/** `backends.mock.latencyMs`, `browser.args[0]`. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}
