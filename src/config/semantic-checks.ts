import type { FanoConfig } from './schema.js';
import type { LocatedMessage } from './issue-messages.js';
import { didYouMean } from './schema-walk.js';
import { adapterNameFor } from './site-adapters.js';
import { BASE_PRIORITIES } from '../core/priority.js';
import { CONSULTATION_MODULE } from '../core/consultation.js';

/**
 * Checks that need more than one key or knowledge the schema cannot express. They run only on a
 * config the schema accepted, and report like schema issues (path + anchor + message). Pure.
 */

/** A tick is a bounded slice started by a timer; one that could run an hour would overlap the next ones. */
export const MAX_TICK_SECONDS = 3600;

/** `siteNames`: every site adapter there is (shipped and the home's). */
export function semanticIssues(config: FanoConfig, siteNames: readonly string[]): LocatedMessage[] {
  const issues: LocatedMessage[] = [];

  if (config.tick.maxSeconds >= MAX_TICK_SECONDS) {
    issues.push({
      path: ['tick', 'maxSeconds'],
      anchor: 'value',
      message: `must be less than ${MAX_TICK_SECONDS} (an hour), got the number ${config.tick.maxSeconds}: a tick is a short slice of work and long answers continue in the next tick`,
    });
  }

  for (const [name, backend] of Object.entries(config.backends)) {
    if (backend.type !== 'browser') continue;
    const site = adapterNameFor(name, backend.site, siteNames);
    if (site !== 'custom' && !siteNames.includes(site)) {
      const guess = didYouMean(site, siteNames);
      issues.push({
        path: ['backends', name, 'site'],
        anchor: 'value',
        message: `no site adapter "${site}"${guess ? ` (did you mean "${guess}"?)` : ''}: the adapters are ${siteNames.join(', ')}, custom; add one as sites/${site}.yaml in the home`,
      });
      continue;
    }
    if (site !== 'custom') continue;
    // Without a built-in adapter nothing supplies these. When the site was only implied by
    // the name, say so once (on the first issue), since a typo in the name is the likely cause.
    const missing: LocatedMessage[] = [];
    if (backend.url === undefined) {
      missing.push({ path: ['backends', name, 'url'], anchor: 'parent', message: 'required for a custom site: the start page of a new conversation' });
    }
    if (backend.selectors.input === undefined) {
      missing.push({
        path: ['backends', name, 'selectors', 'input'],
        anchor: 'parent',
        message: 'required for a custom site: the CSS selector of the prompt box',
      });
    }
    if (backend.selectors.response === undefined) {
      missing.push({
        path: ['backends', name, 'selectors', 'response'],
        anchor: 'parent',
        message: 'required for a custom site: the CSS selector of the answers (the last match is read)',
      });
    }
    const first = missing[0];
    if (first && backend.site === undefined) {
      const guess = didYouMean(name, siteNames);
      first.message += ` ("${name}" is no site adapter${guess ? ` — did you mean "${guess}"?` : ''}: set site: to one of ${siteNames.join(', ')} to use one)`;
    }
    issues.push(...missing);
  }

  issues.push(...unknownNames(config));

  const weights = Object.values(config.scheduler.weights);
  if (weights.length > 0 && weights.every((w) => w === 0)) {
    issues.push({ path: ['scheduler', 'weights'], anchor: 'value', message: 'at least one module weight must be above 0, or no module ever gets a turn' });
  }

  return issues;
}

/** Every task type a module can make (the priority table's, plus the consultation's). */
export const TASK_TYPE_NAMES: readonly string[] = [...Object.keys(BASE_PRIORITIES), 'consultation'].sort();

/**
 * Maps whose keys are names of something else (modules, task types): a key that names nothing is
 * a typo that would otherwise be ignored for good (`scheduler.weights.reseacher`).
 */
function unknownNames(config: FanoConfig): LocatedMessage[] {
  const modules = [...Object.keys(config.modules), CONSULTATION_MODULE].sort();
  const maps: Array<{ path: string[]; keys: string[]; known: readonly string[]; what: string }> = [
    { path: ['scheduler', 'weights'], keys: Object.keys(config.scheduler.weights), known: modules, what: 'module' },
    { path: ['quotas', 'deepReserves'], keys: Object.keys(config.quotas.deepReserves), known: modules, what: 'module' },
    { path: ['scheduler', 'taskTypes'], keys: Object.keys(config.scheduler.taskTypes), known: TASK_TYPE_NAMES, what: 'task type' },
  ];
  const out: LocatedMessage[] = [];
  for (const m of maps) {
    for (const key of m.keys) {
      if (m.known.includes(key)) continue;
      const guess = didYouMean(key, m.known);
      out.push({
        path: [...m.path, key],
        anchor: 'key',
        message: `no ${m.what} "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}: the ${m.what}s are ${m.known.join(', ')}`,
      });
    }
  }
  return out;
}
