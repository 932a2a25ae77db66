import type { Locator, TextMatcher } from '../../config/locator-syntax.js';
import { LOCATOR_ENGINE } from './locator-engine.js';
import type { SiteSelectors } from './sites.js';

/**
 * Code that runs inside the page. Kept as JavaScript source (not TS functions) because test and
 * build transpilers may inject helpers into functions passed to page.evaluate, and because the
 * project is compiled without DOM types. One evaluate per sample keeps the per-poll cost at a
 * single round-trip. Locators arrive parsed (src/config/locator-syntax.ts).
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

export interface SampleArgs {
  sel: SiteSelectors;
  /** Response count before our submit (null when harvesting: any last answer after the last user message counts). */
  baseline: number | null;
  deepActive: Locator[];
  deepToggle: Locator[];
}

const SAMPLE_FN = String.raw`(args) => {
  ${HELPERS}
  const sel = args.sel;
  const t = turnInfo(sel, args.baseline);
  const input = first(sel.input).find(visible) || null;
  const excluded = [...t.resp, ...t.users];
  const chrome = chromeTexts(sel, excluded);
  if (!input) { const x = pageText(excluded); if (x) chrome.push(x); }
  let deepActive = null;
  if ((args.deepActive || []).length) deepActive = anyVisible(args.deepActive);
  else if ((args.deepToggle || []).length) { const tg = anyOf(args.deepToggle).find(visible); deepActive = tg ? stateOn(tg) : null; }
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
}`;

export function sampleExpression(args: SampleArgs): string {
  return `(${SAMPLE_FN})(${JSON.stringify(args)})`;
}

/** Reads the composer's current text (value of a textarea/input, else innerText). */
export function readInputExpression(sel: SiteSelectors): string {
  return `((sel) => { ${HELPERS} const el = first(sel.input).find(visible); return el ? inputValue(el) : null; })(${JSON.stringify(sel)})`;
}

export interface SelectorReport {
  key: string;
  /** Index of the list entry that matched (visible or not), or -1. */
  index: number;
  /** Whether that entry's match is visible. */
  visible: boolean;
  /** Entries whose CSS the browser rejected. */
  invalid: string[];
}

/** For `fano doctor`: which entry of each list matches, and which are invalid CSS. */
export function probeExpression(lists: Record<string, Locator[]>): string {
  return `((lists) => {
    ${HELPERS}
    const out = [];
    for (const [key, list] of Object.entries(lists)) {
      const bad = new Set();
      let index = -1; let vis = false;
      for (let i = 0; i < list.length; i++) {
        invalidCss = [];
        const els = findAll(list[i]);
        for (const c of invalidCss) bad.add(c);
        if (index < 0 && els.length) { index = i; vis = els.some(visible); }
      }
      out.push({ key, index, visible: vis, invalid: [...bad] });
    }
    return out;
  })(${JSON.stringify(lists)})`;
}

/** Finds the first visible element of a list and tags it so it can be clicked or focused. */
export function tagExpression(list: readonly Locator[], tag: string): string {
  return `((list, tag) => { ${HELPERS} for (const el of document.querySelectorAll('[data-fano-target="' + tag + '"]')) el.removeAttribute('data-fano-target'); const el = anyOf(list).find(visible); if (!el) return false; el.setAttribute('data-fano-target', tag); return true; })(${JSON.stringify(list)}, ${JSON.stringify(tag)})`;
}

/** Focuses the tagged composer and selects its whole content, so insertText replaces it. */
export const FOCUS_AND_SELECT_INPUT = `(() => {
  const el = document.querySelector('[data-fano-target="input"]');
  if (!el) return false;
  el.focus();
  if (typeof el.select === 'function' && el.tagName !== 'DIV') { el.select(); return true; }
  const r = document.createRange(); r.selectNodeContents(el);
  const s = getSelection(); s.removeAllRanges(); s.addRange(r);
  return true;
})()`;

/** Tags the first visible composer of `list` and focuses + selects it: one round-trip before typing. */
export function tagAndFocusInputExpression(list: readonly Locator[]): string {
  return `((${tagExpression(list, 'input')}) && ${FOCUS_AND_SELECT_INPUT})`;
}

export const FOCUS_INPUT = `(() => { const el = document.querySelector('[data-fano-target="input"]'); if (el) el.focus(); return !!el; })()`;

/** Scrolls a tagged element into view and returns its centre in viewport coordinates. */
export function centreOf(tag: string): string {
  return `((tag) => {
    const el = document.querySelector('[data-fano-target="' + tag + '"]');
    if (!el) return null;
    el.scrollIntoView({ block: 'center', inline: 'center' });
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return null;
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  })(${JSON.stringify(tag)})`;
}

export function TAGGED_ENABLED(tag: string): string {
  return `((tag) => { const el = document.querySelector('[data-fano-target="' + tag + '"]'); return !!el && !el.disabled && el.getAttribute('aria-disabled') !== 'true'; })(${JSON.stringify(tag)})`;
}

/** What `clickTargetExpression` returns: null when no element of the list is visible. */
export type ClickTarget = { enabled: boolean; on: boolean; box: { x: number; y: number } | null } | null;

/**
 * One round-trip per look at something about to be clicked: whether it is enabled and on
 * (pressed/checked), and where its centre is. With `list` the first visible match is tagged
 * first; without, the element tagged earlier is looked at again.
 */
export function clickTargetExpression(tag: string, list: readonly Locator[] | null): string {
  const state = `((${TAGGED_ENABLED(tag)}) ? { enabled: true, on: ((t) => { ${HELPERS} return stateOn(document.querySelector('[data-fano-target="' + t + '"]')); })(${JSON.stringify(tag)}), box: ${centreOf(tag)} } : { enabled: false, on: false, box: null })`;
  return list ? `((${tagExpression(list, tag)}) ? ${state} : null)` : `(document.querySelector('[data-fano-target=${JSON.stringify(tag)}]') ? ${state} : null)`;
}

/** The visible menu item (menuitem, menuitemcheckbox, menuitemradio, option) whose name matches, tagged. */
export function tagMenuItemExpression(item: TextMatcher, tag: string): string {
  return `((item, tag) => {
    ${HELPERS}
    for (const el of document.querySelectorAll('[data-fano-target="' + tag + '"]')) el.removeAttribute('data-fano-target');
    for (const role of ['menuitem', 'menuitemcheckbox', 'menuitemradio', 'option']) {
      for (const el of byRole(document, { role })) {
        if (visible(el) && matchText(item, accName(el, role))) { el.setAttribute('data-fano-target', tag); return true; }
      }
    }
    return false;
  })(${JSON.stringify(item)}, ${JSON.stringify(tag)})`;
}
