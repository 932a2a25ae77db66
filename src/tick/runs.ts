import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TickInfo } from '../core/types.js';
import { onFile } from '../errors.js';

/** `20261123T181200Z-1a2b`: sorts by time, unique across overlapping attempts. */
export function newTickId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** A tick id as `newTickId` makes it (the name of a working tick's log and bundle folder). */
export const TICK_ID_RE = /^\d{8}T\d{6}Z-[0-9a-f]{4}$/;

export function runsDir(home: string): string {
  return join(home, 'runs');
}

export function tickLogPath(home: string, tickId: string): string {
  return join(runsDir(home), `${tickId}.jsonl`);
}

/**
 * The one file of a UTC day that holds every idle tick's lines (`runs/idle-2026-12-02.jsonl`): a
 * timer ticks 1,440 times a day and most ticks find nothing to do, so a file each would be most of
 * runs/ (README, Bounded disk).
 */
export const IDLE_LOG_RE = /^idle-\d{4}-\d{2}-\d{2}\.jsonl$/;
export function idleLogPath(home: string, at: Date): string {
  return join(runsDir(home), `idle-${at.toISOString().slice(0, 10)}.jsonl`);
}

/** Appends lines (each ending in a newline) to the day's idle log; returns its path. */
export function appendIdleLog(home: string, at: Date, lines: string): string {
  const file = idleLogPath(home, at);
  mkdirSync(runsDir(home), { recursive: true });
  onFile(file, () => appendFileSync(file, lines));
  return file;
}

/**
 * A full tick that ended idle: its own log's lines move to the day's idle log (appended first,
 * then the tick's file removed, so a crash in between only repeats the lines). Returns the file
 * that now holds them.
 */
export function foldIntoIdleLog(home: string, tickLog: string, at: Date): string {
  let text: string;
  try {
    text = readFileSync(tickLog, 'utf8');
  } catch {
    return tickLog;
  }
  const file = appendIdleLog(home, at, text.length === 0 || text.endsWith('\n') ? text : text + '\n');
  rmSync(tickLog, { force: true });
  return file;
}

export function bundleDir(home: string, tickId: string, requestId: string): string {
  return join(runsDir(home), tickId, requestId);
}

const LAST_TICK = 'last-tick.json';

export function writeLastTick(home: string, info: TickInfo): void {
  mkdirSync(runsDir(home), { recursive: true });
  const file = join(runsDir(home), LAST_TICK);
  const tmp = `${file}.${process.pid}.tmp`;
  onFile(file, () => writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n'));
  renameSync(tmp, file);
}

export function readLastTick(home: string): TickInfo | null {
  try {
    return JSON.parse(readFileSync(join(runsDir(home), LAST_TICK), 'utf8')) as TickInfo;
  } catch {
    return null;
  }
}
