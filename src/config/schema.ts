import { z } from 'zod';
import { patternsSchema, selectorsSchema } from './site-adapter-schema.js';

/**
 * The schema of fano.config.yaml. Every object is strict (unknown keys are errors with a
 * did-you-mean) and every key has a default, so a nearly empty file is a working mock home.
 * Field docs (`.describe`) feed the JSON schema editors use and the file `fano init` writes.
 */

/** Quota keys every backend has (the allocator's configured limits; learning never overwrites them). */
const quotaKeys = {
  enabled: z.boolean().default(true).describe('false keeps the backend configured but unused'),
  hourlyLimit: z.number().int().positive().default(50).describe('requests per sliding hour (initial estimate; learned downwards on rate limits)'),
  deepDailyLimit: z.number().int().nonnegative().default(5).describe('deep-mode requests per quota day'),
};

export const mockBackendSchema = z.strictObject({
  type: z.literal('mock'),
  ...quotaKeys,
  // The mock costs nothing: its limits fit the README walkthrough several times over, so trying
  // fano never stalls on a quota (hourlyCap simulates a site's hidden limit when wanted).
  hourlyLimit: z.number().int().positive().default(500).describe('requests per sliding hour (initial estimate; learned downwards on rate limits)'),
  deepDailyLimit: z.number().int().nonnegative().default(50).describe('deep-mode requests per quota day'),
  latencyMs: z.number().int().nonnegative().default(50).describe('answer latency per request'),
  hourlyCap: z.number().int().positive().nullable().default(null).describe('hidden cap: past it the mock answers like a rate-limited site'),
  deepDailyCap: z.number().int().nonnegative().nullable().default(null).describe('hidden deep-mode cap per day'),
  failureRate: z.number().min(0).max(1).default(0).describe('share of requests answered with a transient site error'),
  seed: z.number().int().default(1).describe('seed for the deterministic answers and failures'),
});

export const browserBackendSchema = z.strictObject({
  type: z.literal('browser'),
  ...quotaKeys,
  site: z
    .string()
    .regex(/^[a-z][a-z0-9_-]*$/, 'an adapter name: lower-case letters, digits, - and _')
    .optional()
    .describe(
      'site adapter (sites/<name>.yaml, shipped: chatgpt, gemini, claude; or <home>/sites/<name>.yaml) whose defaults apply; default: the backend name if there is such an adapter, else custom',
    ),
  url: z.string().url().optional().describe('start page of a new conversation'),
  selectors: selectorsSchema.default({}).describe('locators (CSS, or role=…/text=…); a list means "first that matches"; unset ones use the site adapter\'s'),
  patterns: patternsSchema
    .default({})
    .describe("case-insensitive substrings or /regex/ matched against site chrome, never the answer; a list replaces the adapter's"),
  timeouts: z
    .strictObject({
      normalMs: z.number().int().positive().default(300_000).describe('longest wait for an ordinary answer, in ms'),
      deepMs: z.number().int().positive().default(3_600_000).describe('longest wait for a deep-mode answer, in ms'),
      stableMs: z
        .number()
        .int()
        .min(1000)
        .nullable()
        .default(null)
        .describe("a site without a done marker: busy gone and text unchanged this long = finished, in ms (null: the adapter's settle.quietMs, else 1500)"),
      navigationMs: z.number().int().positive().default(60_000).describe('longest page load, in ms'),
    })
    .default({ normalMs: 300_000, deepMs: 3_600_000, stableMs: null, navigationMs: 60_000 }),
});

export const openaiBackendSchema = z.strictObject({
  type: z.literal('openai'),
  ...quotaKeys,
  baseUrl: z.string().url().describe('OpenAI-compatible API base, e.g. http://127.0.0.1:8080/v1'),
  model: z.string().min(1).describe('model of ordinary requests'),
  deepModel: z.string().min(1).nullable().default(null).describe('model used in deep mode (default: model)'),
  reasoningEffort: z.enum(['low', 'medium', 'high']).nullable().default(null).describe('sent in deep mode when set'),
  apiKeyEnv: z.string().min(1).default('OPENAI_API_KEY').describe('name of the env var holding the key'),
  timeoutMs: z.number().int().positive().default(300_000).describe('longest wait for an answer, in ms'),
});

export const backendSchema = z.discriminatedUnion('type', [mockBackendSchema, browserBackendSchema, openaiBackendSchema]);

const taskTypeSchema = z.strictObject({
  basePriority: z.number().optional().describe('overrides the built-in base priority'),
  onBackendBusy: z.enum(['wait', 'fresh']).default('wait').describe('a paused conversation waits for its backend, or starts fresh elsewhere'),
});

