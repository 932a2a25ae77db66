import type { ConfigIssue } from '../errors.js';
import { didYouMean, knownKeysAt, otherTagsAccepting } from './schema-walk.js';
import type { SchemaLike } from './schema-walk.js';
import type { Anchor, KeyPath } from './yaml-positions.js';

/**
 * Turns zod's issues into sentences for humans ("expected a number, got the string \"abc\"")
 * and formats the final `file:line:col: key: message` lines. Pure.
 */

/** The parts of a zod 4 issue we read (a structural subset, so zod internals stay out of types). */
export interface ZodIssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  keys?: string[];
  values?: unknown[];
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  origin?: string;
  format?: string;
  pattern?: string;
  discriminator?: string;
  options?: unknown[];
  errors?: ZodIssueLike[][];
  issues?: ZodIssueLike[];
  divisor?: number | bigint;
}

/** An issue before it has a position: where (path + which part) and what. */
export interface LocatedMessage {
  path: (string | number)[];
  anchor: Anchor;
  message: string;
}

const MAX_SHOWN_CHARS = 40;
const MAX_LISTED_KEYS = 12;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function lookup(data: unknown, path: KeyPath): { found: boolean; value: unknown } {
  let current = data;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number' && segment < current.length) current = current[segment];
    else if (isPlainObject(current) && Object.hasOwn(current, String(segment))) current = current[String(segment)];
    else return { found: false, value: undefined };
  }
  return { found: true, value: current };
}

/** How a YAML value reads in a message: `the string "abc"`, `the number 5`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') {
    const shown = value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}…` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `${value}`;
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (isPlainObject(value)) return 'a map';
  return typeof value;
}

const EXPECTED_TEXT: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a map of keys',
  record: 'a map of keys',
  array: 'a list',
  null: 'null',
};

function expectedText(expected: string | undefined): string {
  return (expected && EXPECTED_TEXT[expected]) ?? `a ${expected ?? 'different value'}`;
}

/** Extra advice for the classic YAML mistakes. */
function typeHint(expected: string | undefined, value: unknown): string {
  if (typeof value !== 'string') return '';
  if (expected === 'boolean' && /^(yes|no|on|off|y|n|true|false)$/i.test(value)) return ' (write true or false, unquoted)';
  if ((expected === 'number' || expected === 'int') && value.trim() !== '' && Number.isFinite(Number(value))) return ' (remove the quotes)';
  return '';
}

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v))).join(', ');
}

function bound(issue: ZodIssueLike, value: unknown, big: boolean): string {
  const limit = String(big ? issue.maximum : issue.minimum);
  const got = value === undefined ? '' : `, got ${describeValue(value)}`;
  switch (issue.origin) {
    case 'string':
      if (!big && limit === '1') return 'must not be empty';
      return `must be ${big ? 'at most' : 'at least'} ${limit} characters long${got}`;
    case 'array':
    case 'set':
      if (!big && limit === '1') return 'must list at least one item';
      return `must have ${big ? 'at most' : 'at least'} ${limit} items`;
    default: {
      const relation = big ? (issue.inclusive ? 'at most' : 'less than') : issue.inclusive ? 'at least' : 'greater than';
      return `must be ${relation} ${limit}${got}`;
    }
  }
}

function unknownKeyMessage(root: SchemaLike, data: unknown, objectPath: (string | number)[], key: string): string {
  const known = knownKeysAt(root, data, objectPath) ?? [];
  const suggestion = didYouMean(key, known);
  if (suggestion) return `unknown key (did you mean ${JSON.stringify(suggestion)}?)`;
  const owners = otherTagsAccepting(root, data, objectPath, key);
  if (owners.length > 0) {
    const tag = lookup(data, [...objectPath, 'type']).value;
    return `unknown key for type ${JSON.stringify(tag)} (${JSON.stringify(key)} is a key of type ${owners.join(' or ')})`;
  }
  if (known.length > 0 && known.length <= MAX_LISTED_KEYS) return `unknown key (known keys: ${known.join(', ')})`;
  return 'unknown key';
}

