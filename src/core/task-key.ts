import { sha256Hex } from './hash.js';
import { stableCompact } from './stable-json.js';
import type { JsonObject } from './types.js';

/** `module:type:hash(stable context)`: the same work always gets the same key, so it is never queued twice. */
export function taskKey(module: string, type: string, context: JsonObject): string {
  const h = sha256Hex(stableCompact(context)).slice(0, 12);
  return `${module}:${type}:${h}`;
}
