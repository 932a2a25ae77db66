/**
 * The in-page half of the locators (src/config/locator-syntax.ts parses them in Node; the page
 * receives the parsed form). Plain JavaScript source, like page-script.ts, so no transpiler helper
 * can leak into page.evaluate. Defines:
 *   qsa(root, css)        querySelectorAll that returns null on invalid CSS
 *   findAll(locator)      every element a parsed locator matches, in document order
 *   first(list)           the matches of the first locator of a list that matches anything
 *   firstIndex(list)      [index of that locator or -1, its matches, invalid-CSS sources]
 *   visible(el)
 * Role and accessible-name rules follow ARIA closely enough for chat composers: explicit `role`
 * wins over the tag's implicit role; the name comes from aria-labelledby, aria-label, a <label>,
 * alt, title, then (for roles named by their content) the text.
 */
export const LOCATOR_ENGINE = String.raw`
  const qsa = (root, s) => { try { return Array.from(root.querySelectorAll(s)); } catch { return null; } };
  const visible = (el) => { if (!el || !el.isConnected) return false; if (typeof el.checkVisibility === 'function') return el.checkVisibility(); return el.getClientRects().length > 0; };
  const norm = (s) => (s || '').replace(/[\u2018\u2019\u02bc]/g, "'").replace(/[\s\u00a0\u200b]+/g, ' ').trim();
  const matchText = (m, raw) => {
    const t = norm(raw);
    if (m.kind === 'exact') return t === norm(m.value);
    if (m.kind === 'sub') return t.toLowerCase().includes(norm(m.value).toLowerCase());
    try { return new RegExp(m.source, m.flags).test(t); } catch { return false; }
  };
  const IMPLICIT = {
    button: 'button,input[type=button],input[type=submit],input[type=reset],input[type=image],summary',
    link: 'a[href],area[href]',
    textbox: 'textarea,input:not([type]),input[type=text],input[type=email],input[type=search],input[type=tel],input[type=url],input[type=password]',
    checkbox: 'input[type=checkbox]', radio: 'input[type=radio]', heading: 'h1,h2,h3,h4,h5,h6',
    dialog: 'dialog', img: 'img[alt]:not([alt=""])', list: 'ul,ol', listitem: 'li', progressbar: 'progress',
    combobox: 'select', option: 'option', article: 'article', form: 'form', navigation: 'nav', main: 'main',
  };
  const NAME_FROM_CONTENT = new Set(['button', 'link', 'menuitem', 'menuitemcheckbox', 'menuitemradio', 'option', 'tab', 'heading', 'checkbox', 'radio', 'switch', 'treeitem', 'cell', 'gridcell', 'tooltip', 'row', 'columnheader', 'rowheader']);
  const SKIP_TAGS = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE']);
  const accName = (el, role) => {
    const by = el.getAttribute('aria-labelledby');
    if (by) { const t = by.split(/\s+/).map((id) => { const r = document.getElementById(id); return r ? r.textContent : ''; }).join(' '); if (norm(t)) return norm(t); }
    const label = el.getAttribute('aria-label'); if (label && norm(label)) return norm(label);
    if (el.labels && el.labels.length) { const t = Array.from(el.labels).map((l) => l.textContent).join(' '); if (norm(t)) return norm(t); }
    const alt = el.getAttribute('alt'); if (alt && norm(alt)) return norm(alt);
    if (NAME_FROM_CONTENT.has(role)) { const t = norm(el.textContent); if (t) return t; }
    const title = el.getAttribute('title'); if (title) return norm(title);
    if (el.tagName === 'INPUT' && (el.type === 'submit' || el.type === 'button')) return norm(el.value);
    return '';
  };
  const stateOf = (el, key) => {
    const aria = (a) => el.getAttribute(a) === 'true';
    if (key === 'checked') return aria('aria-checked') || el.checked === true;
    if (key === 'pressed') return aria('aria-pressed');
    if (key === 'expanded') return aria('aria-expanded');
    if (key === 'selected') return aria('aria-selected') || el.selected === true;
    if (key === 'disabled') return aria('aria-disabled') || el.disabled === true;
    return false;
  };
  const byRole = (root, part) => {
    const css = '[role~="' + part.role + '"]' + (IMPLICIT[part.role] ? ',' + IMPLICIT[part.role] : '');
    const out = [];
    for (const el of qsa(root, css) || []) {
      const explicit = (el.getAttribute('role') || '').trim().split(/\s+/)[0];
      if (explicit && explicit !== part.role) continue;
      if (part.name && !matchText(part.name, accName(el, part.role))) continue;
      let ok = true;
      for (const [k, want] of Object.entries(part.states || {})) if (stateOf(el, k) !== want) { ok = false; break; }
      if (ok) out.push(el);
    }
    return out;
  };
  // The smallest elements whose text matches: descend only into matching subtrees.
  const byText = (root, m) => {
    const out = [];
    const visit = (el) => {
      if (SKIP_TAGS.has(el.tagName) || !matchText(m, el.textContent)) return false;
      let child = false;
      for (const c of el.children) if (visit(c)) child = true;
      if (!child) out.push(el);
      return true;
    };
    const start = root.nodeType === 9 ? root.body : root;
    if (start) { if (root.nodeType === 9) visit(start); else for (const c of start.children) visit(c); }
    return out;
  };
  let invalidCss = [];
  const partMatches = (root, part) => {
    if ('css' in part) { const r = qsa(root, part.css); if (r === null) { invalidCss.push(part.css); return []; } return r; }
    if ('role' in part) return byRole(root, part);
    return byText(root, part.text);
  };
  const findAll = (loc) => {
    let roots = [document];
    for (const part of loc.parts) {
      const next = new Set();
      for (const r of roots) for (const el of partMatches(r, part)) next.add(el);
      roots = Array.from(next);
      if (!roots.length) return [];
    }
    if (loc.parts.length === 1 || roots.length < 2) return roots;
    return roots.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
  };
  const firstIndex = (list) => {
    invalidCss = [];
    for (let i = 0; i < (list || []).length; i++) { const els = findAll(list[i]); if (els.length) return [i, els, invalidCss]; }
    return [-1, [], invalidCss];
  };
  const first = (list) => firstIndex(list)[1];
`;
