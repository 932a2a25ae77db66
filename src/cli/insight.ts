import { loadConfig } from '../config/load.js';
import type { FanoEvent } from '../core/events.js';
import { ACTIVE_STATES, type FanoState } from '../core/types.js';
import { UsageError } from '../errors.js';
import { moduleProjections } from '../modules/index.js';
import { insightView, insightViews, type InsightView } from '../modules/explorer/queries.js';
import { renderInsight } from '../modules/explorer/render.js';
import { claimVerdict } from '../modules/explorer/review.js';
import { structureOf } from '../modules/explorer/structure.js';
import { commentIdFor } from '../modules/explorer/text.js';
import { COMMENTS, explorerOptions, INSIGHT_STATUSES, INSIGHTS, MODULE, type CommentDoc, type InsightDoc } from '../modules/explorer/types.js';
import { docOf, docsById, putDoc } from '../modules/shared/collections.js';
import { writeProjections } from '../store/projections.js';
import { openStore, readState } from '../store/store.js';

/**
 * `fano insight list|show|bless|reject|comment`. Reads are lock-free; changes take the tick lock,
 * go through the redo log like a tick's, are checkpointed, and the insight files are re-rendered,
 * so everything derived from an insight's status (its file, `insight list`, the Documenter's
 * input, the prompts of later explorations) follows at once.
 */

type Out = (s: string) => void;

function resolveId(state: FanoState, id: string): InsightDoc {
  const all = docsById(state, INSIGHTS);
  const exact = all[id];
  if (exact) return exact;
  const hits = Object.keys(all).filter((k) => k.startsWith(id) || k === `i-${id}`);
  const only = hits.length === 1 ? all[hits[0]!] : undefined;
  if (only) return only;
  throw new UsageError(hits.length === 0 ? `no insight "${id}" (see \`fano insight list\`)` : `"${id}" is ambiguous: ${hits.join(', ')}`);
}

async function optionsFor(home: string) {
  const { config } = await loadConfig(home);
  return { config, opts: explorerOptions(config.modules.explorer) };
}

function summary(v: InsightView) {
  const st = structureOf(v);
  return {
    id: v.id,
    status: v.status,
    disputed: v.disputed,
    decidedBy: v.decidedBy,
    statement: st.statement,
    kind: st.kind,
    argument: st.argument,
    claims: st.claims,
    dependsOn: st.dependsOn,
    /** The statement again, under the name earlier versions used. */
    text: v.text,
    tags: v.tags,
    confidence: v.confidence,
    revision: v.revision,
    thread: v.threadId,
    seed: v.seedId,
    duplicateOf: v.duplicateOf,
    producedBy: v.provenance,
    reason: v.reason,
    verification: v.verification.map((c) => ({
      claim: c.text,
      verdict: claimVerdict(c),
      confidence: c.verification?.confidence ?? null,
      argument: c.verification?.argument ?? null,
      counterexample: c.verification?.counterexample ?? null,
      backend: c.verification?.backend ?? null,
      mode: c.verification?.mode ?? null,
    })),
    reviews: v.rounds.flatMap((r) =>
      r.reviews.map((x) => ({
        round: r.round,
        slot: x.slot,
        backend: x.backend,
        mode: x.mode,
        rating: x.rating,
        confidence: x.confidence,
        claims: x.claims ?? [],
        structuralDepth: x.structuralDepth ?? null,
        naturalness: x.naturalness ?? null,
        reasoning: x.reasoning,
        changedFrom: x.changedFrom,
      })),
    ),
    comments: v.comments.map((c) => ({ id: c.id, status: c.status, text: c.text, answer: c.answer })),
  };
}

