import fs from 'node:fs';
import path from 'node:path';
import type { Problem } from '../core/problems.js';
import { ExitCode, FanoError } from '../errors.js';

/**
 * The home stays the home: fano writes only inside its home. A folder it writes into (state/,
 * state/explorer/insights, runs/, …) that is a symlink leading out of the home is refused before
 * anything is written there: a tick on a home whose runs/ or state/ leads elsewhere stops (exit
 * 73), and a projection folder that does is a problem and is left alone.
 */

/** A folder fano writes into leads out of its home. */
export class HomeEscapeError extends FanoError {
  constructor(
    message: string,
    readonly problem: Problem,
  ) {
    super(message, ExitCode.cannotWrite);
  }
}

function real(p: string): string {
  // The nearest existing ancestor decides: a missing folder is created inside it.
  let cur = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), path.relative(cur, path.resolve(p)));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      const up = path.dirname(cur);
      if (up === cur) return path.resolve(p);
      cur = up;
    }
  }
}

/** Where `target` (a path inside `home`) really leads when that is outside the home, else null. */
export function leadsOutOfHome(home: string, target: string): string | null {
  const realHome = real(home);
  const realTarget = real(target);
  const rel = path.relative(realHome, realTarget);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel)) ? null : realTarget;
}

export function homeEscapeProblem(home: string, target: string, realTarget: string): Problem {
  return {
    file: path.relative(home, target) || '.',
    line: null,
    message: `leads out of the home (a symlink to ${realTarget}); fano writes only inside its home and wrote nothing there`,
    fix: `replace the symlink with a folder inside the home (e.g. mv it back and \`rm\` the link)`,
  };
}

/** Throws HomeEscapeError (exit 73) when `target` leads out of `home`. */
export function assertInsideHome(home: string, target: string): void {
  const out = leadsOutOfHome(home, target);
  if (out === null) return;
  const p = homeEscapeProblem(home, target, out);
  throw new HomeEscapeError(`${path.join(home, p.file)} ${p.message}: ${p.fix}`, p);
}

/** The problems of the given folders (relative to `home`) that lead out of it. */
export function homeEscapeProblems(home: string, dirs: readonly string[]): Problem[] {
  const out: Problem[] = [];
  for (const d of dirs) {
    const target = path.join(home, d);
    const r = leadsOutOfHome(home, target);
    if (r !== null) out.push(homeEscapeProblem(home, target, r));
  }
  return out;
}