export const configSchema = z.strictObject({
  backends: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'backend names are lower-case letters, digits, - and _'), backendSchema).default({
    mock: { type: 'mock', enabled: true, hourlyLimit: 500, deepDailyLimit: 50, latencyMs: 50, hourlyCap: null, deepDailyCap: null, failureRate: 0, seed: 1 },
  }),
  browser: z
    .strictObject({
      executablePath: z.string().min(1).default('/usr/bin/chromium').describe('the browser binary'),
      headless: z.boolean().default(true).describe('false shows the window (fano login always shows it)'),
      cdpEndpoint: z.string().nullable().default(null).describe('attach to a running browser instead of launching one'),
      args: z.array(z.string()).default([]).describe('extra Chromium flags'),
      preloadPage: z.boolean().default(true).describe('keep a second tab per backend on the start page, so a new conversation needs no page load'),
    })
    .prefault({}),
  tick: z
    .strictObject({
      maxSeconds: z.number().positive().default(240).describe('wall-clock budget of one tick'),
      maxRequests: z.number().int().positive().default(30).describe('LLM requests per tick'),
      intervalSeconds: z.number().int().positive().default(60).describe('how often the timer runs fano tick'),
      lockStaleSeconds: z.number().positive().default(30).describe('a lock not refreshed this long belongs to a dead tick'),
      rediscoverSeconds: z.number().positive().default(60).describe('a long tick looks for new work (e.g. a comment) this often'),
    })
    .prefault({}),
  scheduler: z
    .strictObject({
      preemption: z.boolean().default(true).describe('a more urgent task may take over between two turns of a conversation'),
      weights: z
        .record(z.string(), z.number().nonnegative())
        .default({ explorer: 40, documenter: 40, researcher: 20 })
        .describe('share of the work per module (until a consultation says otherwise)'),
      starvation: z
        .strictObject({
          maxWaitHours: z.number().positive().default(4).describe('hours after which a waiting task counts as starving'),
          boostPerHour: z.number().nonnegative().default(20).describe('priority added per hour of waiting'),
          maxBoost: z.number().nonnegative().default(20).describe('cap of the waiting boost'),
        })
        .prefault({}),
      commentBoost: z.number().default(25).describe('priority added to work answering a human comment'),
      consultation: z
        .strictObject({
          enabled: z.boolean().default(true).describe('ask an LLM now and then how to weigh the modules'),
          intervalMinutes: z.number().positive().default(60).describe('minutes between consultations'),
          onSignificantChange: z.boolean().default(true).describe('also consult after many tasks completed'),
          significantChangeThreshold: z
            .number()
            .int()
            .positive()
            .default(50)
            .describe('completed tasks since the last consultation that count as a significant change'),
          maxShare: z.number().min(0).max(1).default(0.05).describe('largest share of requests that consultations may use'),
        })
        .prefault({}),
      maxPinWaitMinutes: z
        .number()
        .nonnegative()
        .default(15)
        .describe('longest a task waits for its preferred backend (rate-limited, out of hourly quota) before it moves to a free one'),
      taskTypes: z.record(z.string(), taskTypeSchema).default({}).describe('per task type overrides'),
    })
    .prefault({}),
  quotas: z
    .strictObject({
      dayResetHour: z.number().int().min(0).max(23).default(0).describe('UTC hour when daily deep-mode quotas reset'),
      decreaseFactor: z.number().gt(0).lt(1).default(0.8).describe('effective hourly estimate *= this on a rate limit'),
      increasePerCleanHour: z.number().int().nonnegative().default(2).describe('effective estimate += this after a clean hour'),
      backoffMinutes: z.number().positive().default(30).describe('wait after a rate limit that named no reset time'),
      deepReserves: z.record(z.string(), z.number().int().nonnegative()).default({}).describe('deep-mode uses per day held back for each module'),
    })
    .prefault({}),
  retries: z
    .strictObject({
      maxRetries: z.number().int().nonnegative().default(3).describe('failed attempts before a task fails for good (transient outcomes never count)'),
      baseDelaySeconds: z.number().nonnegative().default(60).describe('wait before the first retry'),
      multiplier: z.number().min(1).default(2).describe('each further wait is this many times longer'),
      maxDelaySeconds: z.number().positive().default(3600).describe('longest wait between retries'),
      transientDelaySeconds: z.number().nonnegative().default(60).describe('wait before retrying after a site error or timeout that gave no reset time'),
    })
    .prefault({}),
  state: z
    .strictObject({
      archiveAfterDays: z.number().nonnegative().default(7).describe('completed/failed tasks older than this move to state/archive/'),
      minFreeMB: z
        .number()
        .nonnegative()
        .default(100)
        .describe("a tick does no work (exit 74) while the home's file system has less free space than this, in MB"),
    })
    .prefault({}),
  runs: z
    .strictObject({
      keepDays: z.number().positive().default(14).describe('tick logs, idle logs and failure bundles in runs/ older than this are removed, in days'),
      maxMB: z.number().positive().default(200).describe("runs/ is kept under this size, oldest first (never the newest tick's files), in MB"),
    })
    .prefault({}),
  modules: z
    .strictObject({
      echo: z
        .strictObject({
          enabled: z.boolean().default(false),
          turns: z.number().int().positive().default(2).describe('LLM exchanges per seed'),
        })
        .prefault({}),
      explorer: z
        .strictObject({
          enabled: z.boolean().default(true).describe('explore the seeds, synthesize insights and have them reviewed'),
          exchangesBeforeSynthesis: z.number().int().min(1).default(4).describe('explore/critique exchanges of a thread before its synthesis'),
          maxInsightsPerSynthesis: z.number().int().min(1).max(10).default(3).describe('most insights one synthesis may extract'),
          contextBudgetChars: z
            .number()
            .int()
            .min(1000)
            .default(24000)
            .describe('characters of thread history a prompt carries; older exchanges fold into a pinned summary'),
          keepRecentExchanges: z.number().int().min(1).default(2).describe('newest exchanges always quoted in full'),
          summaryMaxChars: z.number().int().min(200).default(2000).describe('longest pinned running summary'),
          panelSize: z.number().int().min(2).default(3).describe('reviewers per insight (distinct backends when there are enough)'),
          secondRound: z.boolean().default(true).describe("a split panel reviews again, seeing the others' stances"),
          deepSynthesis: z.boolean().default(true).describe('synthesize in deep mode while deep quota is left'),
          deepSecondRound: z.boolean().default(true).describe('second review rounds in deep mode while deep quota is left'),
          dedupeThreshold: z.number().min(0).max(1).default(0.8).describe('similarity from which a new insight is recorded as a duplicate'),
          maxBlessedInContext: z.number().int().nonnegative().default(10).describe('blessed insights quoted in exploration prompts'),
          maxAttempts: z.number().int().min(1).default(2).describe('times a unit of work is started afresh after failing for good'),
        })
        .prefault({}),
      documenter: z
        .strictObject({
          enabled: z.boolean().default(true).describe('write blessed insights into state/documenter/document.md and answer the comments typed into it'),
          reviewShare: z.number().min(0).max(1).default(0.2).describe('share of the document changes that are section reviews'),
          reviewIntervalHours: z.number().positive().default(24).describe('hours before a reviewed section is reviewed again'),
          maxDisputes: z.number().int().min(1).default(3).describe('disputes of one comment before it is marked NEEDS_HUMAN_REVIEW'),
          disputeRetryMinutes: z.number().nonnegative().default(60).describe('minutes before a disputed comment is tried again'),
          maxRebases: z.number().int().nonnegative().default(5).describe('times a change is redone after a person edited its section meanwhile'),
          deep: z.boolean().default(false).describe('ask in deep mode'),
          contextBudgetChars: z.number().int().min(1000).default(30000).describe('characters of the document an incorporation prompt carries'),
          checkRewrites: z
            .number()
            .int()
            .nonnegative()
            .default(1)
            .describe('times new text the check sent back goes to its writer again before fano applies it marked needs_work'),
        })
        .prefault({}),
      researcher: z
        .strictObject({
          enabled: z.boolean().default(true).describe('bring in outside sources, verify their quotes and propose seeds'),
          autoApprove: z.boolean().default(false).describe('seeds the Researcher proposes become active without `fano seed approve`'),
          minTrust: z.number().min(0).max(1).default(0.6).describe('trust from which a source is mined for findings'),
          minRelevance: z.number().min(0).max(1).default(0.5).describe('relevance from which a source is mined for findings'),
          maxSourceChars: z.number().int().min(1000).default(12000).describe('characters of a fetched page a prompt carries'),
          questionsEveryHours: z.number().positive().default(24).describe('hours between two rounds of research questions'),
          fetch: z
            .strictObject({
              perHour: z.number().int().nonnegative().default(20).describe('page fetches per hour (separate from LLM requests)'),
              timeoutSeconds: z.number().positive().default(20).describe('longest a page fetch may take'),
              maxBytes: z.number().int().positive().default(2000000).describe('largest page fetched, in bytes'),
              maxRedirects: z.number().int().nonnegative().default(5).describe('redirects followed per fetch'),
              allowPrivateAddresses: z.boolean().default(false).describe('let model-proposed URLs reach loopback, private or link-local addresses'),
              retryFailedAfterHours: z.number().positive().default(24).describe('hours before a failed fetch is tried again'),
            })
            .prefault({}),
        })
        .prefault({}),
    })
    .prefault({}),
  logging: z
    .strictObject({
      level: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('level of the run logs in runs/'),
    })
    .prefault({}),
});

export type FanoConfig = z.infer<typeof configSchema>;
export type BackendConfig = z.infer<typeof backendSchema>;
export type MockBackendConfig = z.infer<typeof mockBackendSchema>;
export type BrowserBackendConfig = z.infer<typeof browserBackendSchema>;
export type OpenaiBackendConfig = z.infer<typeof openaiBackendSchema>;
