import { z } from 'zod';
import { locatorProblem } from './locator-syntax.js';

/**
 * The schema of a site adapter file (`sites/<name>.yaml` shipped with fano, or
 * `<home>/sites/<name>.yaml`): everything fano knows about driving one chat site, as data, so a
 * site redesign is a file edit, not a release. The same locator and pattern lists may also be
 * set per backend in fano.config.yaml (`selectors:`, `patterns:`), where they replace the
 * adapter's list of the same key.
 */

/** A locator, or a list meaning "the first that matches anything". Syntax: src/config/locator-syntax.ts. */
export const locatorList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).superRefine((v, ctx) => {
  const list = Array.isArray(v) ? v : [v];
  list.forEach((source, i) => {
    const problem = locatorProblem(source);
    if (problem) ctx.addIssue({ code: 'custom', message: `invalid locator: ${problem}`, path: Array.isArray(v) ? [i] : [] });
  });
});

/** Case-insensitive substrings, or `/regex/flags`, matched against page text. */
export const patternList = z.array(z.string().min(1)).superRefine((list, ctx) => {
  list.forEach((p, i) => {
    const m = /^\/(.+)\/([a-z]*)$/s.exec(p);
    if (!m) return;
    try {
      new RegExp(m[1] ?? '', (m[2] ?? '').replace(/[gy]/g, ''));
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `invalid regex: ${(e as Error).message}`, path: [i] });
    }
  });
});

const regexLiteral = z
  .string()
  .regex(/^\/.+\/[a-z]*$/s, 'a /regex/ literal, e.g. "/\\/c\\/[\\w-]+/"')
  .superRefine((v, ctx) => {
    const m = /^\/(.+)\/([a-z]*)$/s.exec(v);
    try {
      new RegExp(m?.[1] ?? '', m?.[2] ?? '');
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `invalid regex: ${(e as Error).message}` });
    }
  });

export const SELECTOR_KEYS = [
  'input',
  'send',
  'busy',
  'response',
  'done',
  'thinking',
  'userMessage',
  'loggedIn',
  'loggedOut',
  'stopped',
  'newChat',
  'chrome',
  'deepMode',
  'deepModeActive',
] as const;
export type SelectorKey = (typeof SELECTOR_KEYS)[number];

export const SELECTOR_DOCS: Record<SelectorKey, string> = {
  input: 'where the prompt is typed',
  send: 'clicked to submit (Enter if absent)',
  busy: 'any visible match means the answer is still being generated (scope it: not a read-aloud "stop")',
  response: 'the answers; the LAST match is the one being read',
  done: 'the finished-turn marker (copy / feedback buttons) of the last answer: positive proof it is complete',
  thinking: 'shown while the model thinks or searches (shimmer, "Thinking…" label): never done while visible',
  userMessage: "the user's own messages (tells a new answer from the previous turn's)",
  loggedIn: 'visible only when signed in',
  loggedOut: 'visible only when signed out (e.g. "Log in" buttons beside a guest composer)',
  stopped: 'marker of an answer that stopped mid-stream ("Continue generating")',
  newChat: 'starts a new conversation (optional)',
  chrome: 'site chrome (banners, toasts) the patterns are matched in; answers and user messages never are',
  deepMode: 'a single toggle for deep mode (shorthand for a deep recipe that clicks it)',
  deepModeActive: 'visible when deep mode is on (with deepMode)',
};

export const PATTERN_KEYS = [
  'rateLimited',
  'deepLimited',
  'loginRequired',
  'challenge',
  'accountBlocked',
  'overloaded',
  'transient',
  'reconnecting',
  'error',
  'stillWorking',
] as const;
export type PatternKey = (typeof PATTERN_KEYS)[number];

export const PATTERN_DOCS: Record<PatternKey, string> = {
  rateLimited: 'a usage limit; the text may carry a reset time ("until 2:56 PM", "in 3 hours")',
  deepLimited: 'a limit of deep mode only ("your limit for chats with Deep Think until …")',
  loginRequired: 'the site wants a sign-in',
  challenge: 'a captcha or browser check',
  accountBlocked: 'the site locked the account ("suspicious activity detected"): a person must act',
  overloaded: 'the site is busy ("a lot of people are using …"): retry later; also matched in a short answer',
  transient: 'retry in a minute ("only one message at a time")',
  reconnecting: 'the stream was lost ("network connection lost"): reload the conversation and keep waiting',
  error: 'a site error ("something went wrong")',
  stillWorking: 'placeholder answer text ("I\'m on it…"): the real answer is still to come (matched in a short answer)',
};

const selectorsShape = Object.fromEntries(SELECTOR_KEYS.map((k) => [k, locatorList.optional().describe(SELECTOR_DOCS[k])])) as Record<
  SelectorKey,
  z.ZodOptional<typeof locatorList>
>;
const patternsShape = Object.fromEntries(PATTERN_KEYS.map((k) => [k, patternList.optional().describe(PATTERN_DOCS[k])])) as Record<
  PatternKey,
  z.ZodOptional<typeof patternList>
>;

export const selectorsSchema = z.strictObject(selectorsShape);
export const patternsSchema = z.strictObject(patternsShape);

const ACTIONS = ['click', 'choose', 'ensure', 'confirm', 'press', 'waitFor'] as const;

