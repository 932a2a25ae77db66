import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { bytesToBinary, planPatchBytes, structureProblems, utf8OfBinary } from '../core/document-sections.js';
import { patchSection } from './document-file.js';
import { cleanupHomes, tmpHome } from './test-fs.js';

/**
 * A person's bytes are sacred (docs/architecture.md, Durability): random documents — random bytes
 * (invalid UTF-8 included) between well-formed sections, random comments, some malformed — times
 * random patches. A patch replaces exactly its section's bytes and copies every other byte; a file
 * whose structure is ambiguous is refused untouched.
 */

afterEach(() => cleanupHomes());

const enc = new TextEncoder();
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** Bytes a person (or a broken editor) might leave: text, newlines, markup fragments, invalid UTF-8. */
const noise = fc
  .array(
    fc.oneof(
      fc.constantFrom('a', ' ', '\n', 'é', '—', '# Heading\n', '<', '>', '-', '!', 'x -> y', '<b>').map((s) => enc.encode(s)),
      fc.constantFrom(0xff, 0xfe, 0xc3, 0x80, 0xe2, 0x00, 0x0d).map((b) => Uint8Array.of(b)),
    ),
    { maxLength: 30 },
  )
  .map((parts) => cat(...parts));

const comment = fc.oneof(
  fc.constantFrom(
    '<!-- COMMENT: make this clearer -->',
    '<!-- RESOLVED 2026-01-01T00:00:00.000Z: "x" — done -->',
    '<!-- PROTECTED -->kept<!-- /PROTECTED -->',
    '<!-- a note -->',
  ),
  // malformed: a comment that is never closed
  fc.constantFrom('<!-- COMMENT: never closed', '<!-- unclosed'),
);

interface Piece {
  id: string;
  marker: 'ok' | 'unclosed' | 'noid';
  body: Uint8Array;
}

const docArb = fc.record({
  preamble: noise,
  sections: fc.array(
    fc.record({
      idn: fc.integer({ min: 1, max: 4 }),
      marker: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'unclosed', 'noid'),
      parts: fc.array(
        fc.oneof(
          noise,
          comment.map((c) => enc.encode(`\n${c}\n`)),
        ),
        { maxLength: 4 },
      ),
    }),
    { maxLength: 4 },
  ),
});

type Doc = { preamble: Uint8Array; sections: Array<{ idn: number; marker: string; parts: Uint8Array[] }> };

function build(d: Doc): { bytes: Uint8Array; ranges: Map<string, [number, number]>; ids: string[] } {
  const chunks: Uint8Array[] = [d.preamble];
  // A marker starts a line: the noise before it ends with a newline.
  const starts: Array<{ id: string; at: number }> = [];
  let at = d.preamble.length;
  const pieces: Piece[] = d.sections.map((s) => ({ id: `s-${s.idn}`, marker: s.marker as Piece['marker'], body: cat(...s.parts) }));
  for (const p of pieces) {
    const head = enc.encode(
      `\n${p.marker === 'noid' ? '<!-- SECTION status: stable -->' : p.marker === 'unclosed' ? `<!-- SECTION id: ${p.id}` : `<!-- SECTION id: ${p.id} status: provisional -->`}\n`,
    );
    chunks.push(head, p.body);
    starts.push({ id: p.id, at: at + 1 });
    at += head.length + p.body.length;
  }
  const bytes = cat(...chunks);
  const ranges = new Map<string, [number, number]>();
  starts.forEach((s, i) => ranges.set(s.id, [s.at, starts[i + 1]?.at ?? bytes.length]));
  return { bytes, ranges, ids: pieces.map((p) => p.id) };
}

const nextText = fc.array(fc.constantFrom('revised ', 'text ', 'ünïcödé ', '∑ ', '\n', '## H\n'), { maxLength: 12 }).map((p) => p.join(''));

const patchArb = fc.record({ target: fc.integer({ min: 1, max: 5 }), useActual: fc.boolean(), body: nextText });

