import type { JsonObject } from '../../core/types.js';
import { collection } from '../shared/collections.js';

/** The Researcher's options, its documents (typed collections) and its task types. */

export const RESEARCHER = 'researcher';

export interface ResearcherOptions {
  autoApprove: boolean;
  minTrust: number;
  minRelevance: number;
  maxSourceChars: number;
  questionsEveryHours: number;
}

export function researcherOptions(o: JsonObject): ResearcherOptions {
  const n = (k: string, d: number) => {
    const v = o[k];
    return typeof v === 'number' ? v : d;
  };
  return {
    autoApprove: o.autoApprove === true,
    minTrust: n('minTrust', 0.6),
    minRelevance: n('minRelevance', 0.5),
    maxSourceChars: n('maxSourceChars', 12_000),
    questionsEveryHours: n('questionsEveryHours', 24),
  };
}

export type Evaluation = {
  trust: number;
  relevance: number;
  trusted: boolean;
  reasoning: string;
  textHash: string;
  at: string;
};
export type SourceDoc = {
  id: string;
  url: string;
  addedBy: 'person' | 'model';
  questionId: string | null;
  evaluation: Evaluation | null;
};
export type QuestionDoc = { id: string; text: string; urls: string[]; basis: string; createdAt: string };
export type FindingDoc = {
  id: string;
  sourceId: string;
  url: string;
  claim: string;
  quote: string;
  verified: boolean;
  reason: string | null;
  textHash: string;
  createdAt: string;
};
/** One extract_content result: which findings a source's text gave (id `<sourceId>-<textHash>`). */
export type ExtractionDoc = { sourceId: string; textHash: string; findingIds: string[]; verified: number; unverified: number; at: string };
/** One synthesize_findings result: the findings offered, the seeds made, the seeds refused. */
export type SynthesisDoc = { id: string; findingIds: string[]; seedIds: string[]; rejected: Array<{ text: string; reason: string }>; at: string };
export type ProposedSeedDoc = {
  id: string;
  text: string;
  type: 'question' | 'conjecture';
  priority: number;
  findingIds: string[];
  urls: string[];
  status: 'proposed' | 'active';
  /** Set once the tick has appended it to state/explorer/seeds.yaml. */
  written: boolean;
  createdAt: string;
};

export const SOURCES = collection<SourceDoc>(RESEARCHER, 'sources');
export const QUESTIONS = collection<QuestionDoc>(RESEARCHER, 'questions');
export const FINDINGS = collection<FindingDoc>(RESEARCHER, 'findings');
export const EXTRACTIONS = collection<ExtractionDoc>(RESEARCHER, 'extractions');
export const SYNTHESES = collection<SynthesisDoc>(RESEARCHER, 'syntheses');
export const PROPOSED_SEEDS = collection<ProposedSeedDoc>(RESEARCHER, 'proposedSeeds');

/** A strict-format task's repair state (../shared/strict-answer.ts): absent until a first bad answer. */
export type RepairData = { phase?: 'ask' | 'repair'; raw?: string | null; error?: string | null };
/** A fetched text, by its source and its content hash (the text is read from the cache by it). */
export type SourceTextRef = { sourceId: string; textHash: string };

export type ResearcherTasks = {
  /** Recent Explorer insights → questions (+ URLs the model proposes as sources). */
  generate_questions: { context: { basis: string }; data: { insights: string[] } & RepairData };
  /** A fetched source → trust, relevance, reasoning. */
  evaluate_source: { context: SourceTextRef; data: { url: string; addedBy: 'person' | 'model' } & RepairData };
  /** A trusted source → findings, each with a quote verified against the text. */
  extract_content: { context: SourceTextRef; data: { url: string } & RepairData };
  /** Verified findings → proposed seeds for the Explorer. */
  synthesize_findings: { context: { findings: string }; data: { findingIds: string[] } & RepairData };
};
