import type { FanoConfig } from '../config/schema.js';
import { problemKey, sortProblems, type Problem } from '../core/problems.js';
import type { FanoState, JsonObject } from '../core/types.js';
import { enabledModules } from './index.js';

/**
 * Every open problem of the enabled modules' files (core/problems.ts), once each, in a stable
 * order: what `fano status` lists, `fano top` shows and a tick prints when it is new.
 */
export function moduleProblems(home: string, state: Readonly<FanoState>, config: FanoConfig, now: Date): Problem[] {
  const seen = new Map<string, Problem>();
  for (const { module, options } of enabledModules(config)) {
    if (!module.problems) continue;
    for (const p of module.problems({ state, home, now, options: options as JsonObject })) {
      // The same problem from two modules (echo and explorer both read the seeds) is listed once.
      const key = `${problemKey(p)}\n${p.line}`;
      if (!seen.has(key)) seen.set(key, p);
    }
  }
  return sortProblems([...seen.values()]);
}
