import { describe, expect, it } from 'vitest';
import { latexProblem, mathSpans } from './latex.js';

describe('math spans and delimiter balance', () => {
  it('finds inline and display spans, skipping code, comments and escaped dollars', () => {
    const text = 'Let $G = \\mathrm{PGL}(3,2)$; then\n\n$$|G| = 168$$\n\nIt costs \\$5. `$not math` and <!-- SECTION id=a $ -->\n```\n$ x\n```\n';
    const r = mathSpans(text);
    expect(r.problem).toBeNull();
    expect(r.spans).toEqual([
      { display: false, tex: 'G = \\mathrm{PGL}(3,2)', line: 1 },
      { display: true, tex: '|G| = 168', line: 3 },
    ]);
  });

  it('a display formula may span lines; an inline one ends with its paragraph', () => {
    expect(latexProblem('$$\na + b\n\n= c\n$$')).toBeNull();
    expect(latexProblem('So $a + b\n\nand then c.')).toMatch(/^line 1: an inline formula opened with \$ is not closed/);
    expect(latexProblem('ok $a$ then\n$$ x = 1 and no end')).toMatch(/^line 2: a display formula opened with \$\$ is never closed/);
  });

  it('an odd dollar, an empty formula and a JSON-eaten backslash are problems', () => {
    expect(latexProblem('The order is $168 and $x$.')).not.toBeNull();
    expect(latexProblem('Empty $$$$ here')).toMatch(/empty formula/);
    expect(latexProblem(JSON.parse('"angle $\\theta$"') as string)).toMatch(/lost its backslash/);
    expect(latexProblem(JSON.parse('"angle $\\\\theta$"') as string)).toBeNull();
  });
});
