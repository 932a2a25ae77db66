import { randomInt } from 'node:crypto';
import { loadConfig } from '../config/load.js';
import type { FanoConfig } from '../config/schema.js';
import { mulberry32 } from '../core/rng.js';
import type { FanoState, JsonObject, TickInfo } from '../core/types.js';
import { createBackends, type Backend } from '../gateway/index.js';
import { createFileLogger, type Logger } from '../log.js';
import { enabledModules, mockResponders, moduleProjections } from '../modules/index.js';
import { moduleProblems } from '../modules/problems.js';
import { problemKey, type Problem } from '../core/problems.js';
import { writeProjections } from '../store/projections.js';
import type { Module } from '../modules/module.js';
import { openStore, type Store } from '../store/store.js';
import { systemClock, type Clock } from './clock.js';
import { clearIdleHint, nextWakeAt, writeIdleHint } from './idle-hint.js';
import { foldIntoIdleLog, idleLogPath, newTickId, runsDir, tickLogPath, writeLastTick } from './runs.js';
import { pruneRuns } from './runs-retention.js';
import { assertFreeSpace } from './disk-guard.js';
import { basename } from 'node:path';
import { assertInsideHome, homeEscapeProblems } from '../store/home-guard.js';
import { fetchPendingSources, writeProposedSeeds } from './researcher-glue.js';
import { runSlice } from './slice.js';
import { DAY_MS } from '../core/time.js';

export interface TickOptions {
  home: string;
  /** Exactly one task step (at most one LLM request). */
  once?: boolean;
  /** Time and waiting (default: the system clock). */
  clock?: Clock;
  /** Progress lines for an interactive terminal; absent under cron. */
  progress?: (line: string) => void;
  /** Ctrl-C / SIGTERM: the slice stops at its next safe point and the tick closes normally. */
  stop?: AbortSignal;
  /** Called once for each problem no earlier tick printed (the CLI writes it to stderr). */
  onProblem?: (p: Problem) => void;
}

export interface TickSummary extends TickInfo {
  logFile: string;
  discovered: number;
  recovered: number;
  /** Open problems (what a person must fix), and how many of them this tick reported first. */
  problems: number;
  newProblems: number;
}

/**
 * One crash-only tick: config → lock → load (checkpoint + redo log) → recover interrupted tasks →
 * discover → run a bounded slice of LLM work → checkpoint → unlock. Every state change is appended
 * to the redo log (fsynced) before it is acted on, so a SIGKILL at any instant loses nothing.
 */
export async function runTick(opts: TickOptions): Promise<TickSummary> {
  const clock = opts.clock ?? systemClock;
  const now = (): Date => clock.now();
  // Config first: an invalid config exits 78 before state/ is touched.
  const { config } = await loadConfig(opts.home);
  const startedAt = now();
  // Retention compares file times, which are the file system's clock, not the tick's (a test clock).
  const fileClockStart = new Date();
  const tickId = newTickId(startedAt);
  // The home stays the home: a runs/ (or state/) that leads elsewhere is refused before any write.
  assertInsideHome(opts.home, runsDir(opts.home));
  // Before the first write (the lock): too little room means no work at all, said plainly (exit 74).
  assertFreeSpace(opts.home, config.state.minFreeMB);
  const store = await openStore(opts.home, { lockStaleMs: config.tick.lockStaleSeconds * 1000, now });
  let log: Logger;
  try {
    log = createFileLogger(tickLogPath(opts.home, tickId), config.logging.level, { tickId });
  } catch (err) {
    await store.close(); // a full or read-only runs/ must not leave the lock behind
    throw err;
  }
  const info: TickSummary = {
    id: tickId,
    startedAt: startedAt.toISOString(),
    endedAt: null,
    outcome: 'running',
    steps: 0,
    requests: 0,
    error: null,
    logFile: log.file ?? '',
    discovered: 0,
    recovered: 0,
    problems: 0,
    newProblems: 0,
  };
  let backends: Map<string, Backend> = new Map();
  let failure: unknown = null;
  try {
    writeLastTick(opts.home, strip(info));
    backends = createBackends(config, { home: opts.home, log, mockResponders });
    const r = store.report;
    log.info('tick.started', { checkpointSeq: r.checkpointSeq, replayed: r.replayed, pid: process.pid });
    if (r.tornTail) log.warn('store.torn_tail_repaired', { ...r.tornTail });
    if (r.orphansRemoved.length > 0) log.warn('store.orphans_removed', { files: r.orphansRemoved });
    if (r.fenced.length > 0) log.warn('store.fenced_records_skipped', { records: r.fenced });

    // Problems first: each new one is reported once, and files with one are not patched.
    const problemFiles = await noteProblems(opts, config, store, now, log, info);
    await runSlice(
      {
        problemFiles,
        ...(opts.stop ? { stop: opts.stop } : {}),
        home: opts.home,
        tickId,
        config,
        store,
        log,
        backends,
        modules: enabledModules(config) as Array<{ module: Module; options: JsonObject }>,
        clock,
        rng: mulberry32(randomInt(0, 2 ** 31)),
        once: opts.once,
        progress: opts.progress,
        hooks: {
          // Researcher fetches before discovery, so discovery sees the fresh cache (no network in modules).
          beforeDiscovery: () => fetchPendingSources(opts.home, config, store, now, log),
          afterSlice: () => writeProposedSeeds(opts.home, store, now, log),
        },
      },
      info,
    );

    const archived = await store.archive(new Date(now().getTime() - config.state.archiveAfterDays * DAY_MS));
    if (archived > 0) log.info('state.archived', { tasks: archived });
    // A clean tick leaves an empty log; an idle one writes nothing at all (no diff, no cost).
    if (store.seq > store.checkpointSeq) {
      const t = now().getTime();
      await store.checkpoint();
      log.info('state.checkpointed', { seq: store.seq, tasks: Object.keys(store.state.tasks).length, durationMs: now().getTime() - t });
    }
    writeProjections(opts.home, store.state, moduleProjections(config), log, () => store.fence()); // readable files, rebuilt from the checkpointed state
    info.outcome = opts.stop?.aborted ? 'interrupted' : store.state.meta.paused ? 'paused' : info.steps > 0 ? 'ok' : 'idle';
    // Still holding the lock, after the checkpoint: the files the hint stamps are final.
    leaveIdleHint(opts.home, config, store.state, now(), log);
  } catch (err) {
    failure = err;
    clearIdleHint(opts.home);
    info.outcome = 'error';
    info.error = (err as Error).message;
    log.error('tick.failed', { error: (err as Error).message, stack: (err as Error).stack });
  } finally {
    info.endedAt = now().toISOString();
    await Promise.allSettled([...backends.values()].map((b) => b.close()));
    if (store.report.foreignRemoved.length > 0) log.warn('store.foreign_bytes_moved', { moves: store.report.foreignRemoved });
    keepRunsBounded(opts.home, config, tickId, fileClockStart, now(), log);
    log.info('tick.ended', { outcome: info.outcome, steps: info.steps, requests: info.requests, durationMs: Date.parse(info.endedAt) - startedAt.getTime() });
    log.close();
    try {
      // An idle tick's lines go to the day's idle log: runs/ gets no file per idle tick.
      if (info.outcome === 'idle') info.logFile = foldIntoIdleLog(opts.home, info.logFile, now());
      writeLastTick(opts.home, strip(info));
    } catch (err) {
      // The tick's own failure (often the same full disk) is the one to report.
      if (failure === null) failure = err;
    }
    await store.close();
  }
  if (failure !== null) throw failure as Error;
  return info;
}

