import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { ACTIVE_STATES } from '../core/types.js';
import { commentHash, parseDocument } from '../modules/documenter/document.js';
import { DISPUTES, DOCUMENT_PATH, documenterOptions, MODULE } from '../modules/documenter/types.js';
import { docsById } from '../modules/shared/collections.js';
import { readState } from '../store/store.js';

/**
 * `fano comment list [--json]`: the comments in the document as it is now, each with its state:
 *   open         waiting for fano (or being worked on: `task` names the active task)
 *   attempted    the model disputed it; retried after disputeRetryMinutes
 *   needs_human  disputed maxDisputes times (a NEEDS_HUMAN_REVIEW marker): fano no longer retries
 *   protected    inside a PROTECTED block: fano cannot answer it there
 * Resolved comments are no longer comments: they are RESOLVED records in the document. Lock-free.
 */

type Out = (s: string) => void;

export interface CommentRow {
  id: string;
  sectionId: string;
  line: number;
  text: string;
  state: 'open' | 'attempted' | 'needs_human' | 'protected';
  attempts: number;
  lastAttemptAt: string | null;
  task: string | null;
}

export async function runCommentList(o: { home: string; json: boolean; out: Out }): Promise<number> {
  const { config } = await loadConfig(o.home);
  const opts = documenterOptions(config.modules.documenter);
  const { state } = await readState(o.home);
  let text = '';
  try {
    text = readFileSync(join(o.home, DOCUMENT_PATH), 'utf8');
  } catch {
    // no document yet: no comments
  }
  const doc = parseDocument(text);
  const disputes = docsById(state, DISPUTES);
  const active = Object.values(state.tasks).filter((t) => t.module === MODULE && t.type === 'address_comment' && ACTIVE_STATES.has(t.state));
  const rows: CommentRow[] = doc.comments.map((c) => {
    const hash = commentHash(c.sectionId, c.text);
    const id = `comment:${c.sectionId}:${hash}`;
    const d = disputes[id];
    const attempts = Math.max(c.attempts, d?.count ?? 0);
    const st: CommentRow['state'] = c.protected
      ? 'protected'
      : c.kind === 'needs_human' || attempts >= opts.maxDisputes
        ? 'needs_human'
        : attempts > 0
          ? 'attempted'
          : 'open';
    const task = active.find((t) => t.context.unit === id)?.key ?? null;
    return { id, sectionId: c.sectionId, line: c.line, text: c.text, state: st, attempts, lastAttemptAt: d?.lastAt ?? c.lastAttemptAt, task };
  });
  if (o.json) {
    o.out(JSON.stringify({ document: DOCUMENT_PATH, comments: rows, malformed: doc.malformed }, null, 2));
    return 0;
  }
  if (rows.length === 0) o.out(`No comments in ${DOCUMENT_PATH}.`);
  for (const r of rows) {
    const extra = r.state === 'attempted' ? ` (disputed ${r.attempts}x, last ${r.lastAttemptAt ?? '?'})` : r.task ? ' (in progress)' : '';
    o.out(`${r.state.padEnd(11)} ${r.sectionId} line ${r.line}${extra}: ${r.text}`);
  }
  for (const m of doc.malformed) o.out(`warning: ${DOCUMENT_PATH}:${m.line}: ${m.message} (that section is left alone)`);
  return 0;
}
