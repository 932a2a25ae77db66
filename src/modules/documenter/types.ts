import type { PatchRecord } from '../../core/document-patch.js';
import type { Json, JsonObject } from '../../core/types.js';

/**
 * The Documenter's durable data, under `state.modules.documenter.<collection>.<id>`, changed only
 * through `module.put` events. The document itself is a file (state/documenter/document.md) that a
 * person edits too: fano changes it only through `patches` (core/document-patch.ts) the store applies.
 *
 * Collections:
 *   patches   one per change fano makes to the document (id sorts by creation): the section, the
 *             text it was based on and the new text while pending, then the outcome; with a
 *             summary and content hash it is also the version history
 *   disputes  per human comment the model disputed: how often, when last, why
 *   plan      sections the document needs (prerequisites named while incorporating an insight)
 */

export const MODULE = 'documenter';
export const DOCUMENT_PATH = 'state/documenter/document.md';
export const GUIDANCE_PATH = 'state/documenter/guidance.md';
export const HISTORY_DIR = 'state/documenter/history';

export type SectionStatus = 'provisional' | 'stable' | 'needs_work';
export const SECTION_STATUSES: readonly SectionStatus[] = ['provisional', 'stable', 'needs_work'];

export type DocTaskType = 'incorporate_insight' | 'address_comment' | 'review_section' | 'draft_section';

/** A change to the document: the store's patch record, always with a starter text and a history folder. */
export interface PatchDoc extends PatchRecord {
  initialText: string;
  snapshotDir: string;
  /** The unit of work (e.g. `comment:<section>:<hash>`): a conflict lets discovery retry it. */
  unit: string;
  taskType: DocTaskType;
  task: string;
  summary: string;
  /**
   * Insights this change incorporates (they count as documented while it is pending or applied;
   * `documentedInsightIds` is the exact query).
   */
  insightIds: string[];
  backend: string;
  mode: 'deep' | 'normal';
  conversation: string | null;
  at: string;
}

export interface DisputeDoc {
  unit: string;
  sectionId: string;
  text: string;
  count: number;
  lastAt: string;
  reason: string;
}

export interface PlanDoc {
  id: string;
  title: string;
  reason: string;
  forInsight: string;
  /**
   * Sections that need this one (where the insights naming it were placed): the draft goes
   * before the first of them in the document. Optional: plans made before it have none.
   */
  neededBy?: string[];
  at: string;
}

export interface DocumenterOptions {
  reviewShare: number;
  reviewIntervalHours: number;
  maxDisputes: number;
  disputeRetryMinutes: number;
  maxRebases: number;
  deep: boolean;
  contextBudgetChars: number;
  /** Injected by modules/index.ts: how the Explorer derives blessed insights. */
  explorer: { secondRound: boolean; maxAttempts: number };
}

export const DEFAULT_OPTIONS: DocumenterOptions = {
  reviewShare: 0.2,
  reviewIntervalHours: 24,
  maxDisputes: 3,
  disputeRetryMinutes: 60,
  maxRebases: 5,
  deep: false,
  contextBudgetChars: 30000,
  explorer: { secondRound: true, maxAttempts: 2 },
};

export function documenterOptions(raw: JsonObject | Record<string, unknown>): DocumenterOptions {
  const out = { ...DEFAULT_OPTIONS } as unknown as Record<string, unknown>;
  for (const k of Object.keys(DEFAULT_OPTIONS)) if (raw[k] !== undefined && raw[k] !== null) out[k] = raw[k];
  return out as unknown as DocumenterOptions;
}

export const asDoc = <T>(j: Json | undefined): T | undefined => j as unknown as T | undefined;
export const toJson = (v: unknown): Json => v as Json;
