import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import type { Locator, TextMatcher } from '../../config/locator-syntax.js';
import { LOCATOR_ENGINE } from './locator-engine.js';
import { parseLocators } from '../../config/locator-syntax.js';
import { GENERIC_CHROME, type SiteProfile, type SiteSelectors } from './sites.js';

/**
 * Code that runs inside the page. Kept as JavaScript source (not TS functions) because test and
 * build transpilers may inject helpers into functions passed to page.evaluate, and because the
 * project is compiled without DOM types. It is installed once per document as `window.__fanoV2`
 * (with the site's locators, parsed in Node: src/config/locator-syntax.ts), so a poll is one
 * small evaluate: a round-trip that carries a method name and a few arguments, not the code.
 *
 * "Markers" (busy, thinking, done, stopped, loggedIn, loggedOut, chrome) count when ANY entry of
 * their list has a visible match; "places" (input, send, response, userMessage) use the first
 * entry that matches anything, the later ones being fallbacks for a changed site.
 */

const HELPERS = String.raw`
  ${LOCATOR_ENGINE}
  const anyOf = (list) => { const out = []; for (const l of list || []) for (const el of findAll(l)) if (!out.includes(el)) out.push(el); return out; };
  const anyVisible = (list) => anyOf(list).some(visible);
  const follows = (a, b) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
  const toMarkdown = (root) => {
    const own = root.closest('[data-markdown]') || root.querySelector('[data-markdown]');
    if (own) return own.getAttribute('data-markdown') || '';
    const tex = (el) => { const a = el.querySelector('annotation[encoding="application/x-tex"]'); return a ? a.textContent : null; };
    const walk = (node, ctx) => {
      if (node.nodeType === 3) return ctx.pre ? node.textContent : node.textContent.replace(/\s+/g, ' ');
      if (node.nodeType !== 1) return '';
      const el = node; const tag = el.tagName.toLowerCase();
      if (['script', 'style', 'button', 'svg', 'noscript', 'template'].includes(tag)) return '';
      if (el.getAttribute('aria-hidden') === 'true' && !el.classList.contains('katex-display')) return '';
      if (el.classList.contains('katex-display') || el.classList.contains('katex') || tag === 'math') {
        const t = tex(el) ?? el.getAttribute('alttext') ?? el.textContent;
        const display = el.classList.contains('katex-display') || el.getAttribute('display') === 'block';
        return display ? '\n\n$$' + t + '$$\n\n' : '$' + t + '$';
      }
      if (el.hasAttribute('data-math')) return '$' + el.getAttribute('data-math') + '$';
      const kids = (c) => Array.from(el.childNodes).map((n) => walk(n, c || ctx)).join('');
      switch (tag) {
        case 'br': return '\n';
        case 'pre': { const code = el.querySelector('code'); const lang = ((code && code.className) || '').match(/language-([\w+-]+)/); return '\n\n\x60\x60\x60' + (lang ? lang[1] : '') + '\n' + (code || el).textContent.replace(/\n$/, '') + '\n\x60\x60\x60\n\n'; }
        case 'code': return '\x60' + el.textContent + '\x60';
        case 'strong': case 'b': return '**' + kids() + '**';
        case 'em': case 'i': return '*' + kids() + '*';
        case 'a': { const h = el.getAttribute('href'); const t = kids(); return h && !h.startsWith('#') ? '[' + t + '](' + h + ')' : t; }
        case 'h1': case 'h2': case 'h3': case 'h4': case 'h5': case 'h6': return '\n\n' + '#'.repeat(Number(tag[1])) + ' ' + kids().trim() + '\n\n';
        case 'p': return '\n\n' + kids().trim() + '\n\n';
        case 'li': { const p = el.parentElement; const ordered = p && p.tagName.toLowerCase() === 'ol'; const i = p ? Array.from(p.children).indexOf(el) + 1 : 1; return '\n' + (ordered ? i + '. ' : '- ') + kids().trim(); }
        case 'ul': case 'ol': return '\n' + kids() + '\n\n';
        case 'blockquote': return '\n\n' + kids().trim().split('\n').map((l) => '> ' + l).join('\n') + '\n\n';
        case 'tr': return '\n|' + Array.from(el.children).map((c) => ' ' + walk(c, ctx).trim() + ' |').join('');
        case 'table': { const rows = Array.from(el.querySelectorAll('tr')); if (!rows.length) return ''; const head = rows[0].children.length; return '\n\n' + rows.map((r, i) => walk(r, ctx).trim() + (i === 0 ? '\n|' + ' --- |'.repeat(head) : '')).join('\n') + '\n\n'; }
        case 'hr': return '\n\n---\n\n';
        case 'div': case 'section': case 'article': { const k = kids(); return /^\s*$/.test(k) ? '' : '\n' + k + '\n'; }
        default: return kids();
      }
    };
    const style = root.ownerDocument.defaultView.getComputedStyle(root);
    const pre = style && /pre/.test(style.whiteSpace);
    return walk(root, { pre }).replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
  };
  const turnInfo = (sel, baseline) => {
    const resp = first(sel.response);
    const last = resp.length ? resp[resp.length - 1] : null;
    const users = first(sel.userMessage);
    const lastUser = users.length ? users[users.length - 1] : null;
    let isNew = !!last;
    if (last && baseline !== null) isNew = resp.length > baseline;
    // The answer must come after the last user message, else it is the previous turn's.
    if (last && lastUser && !follows(lastUser, last)) isNew = false;
    return { resp, last, users, lastUser, isNew };
  };
  // A marker of the current turn: after the last user message, and in, around or after the answer.
  const ofThisTurn = (el, t) => (!t.lastUser || follows(t.lastUser, el)) && (!t.last || el === t.last || el.contains(t.last) || t.last.contains(el) || follows(t.last, el));
  const inAnswers = (el, t) => t.resp.some((r) => r.contains(el));
  const turnMarker = (list, t, excludeAnswerText) => {
    for (const l of list || []) {
      const textual = l.parts.some((p) => 'text' in p);
      for (const el of findAll(l)) {
        if (!visible(el) || !ofThisTurn(el, t)) continue;
        if (textual && excludeAnswerText && inAnswers(el, t)) continue;
        return true;
      }
    }
    return false;
  };
  const chromeTexts = (sel, excluded) => {
    const out = [];
    const skip = (el) => excluded.some((x) => x === el || x.contains(el) || el.contains(x));
    for (const el of anyOf(sel.chrome)) {
      if (!visible(el) || skip(el)) continue;
      const t = (el.innerText || el.textContent || '').trim();
      if (t && !out.includes(t.slice(0, 2000))) out.push(t.slice(0, 2000));
    }
    if (document.title) out.push(document.title);
    return out;
  };
  const pageText = (excluded) => {
    // No composer on the page: a wall, a challenge or an error page. Use its text, minus answers.
    if (!document.body) return '';
    const clone = document.body.cloneNode(true);
    const marks = new Set(excluded);
    const walkPair = (a, b) => { const ac = Array.from(a.children); const bc = Array.from(b.children); for (let i = 0; i < ac.length; i++) { if (marks.has(ac[i])) { bc[i].remove(); continue; } walkPair(ac[i], bc[i]); } };
    walkPair(document.body, clone);
    for (const el of clone.querySelectorAll('script,style,noscript,template')) el.remove();
    return (clone.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 5000);
  };
  const inputValue = (el) => ('value' in el && typeof el.value === 'string' && el.tagName !== 'DIV' ? el.value : (el.innerText || el.textContent || ''));
  const stateOn = (el) => !!el && (el.getAttribute('aria-pressed') === 'true' || el.getAttribute('aria-checked') === 'true' || el.checked === true || el.getAttribute('aria-selected') === 'true' || /(^|\s)(active|selected|is-selected|is-active|checked)(\s|$)/.test(el.className && el.className.baseVal === undefined ? el.className : ''));
`;

