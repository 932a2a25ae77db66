import { setTimeout as sleepReal } from 'node:timers/promises';

/**
 * The tick's time: what it reads (now) and how it waits (sleep). Real ticks use the system clock;
 * unit tests and the simulator a virtual one, so deadlines, rediscovery and slow answers are
 * played out with no real time passing.
 */
export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) => sleepReal(Math.max(0, ms), undefined, { signal }).catch(() => {}),
};

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * Virtual time that moves only when everything is waiting on it: after each macrotask turn in
 * which nothing but sleeps is pending, the clock jumps to the earliest sleep's end and wakes it
 * (ties in the order the sleeps began). Code that only awaits promises and this clock therefore
 * runs deterministically and at full speed; real I/O that is still pending when the clock jumps
 * would see time move under it, so code under a virtual clock does no real I/O.
 */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers: Timer[] = [];
  private scheduled = false;

  constructor(start: Date | number) {
    this.t = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.t);
  }

  nowMs(): number {
    return this.t;
  }

  /** Moves time forward by hand (sleeps that end by then wake on the next turn). */
  advance(ms: number): void {
    this.t += Math.max(0, ms);
    this.kick();
  }

  /** Sleeps not yet woken. */
  get pending(): number {
    return this.timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.timers.indexOf(timer);
          if (i >= 0) this.timers.splice(i, 1);
          resolve();
        },
        { once: true },
      );
      this.kick();
    });
  }

  private kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.fire());
  }

  private fire(): void {
    this.scheduled = false;
    if (this.timers.length === 0) return;
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.t = Math.max(this.t, this.timers[0]!.at);
    const due: Timer[] = [];
    while (this.timers.length > 0 && this.timers[0]!.at <= this.t) due.push(this.timers.shift()!);
    for (const d of due) d.resolve();
    // The woken code runs in microtasks before the next turn; whatever it waits on next is seen then.
    if (this.timers.length > 0) this.kick();
  }
}
