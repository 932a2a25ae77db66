import { isHarvest } from '../core/allocator.js';
import type { FanoConfig } from '../config/schema.js';
import type { FanoEvent } from '../core/events.js';
import { sha256Hex } from '../core/hash.js';
import { markSubmitted, type RetryOptions } from '../core/lifecycle.js';
import type { QuotaOptions } from '../core/quota.js';
import { decideClaim, decidePrepareFailure, decideStep, readAnswer, type ModuleVerdict } from '../core/step-outcome.js';
import type { Pick, Scheduler } from '../core/scheduler.js';
import { emptyBackendState, type BackendState, type JsonObject, type Task } from '../core/types.js';
import { crashPoint } from '../crash.js';
import type { Backend, LlmResponse } from '../gateway/backend.js';
import type { Logger } from '../log.js';
import type { Module, ModuleContext, StepRequest } from '../modules/module.js';
import { applyPendingPatches, hasPendingPatches } from '../store/document-file.js';
import type { Store } from '../store/store.js';
import { bundleDir } from './runs.js';
import { keepBundleOnce } from './runs-bundles.js';

/** A FIFO lock for the apply phase of concurrent steps (only one tick process runs at a time). */
export class ApplyLock {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const before = this.tail;
    this.tail = before.then(() => mine);
    return before.then(() => release);
  }
}

export interface StepDeps {
  home: string;
  tickId: string;
  store: Store;
  log: Logger;
  scheduler: Scheduler;
  modules: Map<string, { module: Module; options: JsonObject }>;
  backends: Map<string, Backend>;
  quota: (backend: string) => QuotaOptions;
  retry: RetryOptions;
  config: FanoConfig;
  now: () => Date;
  rng: () => number;
  applyLock: ApplyLock;
  /** Files with an open problem (core/problems.ts): no document patch is applied to them. */
  problemFiles?: ReadonlySet<string>;
}

function backendState(deps: StepDeps, name: string): BackendState {
  return deps.store.state.backends[name] ?? emptyBackendState();
}

function moduleContext(deps: StepDeps, module: string): ModuleContext {
  return { state: deps.store.state, home: deps.home, now: deps.now(), options: deps.modules.get(module)?.options ?? {} };
}

/** The abort reason of a request the tick leaves running on the site when its time is up. */
export const DETACH = 'fano.detach';

/** The tick's handle on a step in flight. */
export interface StepControl {
  abort: AbortController;
  /** Set once the submitted mark is durable: from then on the step may be detached. */
  submitted: boolean;
}

export const promptHash = (prompt: string) => sha256Hex(prompt).slice(0, 16);

export interface Begun {
  task: Task;
  request: StepRequest;
  harvest: boolean;
  claimEvents: FanoEvent[];
  /** When the request was counted against the quota (the rollback removes exactly that entry). */
  claimedAt: Date;
}

/**
 * The synchronous half of a step: build the prompt and claim the task, so the scheduler sees it
 * running before the next pick (nothing may be picked twice within a tick). When the module
 * cannot build a prompt, returns the failure's events for the caller to log instead.
 */
