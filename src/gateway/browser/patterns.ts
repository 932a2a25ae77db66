/**
 * Pattern lists from config: each entry is a case-insensitive substring, or `/regex/flags`.
 * Pure. Patterns are only ever matched against site chrome (see page-script.ts), never the answer.
 */
export interface CompiledPattern {
  source: string;
  test(text: string): boolean;
}

const REGEX_LITERAL = /^\/(.+)\/([a-z]*)$/s;

export function compilePattern(source: string): CompiledPattern {
  const m = REGEX_LITERAL.exec(source);
  if (m) {
    // Always case-insensitive, as documented; keep the user's other flags except g/y (stateful).
    const flags = new Set((m[2] ?? '').replace(/[gy]/g, '').split('').concat('i'));
    const re = new RegExp(m[1] ?? '', [...flags].join(''));
    return { source, test: (text) => re.test(text) };
  }
  const needle = normalizeSpace(source).toLowerCase();
  return { source, test: (text) => normalizeSpace(text).toLowerCase().includes(needle) };
}

export function compilePatterns(sources: readonly string[]): CompiledPattern[] {
  return sources.map(compilePattern);
}

/** The first pattern that matches `text`, or null. */
export function firstMatch(patterns: readonly CompiledPattern[], text: string): CompiledPattern | null {
  for (const p of patterns) if (p.test(text)) return p;
  return null;
}

/** Curly apostrophes and odd spaces differ between sites and configs; compare them loosely. */
export function normalizeSpace(text: string): string {
  return text
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u00a0\u2007\u202f]/g, ' ')
    .replace(/\s+/g, ' ');
}