export async function runInsightList(o: { home: string; status?: string | undefined; json: boolean; out: Out }): Promise<number> {
  if (o.status !== undefined && !(INSIGHT_STATUSES as readonly string[]).includes(o.status)) {
    throw new UsageError(`--status must be one of ${INSIGHT_STATUSES.join(', ')} (got "${o.status}")`);
  }
  const { opts } = await optionsFor(o.home);
  const { state } = await readState(o.home);
  const views = insightViews(state, opts).filter((v) => o.status === undefined || v.status === o.status);
  if (o.json) {
    o.out(JSON.stringify(views.map(summary), null, 2));
    return 0;
  }
  if (views.length === 0) {
    o.out(o.status ? `no ${o.status} insights` : 'no insights yet: the Explorer extracts them after a few exchanges per seed');
    return 0;
  }
  for (const v of views) {
    const ratings = v.rounds.map((r) => r.reviews.map((x) => `${x.rating}@${x.backend}`).join(' ')).join(' | ');
    const flags = [v.disputed ? 'disputed' : '', v.decidedBy === 'human' ? 'by human' : '', v.duplicateOf ? `dup of ${v.duplicateOf}` : '']
      .filter(Boolean)
      .join(', ');
    o.out(`${v.id}  ${v.status.padEnd(17)} ${structureOf(v).kind.padEnd(11)} ${flags ? `(${flags}) ` : ''}${ratings ? `[${ratings}]` : ''}\n    ${v.text}`);
  }
  return 0;
}

export async function runInsightShow(o: { home: string; id: string; json: boolean; out: Out }): Promise<number> {
  const { opts } = await optionsFor(o.home);
  const { state } = await readState(o.home);
  const v = insightView(state, resolveId(state, o.id), opts);
  o.out(o.json ? JSON.stringify({ ...summary(v), rounds: v.rounds, history: v.history, decision: v.decision }, null, 2) : renderInsight(v));
  return 0;
}

/** Takes the lock, appends `make(state)`'s events in one record, checkpoints and re-projects. */
async function change(home: string, make: (state: FanoState, now: Date) => { events: FanoEvent[]; message: string }): Promise<string> {
  const { config } = await optionsFor(home);
  const now = new Date();
  const store = await openStore(home, { lockStaleMs: config.tick.lockStaleSeconds * 1000 });
  try {
    const { events, message } = make(store.state, now);
    if (events.length > 0) {
      await store.append(events, now);
      await store.checkpoint();
    }
    writeProjections(home, store.state, moduleProjections(config), undefined, () => store.fence());
    return message;
  } finally {
    await store.close();
  }
}

export async function runInsightDecide(o: { home: string; id: string; status: 'blessed' | 'rejected'; note?: string | undefined; out: Out }): Promise<number> {
  const msg = await change(o.home, (state, now) => {
    const ins = resolveId(state, o.id);
    const at = now.toISOString();
    const doc: InsightDoc = { ...ins, decision: { status: o.status, note: o.note ?? null, at, revision: ins.revision, by: 'human' }, updatedAt: at };
    const events: FanoEvent[] = [putDoc(INSIGHTS, ins.id, doc)];
    // Reviews still queued for this insight are moot now: they are closed, not run.
    let cancelled = 0;
    for (const t of Object.values(state.tasks)) {
      if (t.module !== MODULE || t.type !== 'review' || t.context.insightId !== ins.id || !ACTIVE_STATES.has(t.state)) continue;
      events.push({
        type: 'task.put',
        task: {
          ...t,
          state: 'completed',
          result: { cancelled: `decided by a human: ${o.status}` },
          conversation: t.conversation ? { ...t.conversation, submitted: null } : null,
          updatedAt: at,
          finishedAt: at,
        },
      });
      cancelled += 1;
    }
    return { events, message: `${ins.id} is now ${o.status}${cancelled > 0 ? ` (${cancelled} pending review(s) cancelled)` : ''}` };
  });
  o.out(msg);
  return 0;
}

export async function runInsightComment(o: { home: string; id: string; text: string; out: Out }): Promise<number> {
  const text = o.text.trim();
  if (text === '') throw new UsageError('the comment is empty');
  const msg = await change(o.home, (state, now) => {
    const ins = resolveId(state, o.id);
    const id = commentIdFor(ins.id, text);
    if (docOf(state, COMMENTS, id)) return { events: [], message: `that comment is already recorded as ${id}` };
    const doc: CommentDoc = {
      id,
      insightId: ins.id,
      text,
      source: 'cli',
      status: 'open',
      answer: null,
      revised: false,
      createdAt: now.toISOString(),
      answeredAt: null,
    };
    return {
      events: [putDoc(COMMENTS, id, doc)],
      message: `comment ${id} recorded on ${ins.id}; a tick answers it at comment priority`,
    };
  });
  o.out(msg);
  return 0;
}
