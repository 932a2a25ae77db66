import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FanoConfig } from '../config/schema.js';
import type { Backlogs } from '../core/metrics.js';
import type { FanoState } from '../core/types.js';
import { documentCounts, documentedInsightIds, DOCUMENT_PATH } from './documenter/index.js';
import { blessedInsights, threadIdFor } from './explorer/index.js';
import { readSeeds } from './seeds-file.js';

/**
 * The module backlogs of the status metrics (docs/architecture.md, Scheduling and quotas), which
 * need module knowledge (an insight's status is derived from its reviews; what is documented and
 * commented is read from the living document itself) and the seeds file.
 */
export interface BacklogOptions {
  /** How the Explorer decides an insight's status (config modules.explorer). */
  secondRound: boolean;
  maxAttempts: number;
}

export function backlogOptions(config: FanoConfig): BacklogOptions {
  return { secondRound: config.modules.explorer.secondRound, maxAttempts: config.modules.explorer.maxAttempts };
}

export function moduleBacklogs(home: string, state: Readonly<FanoState>, opts: BacklogOptions): Backlogs {
  let documentText: string | null = null;
  try {
    documentText = readFileSync(join(home, DOCUMENT_PATH), 'utf8');
  } catch {
    // no document yet
  }
  const documented = documentedInsightIds(state, documentText);
  const counts = documentCounts(documentText);
  const blessedInsightsPending = blessedInsights(state, opts).filter((b) => !documented.has(b.id)).length;
  const explorerComments = Object.values(state.modules.explorer?.comments ?? {}).filter((c) => (c as { status?: unknown }).status === 'open').length;
  let seedsUnexplored = 0;
  try {
    const threads = state.modules.explorer?.threads ?? {};
    seedsUnexplored = readSeeds(home).filter((s) => s.type !== 'axiom' && s.status !== 'proposed' && threads[threadIdFor(s.id)] === undefined).length;
  } catch {
    // a malformed seeds file is reported by the tick; status still answers
  }
  return { blessedInsightsPending, commentsPending: explorerComments + counts.openComments, seedsUnexplored, sectionsDocumented: counts.sections };
}