/** What one evaluate of the sample returns. */
export interface RawSample {
  url: string;
  inputPresent: boolean;
  /** The composer's text, or null when there is no composer. */
  inputText: string | null;
  busy: boolean;
  thinking: boolean;
  /** The finished-turn marker of the current answer is shown. */
  done: boolean;
  responseCount: number;
  userCount: number;
  hasNew: boolean;
  text: string;
  stopped: boolean;
  chrome: string[];
  /** Whether deep mode shows as on: null when the site has no marker to tell. */
  deepActive: boolean | null;
  loggedIn: boolean;
  loggedOut: boolean;
}

/** What the page module is configured with, once per document and site. */
export interface PageConfig {
  sel: SiteSelectors;
  deepActive: Locator[];
  deepToggle: Locator[];
}

const MODULE = String.raw`(() => {
  ${HELPERS}
  const configs = {};
  const untag = (tag) => { for (const e of document.querySelectorAll('[data-fano-target="' + tag + '"]')) e.removeAttribute('data-fano-target'); };
  const tagged = (tag) => document.querySelector('[data-fano-target="' + tag + '"]');
  const tagFirst = (list, tag) => { untag(tag); const e = anyOf(list).find(visible); if (!e) return false; e.setAttribute('data-fano-target', tag); return true; };
  const centre = (e) => { e.scrollIntoView({ block: 'center', inline: 'center' }); const r = e.getBoundingClientRect(); return r.width === 0 || r.height === 0 ? null : { x: r.left + r.width / 2, y: r.top + r.height / 2 }; };
  const target = (tag) => { const e = tagged(tag); if (!e) return null; const enabled = !e.disabled && e.getAttribute('aria-disabled') !== 'true'; return { enabled, on: stateOn(e), box: enabled ? centre(e) : null }; };
  return {
    configure(key, cfg) { configs[key] = cfg; return true; },
    has(key) { return !!configs[key]; },
    sample(key, baseline) {
      const c = configs[key]; const sel = c.sel;
      const t = turnInfo(sel, baseline);
      const input = first(sel.input).find(visible) || null;
      const excluded = [...t.resp, ...t.users];
      const chrome = chromeTexts(sel, excluded);
      if (!input) { const x = pageText(excluded); if (x) chrome.push(x); }
      let deepActive = null;
      if ((c.deepActive || []).length) deepActive = anyVisible(c.deepActive);
      else if ((c.deepToggle || []).length) { const tg = anyOf(c.deepToggle).find(visible); deepActive = tg ? stateOn(tg) : null; }
      return {
        url: location.href,
        inputPresent: !!input,
        inputText: input ? inputValue(input) : null,
        busy: anyVisible(sel.busy),
        thinking: turnMarker(sel.thinking, t, true),
        done: t.isNew && turnMarker(sel.done, t, false),
        responseCount: t.resp.length,
        userCount: t.users.length,
        hasNew: t.isNew,
        text: t.isNew && t.last ? toMarkdown(t.last) : '',
        stopped: t.isNew && turnMarker(sel.stopped, t, false),
        chrome,
        deepActive,
        loggedIn: anyVisible(sel.loggedIn),
        loggedOut: anyVisible(sel.loggedOut),
      };
    },
    // Tags the first visible composer and focuses + selects its whole content (insertText then replaces it).
    focusInput(key) {
      if (!tagFirst(configs[key].sel.input, 'input')) return false;
      const e = tagged('input'); e.focus();
      if (typeof e.select === 'function' && e.tagName !== 'DIV') { e.select(); return true; }
      const r = document.createRange(); r.selectNodeContents(e); const s = getSelection(); s.removeAllRanges(); s.addRange(r);
      return true;
    },
    // After typing, in one look: the page (the baseline of the submit) and the send button, tagged.
    afterTyping(key, baseline) {
      const sel = configs[key].sel;
      const send = sel.send.length && tagFirst(sel.send, 'send') ? target('send') : null;
      return { sample: this.sample(key, baseline), send };
    },
    focusTagged(tag) { const e = tagged(tag); if (e) e.focus(); return !!e; },
    // A list to tag anew, or null to look at the element tagged before.
    clickTarget(tag, list) { if (list && !tagFirst(list, tag)) return null; return target(tag); },
    tagMenuItem(item, tag) {
      untag(tag);
      for (const role of ['menuitem', 'menuitemcheckbox', 'menuitemradio', 'option']) {
        for (const e of byRole(document, { role })) if (visible(e) && matchText(item, accName(e, role))) { e.setAttribute('data-fano-target', tag); return true; }
      }
      return false;
    },
    probe(lists) {
      const out = [];
      for (const [key, list] of Object.entries(lists)) {
        const bad = new Set(); let index = -1; let vis = false;
        for (let i = 0; i < list.length; i++) {
          invalidCss = [];
          const els = findAll(list[i]);
          for (const c of invalidCss) bad.add(c);
          if (index < 0 && els.length) { index = i; vis = els.some(visible); }
        }
        out.push({ key, index, visible: vis, invalid: [...bad] });
      }
      return out;
    },
  };
})()`;

