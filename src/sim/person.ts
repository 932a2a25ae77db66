import type { FanoEvent } from '../core/events.js';
import type { Fence } from '../store/state-files.js';
import { addComment, addSeeds, openComments, type SimSeed } from './sim-home.js';
import type { Arrival, WorldSchedule } from './world.js';

/**
 * The simulated person: writes the scenario's seeds and comments into the home at their times,
 * keeps a few ordinary seeds waiting (so the modules always have more work than the backends can
 * serve, and capacity is what is measured), and notes when fano finished with what they asked.
 * It learns that from the state's events (a thread's status) and the document (a comment gone).
 */

/** Ordinary seeds the person keeps waiting to be explored. */
export const SEED_BACKLOG = 6;
/** The person's first ordinary seeds (a fresh home). */
const FIRST_SEEDS = 4;

export class SimPerson {
  /** Comments as written (a comment waits for the document's first section). */
  readonly comments: Arrival[] = [];
  readonly commentDoneAt = new Map<string, number>();
  readonly urgentSeeds: Arrival[] = [];
  readonly urgentSeedDoneAt = new Map<string, number>();
  private readonly pendingComments: Arrival[] = [];
  private readonly openCommentIds = new Set<string>();
  private readonly urgentIds = new Set<string>();
  private readonly arrivals: Array<{ atMs: number; kind: 'comment' | 'urgent' | 'flood'; a: Arrival }>;
  private next = 0;
  private ordinary = 0;
  /** Ordinary seeds whose thread has not finished exploring. */
  private readonly ordinaryOpen = new Set<string>();

  constructor(
    private readonly home: string,
    schedule: WorldSchedule,
  ) {
    this.arrivals = [
      ...schedule.comments.map((a) => ({ atMs: a.atMs, kind: 'comment' as const, a })),
      ...schedule.urgentSeeds.map((a) => ({ atMs: a.atMs, kind: 'urgent' as const, a })),
      ...(schedule.floodSeeds ?? []).map((a) => ({ atMs: a.atMs, kind: 'flood' as const, a })),
    ].sort((x, y) => x.atMs - y.atMs || (x.a.id < y.a.id ? -1 : 1));
  }

  /** The first seeds of a fresh home (before the first tick). */
  firstSeeds(): SimSeed[] {
    const out: SimSeed[] = [];
    for (let i = 0; i < FIRST_SEEDS; i++) out.push(this.ordinarySeed());
    return out;
  }

  private ordinarySeed(): SimSeed {
    const id = `s${++this.ordinary}`;
    this.ordinaryOpen.add(id);
    return { id, priority: 5 };
  }

  /** When the next scheduled arrival is due (Infinity: none left). */
  nextAt(): number {
    return this.next < this.arrivals.length ? this.arrivals[this.next]!.atMs : Infinity;
  }

  /** Writes everything due by `nowMs` into the home; tops the ordinary seeds up when `topUp`. */
  act(nowMs: number, fence: Fence, topUp: boolean): void {
    const seeds: SimSeed[] = [];
    while (this.next < this.arrivals.length && this.arrivals[this.next]!.atMs <= nowMs) {
      const { kind, a } = this.arrivals[this.next++]!;
      if (kind === 'comment') this.pendingComments.push(a);
      else if (kind === 'urgent') {
        // The seeds file's scale: urgent is 8-10 (high and above).
        seeds.push({ id: a.id, priority: 7 + (a.priority ?? 1) });
        this.urgentIds.add(a.id);
        this.urgentSeeds.push({ ...a, atMs: nowMs });
      } else seeds.push({ id: a.id, priority: 5 });
    }
    if (topUp) while (this.ordinaryOpen.size < SEED_BACKLOG) seeds.push(this.ordinarySeed());
    addSeeds(this.home, fence, seeds);
    while (this.pendingComments.length > 0) {
      const c = this.pendingComments[0]!;
      if (!addComment(this.home, fence, c.id)) break;
      this.pendingComments.shift();
      this.comments.push({ id: c.id, atMs: nowMs });
      this.openCommentIds.add(c.id);
    }
  }

  /** What fano logged: a thread that finished exploring, a document change that resolved a comment. */
  observe(events: readonly FanoEvent[], atMs: number): void {
    let documented = false;
    for (const ev of events) {
      if (ev.type !== 'module.put') continue;
      if (ev.module === 'documenter') documented = true;
      if (ev.module !== 'explorer' || ev.collection !== 'threads') continue;
      const doc = ev.doc as { seedId?: unknown; status?: unknown };
      if (typeof doc.seedId !== 'string' || doc.status === 'exploring') continue;
      this.ordinaryOpen.delete(doc.seedId);
      if (this.urgentIds.has(doc.seedId) && !this.urgentSeedDoneAt.has(doc.seedId)) this.urgentSeedDoneAt.set(doc.seedId, atMs);
    }
    if (documented && this.openCommentIds.size > 0) this.checkComments(atMs);
  }

  /** Comments no longer open in the document are done (resolved, or handed to the person). */
  checkComments(atMs: number): void {
    const open = openComments(this.home, this.openCommentIds);
    for (const id of [...this.openCommentIds]) {
      if (open.has(id)) continue;
      this.openCommentIds.delete(id);
      this.commentDoneAt.set(id, atMs);
    }
  }
}
