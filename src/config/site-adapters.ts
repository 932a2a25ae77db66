import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigIssue } from '../errors.js';
import { partialSiteAdapterSchema, siteAdapterSchema, type SiteAdapterFile } from './site-adapter-schema.js';
import { checkYaml, placeIssue, readYamlMap } from './yaml-document.js';

/**
 * Site adapters as files: `sites/<name>.yaml` shipped with fano, and `<home>/sites/<name>.yaml`,
 * which adds a site or replaces the shipped one of the same name (so a user can take a fixed
 * adapter without waiting for a release). A file may `extends:` another adapter and give only
 * what differs; a home file that extends its own name extends the shipped one.
 *
 * Reading is synchronous and lazy: a tick reads only the adapters its browser backends use, a
 * few kilobytes, once.
 */

export interface SiteAdapter extends SiteAdapterFile {
  name: string;
  /** The file this adapter came from (the most derived one when it extends another). */
  file: string;
  builtIn: boolean;
  /** The files it was built from, base first. */
  chain: string[];
}

export interface SiteCatalog {
  /** Every adapter name there is (shipped and the home's), sorted. */
  names(): string[];
  /** The adapter, or null when there is no file of that name. Throws SiteAdapterError when a file is invalid. */
  get(name: string): SiteAdapter | null;
}

export class SiteAdapterError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.key ? `${i.key}: ` : ''}${i.message}`).join('\n'));
  }
}

const NAME_RE = /^[a-z][a-z0-9_-]*$/;

/** The adapters fano ships (the files in sites/); a home may add more. */
export const SHIPPED_SITES = ['chatgpt', 'gemini', 'claude'] as const;

/**
 * The one rule for which adapter a browser backend uses: its `site:` if set, else the adapter
 * named like the backend if there is one, else 'custom' (everything from fano.config.yaml).
 */
export function adapterNameFor(backend: string, site: string | undefined, names: readonly string[]): string {
  if (site !== undefined) return site;
  return names.includes(backend) ? backend : 'custom';
}
const MAX_EXTENDS_DEPTH = 5;

/** The folder of the shipped adapters: `sites/` beside fano's package.json. */
export function builtInSitesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'sites', 'chatgpt.yaml')) && existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'sites');
    const up = path.dirname(dir);
    if (up === dir)
      throw new Error(
        `fano's site adapters (sites/*.yaml) were not found above ${path.dirname(fileURLToPath(import.meta.url))}: the installation is incomplete`,
      );
    dir = up;
  }
}

export function homeSitesDir(home: string): string {
  return path.join(home, 'sites');
}

function yamlNames(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .filter((n) => NAME_RE.test(n));
  } catch {
    return [];
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Child over parent: maps merge key by key (one level deep), everything else is replaced. */
function mergeAdapter(parent: Record<string, unknown>, child: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...parent };
  for (const [k, v] of Object.entries(child)) {
    if (k === 'extends') continue;
    const p = parent[k];
    out[k] = isPlainObject(p) && isPlainObject(v) && k !== 'deep' ? { ...p, ...v } : v;
  }
  return out;
}

interface RawFile {
  file: string;
  builtIn: boolean;
  data: Record<string, unknown>;
  parsed: ReturnType<typeof readYamlMap>;
}

/** Reads and checks one file on its own (a file that extends another may leave out required keys). */
function readFile(file: string, builtIn: boolean): RawFile {
  const text = readFileSync(file, 'utf8');
  const parsed = readYamlMap(text, file, 'a site adapter');
  if (!parsed.data) throw new SiteAdapterError(parsed.issues);
  const schema = typeof parsed.data.extends === 'string' ? partialSiteAdapterSchema : siteAdapterSchema;
  const { issues } = checkYaml(parsed, file, schema);
  if (issues.length > 0) throw new SiteAdapterError(issues);
  return { file, builtIn, data: parsed.data, parsed };
}

export function fileSiteCatalog(home: string | null, shipped?: string): SiteCatalog {
  const cache = new Map<string, SiteAdapter | null>();
  const homeDir = home === null ? null : homeSitesDir(home);
  const homeNames = new Set(homeDir ? yamlNames(homeDir) : []);
  // An installation without its sites/ folder still runs mock and custom backends.
  let shippedDir: string | null = shipped ?? null;
  if (shippedDir === null) {
    try {
      shippedDir = builtInSitesDir();
    } catch {
      shippedDir = null;
    }
  }
  const shippedNames = new Set(shippedDir ? yamlNames(shippedDir) : []);

  function locate(name: string, skipHome: boolean): RawFile | null {
    if (!skipHome && homeDir && homeNames.has(name)) return readFile(path.join(homeDir, `${name}.yaml`), false);
    if (shippedDir && shippedNames.has(name)) return readFile(path.join(shippedDir, `${name}.yaml`), true);
    return null;
  }

  function build(name: string): SiteAdapter | null {
    const first = locate(name, false);
    if (!first) return null;
    const chain: RawFile[] = [first];
    for (let cur = first, curName = name; typeof cur.data.extends === 'string';) {
      const parentName = cur.data.extends;
      // A home file that extends its own name builds on the shipped one; other names are looked up as usual.
      const parent = locate(parentName, parentName === curName && !cur.builtIn);
      if (!parent || chain.length > MAX_EXTENDS_DEPTH || chain.some((c) => c.file === parent.file)) {
        const why = !parent
          ? `no adapter named "${parentName}" (there are: ${[...new Set([...shippedNames, ...homeNames])].sort().join(', ')})`
          : 'the extends chain loops or is too long';
        throw new SiteAdapterError([placeIssue(cur.parsed, cur.file, { path: ['extends'], anchor: 'value', message: why })]);
      }
      chain.push(parent);
      cur = parent;
      curName = parentName;
    }
    let merged: Record<string, unknown> = {};
    for (const f of [...chain].reverse()) merged = mergeAdapter(merged, f.data);
    const { value, issues } = checkYaml(first.parsed, first.file, siteAdapterSchema, merged);
    if (!value) throw new SiteAdapterError(issues);
    return { ...value, name, file: first.file, builtIn: first.builtIn, chain: [...chain].reverse().map((c) => c.file) };
  }

  return {
    names: () => [...new Set([...shippedNames, ...homeNames])].sort(),
    get(name) {
      if (!NAME_RE.test(name)) return null;
      if (!cache.has(name)) cache.set(name, build(name));
      return cache.get(name) ?? null;
    },
  };
}
