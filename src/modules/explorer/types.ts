import type { JsonObject } from '../../core/types.js';
import { collection } from '../shared/collections.js';
import type { QuotaOptions } from '../../core/quota.js';

/**
 * The Explorer's durable documents, all under `state.modules.explorer.<collection>.<id>` and
 * changed only through `module.put` events. Plain JSON, ISO-8601 UTC times.
 *
 * Collections:
 *   threads     one per seed (id: threadIdFor(seedId)); exchanges, pinned summary, status
 *   insights    one per extracted insight (id: i-<hash>); text, provenance, panel, human decision
 *   verifications  one per claim of an insight revision: the prove-or-refute verdict
 *   reviews     one per review (id: reviewId(...)); separate docs so concurrent reviews of one
 *               insight never overwrite each other (each step's events are computed on the state
 *               it saw; two reviewers answering in the same tick would otherwise race)
 *   comments    human comments on insights (id: commentIdFor(...)) and their answers
 *   failures    per unit of work that failed for good: how often (a new attempt gets a new key)
 *   rawAnswers  answers that did not parse even after the repair prompt, kept for inspection
 */

export type Role = 'explore' | 'critique';
export type Rating = 'bless' | 'uncertain' | 'reject';
export const RATINGS: readonly Rating[] = ['bless', 'uncertain', 'reject'];
/** What an insight's argument establishes: a proof, a computation carried out, or only evidence. */
export type InsightKind = 'proved' | 'conjectured' | 'computed';
export const INSIGHT_KINDS: readonly InsightKind[] = ['proved', 'conjectured', 'computed'];
export type InsightStatus = 'in_review' | 'blessed' | 'rejected' | 'needs_development' | 'duplicate';
export const INSIGHT_STATUSES: readonly InsightStatus[] = ['in_review', 'blessed', 'rejected', 'needs_development', 'duplicate'];

export type Exchange = {
  index: number;
  role: Role;
  backend: string;
  mode: 'deep' | 'normal';
  text: string;
  /** The "KEY POINTS:" line of the answer (or its first sentences): what a summary keeps. */
  keyPoints: string;
  at: string;
  /** Set when the first answer did not read (e.g. an unbalanced `$`) and this text came from the repair prompt. */
  repaired?: { error: string } | null;
  /**
   * The site's conversation the exchange took place in (`url` null: the backend keeps none, like an
   * HTTP API) and how: `opened` a new chat with the pinned summary and recent exchanges,
   * `continued` one this backend held for the thread (only the exchanges since its last turn were
   * sent), or `repair` (a self-contained repair prompt on another backend than the question's:
   * that chat does not know the thread). Absent in exchanges made before it was recorded.
   */
  chat?: ExchangeChat;
};

export type ExchangeChat = { url: string | null; how: 'opened' | 'continued' | 'repair' };

export type ThreadDoc = {
  id: string;
  seedId: string;
  seedText: string;
  seedType: string;
  /** The seed's notes, shown in every prompt of the thread (absent in threads made before them). */
  seedNotes?: string | null;
  tags: string[];
  status: 'exploring' | 'synthesized' | 'failed';
  exchanges: Exchange[];
  /**
   * Running notes of exchanges 0..throughIndex, pinned at the top of every later prompt, so folding
   * old exchanges away loses none of their key points.
   */
  summary: { text: string; throughIndex: number } | null;
  insightIds: string[];
  error: string | null;
  createdAt: string;
  updatedAt: string;
};