/**
 * runs/ within `runs.keepDays` and `runs.maxMB`, oldest first, never this tick's files or the
 * newest ones (runs-retention.ts). A failure here never fails the tick: it is logged.
 */
function keepRunsBounded(home: string, config: FanoConfig, tickId: string, fileClockStart: Date, at: Date, log: Logger): void {
  try {
    const r = pruneRuns(home, {
      keepDays: config.runs.keepDays,
      maxBytes: config.runs.maxMB * 1024 * 1024,
      now: new Date(),
      keep: [tickId, basename(idleLogPath(home, at))],
      keepSince: fileClockStart,
    });
    if (r.removed.length > 0) log.info('runs.pruned', { removed: r.removed.length, oldest: r.removed[0], freedBytes: r.freedBytes, totalBytes: r.totalBytes });
  } catch (err) {
    log.warn('runs.prune_failed', { error: (err as Error).message });
  }
}

/** The limits an idle tick checks without loading the config. */
function idleLimits(config: FanoConfig) {
  return { minFreeBytes: config.state.minFreeMB * 1024 * 1024, keepDays: config.runs.keepDays, maxBytes: config.runs.maxMB * 1024 * 1024 };
}

/** Lets the next ticks skip loading the state while nothing can have changed (idle-hint.ts). */
function leaveIdleHint(home: string, config: FanoConfig, state: Readonly<FanoState>, at: Date, log: Logger): void {
  const inputs: string[] = [];
  let wake = nextWakeAt(state, at, config.state.archiveAfterDays * DAY_MS);
  for (const { module, options } of enabledModules(config)) {
    if (!module.discoveryInputs) wake = null;
    else inputs.push(...module.discoveryInputs({ home, options: options as JsonObject }));
    const timed = module.nextDiscoveryAt?.({ state, home, now: at, options: options as JsonObject }) ?? null;
    if (wake && timed && timed < wake) wake = timed;
  }
  if (wake) {
    writeIdleHint(home, inputs, wake, idleLimits(config));
    log.debug('tick.idle_hint', { wakeAt: wake.toISOString(), inputs });
  } else clearIdleHint(home);
}

/**
 * The open problems of the modules' files (core/problems.ts): each one no earlier tick printed is
 * handed to `onProblem` and logged; the set printed is kept in the state (one record when it
 * changes), so cron mails a problem once, and again only if it was fixed and came back.
 */
async function noteProblems(opts: TickOptions, config: FanoConfig, store: Store, now: () => Date, log: Logger, info: TickSummary): Promise<Set<string>> {
  const problems = [
    ...moduleProblems(opts.home, store.state, config, now()),
    ...homeEscapeProblems(opts.home, [...new Set(moduleProjections(config).map((p) => p.dir))]),
  ];
  const was = store.state.meta.problemsNoted ?? [];
  const noted = new Set(was);
  for (const p of problems) {
    if (noted.has(problemKey(p))) continue;
    noted.add(problemKey(p));
    info.newProblems += 1;
    log.warn('problem.found', { file: p.file, line: p.line, message: p.message, fix: p.fix });
    opts.onProblem?.(p);
  }
  for (const key of was) if (!problems.some((p) => problemKey(p) === key)) log.info('problem.fixed', { problem: key });
  const keys = [...new Set(problems.map(problemKey))].sort();
  if (JSON.stringify(keys) !== JSON.stringify([...was].sort())) await store.append([{ type: 'meta.put', key: 'problemsNoted', value: keys }], now());
  info.problems = problems.length;
  return new Set(problems.map((p) => p.file));
}

function strip(s: TickSummary): TickInfo {
  const { id, startedAt, endedAt, outcome, steps, requests, error } = s;
  return { id, startedAt, endedAt, outcome, steps, requests, error };
}
