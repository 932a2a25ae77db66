import type { Document, LineCounter } from 'yaml';
import type { ConfigIssue } from '../errors.js';
import { configSchema } from './schema.js';
import type { FanoConfig } from './schema.js';
import { explainIssue } from './issue-messages.js';
import type { LocatedMessage } from './issue-messages.js';
import { schemaAt, unwrap } from './schema-walk.js';
import type { SchemaLike } from './schema-walk.js';
import { semanticIssues } from './semantic-checks.js';
import { adapterNameFor, SHIPPED_SITES, SiteAdapterError, type SiteCatalog } from './site-adapters.js';
import { formatKeyPath, offsetOf, positionAt } from './yaml-positions.js';
import { byPosition, readYamlMap } from './yaml-document.js';

/**
 * fano.config.yaml text → validated config, or every problem with file:line:column and key.
 * Pure (no fs): loadConfig is the thin reader around it.
 *
 * Order: YAML syntax first (a broken document would produce misleading schema issues, so
 * syntax errors stop there), then the schema, then the semantic checks (only on a config the
 * schema accepted, since they read typed values).
 */

export interface ParseConfigResult {
  config: FanoConfig | null;
  issues: ConfigIssue[];
}

const root: SchemaLike = configSchema;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** True for a map-valued key where null is not itself a meaningful value. */
function takesMap(schema: SchemaLike | null): boolean {
  if (!schema) return false;
  for (let s: SchemaLike | undefined = schema; s;) {
    const def = s._zod.def as { type: string; innerType?: SchemaLike };
    if (def.type === 'nullable') return false;
    s = def.innerType;
  }
  const def = unwrap(schema)._zod.def as { type: string };
  return def.type === 'object' || def.type === 'record';
}

/**
 * `tick:` with every child commented out is YAML null. Treat an empty section like an absent
 * one (its defaults apply) instead of failing with "expected a map, got an empty value".
 */
function dropEmptySections(whole: unknown, node: Record<string, unknown>, path: (string | number)[]): void {
  for (const [key, value] of Object.entries(node)) {
    const childPath = [...path, key];
    if (value === null && takesMap(schemaAt(root, whole, childPath))) delete node[key];
    else if (isPlainObject(value)) dropEmptySections(whole, value, childPath);
  }
}

function position(doc: Document, lineCounter: LineCounter, file: string, located: LocatedMessage): ConfigIssue {
  const offset = offsetOf(doc, located.path, located.anchor);
  const { line, column } = positionAt(lineCounter, offset);
  return { file, line, column, key: formatKeyPath(located.path), message: located.message };
}

/**
 * Browser backends take their quota defaults from their site adapter (a key the file sets
 * wins), and an adapter file that does not validate is a config problem of its own file and
 * line. Without a catalog only the names of the shipped adapters are known (no file is read).
 */
function applySiteAdapters(data: Record<string, unknown>, sites: SiteCatalog): ConfigIssue[] {
  const backends = data.backends;
  if (!isPlainObject(backends)) return [];
  const names = sites.names();
  const issues: ConfigIssue[] = [];
  for (const [name, b] of Object.entries(backends)) {
    if (!isPlainObject(b) || b.type !== 'browser') continue;
    const site = adapterNameFor(name, typeof b.site === 'string' ? b.site : undefined, names);
    if (site === 'custom' || !names.includes(site)) continue;
    try {
      const quotas = sites.get(site)?.quotas ?? {};
      if (b.hourlyLimit === undefined && quotas.hourlyLimit !== undefined) b.hourlyLimit = quotas.hourlyLimit;
      if (b.deepDailyLimit === undefined && quotas.deepDailyLimit !== undefined) b.deepDailyLimit = quotas.deepDailyLimit;
    } catch (e) {
      if (!(e instanceof SiteAdapterError)) throw e;
      issues.push(...e.issues);
    }
  }
  return issues;
}

export function parseConfig(text: string, file: string, sites?: SiteCatalog): ParseConfigResult {
  // One YAML path for every file (limits, syntax, "a map"): yaml-document.ts. An empty file (or
  // only comments, or `---` alone) is the all-defaults config.
  const parsed = readYamlMap(text, file, 'the file', ' (like `tick:` and `backends:`)');
  if (parsed.data === null) return { config: null, issues: parsed.issues };
  const { doc, lineCounter, data } = parsed;
  dropEmptySections(data, data, []);
  const adapterIssues = sites ? applySiteAdapters(data, sites) : [];
  if (adapterIssues.length > 0) return { config: null, issues: adapterIssues };

  const result = configSchema.safeParse(data);
  if (!result.success) {
    const located = result.error.issues.flatMap((issue) => explainIssue(issue, root, data));
    return { config: null, issues: located.map((l) => position(doc, lineCounter, file, l)).sort(byPosition) };
  }

  const semantic = semanticIssues(result.data, sites?.names() ?? SHIPPED_SITES)
    .map((l) => position(doc, lineCounter, file, l))
    .sort(byPosition);
  return semantic.length > 0 ? { config: null, issues: semantic } : { config: result.data, issues: [] };
}