/** A union none of whose branches matched: report the branch the value was clearly meant for. */
function explainUnion(issue: ZodIssueLike, path: (string | number)[], root: SchemaLike, data: unknown): LocatedMessage[] {
  const value = lookup(data, path).value;
  if (issue.discriminator) {
    const tags = (issue.options ?? []).map(String);
    const present = lookup(data, path);
    if (!present.found) {
      return [{ path, anchor: 'parent', message: `missing "${issue.discriminator}": one of ${tags.join(', ')}` }];
    }
    const suggestion = typeof value === 'string' ? didYouMean(value, tags) : null;
    const hint = suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : '';
    return [
      {
        path,
        anchor: 'value',
        message: `unknown ${issue.discriminator} ${describeValue(value).replace(/^the string /, '')}: the ${issue.discriminator}s are ${tags.join(', ')}${hint}`,
      },
    ];
  }
  const branches = issue.errors ?? [];
  // A branch whose failures are not just "wrong type here" accepted the value's shape: its
  // inner issue (an empty list, a bad item) is the one worth reporting.
  const meant = branches.find((b) => b.some((i) => i.path.length > 0 || i.code !== 'invalid_type'));
  if (meant) return meant.flatMap((inner) => explainIssue({ ...inner, path: [...path, ...inner.path] }, root, data));
  const expected = [...new Set(branches.flatMap((b) => b.map((i) => expectedText(i.expected))))];
  return [{ path, anchor: 'value', message: `expected ${expected.join(' or ')}, got ${describeValue(value)}` }];
}

/** One zod issue → one or more positioned-to-be messages. */
export function explainIssue(issue: ZodIssueLike, root: SchemaLike, data: unknown): LocatedMessage[] {
  const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  const here = lookup(data, path);
  const value = here.value;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = expectedText(issue.expected);
      if (!here.found) return [{ path, anchor: 'parent', message: `required key is missing (${expected})` }];
      return [{ path, anchor: 'value', message: `expected ${expected}, got ${describeValue(value)}${typeHint(issue.expected, value)}` }];
    }
    case 'unrecognized_keys':
      return (issue.keys ?? []).map((key) => ({
        path: [...path, key],
        anchor: 'key' as const,
        message: unknownKeyMessage(root, data, path, key),
      }));
    case 'invalid_union':
      return explainUnion(issue, path, root, data);
    case 'invalid_value': {
      const values = issue.values ?? [];
      const suggestion =
        typeof value === 'string'
          ? didYouMean(
              value,
              values.filter((v): v is string => typeof v === 'string'),
            )
          : null;
      const hint = suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : '';
      const wanted = values.length === 1 ? quoteList(values) : `one of ${quoteList(values)}`;
      return [{ path, anchor: 'value', message: `expected ${wanted}, got ${describeValue(value)}${hint}` }];
    }
    case 'too_small':
      return [{ path, anchor: 'value', message: bound(issue, value, false) }];
    case 'too_big':
      return [{ path, anchor: 'value', message: bound(issue, value, true) }];
    case 'invalid_format': {
      if (issue.format === 'url') return [{ path, anchor: 'value', message: `expected a URL such as https://example.com/, got ${describeValue(value)}` }];
      const custom = !/^Invalid/.test(issue.message);
      const message = custom
        ? issue.message
        : `expected a valid ${issue.format ?? 'value'}${issue.pattern ? ` matching ${issue.pattern}` : ''}, got ${describeValue(value)}`;
      return [{ path, anchor: 'value', message }];
    }
    case 'invalid_key': {
      const inner = (issue.issues ?? []).map((i) => (/^Invalid/.test(i.message) ? null : i.message)).find((m) => m);
      return [{ path, anchor: 'key', message: `invalid name ${JSON.stringify(String(path[path.length - 1]))}${inner ? `: ${inner}` : ''}` }];
    }
    case 'not_multiple_of':
      return [{ path, anchor: 'value', message: `must be a multiple of ${String(issue.divisor)}, got ${describeValue(value)}` }];
    default:
      return [{ path, anchor: 'value', message: issue.message }];
  }
}

/** `fano.config.yaml:7:3: tick.maxSecond: unknown key (did you mean "maxSeconds"?)` */
export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.key === '' ? `${where}: ${issue.message}` : `${where}: ${issue.key}: ${issue.message}`;
}

export const CONFIG_HINT =
  'hint: every key is optional and documented in the file `fano init` writes; `fano config schema` prints the JSON schema (types and defaults)';

/** The ConfigError message: every issue on its own line (first line = first issue), then one hint line. */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  return [...issues.map(formatIssue), CONFIG_HINT].join('\n');
}
