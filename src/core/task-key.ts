import { createHash } from 'node:crypto';
import { stableCompact } from './stable-json.js';
import type { JsonObject } from './types.js';

/** `module:type:hash(stable context)`: the same work always gets the same key (review item 2). */
export function taskKey(module: string, type: string, context: JsonObject): string {
  const h = createHash('sha256').update(stableCompact(context)).digest('hex').slice(0, 12);
  return `${module}:${type}:${h}`;
}