describe('document patches work on bytes', () => {
  test('property: every byte outside the patched section is identical; an ambiguous file is refused untouched', () => {
    let applied = 0;
    let refused = 0;
    fc.assert(
      fc.property(docArb, patchArb, (d, p) => {
        const { bytes, ranges } = build(d);
        const id = `s-${p.target}`;
        const range = ranges.get(id);
        const bin = bytesToBinary(bytes);
        const actual = range ? utf8OfBinary(bin.slice(range[0], range[1])) : null;
        const expectedOld = p.useActual ? actual : range ? 'something else' : null;
        const next = `<!-- SECTION id: ${id} status: provisional -->\n${p.body}\n`;
        const r = planPatchBytes(bytes, id, expectedOld, next);
        if (structureProblems(bin).length > 0) {
          expect(r.result).toBe('malformed');
          expect(eq(r.bytes, bytes)).toBe(true);
          refused++;
          return;
        }
        if (r.result !== 'applied') {
          expect(eq(r.bytes, bytes)).toBe(true);
          return;
        }
        applied++;
        if (range) {
          // Exactly the section's bytes replaced; every other byte copied.
          expect(eq(r.bytes, cat(bytes.subarray(0, range[0]), enc.encode(next), bytes.subarray(range[1])))).toBe(true);
        } else {
          // A new section: the old bytes, then blank-line separation, then the section.
          expect(eq(r.bytes.subarray(0, bytes.length), bytes)).toBe(true);
          const tail = r.bytes.subarray(bytes.length);
          const sep = tail.length - enc.encode(next).length;
          expect(eq(tail.subarray(sep), enc.encode(next))).toBe(true);
          expect([...tail.subarray(0, sep)].every((b) => b === 0x0a)).toBe(true);
        }
      }),
      { numRuns: 3000, seed: 20261202 },
    );
    // The generator reaches both sides of the property.
    expect(applied).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });

  test('on disk: invalid UTF-8 outside the section survives a patch byte for byte', () => {
    const h = tmpHome();
    const file = 'state/documenter/document.md';
    fs.mkdirSync(path.join(h, 'state/documenter'), { recursive: true });
    const before = Buffer.concat([
      Buffer.from('# Notes\n\ncaf'),
      Buffer.from([0xe9, 0xff]),
      Buffer.from('\n<!-- SECTION id: s-a status: provisional -->\n## A\n\nalpha\n\n<!-- SECTION id: s-b -->\nbeta '),
      Buffer.from([0xc3]),
      Buffer.from('\n'),
    ]);
    fs.writeFileSync(path.join(h, file), before);
    const A = '<!-- SECTION id: s-a status: provisional -->\n## A\n\nalpha\n\n';
    const A2 = '<!-- SECTION id: s-a status: provisional -->\n## A\n\nalpha, revised\n\n';
    expect(patchSection(h, file, 's-a', A, A2)).toBe('applied');
    const after = fs.readFileSync(path.join(h, file));
    const at = before.indexOf('<!-- SECTION id: s-a');
    expect(after.subarray(0, at).equals(before.subarray(0, at))).toBe(true);
    const b = before.indexOf('<!-- SECTION id: s-b');
    expect(after.subarray(after.indexOf('<!-- SECTION id: s-b')).equals(before.subarray(b))).toBe(true);
    // The section with invalid bytes is refused: changing it would re-encode them.
    expect(patchSection(h, file, 's-b', 'x', 'y')).toBe('malformed');
  });

  test('an unclosed comment refuses the whole file, every section', () => {
    const h = tmpHome();
    const file = 'state/documenter/document.md';
    fs.mkdirSync(path.join(h, 'state/documenter'), { recursive: true });
    const text = '<!-- SECTION id: s-a -->\n## A\n\n<!-- COMMENT: clearer please\n\n<!-- SECTION id: s-b -->\n## B\n';
    fs.writeFileSync(path.join(h, file), text);
    expect(patchSection(h, file, 's-b', '<!-- SECTION id: s-b -->\n## B\n', '<!-- SECTION id: s-b -->\n## B2\n')).toBe('malformed');
    expect(patchSection(h, file, 's-new', null, '<!-- SECTION id: s-new -->\n')).toBe('malformed');
    expect(fs.readFileSync(path.join(h, file), 'utf8')).toBe(text);
  });
});
