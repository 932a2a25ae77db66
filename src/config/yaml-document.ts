import { LineCounter, isMap, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Document, Node } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from '../errors.js';
import { explainIssue, type LocatedMessage } from './issue-messages.js';
import type { SchemaLike } from './schema-walk.js';
import { formatKeyPath, keyPathAt, offsetOf, positionAt } from './yaml-positions.js';

/**
 * A YAML file checked against a zod schema, every problem placed at its file:line:column and
 * key. Pure. Used for the config file (parse-config.ts adds its empty-section and semantic rules),
 * the site adapter files, and the person's YAML files under state/ (seeds, sources).
 */

export interface ParsedYaml {
  doc: Document;
  lineCounter: LineCounter;
  /** The document as plain data (null when it has syntax errors or is not a map). */
  data: Record<string, unknown> | null;
  issues: ConfigIssue[];
}

/** Stable: issues at the same place keep the order they were found in. */
export function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.column - b.column;
}

export function placeIssue(parsed: Pick<ParsedYaml, 'doc' | 'lineCounter'>, file: string, located: LocatedMessage): ConfigIssue {
  const offset = offsetOf(parsed.doc, located.path, located.anchor);
  const { line, column } = positionAt(parsed.lineCounter, offset);
  return { file, line, column, key: formatKeyPath(located.path), message: located.message };
}

/**
 * Limits on any YAML file fano reads (config, site adapters, seeds, sources): a file a person or a
 * tool got wrong, or a hostile one, is an issue with its file:line, never a crash. An alias bomb
 * expands into millions of nodes (maxAliasCount), deep nesting overflows the stack of every
 * recursive reader after the parser (maxDepth), and a huge file costs memory before any of that.
 */
export const YAML_LIMITS = { maxBytes: 4 * 1024 * 1024, maxDepth: 64, maxAliasCount: 100 } as const;
export type YamlLimits = { maxBytes: number; maxDepth: number; maxAliasCount: number };

const issueAt = (lineCounter: LineCounter, file: string, offset: number, key: string, message: string): ConfigIssue => ({
  file,
  ...positionAt(lineCounter, offset),
  key,
  message,
});

/** The first collection nested deeper than `max` (iterative: a deep file cannot overflow this walk). */
function tooDeep(doc: Document, max: number): { offset: number; path: (string | number)[] } | null {
  const stack: Array<{ node: unknown; depth: number; path: (string | number)[] }> = [{ node: doc.contents, depth: 0, path: [] }];
  while (stack.length > 0) {
    const { node, depth, path } = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    const d = depth + 1;
    if (d > max) return { offset: (node as Node).range?.[0] ?? 0, path };
    if (isMap(node))
      for (const pair of node.items)
        stack.push({ node: pair.value, depth: d, path: path.length < max ? [...path, isScalar(pair.key) ? String(pair.key.value) : '?'] : path });
    else node.items.forEach((item, i) => stack.push({ node: item, depth: d, path: path.length < max ? [...path, i] : path }));
  }
  return null;
}

/**
 * The one way fano parses YAML: size, syntax, nesting and aliases checked, each failure an issue at
 * its file:line:column. `data` is the plain value (null when there are issues).
 */
export function parseYaml(
  text: string,
  file: string,
  limits: YamlLimits = YAML_LIMITS,
): { doc: Document; lineCounter: LineCounter; data: unknown; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const bytes = Buffer.byteLength(text);
  if (bytes > limits.maxBytes) {
    const doc = parseDocument('', { lineCounter });
    return {
      doc,
      lineCounter,
      data: null,
      issues: [{ file, line: 1, column: 1, key: '', message: `the file is ${bytes} bytes; fano reads YAML files of at most ${limits.maxBytes} bytes` }],
    };
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const overflow = doc.errors.some((e) => /call stack/i.test(e.message));
    const issues = doc.errors.map((error): ConfigIssue => {
      const offset = error.pos[0];
      if (overflow) return issueAt(lineCounter, file, offset, '', `YAML nested too deeply (more than ${limits.maxDepth} levels)`);
      const indent = indentationIssue(text, lineCounter.linePos(offset).line, error.message, file);
      if (indent) return indent;
      // An error at the very end (an unclosed bracket) belongs to no key in particular.
      const key = offset < text.length ? formatKeyPath(keyPathAt(doc, offset)) : '';
      return issueAt(lineCounter, file, offset, key, `YAML syntax: ${error.message}`);
    });
    // One issue per place (the parser often reports one indentation slip twice).
    const unique = issues.filter((x, i) => issues.findIndex((y) => y.line === x.line && y.column === x.column) === i);
    return { doc, lineCounter, data: null, issues: (overflow ? unique.slice(0, 1) : unique).sort(byPosition) };
  }
  const deep = tooDeep(doc, limits.maxDepth);
  if (deep)
    return {
      doc,
      lineCounter,
      data: null,
      issues: [issueAt(lineCounter, file, deep.offset, formatKeyPath(deep.path), `YAML nested too deeply (more than ${limits.maxDepth} levels)`)],
    };
  try {
    return { doc, lineCounter, data: doc.toJS({ maxAliasCount: limits.maxAliasCount }) as unknown, issues: [] };
  } catch (err) {
    if (!(err instanceof ReferenceError || err instanceof RangeError)) throw err;
    // An alias bomb: name the first alias, where the expansion starts.
    let at = 0;
    visit(doc, { Alias: (_k, node) => ((at = node.range?.[0] ?? 0), visit.BREAK) });
    return {
      doc,
      lineCounter,
      data: null,
      issues: [
        issueAt(
          lineCounter,
          file,
          at,
          '',
          `YAML aliases expand too far (more than ${limits.maxAliasCount} per node: an "alias bomb"); write the values out instead`,
        ),
      ],
    };
  }
}

