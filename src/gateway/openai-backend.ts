import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenaiBackendConfig } from '../config/schema.js';
import type { Outcome } from '../core/types.js';
import type { Backend, LlmRequest, LlmResponse, SendContext } from './backend.js';
import { HOUR_MS, MINUTE_MS, SECOND_MS } from '../core/time.js';

/**
 * An OpenAI-compatible chat-completions API (OpenAI, llama.cpp server, vLLM, Ollama, ...).
 * HTTP keeps no thread: every request is one self-contained user message (the caller puts the
 * context in the prompt) and the conversation URL is always null.
 *
 * `sent` says whether the server may have processed the prompt (false rolls the quota back):
 * false when no request left this process (no key, connection refused, DNS, TLS) or the server
 * refused it without processing (401/403 and other 4xx except 429); true otherwise.
 */

export interface OpenaiBackendDeps {
  env: NodeJS.ProcessEnv;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

const MAX_DETAIL_CHARS = 300;

/** Network error codes that mean the request never left this machine (nothing was sent). */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** OpenAI's duration format in x-ratelimit-reset-*: "20ms", "1s", "6m0s", "1h2m3.5s". */
function parseGoDuration(text: string): number | null {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return null;
  const unitMs: Record<string, number> = { h: HOUR_MS, m: MINUTE_MS, s: SECOND_MS, ms: 1 };
  return parts.reduce((sum, p) => sum + Number(p[1]) * unitMs[p[2]!]!, 0);
}

/** A bare number in x-ratelimit-reset: an epoch (seconds or ms) when large, else seconds from now. */
function parseResetNumber(value: number, nowMs: number): number {
  if (value > 1e12) return value;
  if (value > 1e9) return value * 1000;
  return nowMs + value * 1000;
}

/**
 * When a 429 says the limit resets, as an ISO string, or null if it does not say. Reads
 * Retry-After (seconds or an HTTP date), retry-after-ms, then the x-ratelimit-reset* headers
 * (the latest of them: we cannot tell which limit was hit). Pure: `now` is an argument.
 */
export function parseRateLimitReset(headers: Headers, now: Date): string | null {
  const nowMs = now.getTime();
  const retryAfterMs = headers.get('retry-after-ms');
  if (retryAfterMs !== null && /^\d+(\.\d+)?$/.test(retryAfterMs.trim())) {
    return new Date(nowMs + Number(retryAfterMs)).toISOString();
  }
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return new Date(nowMs + Number(retryAfter) * 1000).toISOString();
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return new Date(Math.max(date, nowMs)).toISOString();
  }
  const candidates: number[] = [];
  for (const name of ['x-ratelimit-reset', 'x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']) {
    const value = headers.get(name)?.trim();
    if (!value) continue;
    if (/^\d+(\.\d+)?$/.test(value)) candidates.push(parseResetNumber(Number(value), nowMs));
    else {
      const ms = parseGoDuration(value);
      if (ms !== null) candidates.push(nowMs + ms);
    }
  }
  return candidates.length > 0 ? new Date(Math.max(...candidates)).toISOString() : null;
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_DETAIL_CHARS ? `${oneLine.slice(0, MAX_DETAIL_CHARS)}…` : oneLine;
}

/** The server's own explanation: `{error: {message}}` (OpenAI and most clones), else the raw body. */
function serverMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const error = parsed.error;
    const message = typeof error === 'string' ? error : (error?.message ?? parsed.message);
    if (typeof message === 'string' && message.trim() !== '') return clip(message);
  } catch {
    // not JSON: fall through to the raw text
  }
  return clip(body);
}

/** Message content may be a string or (some servers) a list of text parts. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === 'string' ? part : typeof (part as { text?: unknown })?.text === 'string' ? (part as { text: string }).text : ''))
      .join('');
  }
  return '';
}

interface Classified {
  outcome: Outcome;
  text: string;
  resetAt: string | null;
  sent: boolean;
  detail: string | null;
}

/** A 200 body → ok / empty / truncated (siteError if it is not a chat completion at all). */
export function classifyCompletion(body: string): Classified {
  let parsed: { choices?: { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return { outcome: 'siteError', text: '', resetAt: null, sent: true, detail: `the answer is not JSON: ${clip(body)}` };
  }
  const choice = parsed.choices?.[0];
  if (!choice) return { outcome: 'siteError', text: '', resetAt: null, sent: true, detail: `no choices in the answer: ${clip(body)}` };
  const text = contentText(choice.message?.content);
  const finish = typeof choice.finish_reason === 'string' ? choice.finish_reason : null;
  if (finish === 'length') {
    return { outcome: 'truncated', text, resetAt: null, sent: true, detail: 'the answer hit the token limit (finish_reason "length")' };
  }
  if (text.trim() === '') {
    const refusal = typeof choice.message?.refusal === 'string' ? `: ${clip(choice.message.refusal)}` : '';
    return { outcome: 'empty', text: '', resetAt: null, sent: true, detail: `empty answer (finish_reason ${JSON.stringify(finish)})${refusal}` };
  }
  return { outcome: 'ok', text, resetAt: null, sent: true, detail: null };
}

/** A non-200 status → its outcome. */
export function classifyStatus(status: number, body: string, headers: Headers, now: Date): Classified {
  const detail = `HTTP ${status}: ${serverMessage(body) || '(no body)'}`;
  if (status === 429) return { outcome: 'rateLimited', text: '', resetAt: parseRateLimitReset(headers, now), sent: true, detail };
  if (status === 401 || status === 403) return { outcome: 'loginRequired', text: '', resetAt: null, sent: false, detail };
  // Other 4xx (bad model name, prompt too long, wrong path): refused before any work. 408, 5xx
  // and anything unexpected: the server may have worked on it (and counted it).
  const refused = status >= 400 && status < 500 && status !== 408;
  return { outcome: 'siteError', text: '', resetAt: null, sent: !refused, detail };
}

function errorCode(error: unknown): string | null {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return null;
}

function errorText(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    if (e instanceof Error && e.message) messages.push(e.message);
  }
  return clip(messages.join(': ') || String(error));
}

