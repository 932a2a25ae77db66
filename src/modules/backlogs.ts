import type { FanoConfig } from '../config/schema.js';
import type { Backlogs } from '../core/metrics.js';
import type { FanoState } from '../core/types.js';
import { blessedInsights } from './explorer/queries.js';
import { threadIdFor } from './explorer/text.js';
import { readSeeds } from './seeds-file.js';

/**
 * The backlogs of design 7.1, which need module knowledge (an insight's status is derived from its
 * reviews) and the seeds file. "Blessed insights pending" are blessed insights the Documenter has
 * not incorporated yet: ids found in any document of the documenter's state whose `insightId` or
 * `insightIds` names them count as incorporated.
 */
export function moduleBacklogs(home: string, state: Readonly<FanoState>, config: FanoConfig): Backlogs {
  const used = new Set<string>();
  for (const collection of Object.values(state.modules.documenter ?? {})) {
    for (const raw of Object.values(collection)) {
      const d = raw as { insightId?: unknown; insightIds?: unknown } | null;
      if (d && typeof d.insightId === 'string') used.add(d.insightId);
      if (d && Array.isArray(d.insightIds)) for (const id of d.insightIds) if (typeof id === 'string') used.add(id);
    }
  }
  const opts = { secondRound: config.modules.explorer.secondRound, maxAttempts: config.modules.explorer.maxAttempts };
  const blessedInsightsPending = blessedInsights(state, opts).filter((b) => !used.has(b.id)).length;
  const commentsPending = Object.values(state.modules.explorer?.comments ?? {}).filter((c) => (c as { status?: unknown }).status === 'open').length;
  let seedsUnexplored = 0;
  try {
    const threads = state.modules.explorer?.threads ?? {};
    seedsUnexplored = readSeeds(home).filter((s) => s.type !== 'axiom' && s.status !== 'proposed' && threads[threadIdFor(s.id)] === undefined).length;
  } catch {
    // a malformed seeds file is reported by the tick; status still answers
  }
  return { blessedInsightsPending, commentsPending, seedsUnexplored };
}