export function beginStep(deps: StepDeps, pick: Pick, requestId: string): Begun | { failedEvents: FanoEvent[] } {
  const { module } = deps.modules.get(pick.task.module) ?? {};
  const now = deps.now();
  // The allocator sends a task with a submitted prompt back to the backend that holds its answer.
  const harvest = isHarvest(pick.task) && pick.task.conversation!.backend === pick.backend;
  let request: StepRequest;
  if (harvest) {
    request = { prompt: '', deep: pick.task.conversation!.submitted!.deep };
  } else {
    try {
      if (!module) throw new Error(`module "${pick.task.module}" is not enabled`);
      request = module.prepare(pick.task, moduleContext(deps, pick.task.module), { backend: pick.backend });
    } catch (err) {
      const d = decidePrepareFailure(pick.task, (err as Error).message, now, deps.rng, deps.retry);
      deps.scheduler.update(d.task);
      deps.log.error('task.failed', { taskId: d.task.key, requestId, error: (err as Error).message, state: d.task.state });
      return { failedEvents: [{ type: 'task.put', task: d.task }, ...(d.failed !== null ? failureEvents(deps, d.task, d.failed) : [])] };
    }
  }
  const c = decideClaim({
    task: pick.task,
    backend: pick.backend,
    backendState: backendState(deps, pick.backend),
    quota: deps.quota(pick.backend),
    request,
    pickDeep: pick.deep,
    harvest,
    displaced: pick.preempted === undefined ? undefined : deps.store.state.tasks[pick.preempted],
    now,
  });
  const { task, deep } = c;
  deps.scheduler.update(task);
  deps.scheduler.charge(task.module);
  const claimEvents: FanoEvent[] = [
    { type: 'task.put', task },
    { type: 'meta.put', key: 'passes', value: deps.scheduler.passes() },
  ];
  // The displaced conversation's preemption (preemptions24h) is durable iff the claim is; the
  // scheduler learns it at once, so a later pick of that task in this tick claims it with its record.
  if (c.displaced) {
    deps.scheduler.update(c.displaced);
    deps.log.info('task.preempted', { taskId: c.displaced.key, reason: 'higher_priority', preemptingTask: task.key, llm: pick.backend });
    claimEvents.push({ type: 'task.put', task: c.displaced });
  }
  // A harvest re-reads an answer already counted against the quota when it was submitted.
  if (!harvest) claimEvents.push({ type: 'backend.put', name: pick.backend, backend: c.backendState });
  return { task, request: { ...request, deep }, harvest, claimEvents, claimedAt: now };
}

/** The module's own handling of a task that failed for good (the task's record is the caller's). */
function failureEvents(deps: StepDeps, task: Task, error: string): FanoEvent[] {
  const entry = deps.modules.get(task.module);
  return entry ? entry.module.handleFailure(task, error, moduleContext(deps, task.module)) : [];
}

/**
 * The module's reading of an ok answer. The module sees the conversation the answer came from
 * (`url`, the site's own, which a backend may report only with the answer), so it can record
 * where an exchange took place and continue there.
 */
function moduleVerdict(deps: StepDeps, task: Task, text: string, url: string | null): ModuleVerdict {
  const entry = deps.modules.get(task.module);
  const seen = url !== null && task.conversation ? { ...task, conversation: { ...task.conversation, url } } : task;
  return readAnswer(() => {
    if (!entry) throw new Error(`module "${task.module}" is not enabled`);
    return entry.module.onAnswer(seen, text, moduleContext(deps, task.module));
  });
}

/**
 * The asynchronous half: log the claim, send through the gateway, apply the result. The claim
 * record is durable before the request goes out, and the answer's effects (task update, module
 * data, quota) land in ONE record, so a crash anywhere leaves either "claimed, no result" (the
 * task is paused on the next load and retried) or "result applied" — never half, never twice.
 */
