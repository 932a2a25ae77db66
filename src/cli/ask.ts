import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { recordOutcome, recordRequest, rollbackRequest } from '../core/quota.js';
import { emptyBackendState } from '../core/types.js';
import { BackendNotOkError, UsageError } from '../errors.js';
import { createBackends } from '../gateway/index.js';
import { createFileLogger } from '../log.js';
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

/**
 * One prompt through the gateway, as a tick would send it: it takes the lock (so it never races a
 * tick for the same browser profile) and counts against the backend's quota.
 */
export async function runAsk(opts: AskOptions): Promise<number> {
  const { config } = await loadConfig(opts.home);
  const cfg = config.backends[opts.backend];
  if (!cfg) throw new UsageError(`no backend "${opts.backend}" in fano.config.yaml (configured: ${Object.keys(config.backends).join(', ') || 'none'})`);
  if (!cfg.enabled) throw new UsageError(`backend "${opts.backend}" is disabled (enabled: false in fano.config.yaml)`);
  const prompt = opts.prompt.length === 1 && opts.prompt[0] === '-' ? readFileSync(0, 'utf8') : opts.prompt.join(' ');
  if (prompt.trim() === '') throw new UsageError('the prompt is empty');

  const now = () => new Date();
  const id = newTickId(now());
  const store = await openStore(opts.home, { lockStaleMs: config.tick.lockStaleSeconds * 1000, now });
  const log = createFileLogger(tickLogPath(opts.home, id), config.logging.level, { tickId: id, command: 'ask' });
  const backends = createBackends(config, { home: opts.home, log, mockResponders });
  const backend = backends.get(opts.backend)!;
  const qopts = quotaOptions(config, cfg);
  try {
    const at = now();
    let b = recordRequest(store.state.backends[opts.backend] ?? emptyBackendState(), opts.deep, at, qopts);
    await store.append([{ type: 'backend.put', name: opts.backend, backend: b }], at);
    log.info('llm.allocated', { llm: opts.backend, requestId: 'ask', deep: opts.deep });
    const res = await backend.send(
      { requestId: 'ask', prompt, deep: opts.deep, conversation: null, harvestOnly: false },
      { now, bundleDir: bundleDir(opts.home, id, 'ask') },
    );
    if (!res.sent && res.outcome !== 'rateLimited') b = rollbackRequest(b, opts.deep, at, qopts);
    b = recordOutcome(b, res.outcome, res.resetAt ? new Date(res.resetAt) : null, now(), qopts, res.bundle, { deep: opts.deep, sent: res.sent });
    await store.append([{ type: 'backend.put', name: opts.backend, backend: b }], now());
    await store.checkpoint();
    log.info(res.outcome === 'ok' ? 'llm.answered' : 'llm.not_ok', { llm: opts.backend, outcome: res.outcome, durationMs: res.durationMs, bundle: res.bundle, detail: res.detail });

    if (opts.json) {
      opts.out(JSON.stringify({ outcome: res.outcome, text: res.text, resetAt: res.resetAt, bundle: res.bundle, url: res.url, detail: res.detail, durationMs: res.durationMs }, null, 2));
      return res.outcome === 'ok' ? 0 : new BackendNotOkError('').exitCode;
    }
    if (res.outcome === 'ok') {
      opts.out(res.text);
      return 0;
    }
    const parts = [`${opts.backend}: ${res.outcome}`, res.detail, res.resetAt ? `resets at ${res.resetAt}` : null, res.bundle ? `details in ${res.bundle}` : null];
    throw new BackendNotOkError(parts.filter(Boolean).join('; '));
  } finally {
    await Promise.allSettled([...backends.values()].map((x) => x.close()));
    log.close();
    await store.close();
  }
}
