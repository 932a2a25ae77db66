import type { Conversation, Outcome } from '../core/types.js';

/** One prompt to one backend. */
export interface LlmRequest {
  /** Stable id used in logs and failure bundle paths. */
  requestId: string;
  prompt: string;
  deep: boolean;
  /** The thread to continue (its url is reopened), or null for a new conversation. */
  conversation: Conversation | null;
  /**
   * Reattach after a crash: the prompt was already submitted in `conversation.url`; read the
   * answer there and never type the prompt again.
   */
  harvestOnly: boolean;
  /**
   * Called once the prompt is submitted and before the answer is awaited, with the conversation
   * URL if the site gave one. The tick logs (and fsyncs) the submitted mark inside it, so a crash
   * after this point never submits the prompt twice.
   */
  onSubmitted?: (info: { url: string | null }) => Promise<void>;
}

export interface LlmResponse {
  outcome: Outcome;
  /** The answer (ok), or the partial answer (truncated), else ''. */
  text: string;
  /** Conversation URL after the request (null for backends without threads). */
  url: string | null;
  /**
   * For rateLimited: when the site says the limit resets (ISO), if it said so. For overloaded:
   * when to try again.
   */
  resetAt: string | null;
  /** For rateLimited: the site said the limit is for deep mode only (ordinary requests still go). */
  deepOnly?: boolean;
  /** False when the request failed before the prompt reached the site (quota is rolled back). */
  sent: boolean;
  /** A short human explanation for non-ok outcomes. */
  detail: string | null;
  /** Failure bundle directory (runs/<tick>/<request>/) for non-ok outcomes, if saved. */
  bundle: string | null;
  durationMs: number;
}

export interface SendContext {
  /** Injected clock (the simulator runs on a virtual one). */
  now: () => Date;
  /** Where a failure bundle for this request goes, or null to save none. */
  bundleDir: string | null;
  signal?: AbortSignal;
}

/** The only way anything in fano talks to an LLM (a test enforces that modules never do). */
export interface Backend {
  readonly name: string;
  readonly type: string;
  send(req: LlmRequest, ctx: SendContext): Promise<LlmResponse>;
  /** Release browsers/sockets; safe to call twice. */
  close(): Promise<void>;
}
