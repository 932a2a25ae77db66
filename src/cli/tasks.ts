import { loadConfig } from '../config/load.js';
import { TASK_STATES, type TaskState } from '../core/types.js';
import { UsageError } from '../errors.js';
import { filterRows, formatDuration, sortRows, taskRows, type TaskRow } from '../tui/model.js';
import { buildSnapshot, readTopData } from '../tui/snapshot.js';

/**
 * `fano tasks [--state S] [--module M] [--json]`: the dashboard's task list as text or JSON, read
 * without the lock. Imports the pure model only: no Ink, no React.
 */
export interface TasksOptions {
  home: string;
  state?: string;
  module?: string;
  json: boolean;
  out: (s: string) => void;
}

export async function runTasks(opts: TasksOptions): Promise<number> {
  if (opts.state !== undefined && !(TASK_STATES as readonly string[]).includes(opts.state)) {
    throw new UsageError(`--state must be one of ${TASK_STATES.join(', ')} (got "${opts.state}")`);
  }
  const { config } = await loadConfig(opts.home);
  const data = await readTopData(opts.home, config);
  const snap = buildSnapshot(opts.home, config, data, new Date());
  const rows = sortRows(filterRows(taskRows(snap), { state: (opts.state as TaskState | undefined) ?? null, module: opts.module ?? null }), 'priority');
  if (opts.json) {
    opts.out(
      JSON.stringify(
        rows.map((r) => {
          const t = data.state.tasks[r.key]!;
          return {
            key: r.key,
            module: r.module,
            type: r.type,
            state: r.state,
            priority: r.priority,
            attempts: r.attempts,
            llmRequests: r.llmRequests,
            createdAt: t.createdAt,
            updatedAt: t.updatedAt,
            finishedAt: t.finishedAt,
            notBefore: t.notBefore,
            lastError: t.lastError,
          };
        }),
        null,
        2,
      ),
    );
    return 0;
  }
  opts.out(formatTasks(rows));
  return 0;
}

export function formatTasks(rows: readonly TaskRow[]): string {
  if (rows.length === 0) return 'no tasks match';
  const lines = ['state      prio      age  task'];
  let module: string | null = null;
  for (const r of rows) {
    if (r.module !== module) {
      module = r.module;
      lines.push(`${module} (${rows.filter((x) => x.module === module).length})`);
    }
    lines.push(
      `${r.state.padEnd(9)} ${String(r.priority).padStart(5)} ${formatDuration(r.ageMs).padStart(8)}  ${r.key}${r.errorKind ? `  [last error: ${r.errorKind}]` : ''}`,
    );
  }
  return lines.join('\n');
}
