import { PATCHES_COLLECTION, type PatchRecord } from '../../core/document-patch.js';
import type { JsonObject } from '../../core/types.js';
import { collection } from '../shared/collections.js';
import type { CheckIssue } from './formats.js';

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
 *   proposals changes with new text waiting for their check (checks.ts): the patches as they will
 *             be logged, the check verdicts so far, and what was decided
 */

export const MODULE = 'documenter';
export const DOCUMENT_PATH = 'state/documenter/document.md';
export const GUIDANCE_PATH = 'state/documenter/guidance.md';
export const HISTORY_DIR = 'state/documenter/history';

export type SectionStatus = 'provisional' | 'stable' | 'needs_work';
export const SECTION_STATUSES: readonly SectionStatus[] = ['provisional', 'stable', 'needs_work'];

export type DocTaskType = keyof DocumenterTasks;

/** A change to the document: the store's patch record, always with a starter text and a history folder. */
export type PatchDoc = PatchRecord & {
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
  /** The check this change went through before it was logged (none: only markers changed). */
  check?: CheckSummary;
};

/** One check of a proposed text: on which backend, its verdict and issues. */
export type CheckRecord = {
  round: number;
  backend: string;
  mode: 'deep' | 'normal';
  task: string;
  verdict: 'approve' | 'revise';
  issues: CheckIssue[];
  summary: string;
  at: string;
};

/** What the patch record and the provenance sidecar keep of a change's checks. */
export type CheckSummary = {
  /** The last check's verdict ("revise" when fano applied the text after the bound). */
  verdict: 'approve' | 'revise';
  /** `backend/mode` of the last check. */
  by: string;
  /** Times the text went back to its writer. */
  rewrites: number;
  /** The last check's issues (open ones when it said "revise"). */
  issues: CheckIssue[];
  /** What fano did and why. */
  decision: string;
};

/**
 * A change whose new text is checked before it goes in. `patches` are the writer's patch records
 * (ids as they will be logged); the first is the section whose new text the check reads (a second
 * one is the title and abstract that come with the first section).
 */
export type ProposalDoc = {
  unit: string;
  taskType: DocTaskType;
  task: string;
  /** The backend that wrote the text (the check runs elsewhere; a rewrite goes back to it). */
  writer: string;
  sectionId: string;
  patches: Array<{ id: string; doc: PatchDoc }>;
  /** Rewrites so far (the round of the next check). */
  round: number;
  status: 'checking' | 'rewriting' | 'applied' | 'dropped';
  checks: CheckRecord[];
  /** Why the proposal ended as it did (applied after approval or after the bound, or dropped). */
  decision: string | null;
  at: string;
};

export type DisputeDoc = {
  unit: string;
  sectionId: string;
  text: string;
  count: number;
  lastAt: string;
  reason: string;
};

export type PlanDoc = {
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
};

export interface DocumenterOptions {
  reviewShare: number;
  reviewIntervalHours: number;
  maxDisputes: number;
  disputeRetryMinutes: number;
  maxRebases: number;
  deep: boolean;
  contextBudgetChars: number;
  /** Times a text the check sent back is rewritten before fano decides (checks.ts). */
  checkRewrites: number;
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
  checkRewrites: 1,
  explorer: { secondRound: true, maxAttempts: 2 },
};

export function documenterOptions(raw: JsonObject | Record<string, unknown>): DocumenterOptions {
  // The config schema checked each key's type; a key it did not give keeps its default.
  const pick = <K extends keyof DocumenterOptions>(k: K): DocumenterOptions[K] => {
    const v: unknown = raw[k];
    return v !== undefined && v !== null ? (v as DocumenterOptions[K]) : DEFAULT_OPTIONS[k];
  };
  return {
    reviewShare: pick('reviewShare'),
    reviewIntervalHours: pick('reviewIntervalHours'),
    maxDisputes: pick('maxDisputes'),
    disputeRetryMinutes: pick('disputeRetryMinutes'),
    maxRebases: pick('maxRebases'),
    deep: pick('deep'),
    contextBudgetChars: pick('contextBudgetChars'),
    checkRewrites: pick('checkRewrites'),
    explorer: pick('explorer'),
  };
}

export const PATCHES = collection<PatchDoc>(MODULE, PATCHES_COLLECTION);
export const DISPUTES = collection<DisputeDoc>(MODULE, 'disputes');
export const PLANS = collection<PlanDoc>(MODULE, 'plan');
export const PROPOSALS = collection<ProposalDoc>(MODULE, 'proposals');

/** A strict-format step's repair state, and the section texts its prompt was built from (set by prepare). */
type StepData = { phase?: 'ask' | 'repair'; raw?: string | null; error?: string | null; base?: Record<string, string> };
/** Every unit of work names itself, and counts how often a person's edit sent it back (a new key). */
type Unit = { unit: string; rebase: number };

export type DocumenterTasks = {
  /** A blessed insight → a new section or a change to one (and the title and abstract at first). */
  incorporate_insight: { context: Unit & { insightId: string }; data: StepData & { insightText?: string; preamble?: string } };
  /** A person's comment in the document → the section revised, or the comment disputed. */
  address_comment: { context: Unit & { sectionId: string; commentHash: string; round: number }; data: StepData & { text: string; commentRaw?: string } };
  /** A section due for review → kept (its status maybe changed) or rewritten. */
  review_section: { context: Unit & { sectionId: string }; data: StepData };
  /** A planned prerequisite → a drafted section, before the first section that needs it. */
  draft_section: { context: Unit & { planId: string }; data: StepData & { before?: string | null } };
  /** A proposed text → approved (its patches logged) or sent back to its writer, on another backend. */
  check_section: { context: Unit & { proposalId: string; sectionId: string; round: number; answersComment?: boolean }; data: StepData };
  /** A text the check sent back → rewritten by its writer with the issues, then checked again. */
  rewrite_section: { context: Unit & { proposalId: string; sectionId: string; round: number; answersComment?: boolean }; data: StepData };
};
