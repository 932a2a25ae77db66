import path from 'node:path';

/**
 * Where the store keeps things under `<home>/state/` (README, How state is kept). Only src/store
 * writes here. Temp and lock names must stay matched by STATE_GITIGNORE and by isOrphanTemp.
 */
export interface StatePaths {
  home: string;
  dir: string;
  checkpoint: string;
  prev: string;
  /** Hard link (or copy) of checkpoint.json made before it is replaced, renamed onto `prev`. */
  prevTmp: string;
  /** Where repair moves an unreadable checkpoint.json before writing a new one. */
  brokenCheckpoint: string;
  log: string;
  broken: string;
  archiveDir: string;
  /** The tick lock: a directory made with mkdir holding owner.json (store/lock.ts). */
  lock: string;
}

export function statePaths(home: string): StatePaths {
  const dir = path.join(home, 'state');
  return {
    home,
    dir,
    checkpoint: path.join(dir, 'checkpoint.json'),
    prev: path.join(dir, 'checkpoint.prev.json'),
    prevTmp: path.join(dir, 'checkpoint.prev.json.tmp'),
    brokenCheckpoint: path.join(dir, 'checkpoint.broken.json'),
    log: path.join(dir, 'log.jsonl'),
    broken: path.join(dir, 'log.broken.jsonl'),
    archiveDir: path.join(dir, 'archive'),
    lock: path.join(dir, 'tick.lock'),
  };
}

/**
 * The content of `state/.gitignore` (kept byte-identical to the repo's state/.gitignore; a test
 * checks). `checkpoint.json.*` is the temp name of older versions (`checkpoint.json.<uint32>`);
 * today's temp names end in `.tmp`. `checkpoint.prev.json` is a local safety copy for `fano
 * repair`: committing it would double every `state/` commit with a second full checkpoint.
 */
export const STATE_GITIGNORE = `# fano writes these; they never belong in git
*.lock
.lock
*.tmp
*.tmp.*
.*.tmp*
checkpoint.json.*
checkpoint.prev.json
checkpoint.broken.json
profiles/
log.broken.jsonl
`;

/** Older versions' checkpoint temp files (`checkpoint.json.123456789`) and our `*.tmp` names. */
const ORPHAN_RE = /^(?:checkpoint(?:\.prev)?\.json\.\d+|.*\.tmp)$/;

/** True for temp files a killed writer can leave in state/: safe to delete while holding the lock. */
export function isOrphanTemp(name: string): boolean {
  return ORPHAN_RE.test(name);
}