/** One step of a deep-mode recipe. Exactly one action key. */
export const recipeStepSchema = z
  .strictObject({
    click: locatorList.optional().describe('click the first visible match'),
    choose: z.string().min(1).optional().describe('click the open menu item whose name contains this text (or matches /regex/)'),
    ensure: locatorList.optional().describe('a switch/checkbox/toggle brought to `state` (clicked only when it is not)'),
    state: z.enum(['on', 'off']).optional().describe('with ensure'),
    confirm: locatorList.optional().describe('click a confirmation button if one shows up (optional by default)'),
    press: z.string().min(1).optional().describe('a key, e.g. Escape'),
    waitFor: locatorList.optional().describe('wait until a match is visible'),
    optional: z.boolean().optional().describe('a step whose target does not show up is skipped instead of failing'),
    timeoutMs: z.number().int().positive().optional().describe('how long to wait for the target (default 3000; confirm 1500)'),
  })
  .superRefine((s, ctx) => {
    const actions = ACTIONS.filter((a) => s[a] !== undefined);
    if (actions.length !== 1)
      ctx.addIssue({ code: 'custom', message: `a step has exactly one of ${ACTIONS.join(', ')}${actions.length ? ` (got ${actions.join(' and ')})` : ''}` });
    if ((s.ensure === undefined) !== (s.state === undefined))
      ctx.addIssue({ code: 'custom', message: 'ensure and state go together: `- ensure: <locator>` with `state: on|off`' });
    if (s.choose !== undefined && /^\/(.+)\/([a-z]*)$/s.test(s.choose)) {
      const m = /^\/(.+)\/([a-z]*)$/s.exec(s.choose);
      try {
        new RegExp(m?.[1] ?? '', m?.[2] ?? '');
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `invalid regex: ${(e as Error).message}`, path: ['choose'] });
      }
    }
  });
export type RecipeStep = z.infer<typeof recipeStepSchema>;

export const deepRecipeSchema = z.strictObject({
  active: locatorList.optional().describe('visible while deep mode is on; without it fano remembers what it set'),
  on: z.array(recipeStepSchema).min(1).describe('steps that turn deep mode on'),
  off: z.array(recipeStepSchema).min(1).optional().describe('steps that turn it off again (a normal request after a deep one)'),
});

export const settleSchema = z.strictObject({
  quietMs: z.number().int().min(1000).optional().describe('a site without a done marker: busy gone and text unchanged this long = finished (at least 1000)'),
  deepQuietMs: z.number().int().min(1000).optional().describe('the same in deep mode'),
  donePolls: z.number().int().min(2).max(50).optional().describe('with a done marker: consecutive polls of unchanged text it must hold'),
  fallbackMs: z
    .number()
    .int()
    .min(5000)
    .optional()
    .describe('a site WITH a done marker that never shows: accept the answer after this long quiet (and log it)'),
  deepFallbackMs: z.number().int().min(5000).optional(),
  hydrateMs: z.number().int().nonnegative().optional().describe('a reopened conversation: its turns must hold still this long before typing'),
  submitEvidenceMs: z.number().int().min(500).optional().describe('no sign of the submit within this long and the prompt still in the composer = not sent'),
});

export const siteAdapterSchema = z.strictObject({
  version: z.number().int().positive().describe('bumped with every change of this file'),
  verifiedAt: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD')
    .describe('when these selectors were last checked against the real site'),
  source: z.string().min(1).describe('where the facts come from (projects, commits, issue threads)'),
  extends: z.string().min(1).optional().describe('start from this adapter and change only what is given here'),
  url: z.string().url().describe('start page of a new conversation'),
  conversationUrl: regexLiteral.nullable().optional().describe('matches the URL of a conversation (null: the URL never names one)'),
  transientUrl: regexLiteral.nullable().optional().describe('a URL the site shows briefly after a submit that is NOT the conversation (never recorded)'),
  auth: z
    .strictObject({
      requireSignedIn: z.boolean().optional().describe('send only when selectors.loggedIn is visible (the site shows its composer to guests)'),
      loginUrls: z.array(z.string().min(1)).optional().describe('substrings of sign-in page URLs'),
    })
    .optional(),
  selectors: selectorsSchema.optional(),
  patterns: patternsSchema.optional(),
  deep: deepRecipeSchema.nullable().optional().describe('how to switch deep mode on and off (null: the site has none)'),
  settle: settleSchema.optional(),
  quotas: z
    .strictObject({
      hourlyLimit: z.number().int().positive().optional().describe('default requests per sliding hour for this site'),
      deepDailyLimit: z.number().int().nonnegative().optional().describe('default deep-mode requests per quota day'),
    })
    .optional(),
  retry: z
    .strictObject({
      overloadedMinutes: z.number().positive().optional().describe('wait after an overloaded answer'),
      transientMinutes: z.number().positive().optional().describe('wait after a transient refusal'),
    })
    .optional(),
  maxPromptChars: z.number().int().positive().optional().describe('longer prompts are refused before typing (composers truncate silently)'),
});

export type SiteAdapterFile = z.infer<typeof siteAdapterSchema>;
/** A file that extends another: everything optional, checked again after the merge. */
export const partialSiteAdapterSchema = siteAdapterSchema.partial();
