import type { SourceTree } from './source-tree.js';
import { importsOf, isTestCode } from './source-tree.js';

/**
 * "Only the store writes state/" (docs/architecture.md, Rooms): outside src/store, a file that
 * can write files (it imports a write function of node:fs, or write-file-atomic) must be listed
 * here with what it writes, and such a file may not name a path under state/ (a `'state'` path
 * segment, or the constants that name the state files) except where listed as Chromium's.
 */
export const WRITERS_OUTSIDE_STORE: Readonly<Record<string, string>> = {
  'src/log.ts': 'runs/<tick>.jsonl (pino)',
  'src/tick/runs.ts': 'runs/last-tick.json and the daily idle log runs/idle-YYYY-MM-DD.jsonl',
  'src/tick/runs-bundles.ts': 'runs/bundles/<hash>/: failure bundles kept once, with seen.json',
  'src/tick/runs-retention.ts': 'removes old tick logs, idle logs and bundles from runs/',
  'src/tick/idle-hint.ts': 'runs/idle-hint.json and the idle line in runs/ (it only stats the state files)',
  'src/gateway/mock-backend.ts': "runs/: the mock's hidden quota memory and its failure bundles",
  'src/gateway/openai-backend.ts': 'runs/<tick>/<request>/: failure bundles',
  'src/gateway/browser/bundle.ts': 'runs/<tick>/<request>/: failure bundles',
  'src/gateway/browser/resident.ts': 'runs/browser.json and its log; Chromium profile files (state/profiles/, git-ignored, not fano state)',
  'src/gateway/browser/session.ts': 'Chromium profile folders (state/profiles/, git-ignored, not fano state)',
  'src/cli/schedule.ts': "the user's systemd unit folder",
  'src/cli/browser.ts': "runs/: the resident browser's log",
  'src/gateway/browser/driver-service.ts': 'runs/: the driver service record',
  'src/cli/init.ts': 'runs/ (the state/ files go through store/state-files.ts)',
  'src/sim/temp-home.ts': "a simulation's temporary home folder, removed when it ends (its state/ files go through store/state-files.ts)",
};

/**
 * Files listed above that may name state/ paths: Chromium's profile folder lives there, init hands
 * the state files to the store, and the idle hint stats them.
 */
const MAY_NAME_STATE = new Set(['src/gateway/browser/session.ts', 'src/gateway/browser/resident.ts', 'src/cli/init.ts', 'src/tick/idle-hint.ts']);

const WRITE_FNS = [
  'writeFile',
  'writeFileSync',
  'appendFile',
  'appendFileSync',
  'rename',
  'renameSync',
  'mkdir',
  'mkdirSync',
  'rm',
  'rmSync',
  'rmdir',
  'rmdirSync',
  'unlink',
  'unlinkSync',
  'copyFile',
  'copyFileSync',
  'cp',
  'cpSync',
  'createWriteStream',
  'truncate',
  'truncateSync',
  'ftruncate',
  'ftruncateSync',
  'link',
  'linkSync',
  'symlink',
  'symlinkSync',
  'utimes',
  'utimesSync',
  'open',
  'openSync',
  'write',
  'writeSync',
  'mkdtemp',
  'mkdtempSync',
];
const FS_MODULES = new Set(['fs', 'node:fs', 'fs/promises', 'node:fs/promises']);
const STATE_NAMES = /['"`]state['"`/]|\b(SEEDS_PATH|SOURCES_PATH|CACHE_DIR|TEXTS_DIR|RESEARCHER_DIR|DOCUMENT_PATH|GUIDANCE_PATH|PROMPT_DIR|statePaths)\b/;

/** How `source` can write files: the write functions it uses from node:fs, or write-file-atomic. */
export function writeCapabilities(text: string): string[] {
  const found = new Set<string>();
  const source = stripComments(text);
  const specs = importsOf(source).map((i) => i.spec);
  if (specs.includes('write-file-atomic')) found.add('write-file-atomic');
  if (!specs.some((s) => FS_MODULES.has(s))) return [...found];
  // Named imports (`import { writeFileSync } from 'node:fs'`) and namespace use (`fs.writeFileSync(`).
  for (const m of source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*['"](?:node:)?fs(?:\/promises)?['"]/g)) {
    for (const name of m[1]!.split(',').map((n) => n.trim().split(/\s+as\s+/)[0]!)) if (WRITE_FNS.includes(name)) found.add(name);
  }
  for (const m of source.matchAll(/\b(?:fs|fsp|promises)\.(?:promises\.)?(\w+)\s*\(/g)) if (WRITE_FNS.includes(m[1]!)) found.add(m[1]!);
  return [...found].sort();
}

/** Files outside src/store that can write and are not listed, or that name state/ when they may not. */
export function stateWriterViolations(tree: SourceTree): string[] {
  const out: string[] = [];
  for (const [file, source] of tree) {
    if (file.startsWith('src/store/') || isTestCode(file)) continue;
    const caps = writeCapabilities(source);
    if (caps.length === 0) continue;
    if (!(file in WRITERS_OUTSIDE_STORE)) {
      out.push(
        `${file}: writes files (${caps.join(', ')}) outside src/store; write under state/ through the store (store/state-files.ts), or list what it writes in test/fences/state-writers.ts`,
      );
    } else if (!MAY_NAME_STATE.has(file) && STATE_NAMES.test(stripComments(source))) {
      out.push(`${file}: writes files and names a path under state/; only src/store writes state/`);
    }
  }
  return out.sort();
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\/|(^|[^:'"`])\/\/.*$/gm, '$1');
}