/** What the page module works with for a site: its locators, generic chrome included, and deep-mode markers. */
export function pageConfig(site: SiteProfile): PageConfig {
  return {
    sel: { ...site.selectors, chrome: [...parseLocators(GENERIC_CHROME), ...site.selectors.chrome] },
    deepActive: site.deep?.active ?? [],
    deepToggle: site.deep?.toggle ?? [],
  };
}

const MISSING = '__fano_missing__';

export interface SelectorReport {
  key: string;
  /** Index of the list entry that matched (visible or not), or -1. */
  index: number;
  /** Whether that entry's match is visible. */
  visible: boolean;
  /** Entries whose CSS the browser rejected. */
  invalid: string[];
}

/** What a look at something about to be clicked returns: null when no element of the list is visible. */
export type ClickTarget = { enabled: boolean; on: boolean; box: { x: number; y: number } | null } | null;

/**
 * The page module of one page, for one site configuration. Every call is one evaluate; the first
 * call in a document (or after a navigation) installs the module and the configuration first.
 */
export class PageScript {
  private readonly key: string;
  private readonly configJson: string;

  constructor(
    private readonly page: Page,
    config: PageConfig,
  ) {
    this.configJson = JSON.stringify(config);
    this.key = createHash('sha256').update(this.configJson).digest('hex').slice(0, 12);
  }

