/**
 * Deterministic JSON: object keys sorted at every depth, 2-space indent, trailing newline for
 * files. The same value always gives the same bytes, so `git diff state/` shows only real changes.
 */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeysDeep(v);
    }
    return out;
  }
  return value;
}

/** Pretty, sorted, newline-terminated: for files meant to be read and diffed. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value), null, 2) + '\n';
}

/** Compact and sorted: for log lines and hashing. */
export function stableCompact(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value));
}