export type InsightDoc = {
  id: string;
  /** The statement: precise, its notation defined (shown as `statement` everywhere a person reads it). */
  text: string;
  /**
   * The structure of an insight (absent in insights extracted before it existed: read them through
   * `structureOf`, which gives the statement as its one claim, kind "conjectured", no argument).
   */
  kind?: InsightKind;
  /** The proof or proof sketch (proved), the computation (computed), the evidence (conjectured). */
  argument?: string;
  /** The separate claims the statement makes, each checkable on its own (reviewed and verified one by one). */
  claims?: string[];
  /** Ids of the insights and seeds the argument uses. */
  dependsOn?: string[];
  tags: string[];
  confidence: number;
  /** Revision 0 is the synthesized text; a comment may revise it (and restart the review). */
  revision: number;
  history: Array<{ revision: number; text: string; at: string; reason: string }>;
  threadId: string;
  seedId: string;
  exchanges: number[];
  provenance: { backend: string; mode: 'deep' | 'normal'; task: string; at: string };
  duplicateOf: string | null;
  similarity: number | null;
  /** Who found the duplicate: the word-overlap check at synthesis, or the model's paraphrase check (dedupe.ts). */
  duplicateBy?: 'words' | 'model';
  /** Reviewer backends by slot, chosen at creation (distinct, producer last). */
  panel: string[];
  decision: { status: 'blessed' | 'rejected'; note: string | null; at: string; revision: number; by: 'human' } | null;
  createdAt: string;
  updatedAt: string;
};

/** One claim as a reviewer judged it: checked true, shown false, or neither. */
export type ClaimVerdict = 'verified' | 'refuted' | 'unclear';
export type ClaimReview = { claim: string; verdict: ClaimVerdict; argument: string };
export type Assessment = { verdict: string; argument: string };

export type ReviewDoc = {
  insightId: string;
  revision: number;
  /** 1: independent review; 2: after reading the others and the verification; 3: the minority's case; 4: the majority's answer. */
  round: number;
  slot: number;
  backend: string;
  mode: 'deep' | 'normal';
  rating: Rating;
  confidence: number;
  reasoning: string;
  /** The rubric (absent in reviews written before it existed). */
  claims?: ClaimReview[];
  /** structural | superficial | unclear: a genuine structural connection, or surface numerology? */
  structuralDepth?: Assessment;
  /** natural | contrived | unclear: would a skeptical mathematician find it interesting? */
  naturalness?: Assessment;
  /** The reviewer's rating in its previous round when it changed, else null. */
  changedFrom: Rating | null;
  task: string;
  at: string;
};

/**
 * A prove-or-refute task's answer on one claim of one revision of an insight (id:
 * verificationId(...)). A confident refutation rejects the insight; the verdicts go to round 2.
 */
export type VerificationDoc = {
  insightId: string;
  revision: number;
  claim: number;
  text: string;
  backend: string;
  mode: 'deep' | 'normal';
  verdict: 'proved' | 'refuted' | 'unclear';
  confidence: number;
  argument: string;
  counterexample: string | null;
  task: string;
  at: string;
};

export type CommentDoc = {
  id: string;
  insightId: string;
  text: string;
  source: 'file' | 'cli';
  status: 'open' | 'answered' | 'failed';
  answer: string | null;
  revised: boolean;
  createdAt: string;
  answeredAt: string | null;
};

export type FailureDoc = {
  count: number;
  lastError: string;
  at: string;
};

export interface ExplorerOptions {
  exchangesBeforeSynthesis: number;
  maxInsightsPerSynthesis: number;
  contextBudgetChars: number;
  keepRecentExchanges: number;
  summaryMaxChars: number;
  panelSize: number;
  secondRound: boolean;
  deepSynthesis: boolean;
  deepSecondRound: boolean;
  dedupeThreshold: number;
  maxBlessedInContext: number;
  maxAttempts: number;
  /** Injected by modules/index.ts (not config keys): enabled backends and their quota options. */
  backends: Record<string, QuotaOptions>;
}

export const DEFAULT_OPTIONS: ExplorerOptions = {
  exchangesBeforeSynthesis: 4,
  maxInsightsPerSynthesis: 3,
  contextBudgetChars: 24000,
  keepRecentExchanges: 2,
  summaryMaxChars: 2000,
  panelSize: 3,
  secondRound: true,
  deepSynthesis: true,
  deepSecondRound: true,
  dedupeThreshold: 0.8,
  maxBlessedInContext: 10,
  maxAttempts: 2,
  backends: {},
};

