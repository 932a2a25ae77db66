import type { Outcome } from '../../core/types.js';
import { describeFinding, outcomeOf, type ChromeFinding } from './classify.js';
import type { RawSample } from './page-script.js';

/**
 * Is the page ready for a prompt? Pure: one look at the page (and what the chrome says) in, a
 * verdict out. Nothing is typed before it says `ready`: a banner or a sign-in wall ends the request
 * unsent, a guest composer (a site that shows one to signed-out visitors, no signed-in marker
 * after a grace time) is a login wall too.
 */

export interface ReadyContext {
  backend: string;
  /** Reading back an answer (harvest): a conversation with an answer is enough, no composer needed. */
  harvest: boolean;
  deep: boolean;
  /** A conversation is being reopened: its turns should be on the page (until the grace time is over). */
  reopening: boolean;
  threadGraceOver: boolean;
  requireSignedIn: boolean;
  loginUrls: readonly string[];
  /** The signed-in locators, for the message. */
  loggedInSources: readonly string[];
  /** How long the page has been looked at. */
  elapsedMs: number;
  /** When to retry after an overloaded or transient notice (ISO), given the finding. */
  retryAt: (f: ChromeFinding) => string | null;
}

export interface Stop {
  outcome: Outcome;
  detail: string;
  resetAt?: string | null;
  deepOnly?: boolean;
}

/** A composer with no signed-in marker after this long is a guest composer. */
export const SIGNED_IN_GRACE_MS = 5_000;

export function judgeReady(s: RawSample, finding: ChromeFinding | null, c: ReadyContext): 'ready' | 'wait' | Stop {
  // A stale "reconnecting" toast, or a deep-only limit when no deep mode is wanted, is no reason to stop.
  if (finding && finding.kind !== 'reconnecting' && !(finding.kind === 'deepLimited' && !c.deep)) {
    return { outcome: outcomeOf(finding.kind), detail: describeFinding(finding), resetAt: c.retryAt(finding), deepOnly: finding.kind === 'deepLimited' };
  }
  const login = `run \`fano login ${c.backend}\``;
  if (c.loginUrls.some((u) => s.url.includes(u)))
    return { outcome: 'loginRequired', detail: `the site sent the browser to its sign-in page (${s.url}): ${login}` };
  if (s.loggedOut && !s.loggedIn)
    return {
      outcome: 'loginRequired',
      detail: `signed out: the page shows its sign-in buttons (selectors.loggedOut) — a guest composer is never used: ${login}`,
    };
  const present = c.harvest ? s.inputPresent || s.responseCount > 0 : s.inputPresent && (!c.reopening || s.responseCount > 0 || c.threadGraceOver);
  if (!present) return 'wait';
  if (!c.requireSignedIn || s.loggedIn) return 'ready';
  if (c.elapsedMs < SIGNED_IN_GRACE_MS) return 'wait';
  return {
    outcome: 'loginRequired',
    detail: `not signed in: none of selectors.loggedIn is visible (${c.loggedInSources.join(' | ')}), and this site shows its composer to guests: ${login}, or fix the selector if you are signed in`,
  };
}
