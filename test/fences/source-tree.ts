import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';

/** What the fences read: source files by path relative to the repository, with their text. */
export type SourceTree = ReadonlyMap<string, string>;

export const REPO = path.resolve(import.meta.dirname, '../..');

const SOURCE_RE = /\.(c|m)?[jt]sx?$/;

/** Every source file under `dirs` (relative to the repository), keyed by its relative path with '/'. */
export async function readSourceTree(dirs: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const dir of dirs) {
    let entries;
    try {
      entries = await readdir(path.join(REPO, dir), { withFileTypes: true, recursive: true });
    } catch {
      continue; // a folder that does not exist yet imports nothing
    }
    for (const e of entries) {
      if (!e.isFile() || !SOURCE_RE.test(e.name)) continue;
      const abs = path.join(e.parentPath, e.name);
      out.set(path.relative(REPO, abs).split(path.sep).join('/'), await readFile(abs, 'utf8'));
    }
  }
  return out;
}

/**
 * Every module specifier a file names, with its 1-based line: static imports and re-exports
 * (type-only ones too: a type is a dependency), `import()` and `require()`. Read by the TypeScript
 * scanner, so text in comments and strings never counts.
 */
export function importsOf(source: string): Array<{ spec: string; line: number }> {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => ({ spec: f.fileName, line: source.slice(0, f.pos).split('\n').length }));
}

export function importSpecifiers(source: string): string[] {
  return importsOf(source).map((i) => i.spec);
}

/** Test code (tests and the builders/fakes only tests use) may assemble several rooms. */
export function isTestCode(file: string): boolean {
  const base = path.posix.basename(file);
  return /\.test\.[cm]?[jt]sx?$/.test(base) || base.startsWith('test-');
}

/** The repository path a relative specifier points at, without its extension; null for a package. */
export function resolveSpecifier(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  return path.posix.normalize(path.posix.join(path.posix.dirname(from), spec)).replace(/\.(c|m)?[jt]sx?$/, '');
}
