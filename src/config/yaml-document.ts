import { LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from '../errors.js';
import { explainIssue, type LocatedMessage } from './issue-messages.js';
import type { SchemaLike } from './schema-walk.js';
import { formatKeyPath, keyPathAt, offsetOf, positionAt } from './yaml-positions.js';

/**
 * A YAML file checked against a zod schema, every problem placed at its file:line:column and
 * key. Pure. Used for the site adapter files; the config file has the same steps plus its
 * empty-section and semantic rules (parse-config.ts).
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

/** YAML syntax, then "must be a map". An empty document reads as an empty map. */
export function readYamlMap(text: string, file: string, what: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error): ConfigIssue => {
      const offset = error.pos[0];
      const { line, column } = positionAt(lineCounter, offset);
      const key = offset < text.length ? formatKeyPath(keyPathAt(doc, offset)) : '';
      return { file, line, column, key, message: `YAML syntax: ${error.message}` };
    });
    return { doc, lineCounter, data: null, issues: issues.sort(byPosition) };
  }
  const contents = isScalar(doc.contents) && doc.contents.value === null ? null : doc.contents;
  if (contents !== null && !isMap(contents)) {
    const { line, column } = positionAt(lineCounter, contents.range?.[0] ?? 0);
    return { doc, lineCounter, data: null, issues: [{ file, line, column, key: '', message: `${what} must be a map of keys, not a list or a single value` }] };
  }
  const data = contents === null ? {} : (doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>);
  return { doc, lineCounter, data, issues: [] };
}

/** Checks `data` (from readYamlMap) against `schema`; issues are placed in the same document. */
export function checkYaml<S extends z.ZodType>(parsed: ParsedYaml, file: string, schema: S, data: unknown = parsed.data): { value: z.infer<S> | null; issues: ConfigIssue[] } {
  const result = schema.safeParse(data);
  if (result.success) return { value: result.data as z.infer<S>, issues: [] };
  const root: SchemaLike = schema;
  const located = result.error.issues.flatMap((issue) => explainIssue(issue, root, data));
  return { value: null, issues: located.map((l) => placeIssue(parsed, file, l)).sort(byPosition) };
}
