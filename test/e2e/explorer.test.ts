import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ACTIVE_STATES, type FanoState, type Json } from '../../src/core/types.js';
import { insightViews, type InsightView } from '../../src/modules/explorer/queries.js';
import { readState } from '../../src/store/store.js';
import { runFano, tempHome } from '../support/cli.js';

/**
 * The Explorer end to end: real `fano tick` processes on a home with three mock backends, from
 * seeds to blessed and rejected insights, with the files under state/explorer/.
 */

// Mock seeds under which this workload yields both blessed and rejected insights (the mock's
// verdicts follow a hash of each insight's text, and the texts follow the seeds).
const CONFIG = `backends:
  mock-a: {type: mock, latencyMs: 30, seed: 20}
  mock-b: {type: mock, latencyMs: 30, seed: 21}
  mock-c: {type: mock, latencyMs: 30, seed: 22}
tick:
  maxRequests: 6
  lockStaleSeconds: 2
retries:
  baseDelaySeconds: 0
  transientDelaySeconds: 0
modules:
  explorer:
    exchangesBeforeSynthesis: 3
`;
const SEEDS = `seeds:
  - id: ax
    type: axiom
    text: A projective plane has a line through any two points.
  - id: seven
    type: question
    priority: high
    text: Why does the Fano plane have exactly seven points and seven lines?
  - id: groups
    type: conjecture
    priority: 6
    text: The automorphism group of the Fano plane is simple of order 168.
  - id: octonions
    type: conjecture
    text: The lines of the Fano plane encode the multiplication of the octonions.
  - id: designs
    type: question
    priority: low
    text: Is every Steiner triple system on seven points a copy of the Fano plane?
`;

const newHome = () => tempHome({ 'fano.config.yaml': CONFIG, 'state/explorer/seeds.yaml': SEEDS }, 'fano-explorer-');
const load = async (home: string): Promise<FanoState> => (await readState(home)).state;

/** At no time two active tasks for one thread, or for one review seat: a unit of work is never run twice at once. */
function assertNoDuplicateWork(state: FanoState): void {
  const seen = new Map<string, string>();
  for (const t of Object.values(state.tasks)) {
    if (t.module !== 'explorer' || !ACTIVE_STATES.has(t.state)) continue;
    const c = t.context;
    const id = (...parts: (Json | undefined)[]) => JSON.stringify(parts);
    const unit =
      typeof c.threadId === 'string'
        ? `thread ${c.threadId}`
        : t.type === 'review'
          ? `review ${id(c.insightId, c.revision, c.round, c.slot)}`
          : t.type === 'dedupe_check'
            ? `dedupe ${id(c.insightId, c.revision)}`
            : t.type === 'verify_claim'
              ? `verify ${id(c.insightId, c.revision, c.claim)}`
              : `comment ${id(c.commentId)}`;
    expect(seen.get(unit), `${unit}: ${seen.get(unit)} and ${t.key}`).toBeUndefined();
    seen.set(unit, t.key);
  }
}

async function tickUntil(home: string, done: (views: InsightView[], s: FanoState) => boolean, max = 30): Promise<InsightView[]> {
  for (let i = 0; i < max; i++) {
    let r = await runFano(['tick'], { home });
    // After a SIGKILL the dead tick's lock turns stale within lockStaleSeconds (exit 75 until then).
    for (let wait = 0; r.code === 75 && wait < 20; wait++) {
      await sleep(250);
      r = await runFano(['tick'], { home });
    }
    expect(r.code, r.stderr).toBe(0);
    const s = await load(home);
    assertNoDuplicateWork(s);
    const views = insightViews(s);
    if (done(views, s)) return views;
  }
  throw new Error(`not done after ${max} ticks`);
}

const judged = (views: InsightView[]) => views.some((v) => v.status === 'blessed') && views.some((v) => v.status === 'rejected');

