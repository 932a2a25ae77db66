/**
 * The commented fano.config.yaml that `fano init` writes (and /fano.config.yaml at the repo root).
 * Every value shown is the schema default and each comment ends with "(default X)": the tests in
 * init-template.test.ts parse this text and compare both against the schema, so when a key or a
 * default changes in schema.ts this text must change with it.
 */
export const INIT_CONFIG_TEXT = `# fano.config.yaml: the configuration of this fano home (the folder holding this file).
# Every key is optional: a key left out (or a section left empty) takes the default shown here.
# \`fano config check\` validates this file and prints the effective config; \`fano config schema\`
# prints its JSON schema (for editor completion: save it as fano.schema.json next to this file and
# add the line \`# yaml-language-server: $schema=./fano.schema.json\` at the top).

# The LLMs fano may use: backend name -> backend. Replacing this map removes the mock.
backends:
  mock:
    type: mock                 # mock: a deterministic fake LLM, no browser | browser: a chat site | openai: an HTTP API
    enabled: true              # false keeps the backend configured but unused (default true)
    hourlyLimit: 500           # requests per sliding hour; a first estimate, learned downwards on rate limits (default 500)
    deepDailyLimit: 50         # deep-mode requests per quota day (default 50)
    latencyMs: 50              # how long each answer takes, in ms (default 50)
    hourlyCap: null            # hidden cap: past it the mock answers like a rate-limited site; null: none (default null)
    deepDailyCap: null         # hidden deep-mode cap per day; null: none (default null)
    failureRate: 0             # share of requests (0..1) answered with a transient site error (default 0)
    seed: 1                    # seed of the deterministic answers and failures (default 1)

  # A chat site driven in a real browser. Sign in once with \`fano login chatgpt\`, then check it
  # with \`fano doctor chatgpt\`. A site adapter (sites/<name>.yaml: chatgpt, gemini and claude
  # ship with fano; add or fix one in <home>/sites/) knows the site's url, locators, texts, deep
  # mode and default quotas; set any of them here only to override. Any other name (or site:
  # custom) needs url, selectors.input and selectors.response.
  # chatgpt:
  #   type: browser
  #   enabled: true            # (default true)
  #   hourlyLimit: 40          # requests per sliding hour, first estimate (default: the adapter's, else 50)
  #   deepDailyLimit: 25       # deep-mode (thinking) requests per quota day (default: the adapter's, else 5)
  #   site: chatgpt            # site adapter (default: the backend name if there is one, else custom)
  #   url: https://chatgpt.com/  # start page of a new conversation (default: the adapter's)
  #   selectors:               # CSS or role=…/text=… locators; a list means "first that matches" (default: the adapter's)
  #     input: '#prompt-textarea'                          # where the prompt is typed
  #     response: '[data-message-author-role="assistant"] .markdown'  # the LAST match is the answer being read
  #     done: 'button[data-testid="copy-turn-action-button"]'  # finished-turn marker: proof the answer is complete
  #   patterns:                # case-insensitive substrings or /regex/ in the site chrome (default: the adapter's)
  #     rateLimited: ["You've reached your limit", /usage cap/]
  #   timeouts:
  #     normalMs: 300000       # longest wait for an ordinary answer, in ms (default 300000)
  #     deepMs: 3600000        # longest wait for a deep-mode answer, in ms (default 3600000)
  #     stableMs: null         # a site without a done marker: quiet this long = finished, in ms; null: the adapter's (default null)
  #     navigationMs: 60000    # longest page load, in ms (default 60000)

  # An OpenAI-compatible HTTP API (OpenAI, llama.cpp server, vLLM, Ollama, ...): no browser, no threads.
  # local:
  #   type: openai
  #   baseUrl: http://127.0.0.1:8080/v1   # fano POSTs to <baseUrl>/chat/completions
  #   model: llama-3.1-8b-instruct        # model of ordinary requests
  #   deepModel: null          # model of deep-mode requests; null: model (default null)
  #   reasoningEffort: null    # low | medium | high, sent in deep mode when set (default null)
  #   apiKeyEnv: OPENAI_API_KEY  # name of the environment variable holding the API key (default OPENAI_API_KEY)
  #   timeoutMs: 300000        # longest wait for an answer, in ms (default 300000)

# The Chromium that browser backends drive.
browser:
  executablePath: /usr/bin/chromium  # the browser binary (default /usr/bin/chromium)
  headless: true               # false shows the window; \`fano login\` always shows it (default true)
  cdpEndpoint: null            # attach to a running browser (e.g. http://127.0.0.1:9222) instead of launching one (default null)
  args: []                     # extra Chromium flags (default [])
  preloadPage: true            # after an answer, load the start page in a second tab per backend, so the next new conversation needs no page load (default true)

# One \`fano tick\` is a bounded slice of work, started by a timer (\`fano schedule\`).
tick:
  maxSeconds: 240              # wall-clock budget of one tick, in seconds; below 3600 (default 240)
  maxRequests: 30              # LLM requests per tick (default 30)
  intervalSeconds: 60          # how often the timer runs \`fano tick\`, in seconds (default 60)
  lockStaleSeconds: 30         # a lock not refreshed for this long belongs to a dead tick, in seconds (default 30)
  rediscoverSeconds: 60        # a long tick looks for new work (e.g. a human comment) this often, in seconds (default 60)

# Which task runs next.
scheduler:
  preemption: true             # a more urgent task may take over between two turns of a conversation (default true)
  weights: {explorer: 40, documenter: 40, researcher: 20}  # share of the work per module (default {explorer: 40, documenter: 40, researcher: 20})
  starvation:                  # a task that waits long gains priority
    maxWaitHours: 4            # hours after which a waiting task counts as starving (default 4)
    boostPerHour: 20           # priority added per hour of waiting (default 20)
    maxBoost: 20               # cap of that boost (default 20)
  commentBoost: 25             # priority added to work answering a human comment (default 25)
  consultation:                # now and then an LLM is asked how to weigh the modules
    enabled: true              # false keeps the configured weights (default true)
    intervalMinutes: 60        # minutes between consultations (default 60)
    onSignificantChange: true  # also consult early after many tasks completed (default true)
    significantChangeThreshold: 50  # that many completed tasks since the last consultation (default 50)
    maxShare: 0.05             # at most this share (0..1) of the requests, failed attempts included, goes to consultations (default 0.05)
  maxPinWaitMinutes: 15        # longest a task waits for its preferred backend (rate-limited, out of quota) before it moves to a free one (default 15)
  taskTypes: {}                # per task type: basePriority, onBackendBusy (wait | fresh) (default {})
  #   exploration: {basePriority: 50, onBackendBusy: fresh}

# How fano learns each backend's real limits (the configured limits above are never overwritten).
quotas:
  dayResetHour: 0              # UTC hour at which the daily deep-mode quotas reset, 0..23 (default 0)
  decreaseFactor: 0.8          # on a rate limit the hourly estimate is multiplied by this, between 0 and 1 (default 0.8)
  increasePerCleanHour: 2      # the estimate grows by this after an hour without rate limit (default 2)
  backoffMinutes: 30           # wait after a rate limit that named no reset time, in minutes (default 30)
  deepReserves: {}             # deep-mode uses per day held back for a module, e.g. {documenter: 2} (default {})

# Retries of a failed task step (exponential backoff).
retries:
  maxRetries: 3                # failed attempts before a task fails for good; transient outcomes never count (default 3)
  baseDelaySeconds: 60         # wait before the first retry, in seconds (default 60)
  multiplier: 2                # each further wait is this many times longer (default 2)
  maxDelaySeconds: 3600        # longest wait between retries, in seconds (default 3600)
  transientDelaySeconds: 60    # wait after a site error or timeout that gave no reset time, in seconds (default 60)

state:
  archiveAfterDays: 7          # completed and failed tasks older than this move to state/archive/, in days (default 7)
  minFreeMB: 100               # below this much free space on the home's file system a tick does no work and exits 74, in MB (default 100)

runs:                          # logs and failure bundles (runs/), removed oldest first, never the newest tick's
  keepDays: 14                 # remove what is older than this, in days (default 14)
  maxMB: 200                   # keep runs/ under this size, in MB (default 200)

modules:
  explorer:                    # seeds -> explorations -> insights reviewed by other backends (state/explorer/)
    enabled: true              # (default true)
    exchangesBeforeSynthesis: 4  # explore/critique exchanges of a thread before its synthesis (default 4)
    maxInsightsPerSynthesis: 3 # most insights one synthesis may extract (default 3)
    contextBudgetChars: 24000  # characters of thread history a prompt carries; older exchanges fold into a pinned summary; an exchange may be up to this over keepRecentExchanges (default 24000)
    keepRecentExchanges: 2     # newest exchanges always quoted in full (default 2)
    summaryMaxChars: 2000      # longest pinned running summary, in characters (default 2000)
    panelSize: 3               # reviewers per insight, on distinct backends when there are enough; at least 2 (default 3)
    secondRound: true          # a split panel reviews again, each reviewer seeing the other reviewers' stances (default true)
    deepSynthesis: true        # synthesize in deep mode while deep quota is left (default true)
    deepSecondRound: true      # second review rounds in deep mode while deep quota is left (default true)
    dedupeThreshold: 0.8       # similarity (0..1) from which a new insight is recorded as a duplicate (default 0.8)
    maxBlessedInContext: 10    # blessed insights quoted in exploration prompts (default 10)
    maxAttempts: 2             # times a unit of work is started afresh after failing for good (default 2)
    # prompt templates: put state/explorer/prompts/<name>.md (explore, critique, synthesis, repair,
    # review, review-round2, review-argument, review-answer, verify, comment) to override the built-in ones
  documenter:                  # blessed insights -> state/documenter/document.md, which you edit too
    enabled: true              # (default true)
    reviewShare: 0.2           # share (0..1) of the document changes that are section reviews (default 0.2)
    reviewIntervalHours: 24    # hours before a reviewed section is reviewed again (default 24)
    maxDisputes: 3             # disputes of one comment before it is marked NEEDS_HUMAN_REVIEW (default 3)
    disputeRetryMinutes: 60    # minutes before a disputed comment is tried again (default 60)
    maxRebases: 5              # times a change is redone after you edited its section meanwhile (default 5)
    deep: false                # ask in deep mode (default false)
    contextBudgetChars: 30000  # characters of the document an incorporation prompt carries (default 30000)
    checkRewrites: 1           # times new text the check sent back goes to its writer again before it goes in marked needs_work (default 1)
    # steer the writing in state/documenter/guidance.md (included in every Documenter prompt);
    # override a prompt with state/documenter/prompts/<name>.md
  researcher:                  # outside sources -> verified findings -> proposed seeds (state/researcher/)
    enabled: true              # (default true)
    autoApprove: false         # proposed seeds become active without \`fano seed approve\` (default false)
    minTrust: 0.6              # trust (0..1) from which a source is mined for findings (default 0.6)
    minRelevance: 0.5          # relevance (0..1) from which a source is mined for findings (default 0.5)
    maxSourceChars: 12000      # characters of a fetched page a prompt carries (default 12000)
    questionsEveryHours: 24    # hours between two rounds of research questions (default 24)
    fetch:                     # page fetching: a budget separate from LLM requests
      perHour: 20              # page fetches per hour (default 20)
      timeoutSeconds: 20       # longest a page fetch may take (default 20)
      maxBytes: 2000000        # largest page fetched, in bytes (default 2000000)
      maxRedirects: 5          # redirects followed per fetch (default 5)
      allowPrivateAddresses: false  # let model-proposed URLs reach loopback, private or link-local addresses (default false)
      retryFailedAfterHours: 24  # hours before a failed fetch is tried again (default 24)
  echo:                        # the spine's demo module: a short conversation about each seed
    enabled: false             # (default false)
    turns: 2                   # LLM exchanges per seed (default 2)

logging:
  level: info                  # debug | info | warn | error, of the run logs in runs/ (default info)
`;
