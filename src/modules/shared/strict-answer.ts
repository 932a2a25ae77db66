import type { FanoEvent } from '../../core/events.js';
import type { Json, JsonObject, Task } from '../../core/types.js';
import type { StepOutcome } from '../module.js';
import type { ParseResult } from './answer-format.js';
import { NOTATION_RULE } from './latex.js';
import { clip } from './text.js';

/**
 * Strict-format answers, shared by the modules that ask for one (Explorer, Researcher): the prompt
 * is instructions followed by a format block; an answer that does not parse gets ONE repair prompt
 * (the next step of the same task, so no retry is spent on a formatting slip); an answer still
 * wrong after it fails the step, and both raw answers are kept in the module's `rawAnswers`
 * collection so nothing the model wrote is lost.
 *
 * The repair prompt is self-contained (HTTP backends keep no conversation): it shows the raw
 * answer, the parse error and the exact format block again.
 */

export const REPAIR_TEMPLATE = `Your previous answer could not be read by a program.
REPAIR: yes
The problem: {{error}}

Your previous answer was:
<<<
{{raw}}
>>>

Give the same content again, in exactly the format below and nothing else.`;

/** How much of the raw answer a repair prompt shows (the rest would only cost context). */
// Large enough for a whole proof: the model is asked to give the same content again.
export const REPAIR_RAW_MAX_CHARS = 16_000;

export function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (m, k: string) => vars[k] ?? m);
}

/**
 * The notation rule and the format block go AFTER the body, by code, so no template edit can break
 * a parser or drop the request for LaTeX (./latex.ts).
 */
export function withFormat(body: string, format: string): string {
  return `${body.trim()}\n\n${NOTATION_RULE}\n\n${format}\n`;
}

/** The repair prompt: `template` (placeholders {{raw}} and {{error}}), then the format block. */
export function repairPrompt(template: string, raw: string, error: string, format: string): string {
  return withFormat(fill(template, { raw: clip(raw, REPAIR_RAW_MAX_CHARS), error }), format);
}

/** Task data with the repair phase reset: after a good answer, or for a retry that starts afresh. */
export function clearRepair(data: JsonObject): JsonObject {
  return { ...data, phase: 'ask', raw: null, error: null };
}

export interface RawAnswerKeep {
  /** The module whose `rawAnswers` collection keeps the answers. */
  module: string;
  /** What the answers were for (a failure unit, a task key): part of the kept id. */
  unit: string;
  at: string;
  /** Caps each raw answer stored in task data and in `rawAnswers` (unset: stored whole). */
  maxRawChars?: number;
}

/**
 * One strict-format answer: parsed → `ok`; not parsed on the first try → the step is not done and
 * the task's data says `phase: 'repair'` with the raw answer and the error (the module's prepare
 * then builds the repair prompt); not parsed after the repair → the step fails, raw answers kept.
 */
export function strictStep<T>(task: Readonly<Task>, answer: string, parsed: ParseResult<T>, keep: RawAnswerKeep, ok: (value: T) => StepOutcome): StepOutcome {
  if (parsed.ok) return ok(parsed.value);
  const cap = (s: string) => (keep.maxRawChars === undefined ? s : clip(s, keep.maxRawChars));
  if (task.data.phase !== 'repair') {
    return { done: false, data: { ...task.data, phase: 'repair', raw: cap(answer), error: parsed.error }, events: [] };
  }
  // One record per failed attempt: a retry of the same unit keeps its own pair of answers.
  const attempt = task.context.attempt === undefined ? '' : `~a${Number(task.context.attempt)}`;
  const id = `${keep.unit}${attempt}~t${task.attempts}`;
  const raw = task.data.raw;
  const first = typeof raw === 'string' ? raw : raw === undefined ? '' : JSON.stringify(raw);
  const kept: Json = { unit: keep.unit, task: task.key, type: task.type, error: parsed.error, answers: [first, cap(answer)], at: keep.at };
  const event: FanoEvent = { type: 'module.put', module: keep.module, collection: 'rawAnswers', id, doc: kept };
  return { done: false, data: clearRepair(task.data), events: [event], fail: `not in the expected format after a repair prompt: ${parsed.error}` };
}
