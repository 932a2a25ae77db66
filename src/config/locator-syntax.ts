/**
 * Locators people can write: plain CSS, or the Playwright selector forms where CSS cannot say it.
 *
 *   button[data-testid="send-button"]          CSS (the default; `css=` may prefix it)
 *   role=button[name=/send/i]                  an ARIA role, optionally with its accessible name
 *   role=switch[name="Extended thinking"][checked=true]
 *   text=Deep Think                            the smallest element whose text contains it (any case)
 *   text="Deep Think"                          … whose whole text is exactly that
 *   text=/^thinking/i                          … whose text matches the regex
 *   form >> role=button[name=/^stop/i]         chaining: the right side is searched inside the left
 *
 * A name in quotes matches as a case-insensitive substring, `"…"s` exactly; a /regex/ as a regex.
 * Parsing is pure and happens once, in Node: the page only ever receives the parsed form (so a
 * broken locator is a config error with file and line, never a silent mismatch in the browser).
 */

export type TextMatcher = { kind: 'sub'; value: string } | { kind: 'exact'; value: string } | { kind: 're'; source: string; flags: string };

export type LocatorPart = { css: string } | { role: string; name?: TextMatcher; states?: Partial<Record<LocatorState, boolean>> } | { text: TextMatcher };

export const LOCATOR_STATES = ['checked', 'pressed', 'expanded', 'selected', 'disabled'] as const;
export type LocatorState = (typeof LOCATOR_STATES)[number];

export interface Locator {
  /** As written in the file (shown by fano doctor). */
  source: string;
  parts: LocatorPart[];
}

export class LocatorSyntaxError extends Error {}

/** Splits on `>>` outside quotes, brackets, parentheses and regex literals. */
function splitChain(source: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < source.length; i += 1) {
    const c = source[i];
    if (quote) {
      if (c === '\\') i += 1;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') depth += 1;
    else if (c === ']' || c === ')') depth -= 1;
    else if (c === '/' && depth === 0 && /(^|=)\s*$/.test(source.slice(start, i))) quote = '/';
    else if (c === '>' && source[i + 1] === '>' && depth === 0) {
      parts.push(source.slice(start, i));
      start = i + 2;
      i += 1;
    }
  }
  if (quote && quote !== '/') throw new LocatorSyntaxError(`unclosed ${quote} in ${JSON.stringify(source)}`);
  parts.push(source.slice(start));
  return parts.map((p) => p.trim());
}

function checkRegex(source: string, flags: string, where: string): TextMatcher {
  if (/[^imsu]/.test(flags)) throw new LocatorSyntaxError(`regex flags may be i, m, s, u in ${where}, got "${flags}"`);
  try {
    new RegExp(source, flags);
  } catch (e) {
    throw new LocatorSyntaxError(`invalid regex /${source}/ in ${where}: ${(e as Error).message}`);
  }
  return { kind: 're', source, flags };
}

/** `"text"`, `"text"i`, `"text"s`, `/re/flags`, or bare text (substring). */
function parseMatcher(raw: string, where: string, bare: 'sub' | 'exact'): TextMatcher {
  const v = raw.trim();
  const re = /^\/(.+)\/([a-z]*)$/s.exec(v);
  if (re) return checkRegex(re[1] ?? '', re[2] ?? '', where);
  const q = /^(["'])((?:\\.|(?!\1).)*)\1([is]?)$/s.exec(v);
  if (q) {
    const text = (q[2] ?? '').replace(/\\(.)/g, '$1');
    // text="…" is exact like Playwright's; a role name in quotes is a substring unless `s`.
    if (q[3] === 's') return { kind: 'exact', value: text };
    if (q[3] === 'i') return { kind: 'sub', value: text };
    return { kind: bare, value: text };
  }
  if (v === '') throw new LocatorSyntaxError(`empty text in ${where}`);
  return { kind: 'sub', value: v };
}

function parseRole(body: string, source: string): LocatorPart {
  const m = /^([a-z]+)((?:\s*\[[^\]]*\])*)\s*$/i.exec(body);
  if (!m) throw new LocatorSyntaxError(`role locator must look like role=button[name=/send/i], got ${JSON.stringify(source)}`);
  const part: { role: string; name?: TextMatcher; states?: Partial<Record<LocatorState, boolean>> } = { role: (m[1] ?? '').toLowerCase() };
  for (const a of (m[2] ?? '').matchAll(/\[\s*([a-z-]+)\s*(?:=\s*((?:"(?:\\.|[^"])*"|'(?:\\.|[^'])*'|\/(?:\\.|[^/])+\/[a-z]*|[^\]]*)[is]?))?\s*\]/gi)) {
    const key = (a[1] ?? '').toLowerCase();
    const value = a[2];
    if (key === 'name') {
      if (value === undefined) throw new LocatorSyntaxError(`[name] needs a value in ${JSON.stringify(source)}`);
      part.name = parseMatcher(value, JSON.stringify(source), 'sub');
    } else if ((LOCATOR_STATES as readonly string[]).includes(key)) {
      const v = value === undefined ? 'true' : value.trim().replace(/^["']|["']$/g, '');
      if (v !== 'true' && v !== 'false') throw new LocatorSyntaxError(`[${key}] takes true or false in ${JSON.stringify(source)}`);
      part.states = { ...part.states, [key]: v === 'true' };
    } else {
      throw new LocatorSyntaxError(`unknown role attribute [${key}] in ${JSON.stringify(source)} (name, ${LOCATOR_STATES.join(', ')})`);
    }
  }
  return part;
}

function parsePart(raw: string, source: string): LocatorPart {
  if (raw === '') throw new LocatorSyntaxError(`empty part in ${JSON.stringify(source)}`);
  const engine = /^(css|role|text)\s*=\s*/i.exec(raw);
  if (!engine) return { css: raw };
  const body = raw.slice(engine[0].length);
  switch ((engine[1] ?? '').toLowerCase()) {
    case 'css':
      if (body.trim() === '') throw new LocatorSyntaxError(`empty css= in ${JSON.stringify(source)}`);
      return { css: body.trim() };
    case 'role':
      return parseRole(body, source);
    default:
      return { text: parseMatcher(body, JSON.stringify(source), 'exact') };
  }
}

/** Throws LocatorSyntaxError with a message that names the locator. */
export function parseLocator(source: string): Locator {
  return { source, parts: splitChain(source).map((p) => parsePart(p, source)) };
}

export function parseLocators(list: readonly string[]): Locator[] {
  return list.map(parseLocator);
}

/** The syntax problem of a locator, or null. For schema validation. */
export function locatorProblem(source: string): string | null {
  try {
    parseLocator(source);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