/** The module's option section (already validated by the config schema) with defaults filled in. */
export function explorerOptions(raw: JsonObject | Record<string, unknown>): ExplorerOptions {
  // The config schema checked each key's type; a key it did not give keeps its default.
  const pick = <K extends keyof ExplorerOptions>(k: K): ExplorerOptions[K] => {
    const v: unknown = raw[k];
    return v !== undefined && v !== null ? (v as ExplorerOptions[K]) : DEFAULT_OPTIONS[k];
  };
  return {
    exchangesBeforeSynthesis: pick('exchangesBeforeSynthesis'),
    maxInsightsPerSynthesis: pick('maxInsightsPerSynthesis'),
    contextBudgetChars: pick('contextBudgetChars'),
    keepRecentExchanges: pick('keepRecentExchanges'),
    summaryMaxChars: pick('summaryMaxChars'),
    panelSize: Math.max(2, pick('panelSize')),
    secondRound: pick('secondRound'),
    deepSynthesis: pick('deepSynthesis'),
    deepSecondRound: pick('deepSecondRound'),
    dedupeThreshold: pick('dedupeThreshold'),
    maxBlessedInContext: pick('maxBlessedInContext'),
    maxAttempts: pick('maxAttempts'),
    backends: pick('backends'),
  };
}

export const MODULE = 'explorer';

export const THREADS = collection<ThreadDoc>(MODULE, 'threads');
export const INSIGHTS = collection<InsightDoc>(MODULE, 'insights');
export const REVIEWS = collection<ReviewDoc>(MODULE, 'reviews');
export const VERIFICATIONS = collection<VerificationDoc>(MODULE, 'verifications');
export const COMMENTS = collection<CommentDoc>(MODULE, 'comments');
export const FAILURES = collection<FailureDoc>(MODULE, 'failures');

/** A strict-format step's repair state (../shared/strict-answer.ts). */
export type RepairData = { phase?: 'ask' | 'repair'; raw?: string | null; error?: string | null };
/** Every task carries its attempt (a new attempt is a new key) and its seed's priority. */
type Unit = { attempt: number; seedPriority: number };
/** One exchange of a thread: the seed is in the data because the first one has no thread yet. */
export type ExchangeTask = {
  context: Unit & { threadId: string; seedId: string; exchange: number };
  data: RepairData & {
    seedText: string;
    seedType: string;
    seedNotes?: string | null;
    tags: string[];
    axioms: string[];
    /** What the question's prompt was built for (set by prepare, kept with the claim): its backend, and the conversation it continued. */
    chat?: { backend: string; continues: string | null };
  };
};

export type ExplorerTasks = {
  exploration: ExchangeTask;
  critique: ExchangeTask;
  /** A thread's exchanges → atomic insights, deduped, each with its review panel. */
  synthesis: { context: Unit & { threadId: string }; data: RepairData & { axioms: string[]; seedIds?: string[] } };
  /** One panel slot's review of one revision of an insight, in rounds 1 to 4 (review.ts). */
  review: { context: Unit & { insightId: string; revision: number; round: number; slot: number }; data: RepairData };
  /** Prove or refute one claim of one revision of an insight, before round 2. */
  verify_claim: { context: Unit & { insightId: string; revision: number; claim: number }; data: RepairData };
  /** A new insight the word-overlap check let through, compared by a model with its nearest existing ones (dedupe.ts). */
  dedupe_check: { context: Unit & { insightId: string; revision: number }; data: RepairData & { candidates?: string[] } };
  /** A person's comment on an insight: answered, and the insight revised when the answer says so. */
  address_comment: { context: Unit & { commentId: string; insightId: string }; data: RepairData & { text: string; source: CommentDoc['source'] } };
};
