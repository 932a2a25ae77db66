import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { createElement } from 'react';
import { loadConfig } from '../config/load.js';
import { LockBusyError, UsageError } from '../errors.js';
import { openStore } from '../store/store.js';
import type { JsonObject } from '../core/types.js';
import { enabledModules } from '../modules/index.js';
import { runsDir } from '../tick/runs.js';
import { Dashboard, type DashboardProps } from '../tui/Dashboard.js';
import { enterFullScreen } from '../tui/full-screen.js';
import { buildSnapshot, readTopData } from '../tui/snapshot.js';

/** How often the watcher's fallback polls mtimes (fs.watch can miss events on some filesystems). */
export const TOP_POLL_MS = 2_000;
/** Coalesces the burst of events one checkpoint write makes (temp file, rename, log truncate). */
export const TOP_DEBOUNCE_MS = 100;
/** The clock, ages and "next tick in" tick over once a second without re-reading state. */
export const TOP_CLOCK_MS = 1_000;
/** How long `p` retries while a tick holds the lock before it gives up with a message. */
export const PAUSE_RETRY_MS = 5_000;
const PAUSE_RETRY_STEP_MS = 250;

/**
 * The only write `fano top` makes: the durable pause flag, through the store (lock, log record,
 * checkpoint), so it is ordered with the tick's own writes. A running tick holds the lock for up
 * to tick.maxSeconds: retry for a few seconds, then say so instead of waiting.
 */
export async function setPaused(
  home: string,
  paused: boolean,
  opts: { lockStaleMs?: number; retryMs?: number; now?: () => Date; sleep?: (ms: number) => Promise<void> } = {},
): Promise<string> {
  const now = opts.now ?? (() => new Date());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (opts.retryMs ?? PAUSE_RETRY_MS);
  for (;;) {
    try {
      const store = await openStore(home, { lockStaleMs: opts.lockStaleMs, now });
      try {
        await store.append([{ type: 'meta.put', key: 'paused', value: paused }], now());
        await store.checkpoint();
      } finally {
        await store.close();
      }
      return paused ? 'paused: the next tick does no LLM work (p resumes)' : 'resumed: the next tick schedules work again';
    } catch (err) {
      if (!(err instanceof LockBusyError)) throw err;
      if (Date.now() >= deadline) return `a tick holds the lock; ${paused ? 'pause' : 'resume'} not saved, press p again in a moment`;
      await sleep(PAUSE_RETRY_STEP_MS);
    }
  }
}

/**
 * Calls `onChange` (debounced) when anything under state/ or runs/ changes. fs.watch gives prompt
 * updates; a poll of the directories' and key files' mtimes catches what it misses (network
 * filesystems, a directory created after start-up). Returns a function that stops both.
 */
export function watchHome(home: string, onChange: () => void, pollMs = TOP_POLL_MS, inputs: readonly string[] = []): () => void {
  const dirs = [join(home, 'state'), runsDir(home)];
  const files = [
    join(home, 'state', 'checkpoint.json'),
    join(home, 'state', 'log.jsonl'),
    join(runsDir(home), 'last-tick.json'),
    ...inputs.map((f) => join(home, f)),
  ];
  let timer: NodeJS.Timeout | null = null;
  const fire = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, TOP_DEBOUNCE_MS);
  };
  const watchers = new Map<string, FSWatcher>();
  const ensureWatchers = () => {
    for (const d of dirs) {
      if (watchers.has(d) || !existsSync(d)) continue;
      try {
        const w = watch(d, { persistent: false }, fire);
        w.on('error', () => {
          w.close();
          watchers.delete(d);
        });
        watchers.set(d, w);
      } catch {
        // No inotify (or too many watches): the poll below still refreshes.
      }
    }
  };
  const signature = () =>
    [...dirs, ...files]
      .map((f) => {
        try {
          const s = statSync(f);
          return `${s.mtimeMs}:${s.size}`;
        } catch {
          return '-';
        }
      })
      .join('|');
  let last = signature();
  ensureWatchers();
  const poll = setInterval(() => {
    ensureWatchers();
    const sig = signature();
    if (sig !== last) {
      last = sig;
      fire();
    }
  }, pollMs);
  return () => {
    clearInterval(poll);
    if (timer) clearTimeout(timer);
    for (const w of watchers.values()) w.close();
    watchers.clear();
  };
}

export interface TopOptions {
  home: string;
  readOnly: boolean;
  once: boolean;
  out: (s: string) => void;
  columns?: number;
}

/** Signals after which the user must still get their screen back. */
const QUIT_SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;

export async function runTop(opts: TopOptions): Promise<number> {
  const { config } = await loadConfig(opts.home);
  let data = await readTopData(opts.home, config);
  const props = (notice: string | null): DashboardProps => ({
    snapshot: buildSnapshot(opts.home, config, data, new Date()),
    readOnly: opts.readOnly,
    notice,
  });

  if (opts.once) {
    const { renderToString } = await import('ink');
    const columns = opts.columns ?? (process.stdout.columns || 100);
    opts.out(renderToString(createElement(Dashboard, { ...props(null), interactive: false }), { columns }));
    return 0;
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new UsageError('fano top needs a terminal; use `fano top --once` (one frame) or `fano status` in scripts');
  }

  const { render } = await import('ink');
  let notice: string | null = null;
  let quit: () => void = () => {};
  let rerender: () => void = () => {};
  const screen = enterFullScreen(process.stdout, () => rerender());
  const element = () =>
    createElement(Dashboard, {
      ...props(notice),
      size: { rows: screen.rows() },
      onQuit: () => quit(),
      onTogglePause: (paused: boolean) => setPaused(opts.home, paused, { lockStaleMs: config.tick.lockStaleSeconds * 1000 }),
    });
  const onSignal = () => quit();
  let stopWatch = () => {};
  let clockTimer: NodeJS.Timeout | undefined;
  try {
    // Ink reads only what InkStdout has (tui/full-screen.ts), though its option names the whole type.
    const app = render(element(), { stdout: screen.stdout as NodeJS.WriteStream, exitOnCtrlC: false, patchConsole: false });
    quit = () => app.unmount();
    rerender = () => app.rerender(element());
    for (const sig of QUIT_SIGNALS) process.on(sig, onSignal);

    let reading = false;
    const reload = async () => {
      // One read at a time; a change during a read is caught by the next event or poll.
      if (reading) return;
      reading = true;
      try {
        data = await readTopData(opts.home, config);
        notice = null;
      } catch (err) {
        // A half-written home (or a corrupt one) keeps the last good frame on screen.
        notice = `could not read state: ${(err as Error).message}`;
      } finally {
        reading = false;
      }
      rerender();
    };
    // The files a person edits (seeds, sources, the document…) too: a problem in one shows at once.
    const inputs = enabledModules(config).flatMap(({ module, options }) => module.discoveryInputs?.({ home: opts.home, options: options as JsonObject }) ?? []);
    stopWatch = watchHome(opts.home, () => void reload(), TOP_POLL_MS, inputs);
    clockTimer = setInterval(() => rerender(), TOP_CLOCK_MS);
    await app.waitUntilExit();
  } finally {
    if (clockTimer) clearInterval(clockTimer);
    stopWatch();
    for (const sig of QUIT_SIGNALS) process.off(sig, onSignal);
    screen.leave();
  }
  return 0;
}