const KEY_LINE = /^( *)(?:- +)?((?:"[^"]*"|'[^']*'|[^\s#:'"][^:#]*?)):(?:\s|$)/;
const keyName = (raw: string): string => raw.replace(/^["']|["']$/g, '').trim();

/** The key path of line `n` (1-based) from indentation alone: the keys above it, each less indented. */
function pathByIndent(lines: string[], n: number): string[] {
  const m = KEY_LINE.exec(lines[n - 1] ?? '');
  if (!m) return [];
  const path = [keyName(m[2]!)];
  let indent = m[1]!.length;
  for (let i = n - 2; i >= 0 && indent > 0; i--) {
    const p = KEY_LINE.exec(lines[i]!);
    if (p && p[1]!.length < indent) {
      path.unshift(keyName(p[2]!));
      indent = p[1]!.length;
    }
  }
  return path;
}

/**
 * A slip of indentation, named by the key on the line that slipped (the parser's own position is
 * often the line before, and its key path the neighbour's). Null for other syntax errors.
 */
function indentationIssue(text: string, line: number, message: string, file: string): ConfigIssue | null {
  const lines = text.split('\n');
  const indentOf = (i: number) => /^ */.exec(lines[i - 1] ?? '')![0].length;
  let at = line;
  if (/compact mappings|single line/i.test(message)) {
    // `key: value` followed by a line indented deeper: YAML reads that line as part of the value.
    at = line + 1;
    while (at <= lines.length && (lines[at - 1] ?? '').trim() === '') at++;
    if (at > lines.length || !KEY_LINE.test(lines[at - 1]!)) return null;
    // The key as meant: a sibling of the key above.
    const key = [...pathByIndent(lines, line).slice(0, -1), keyName(KEY_LINE.exec(lines[at - 1]!)![2]!)];
    const above = KEY_LINE.exec(lines[line - 1] ?? '');
    return {
      file,
      line: at,
      column: indentOf(at) + 1,
      key: key.join('.'),
      message: `indented ${indentOf(at)} spaces, deeper than "${above ? keyName(above[2]!) : 'the key'}" on line ${line} (${indentOf(line)}): YAML reads it as part of that value; indent it like its sibling keys`,
    };
  }
  if (/same column|indent/i.test(message)) {
    if (!KEY_LINE.test(lines[at - 1] ?? '')) return null;
    const key = pathByIndent(lines, at);
    let sibling: number | null = null;
    for (let i = at - 1; i >= 1; i--) {
      if (!KEY_LINE.test(lines[i - 1]!)) continue;
      if (indentOf(i) < indentOf(at)) break;
      sibling = indentOf(i);
      break;
    }
    return {
      file,
      line: at,
      column: indentOf(at) + 1,
      key: key.join('.'),
      message: `indented ${indentOf(at)} spaces${sibling !== null ? `, the keys beside it ${sibling}` : ''}: every key of one map starts at the same column`,
    };
  }
  return null;
}

/** YAML syntax, then "must be a map". An empty document reads as an empty map. */
export function readYamlMap(text: string, file: string, what: string, example = ''): ParsedYaml {
  const { doc, lineCounter, data, issues } = parseYaml(text, file);
  if (issues.length > 0) return { doc, lineCounter, data: null, issues };
  const contents = isScalar(doc.contents) && doc.contents.value === null ? null : doc.contents;
  if (contents !== null && !isMap(contents)) {
    const { line, column } = positionAt(lineCounter, contents.range?.[0] ?? 0);
    return {
      doc,
      lineCounter,
      data: null,
      issues: [{ file, line, column, key: '', message: `${what} must be a map of keys${example}, not a list or a single value` }],
    };
  }
  return { doc, lineCounter, data: contents === null ? {} : (data as Record<string, unknown>), issues: [] };
}

/** Checks `data` (from readYamlMap) against `schema`; issues are placed in the same document. */
export function checkYaml<S extends z.ZodType>(
  parsed: ParsedYaml,
  file: string,
  schema: S,
  data: unknown = parsed.data,
): { value: z.infer<S> | null; issues: ConfigIssue[] } {
  const result = schema.safeParse(data);
  if (result.success) return { value: result.data, issues: [] };
  const root: SchemaLike = schema;
  const located = result.error.issues.flatMap((issue) => explainIssue(issue, root, data));
  return { value: null, issues: located.map((l) => placeIssue(parsed, file, l)).sort(byPosition) };
}
