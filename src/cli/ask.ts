import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import type { FanoConfig } from '../config/schema.js';
import { recordOutcome, recordRequest, rollbackRequest } from '../core/quota.js';
import { emptyBackendState } from '../core/types.js';
import { BackendNotOkError, UsageError } from '../errors.js';
import { createBackends } from '../gateway/index.js';
import type { LlmResponse } from '../gateway/backend.js';
import { createFileLogger, type Logger } from '../log.js';
import { mockResponders } from '../modules/index.js';
import { openStore } from '../store/store.js';
import { quotaOptions } from '../config/core-options.js';
import { bundleDir, newTickId, tickLogPath } from '../tick/runs.js';

export interface AskOptions {
  home: string;
  backend: string;
  deep: boolean;
  json: boolean;
  /** The prompt words; a single "-" reads the prompt from stdin. */
  prompt: string[];
  out: (s: string) => void;
}

export interface SentOne {
  res: LlmResponse;
  /** Every gateway log event of the request (the browser driver's phases are in `browser.request`). */
  events: Array<[string, object]>;
}

/**
 * One prompt through the gateway, as a tick would send it: it takes the lock (so it never races a
 * tick for the same browser profile) and counts against the backend's quota. `fano ask` and
 * `fano doctor --send`.
 */
export async function sendCounted(o: {
  home: string;
  config: FanoConfig;
  backend: string;
  prompt: string;
  deep: boolean;
  requestId: string;
  command: string;
}): Promise<SentOne> {
  const { config } = o;
  const cfg = config.backends[o.backend]!;
  const now = () => new Date();
  const id = newTickId(now());
  const store = await openStore(o.home, { lockStaleMs: config.tick.lockStaleSeconds * 1000, now });
  const file = createFileLogger(tickLogPath(o.home, id), config.logging.level, { tickId: id, command: o.command });
  const events: Array<[string, object]> = [];
  const tee =
    (lvl: 'info' | 'warn' | 'error' | 'debug') =>
    (event: string, fields: object = {}) => {
      events.push([event, fields]);
      file[lvl](event, fields);
    };
  const log: Logger = { info: tee('info'), warn: tee('warn'), error: tee('error'), debug: tee('debug'), close: () => file.close(), file: file.file };
  const backends = createBackends(config, { home: o.home, log, mockResponders });
  const backend = backends.get(o.backend)!;
  const qopts = quotaOptions(config, cfg);
  try {
    const at = now();
    let b = recordRequest(store.state.backends[o.backend] ?? emptyBackendState(), o.deep, at, qopts);
    await store.append([{ type: 'backend.put', name: o.backend, backend: b }], at);
    log.info('llm.allocated', { llm: o.backend, requestId: o.requestId, deep: o.deep });
    const res = await backend.send(
      { requestId: o.requestId, prompt: o.prompt, deep: o.deep, conversation: null, harvestOnly: false },
      { now, bundleDir: bundleDir(o.home, id, o.requestId) },
    );
    if (!res.sent && res.outcome !== 'rateLimited') b = rollbackRequest(b, o.deep, at, qopts);
    b = recordOutcome(b, res.outcome, res.resetAt ? new Date(res.resetAt) : null, now(), qopts, res.bundle, {
      deep: o.deep,
      sent: res.sent,
      deepOnly: res.deepOnly === true,
    });
    await store.append([{ type: 'backend.put', name: o.backend, backend: b }], now());
    await store.checkpoint();
    log.info(res.outcome === 'ok' ? 'llm.answered' : 'llm.not_ok', {
      llm: o.backend,
      outcome: res.outcome,
      durationMs: res.durationMs,
      bundle: res.bundle,
      detail: res.detail,
    });
    return { res, events };
  } finally {
    await Promise.allSettled([...backends.values()].map((x) => x.close()));
    log.close();
    await store.close();
  }
}

export async function runAsk(opts: AskOptions): Promise<number> {
  const { config } = await loadConfig(opts.home);
  const cfg = config.backends[opts.backend];
  if (!cfg) throw new UsageError(`no backend "${opts.backend}" in fano.config.yaml (configured: ${Object.keys(config.backends).join(', ') || 'none'})`);
  if (!cfg.enabled) throw new UsageError(`backend "${opts.backend}" is disabled (enabled: false in fano.config.yaml)`);
  const prompt = opts.prompt.length === 1 && opts.prompt[0] === '-' ? readFileSync(0, 'utf8') : opts.prompt.join(' ');
  if (prompt.trim() === '') throw new UsageError('the prompt is empty');
  const { res } = await sendCounted({ home: opts.home, config, backend: opts.backend, prompt, deep: opts.deep, requestId: 'ask', command: 'ask' });
  if (opts.json) {
    opts.out(
      JSON.stringify(
        { outcome: res.outcome, text: res.text, resetAt: res.resetAt, bundle: res.bundle, url: res.url, detail: res.detail, durationMs: res.durationMs },
        null,
        2,
      ),
    );
    return res.outcome === 'ok' ? 0 : new BackendNotOkError('').exitCode;
  }
  if (res.outcome === 'ok') {
    opts.out(res.text);
    return 0;
  }
  const parts = [
    `${opts.backend}: ${res.outcome}`,
    res.detail,
    res.resetAt ? `resets at ${res.resetAt}` : null,
    res.bundle ? `details in ${res.bundle}` : null,
  ];
  throw new BackendNotOkError(parts.filter(Boolean).join('; '));
}