export function createOpenaiBackend(name: string, cfg: OpenaiBackendConfig, deps: OpenaiBackendDeps): Backend {
  const doFetch = deps.fetch ?? fetch;
  const endpoint = `${cfg.baseUrl.replace(/\/+$/, '')}/chat/completions`;

  async function saveBundle(
    dir: string | null,
    parts: { request: object; status: number | null; responseBody: string; result: Classified; durationMs: number },
  ): Promise<string | null> {
    if (dir === null) return null;
    try {
      await mkdir(dir, { recursive: true });
      // The API key is never written: only the request body goes in the bundle.
      const { responseBody, ...rest } = parts;
      await writeFile(join(dir, 'classification.json'), `${JSON.stringify({ backend: name, type: 'openai', endpoint, ...rest }, null, 2)}\n`);
      await writeFile(join(dir, 'response.txt'), responseBody);
      return dir;
    } catch {
      return null; // a bundle that cannot be written must not hide the outcome
    }
  }

  async function send(req: LlmRequest, ctx: SendContext): Promise<LlmResponse> {
    const started = ctx.now().getTime();
    const finish = async (result: Classified, extra: { request: object; status: number | null; responseBody: string }): Promise<LlmResponse> => {
      const durationMs = ctx.now().getTime() - started;
      const bundle = result.outcome === 'ok' ? null : await saveBundle(ctx.bundleDir, { ...extra, result, durationMs });
      return { ...result, url: null, bundle, durationMs };
    };

    const model = req.deep ? (cfg.deepModel ?? cfg.model) : cfg.model;
    const body: Record<string, unknown> = { model, messages: [{ role: 'user', content: req.prompt }] };
    if (req.deep && cfg.reasoningEffort !== null) body.reasoning_effort = cfg.reasoningEffort;
    const noResponse = { request: body, status: null, responseBody: '' };

    if (req.harvestOnly) {
      // Nothing to reattach to: an HTTP answer lost with its process is gone.
      return finish(
        {
          outcome: 'siteError',
          text: '',
          resetAt: null,
          sent: false,
          detail: 'an HTTP API keeps no conversation: an answer interrupted by a crash cannot be harvested; send again',
        },
        noResponse,
      );
    }

    const key = deps.env[cfg.apiKeyEnv];
    if (!key) {
      return finish(
        {
          outcome: 'loginRequired',
          text: '',
          resetAt: null,
          sent: false,
          detail: `the environment variable ${cfg.apiKeyEnv} is not set: put the API key of backend "${name}" in it (any non-empty value for a server that needs none)`,
        },
        noResponse,
      );
    }

    const timeout = AbortSignal.timeout(cfg.timeoutMs);
    const cancel = new AbortController();
    const signal = AbortSignal.any(ctx.signal ? [timeout, cancel.signal, ctx.signal] : [timeout, cancel.signal]);
    // Started before onSubmitted so the connection opens while the mark is logged; the answer
    // is only read after onSubmitted resolved (the ordering the submit-once mark relies on).
    const pending = doFetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
      signal,
    })
      // The body is read inside the chain so a reset or a timeout mid-body lands in `error` too.
      .then(async (response) => ({ response, text: await response.text() }))
      .catch((error: unknown) => ({ error }));
    try {
      await req.onSubmitted?.({ url: null });
    } catch (error) {
      cancel.abort(error);
      await pending; // settled before propagating: no unhandled rejection, no dangling socket
      throw error;
    }
    const settled = await pending;

    if ('error' in settled) {
      const { error } = settled;
      if (timeout.aborted) {
        return finish({ outcome: 'timeout', text: '', resetAt: null, sent: true, detail: `no answer within ${cfg.timeoutMs} ms` }, noResponse);
      }
      if (ctx.signal?.aborted) {
        return finish(
          { outcome: 'timeout', text: '', resetAt: null, sent: true, detail: `aborted before the answer came: ${errorText(ctx.signal.reason)}` },
          noResponse,
        );
      }
      const code = errorCode(error);
      const sent = code === null || !NOT_SENT_CODES.has(code);
      return finish(
        {
          outcome: 'siteError',
          text: '',
          resetAt: null,
          sent,
          detail: `${sent ? 'connection failed' : 'could not connect'} to ${endpoint}: ${errorText(error)}`,
        },
        noResponse,
      );
    }

    const { response, text } = settled;
    const extra = { request: body, status: response.status, responseBody: text };
    if (response.status === 200) return finish(classifyCompletion(text), extra);
    return finish(classifyStatus(response.status, text, response.headers, ctx.now()), extra);
  }

  return { name, type: 'openai', send, close: async () => {} };
}