export async function finishStep(deps: StepDeps, begun: Begun, requestId: string, control?: StepControl): Promise<Task> {
  const { store, log } = deps;
  let task = begun.task;
  const backendName = task.conversation!.backend;
  const backend = deps.backends.get(backendName);
  await store.append(begun.claimEvents, begun.claimedAt);
  log.info('task.started', { taskId: task.key, requestId, llm: backendName, harvest: begun.harvest, deep: begun.request.deep });
  log.info('llm.allocated', { llm: backendName, taskId: task.key, requestId });

  const t0 = deps.now().getTime();
  let res: LlmResponse;
  if (!backend) {
    res = {
      outcome: 'siteError',
      text: '',
      url: null,
      resetAt: null,
      sent: false,
      detail: `backend "${backendName}" is not configured`,
      bundle: null,
      durationMs: 0,
    };
  } else {
    const pending = backend.send(
      {
        requestId,
        prompt: begun.request.prompt,
        deep: begun.request.deep,
        conversation: task.conversation,
        harvestOnly: begun.harvest,
        onSubmitted: async ({ url }) => {
          // Only a thread we can reopen makes the mark useful: it is what lets the next tick
          // harvest instead of submitting the same prompt twice.
          if (url === null) return;
          task = markSubmitted(task, { requestId, url, deep: begun.request.deep, promptHash: promptHash(begun.request.prompt) }, deps.now());
          await store.append([{ type: 'task.put', task }], deps.now());
          if (control) control.submitted = true;
          log.info('llm.submitted', { taskId: task.key, requestId, llm: backendName, url });
          crashPoint('llm.submitted');
        },
      },
      { now: deps.now, bundleDir: bundleDir(deps.home, deps.tickId, requestId), signal: control?.abort.signal },
    );
    crashPoint('llm.in-flight');
    try {
      res = await pending;
    } catch (err) {
      res = {
        outcome: 'siteError',
        text: '',
        url: null,
        resetAt: null,
        sent: true,
        detail: `gateway error: ${(err as Error).message}`,
        bundle: null,
        durationMs: deps.now().getTime() - t0,
      };
    }
  }
  // A failure bundle is kept once by content: a parked backend re-probed every few minutes leaves
  // one bundle and a count, not one per probe (runs-bundles.ts).
  if (res.bundle !== null) res = { ...res, bundle: keepBundleOnce(deps.home, res.bundle, requestId, deps.now()) };
  if (control?.abort.signal.aborted && control.abort.signal.reason === DETACH && task.conversation?.submitted) {
    // Detached: whatever the backend said about being interrupted is not the answer. The task
    // stays running with its durable submitted mark; the next tick's recovery pauses it and the
    // scheduler sends it back to this backend to harvest.
    log.info('task.detached', { taskId: task.key, requestId, llm: backendName, url: task.conversation.url });
    return task;
  }
  // One answer is applied at a time: a module then sees the effects of every answer that came
  // back before (e.g. dedupe against the insights another backend produced a moment ago).
  const release = await deps.applyLock.acquire();
  try {
    const now = deps.now();
    const resetAt = res.resetAt ? new Date(res.resetAt) : null;
    const d = decideStep({
      task,
      backend: backendState(deps, backendName),
      quota: deps.quota(backendName),
      retry: deps.retry,
      deep: begun.request.deep,
      harvest: begun.harvest,
      claimedAt: begun.claimedAt,
      now,
      rng: deps.rng,
      response: { outcome: res.outcome, resetAt, sent: res.sent, deepOnly: res.deepOnly === true, url: res.url, detail: res.detail, bundle: res.bundle },
      verdict: res.outcome === 'ok' ? moduleVerdict(deps, task, res.text, res.url) : undefined,
    });
    task = d.task;
    const events: FanoEvent[] = [...d.events];
    if (d.failed !== null) events.push(...failureEvents(deps, task, d.failed));
    events.push({ type: 'backend.put', name: backendName, backend: d.backend });
    if (d.recovered) log.info('llm.recovered', { llm: backendName });
    if (res.outcome === 'rateLimited') {
      log.warn('llm.rate_limited', {
        llm: backendName,
        requestId,
        resetAt: res.resetAt,
        retryAfterMs: resetAt ? resetAt.getTime() - now.getTime() : null,
        effectiveHourly: d.backend.effectiveHourly,
      });
    } else if (res.outcome !== 'ok') {
      log.warn('llm.not_ok', { llm: backendName, requestId, outcome: res.outcome, detail: res.detail, bundle: res.bundle, sent: res.sent });
    }
    await store.append(events, now);
    // A document change a module recorded is written right after the record that carries it, then
    // its outcome is logged (crash ordering: store/document-file.ts).
    if (hasPendingPatches(store.state)) await applyPendingPatches(store, deps.now, log, { ...(deps.problemFiles ? { skipFiles: deps.problemFiles } : {}) });
  } finally {
    release();
  }
  deps.scheduler.update(task);

  const durationMs = deps.now().getTime() - t0;
  if (task.state === 'completed') {
    log.info('task.completed', { taskId: task.key, requestId, durationMs, llmRequests: task.llmRequests });
    if (task.module === 'consultation') log.info('scheduler.priority_consultation', { taskId: task.key, ...(task.result as object) });
    // The check of new text before it goes into the document: its verdict and what fano did.
    if (task.module === 'documenter' && task.type === 'check_section') log.info('documenter.check', { taskId: task.key, ...(task.result as object) });
  } else if (task.state === 'failed')
    log.error('task.failed', { taskId: task.key, requestId, error: task.lastError?.message, attempts: task.attempts, durationMs });
  else log.info('task.yielded', { taskId: task.key, requestId, durationMs, outcome: res.outcome, notBefore: task.notBefore });
  return task;
}