  private async call<T>(method: string, args: unknown[]): Promise<T> {
    const a = JSON.stringify(args);
    const k = JSON.stringify(this.key);
    const quick = await this.page.evaluate(
      `(() => { const F = window.__fanoV2; if (!F || !F.has(${k})) return ${JSON.stringify(MISSING)}; return F.${method}(...${a}); })()`,
    );
    if (quick !== MISSING) return quick as T;
    return await this.page.evaluate(
      `(() => { const F = window.__fanoV2 || (window.__fanoV2 = ${MODULE}); F.configure(${k}, ${this.configJson}); return F.${method}(...${a}); })()`,
    );
  }

  /** Installs the module and configuration in the current document ahead of use (a spare tab while it waits). */
  async warm(): Promise<void> {
    await this.call('has', [this.key]);
  }

  /** Everything a poll looks at. `baseline`: the response count before our submit (null: any answer after the last user message). */
  sample(baseline: number | null): Promise<RawSample> {
    return this.call('sample', [this.key, baseline]);
  }

  focusInput(): Promise<boolean> {
    return this.call('focusInput', [this.key]);
  }

  afterTyping(baseline: number | null): Promise<{ sample: RawSample; send: ClickTarget }> {
    return this.call('afterTyping', [this.key, baseline]);
  }

  focusTagged(tag: string): Promise<boolean> {
    return this.call('focusTagged', [tag]);
  }

  clickTarget(tag: string, list: readonly Locator[] | null): Promise<ClickTarget> {
    return this.call('clickTarget', [tag, list]);
  }

  tagMenuItem(item: TextMatcher, tag: string): Promise<boolean> {
    return this.call('tagMenuItem', [item, tag]);
  }

  /** For `fano doctor`: which entry of each list matches, and which are invalid CSS. */
  probe(lists: Record<string, Locator[]>): Promise<SelectorReport[]> {
    return this.call('probe', [lists]);
  }
}
