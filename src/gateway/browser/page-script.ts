import type { SiteSelectors } from './sites.js';

/**
 * Code that runs inside the page. Kept as JavaScript source (not TS functions) because test and
 * build transpilers may inject helpers into functions passed to page.evaluate, and because the
 * project is compiled without DOM types. One evaluate per sample keeps the per-poll cost at a
 * single round-trip.
 *
 * Selector lists mean "first selector that matches anything"; invalid selectors are skipped (and
 * reported by `probe`), so one bad config entry never breaks the others.
 */

const HELPERS = String.raw`
  const qsa = (root, s) => { try { return Array.from(root.querySelectorAll(s)); } catch { return null; } };
  const first = (list) => { for (const s of list || []) { const els = qsa(document, s); if (els && els.length) return els; } return []; };
  const visible = (el) => { if (!el || !el.isConnected) return false; if (typeof el.checkVisibility === 'function') return el.checkVisibility(); return el.getClientRects().length > 0; };
  const anyVisible = (list) => first(list).some(visible);
  const allOf = (list) => { const out = []; for (const s of list || []) { for (const el of qsa(document, s) || []) out.push(el); } return out; };
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
  const responseInfo = (sel, baseline) => {
    const resp = first(sel.response);
    const last = resp.length ? resp[resp.length - 1] : null;
    let isNew = !!last;
    if (last && baseline !== null) isNew = resp.length > baseline;
    const users = first(sel.userMessage);
    if (last && users.length) {
      const lastUser = users[users.length - 1];
      // The answer must come after the last user message, else it is the previous turn's.
      if (!(lastUser.compareDocumentPosition(last) & Node.DOCUMENT_POSITION_FOLLOWING)) isNew = false;
    }
    return { resp, last, isNew };
  };
  const chromeTexts = (sel, excluded) => {
    const out = [];
    const skip = (el) => excluded.some((x) => x === el || x.contains(el) || el.contains(x));
    for (const el of allOf(sel.chrome)) {
      if (!visible(el) || skip(el)) continue;
      const t = (el.innerText || el.textContent || '').trim();
      if (t) out.push(t.slice(0, 2000));
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
`;

/** What one evaluate of SAMPLE returns. */
export interface RawSample {
  url: string;
  inputPresent: boolean;
  busy: boolean;
  responseCount: number;
  hasNew: boolean;
  text: string;
  stopped: boolean;
  chrome: string[];
  deep: { present: boolean; active: boolean };
  loggedIn: boolean;
}

export interface SampleArgs {
  sel: SiteSelectors;
  /** Response count before our submit (null when harvesting: any last answer after the last user message counts). */
  baseline: number | null;
}

const SAMPLE_FN = String.raw`(args) => {
  ${HELPERS}
  const sel = args.sel;
  const r = responseInfo(sel, args.baseline);
  const input = first(sel.input).find(visible) || null;
  const excluded = [...r.resp, ...first(sel.userMessage)];
  const chrome = chromeTexts(sel, excluded);
  if (!input) { const t = pageText(excluded); if (t) chrome.push(t); }
  const toggle = first(sel.deepMode).find(visible) || null;
  const attrActive = !!toggle && (toggle.getAttribute('aria-pressed') === 'true' || toggle.getAttribute('aria-checked') === 'true' || toggle.checked === true || /(^|\s)(active|selected|is-selected|is-active|checked)(\s|$)/.test(toggle.className || ''));
  const activeSel = (sel.deepModeActive || []).length ? anyVisible(sel.deepModeActive) : false;
  return {
    url: location.href,
    inputPresent: !!input,
    busy: anyVisible(sel.busy),
    responseCount: r.resp.length,
    hasNew: r.isNew,
    text: r.isNew && r.last ? toMarkdown(r.last) : '',
    stopped: anyVisible(sel.stopped),
    chrome,
    deep: { present: !!toggle, active: !!toggle && (attrActive || activeSel) },
    loggedIn: anyVisible(sel.loggedIn),
  };
}`;

export function sampleExpression(args: SampleArgs): string {
  return `(${SAMPLE_FN})(${JSON.stringify(args)})`;
}

/** Reads the composer's current text (value of a textarea/input, else innerText). */
export function readInputExpression(sel: SiteSelectors): string {
  return `((sel) => { ${HELPERS} const el = first(sel.input).find(visible); if (!el) return null; return 'value' in el && typeof el.value === 'string' && el.tagName !== 'DIV' ? el.value : (el.innerText || el.textContent || ''); })(${JSON.stringify(sel)})`;
}

export interface SelectorReport {
  key: string;
  /** The selector of the list that matched, or null. */
  matched: string | null;
  invalid: string[];
}

/** For `fano doctor`: which selector of each list matches (visible or not), and which are invalid CSS. */
export function probeExpression(sel: Partial<SiteSelectors>): string {
  return `((sel) => {
    const out = [];
    for (const [key, list] of Object.entries(sel)) {
      let matched = null; const invalid = [];
      for (const s of list) { try { if (!matched && document.querySelector(s)) matched = s; } catch { invalid.push(s); } }
      out.push({ key, matched, invalid });
    }
    return out;
  })(${JSON.stringify(sel)})`;
}

/** Finds the first visible element of a list and tags it so a Playwright locator can target it. */
export function tagExpression(list: readonly string[], tag: string): string {
  return `((list, tag) => { ${HELPERS} for (const el of document.querySelectorAll('[data-fano-target="' + tag + '"]')) el.removeAttribute('data-fano-target'); const el = first(list).find(visible); if (!el) return false; el.setAttribute('data-fano-target', tag); return true; })(${JSON.stringify(list)}, ${JSON.stringify(tag)})`;
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
export function tagAndFocusInputExpression(list: readonly string[]): string {
  return `(${tagExpression(list, 'input')}) && ${FOCUS_AND_SELECT_INPUT}`;
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
export type ClickTarget = { enabled: boolean; box: { x: number; y: number } | null } | null;

/**
 * One round-trip per look at a button about to be clicked: whether it is enabled and, if so,
 * where its centre is. With `list` the first visible match is tagged first; without, the
 * element tagged earlier is looked at again (the wait for a send button to enable).
 */
export function clickTargetExpression(tag: string, list: readonly string[] | null): string {
  const state = `((${TAGGED_ENABLED(tag)}) ? { enabled: true, box: ${centreOf(tag)} } : { enabled: false, box: null })`;
  return list ? `((${tagExpression(list, tag)}) ? ${state} : null)` : state;
}
