/**
 * Mathematics in answers and in the document is LaTeX between `$…$` (inline) and `$$…$$`
 * (display), the delimiters KaTeX and most markdown renderers read. A model's answer with a
 * delimiter left open would turn the rest of a section into one garbled formula, so answers are
 * checked here and an unbalanced one gets the repair prompt (strict-answer.ts) instead of being kept.
 */

/** What every prompt says about notation (appended by code, so no template edit can drop it). */
export const NOTATION_RULE = [
  'NOTATION: write all mathematics in LaTeX: inline between single dollars ($x^2 + y^2 = z^2$), displayed',
  'between double dollars ($$\\sum_{i=1}^{n} i = \\tfrac{n(n+1)}{2}$$). Close every delimiter you open; write a',
  'literal dollar sign as \\$. Inside a JSON string, double every backslash ("$\\\\frac{a}{b}$"). Quotations stay verbatim.',
].join('\n');

export interface MathSpan {
  display: boolean;
  /** The TeX between the delimiters. */
  tex: string;
  /** 1-based line of the opening delimiter. */
  line: number;
}

export interface MathScan {
  spans: MathSpan[];
  /** The first unreadable delimiter or formula, said so a model (or a person) can fix it; null when none. */
  problem: string | null;
}

const lineAt = (text: string, i: number): number => {
  let n = 1;
  for (let k = 0; k < i; k++) if (text.charCodeAt(k) === 10) n++;
  return n;
};

/** Control characters a JSON escape makes of a LaTeX command (`\t`heta, `\f`rac, `\b`eta, `\r`ho). */
const EATEN = /[\t\f\b\r\v]/;

/**
 * The math spans of markdown text, skipping code (fenced blocks and `inline code`) and HTML
 * comments (fano's section markers), with `\$` as a literal dollar. Inline math ends in its
 * paragraph: a `$` with no partner before the next blank line is unbalanced.
 */
export function mathSpans(text: string): MathScan {
  const spans: MathSpan[] = [];
  const fail = (i: number, what: string): MathScan => ({ spans, problem: `line ${lineAt(text, i)}: ${what}` });
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      i = end < 0 ? text.length : end + 3;
      continue;
    }
    if (c === '`') {
      const fence = /^`+/.exec(text.slice(i))![0];
      const end = text.indexOf(fence, i + fence.length);
      i = end < 0 ? i + fence.length : end + fence.length;
      continue;
    }
    if (c !== '$') {
      i++;
      continue;
    }
    const display = text[i + 1] === '$';
    const open = display ? 2 : 1;
    let j = i + open;
    let close = -1;
    while (j < text.length) {
      const d = text[j]!;
      if (d === '\\') {
        j += 2;
        continue;
      }
      if (!display && d === '\n' && /^\n[ \t]*\n/.test(text.slice(j))) break;
      if (d === '$') {
        if (display ? text[j + 1] === '$' : text[j + 1] !== '$') {
          close = j;
          break;
        }
        if (!display) break; // `$…$$`: an inline span cannot end in a display delimiter
      }
      j++;
    }
    if (close < 0) {
      return fail(
        i,
        display
          ? 'a display formula opened with $$ is never closed (add the closing $$)'
          : 'an inline formula opened with $ is not closed in its paragraph (close it with $, or write a literal dollar as \\$)',
      );
    }
    const tex = text.slice(i + open, close);
    if (tex.trim() === '') return fail(i, `an empty formula ${display ? '$$$$' : '$$'} (remove it)`);
    if (EATEN.test(tex)) return fail(i, 'a LaTeX command lost its backslash to a JSON escape such as \\t or \\f (in a JSON string write \\\\theta, \\\\frac)');
    spans.push({ display, tex, line: lineAt(text, i) });
    i = close + open;
  }
  return { spans, problem: null };
}

/** The first delimiter problem of `text`, or null when its math is balanced. */
export function latexProblem(text: string): string | null {
  return mathSpans(text).problem;
}
