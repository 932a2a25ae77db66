import { Text } from 'ink';
import type { PriorityBreakdown } from '../core/priority.js';
import type { Task } from '../core/types.js';
import { TOP_KEYS } from './keys.js';
import { clock, formatDuration } from './model.js';

/** The views that replace the panes: one task's details, and the key help. */

/** `82 (base 50 + seed 10 + aging 20)`: the number the list shows, and where it comes from. */
export function priorityText(p: PriorityBreakdown | undefined, t: Task): string {
  if (!p) return `${t.priority}`;
  const parts = (['base', 'seed', 'backlog', 'comment', 'aging', 'deepDeferral'] as const)
    .filter((k) => k === 'base' || Math.round(p[k]) !== 0)
    .map((k) => `${k === 'deepDeferral' ? 'deep deferral' : k} ${Math.round(p[k])}`);
  const frozen = (t.state === 'completed' || t.state === 'failed') && t.finishedAt ? `, as it was when it finished at ${clock(t.finishedAt)}` : '';
  return `${Math.round(p.total)} (${parts.join(' + ')}${frozen})`;
}

export function Details({ task: t, priority, now }: { task: Task; priority: PriorityBreakdown | undefined; now: Date }) {
  const field = (name: string, value: string) => (
    <Text key={name} wrap="truncate">
      <Text dimColor>{name.padEnd(13)}</Text>
      {value}
    </Text>
  );
  const json = (v: unknown) => {
    const s = JSON.stringify(v);
    return s.length > 200 ? s.slice(0, 199) + '…' : s;
  };
  return (
    <>
      <Text bold wrap="truncate">
        task {t.key}
      </Text>
      {field('module', `${t.module} / ${t.type}`)}
      {field('state', `${t.state}${t.deep ? ' (deep)' : ''}, ${t.attempts} failed attempt(s), ${t.llmRequests} request(s)`)}
      {field('priority', priorityText(priority, t))}
      {field('created', `${t.createdAt} (${formatDuration(now.getTime() - Date.parse(t.createdAt))} ago)`)}
      {field('updated', t.updatedAt)}
      {t.notBefore ? field('not before', t.notBefore) : null}
      {t.finishedAt ? field('finished', t.finishedAt) : null}
      {field('backend', t.conversation ? `${t.conversation.backend} turn ${t.conversation.turn} ${t.conversation.url ?? ''}` : (t.llmPreference ?? 'any'))}
      {t.lastError ? field('last error', `${t.lastError.kind} at ${t.lastError.at}: ${t.lastError.message}`) : field('last error', 'none')}
      {t.lastError ? field('bundle', t.lastError.bundle ?? 'none (no failure bundle was written)') : null}
      {field('context', json(t.context))}
      {field('data', json(t.data))}
      <Text dimColor>enter/esc: back to the list</Text>
    </>
  );
}

export function Help({ readOnly }: { readOnly: boolean }) {
  return (
    <>
      <Text bold>keys</Text>
      {TOP_KEYS.map(([k, d]) => (
        <Text key={k} wrap="truncate">
          {'  '}
          {k.padEnd(13)} {k === 'p' && readOnly ? 'pause/resume (disabled: --read-only)' : d}
        </Text>
      ))}
      <Text dimColor wrap="truncate">
        the screen refreshes when state/ or runs/ change; it never takes the tick lock
      </Text>
    </>
  );
}