describe('explorer on three mock backends', () => {
  it('ticks from seeds to blessed and rejected insights, reviewed on distinct other backends, all as files', async () => {
    const home = newHome();
    const threadsDone = (s: FanoState) =>
      Object.values(s.modules.explorer?.threads ?? {}).length === 4 &&
      Object.values(s.modules.explorer!.threads!).every((t) => (t as { status: string }).status === 'synthesized');
    const views = await tickUntil(
      home,
      (v, s) => threadsDone(s) && judged(v) && v.filter((x) => x.duplicateOf === null).every((x) => x.status !== 'in_review'),
    );

    const s = await load(home);
    const threads = Object.values(s.modules.explorer!.threads!) as Array<{ id: string; exchanges: Array<{ role: string; backend: string }> }>;
    expect(threads.map((t) => t.id).sort()).toEqual(['designs', 'groups', 'octonions', 'seven']);
    for (const t of threads) {
      expect(t.exchanges.map((e) => e.role)).toEqual(['explore', 'critique', 'explore']);
      // consecutive exchanges come from different backends
      for (let i = 1; i < t.exchanges.length; i++) expect(t.exchanges[i]!.backend).not.toBe(t.exchanges[i - 1]!.backend);
    }
    for (const v of views.filter((x) => x.duplicateOf === null)) {
      const r1 = v.rounds[0]!.reviews.map((r) => r.backend);
      expect(r1.length).toBeGreaterThanOrEqual(2);
      expect(new Set(r1).size, `${v.id} panel ${r1.join(', ')}`).toBe(r1.length);
      expect(r1, v.id).not.toContain(v.provenance.backend);
    }
    const dir = join(home, 'state/explorer');
    expect(readdirSync(join(dir, 'threads')).sort()).toEqual(['designs', 'groups', 'octonions', 'seven'].flatMap((t) => [`${t}.json`, `${t}.md`]));
    // The readable thread: every exchange with its role, backend and time, in order.
    for (const t of threads as unknown as Array<{
      id: string;
      exchanges: Array<{ index: number; role: string; backend: string; mode: string; text: string; at: string }>;
    }>) {
      const md = readFileSync(join(dir, 'threads', `${t.id}.md`), 'utf8');
      expect(md.startsWith(`# Thread ${t.id}\n`)).toBe(true);
      let from = 0;
      for (const x of t.exchanges) {
        const head = `## Exchange ${x.index + 1}: ${x.role === 'explore' ? 'exploring' : 'critiquing'}, ${x.backend} (${x.mode}), ${x.at.slice(0, 10)} ${x.at.slice(11, 19)} UTC`;
        const at = md.indexOf(head, from);
        expect(at, `${t.id}: ${head}`).toBeGreaterThan(from);
        expect(md.indexOf(x.text.trim().slice(0, 60), at)).toBeGreaterThan(at);
        from = at;
      }
    }
    for (const v of views) {
      const md = readFileSync(join(dir, 'insights', `${v.id}.md`), 'utf8');
      expect(md).toContain(`status: ${v.status}`);
      expect(md).toContain(v.text);
      // Reviews are documents of their own: the insight's updatedAt moves with the last of them.
      const lastReview = v.rounds
        .flatMap((r) => r.reviews.map((x) => x.at))
        .sort()
        .pop();
      if (lastReview !== undefined) expect(v.updatedAt >= lastReview, `${v.id} updatedAt ${v.updatedAt} before its review at ${lastReview}`).toBe(true);
      expect(md).toMatch(new RegExp(`updatedAt: "?${v.updatedAt}"?\n`));
    }

    // The CLI sees the same, and a manual decision updates the status, the file and the list.
    const list = JSON.parse((await runFano(['insight', 'list', '--json'], { home })).stdout) as Array<{ id: string; status: string }>;
    expect(list.map((x) => x.id).sort()).toEqual(views.map((v) => v.id).sort());
    const rejected = list.find((x) => x.status === 'rejected')!;
    const r = await runFano(['insight', 'bless', rejected.id, '--note', 'a human knows better'], { home });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'insights', `${rejected.id}.md`), 'utf8')).toMatch(/status: blessed[\s\S]*decidedBy: human[\s\S]*a human knows better/);
    const blessed = JSON.parse((await runFano(['insight', 'list', '--status', 'blessed', '--json'], { home })).stdout) as Array<{ id: string }>;
    expect(blessed.map((x) => x.id)).toContain(rejected.id);
    expect((await runFano(['insight', 'reject', rejected.id.slice(0, 6)], { home })).code).toBe(0);
    expect(readFileSync(join(dir, 'insights', `${rejected.id}.md`), 'utf8')).toContain('status: rejected');
    expect((await runFano(['insight', 'show', 'i-nope'], { home })).code).toBe(64);
    expect((await runFano(['verify'], { home })).code).toBe(0);
  }, 120_000);

  it('a comment typed into an insight file is answered and a requested change is reviewed again', async () => {
    const home = newHome();
    const views = await tickUntil(home, (v) => v.some((x) => x.status === 'blessed'));
    const target = views.find((v) => v.status === 'blessed')!;
    const file = join(home, 'state/explorer/insights', `${target.id}.md`);
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n<!-- COMMENT: please rephrase this more precisely -->\n`);
    const after = await tickUntil(home, (v) => {
      const x = v.find((y) => y.id === target.id)!;
      return x.revision === 1 && x.status !== 'in_review';
    });
    const x = after.find((y) => y.id === target.id)!;
    expect(x.comments[0]).toMatchObject({ status: 'answered', revised: true, source: 'file' });
    expect(x.history[0]!.text).toBe(target.text);
    const md = readFileSync(file, 'utf8');
    expect(md).not.toContain('<!-- COMMENT');
    expect(md).toContain('please rephrase this more precisely');
    expect(md).toContain('revision: 1');
  }, 120_000);

  it('a SIGKILL in the middle of a review panel resumes at the next review, repeating none', async () => {
    const home = newHome();
    // Two syntheses' worth, so the killed tick has panels to work on beyond one decided at once.
    await tickUntil(home, (v) => v.filter((x) => x.duplicateOf === null).length >= 2);
    const r = await runFano(['tick'], { home, env: { FANO_CRASH_AT: 'llm.submitted@4' } });
    expect(r.signal).toBe('SIGKILL');
    const crashed = await load(home);
    const before = structuredClone(crashed.modules.explorer?.reviews ?? {});
    const midPanel = insightViews(crashed).filter((v) => v.status === 'in_review' && v.rounds[0]!.reviews.length > 0);
    expect(Object.keys(before).length).toBeGreaterThan(0);
    // The kill hit review work: a panel half done, or a review (or a claim's verification) in flight.
    const inFlight = Object.values(crashed.tasks).filter((t) => (t.type === 'review' || t.type === 'verify_claim') && t.state === 'running');
    expect(midPanel.length + inFlight.length, 'the kill left review work half done').toBeGreaterThan(0);

    await tickUntil(home, (v) => v.filter((x) => x.duplicateOf === null).every((x) => x.status !== 'in_review'));
    const s = await load(home);
    // Finished reviews were kept as they were (not asked again, not overwritten)...
    for (const [id, doc] of Object.entries(before)) expect(s.modules.explorer!.reviews![id], id).toEqual(doc);
    // ...every review seat had exactly one task...
    const seats = new Map<string, number>();
    for (const t of Object.values(s.tasks).filter((x) => x.type === 'review')) {
      const k = JSON.stringify([t.context.insightId, t.context.revision, t.context.round, t.context.slot]);
      seats.set(k, (seats.get(k) ?? 0) + 1);
    }
    expect([...seats.values()].every((n) => n === 1)).toBe(true);
    expect(seats.size).toBe(Object.keys(s.modules.explorer!.reviews!).length);
    // ...and the sites received each prompt once, but for requests that were on their way at the
    // kill without their submitted mark logged yet (on another backend: a send and its mark are not
    // one atomic step, so such a prompt may have arrived and is sent again). The request marked
    // submitted at the kill was harvested, not sent again.
    const served = ['mock-a', 'mock-b', 'mock-c'].reduce(
      (n, b) => n + (JSON.parse(readFileSync(join(home, 'runs/mock', `${b}.json`), 'utf8')) as { served: number }).served,
      0,
    );
    const counted = Object.values(s.tasks).reduce((n, t) => n + t.llmRequests, 0);
    const unmarked = Object.values(crashed.tasks).filter((t) => t.state === 'running' && t.conversation?.submitted == null).length;
    expect(served).toBeGreaterThanOrEqual(counted);
    expect(served - counted).toBeLessThanOrEqual(unmarked);
    expect((await runFano(['verify'], { home })).code).toBe(0);
  }, 120_000);

  it('seed add/list/approve edit the seeds file, and a malformed one names its line without stopping fano', async () => {
    const home = newHome();
    expect(
      (await runFano(['seed', 'add', 'Is the Fano plane self-dual?', '--type', 'conjecture', '--priority', '9', '--tags', 'duality'], { home })).code,
    ).toBe(0);
    expect((await runFano(['seed', 'add', 'Later maybe', '--proposed', '--id', 'later'], { home })).code).toBe(0);
    // The id keeps the negation and the number, and is unique.
    for (const id of ['fano-plane-has-no-ovals-size-4', 'fano-plane-has-no-ovals-size-4-2']) {
      expect((await runFano(['seed', 'add', 'The Fano plane has no ovals of size 4.'], { home })).stdout).toContain(`added seed ${id} `);
    }
    const seeds = JSON.parse((await runFano(['seed', 'list', '--json'], { home })).stdout) as Array<{ id: string; status: string; priority: number }>;
    expect(seeds.map((x) => [x.id, x.status]).slice(-4, -2)).toEqual([
      ['fano-plane-self-dual', 'active'],
      ['later', 'proposed'],
    ]);
    expect((await runFano(['tick', '--once'], { home })).code).toBe(0);
    const started = Object.values((await load(home)).tasks).map((t) => t.context.seedId);
    expect(started).not.toContain('later');
    expect((await runFano(['seed', 'approve', 'later'], { home })).code).toBe(0);
    expect(readFileSync(join(home, 'state/explorer/seeds.yaml'), 'utf8')).not.toContain('status: proposed');

    writeFileSync(
      join(home, 'state/explorer/seeds.yaml'),
      `${readFileSync(join(home, 'state/explorer/seeds.yaml'), 'utf8')}  - id: bad\n    priority: 99\n    text: x\n`,
    );
    const r = await runFano(['tick'], { home });
    expect(r.code, r.stderr).toBe(0); // the tick still runs the work already queued
    // A problem (file:line, the fix), printed once on stderr and logged.
    expect(r.stderr).toMatch(/fano: problem: state\/explorer\/seeds\.yaml:\d+: seed "bad" has priority 99; fix: use a priority from 1 to 10/);
    const log = readdirSync(join(home, 'runs'))
      .filter((f) => f.endsWith('.jsonl'))
      .sort()
      .pop()!;
    expect(readFileSync(join(home, 'runs', log), 'utf8')).toMatch(/problem\.found.*seeds\.yaml/);
    const list = await runFano(['seed', 'list'], { home });
    expect(list.code).toBe(78);
    expect(list.stderr).toMatch(/seeds\.yaml:\d+: seed "bad"/);
    expect(existsSync(join(home, 'state/explorer/threads'))).toBe(true);
  });
});
