import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument, STARTER_DOCUMENT, STARTER_GUIDANCE } from '../modules/documenter/document.js';
import { DOCUMENT_PATH, GUIDANCE_PATH } from '../modules/documenter/types.js';
import { SOURCES_PATH } from '../modules/researcher/sources-file.js';
import { SEEDS_PATH } from '../modules/seeds-file.js';
import { createStateFile, editYamlList, writeStateFile, type Fence } from '../store/state-files.js';
import { unitHash } from './scenario.js';

/**
 * The simulated person's side of a home: the files `fano init` makes, then what a person does to
 * them while ticks run (adds seeds, writes comments into the document), through the store's
 * writers like `fano seed add` and an editor's save. The real modules read them from there.
 */

const TOPICS = [
  'the Fano plane',
  'octonion multiplication',
  'Steiner triple systems',
  'the Klein quartic',
  'PSL(2,7)',
  'Hamming codes',
  'projective planes of order 4',
  'Latin squares',
  'difference sets',
  'blocking sets',
  'ovals and hyperovals',
  'Desargues configurations',
  'finite geometries over GF(3)',
  'Moufang loops',
  'the Heawood graph',
  'design theory',
  'quadratic residues mod 7',
  'incidence matrices',
];

/** The text of a seed (distinct per id, so the mock answers differ). */
export function seedText(id: string): string {
  const a = TOPICS[Math.floor(unitHash(`${id}:a`) * TOPICS.length)]!;
  const b = TOPICS[Math.floor(unitHash(`${id}:b`) * TOPICS.length)]!;
  return `How does ${a} relate to ${b} (${id})?`;
}

export interface SimSeed {
  id: string;
  /** 1-10 (the seeds file's scale). */
  priority: number;
}

/** The sources the person starts with (the simulated web answers any url). */
export const SIM_SOURCES = ['https://sim.example/fano-plane', 'https://sim.example/octonions', 'https://sim.example/steiner-systems'];

/** A fresh home as `fano init` leaves it, with the person's first seeds and sources. */
export function initSimHome(home: string, seeds: readonly SimSeed[]): void {
  const seedsYaml = [
    'seeds:',
    '  - id: fano-plane',
    '    type: axiom',
    '    text: The Fano plane is the projective plane of order 2, with 7 points and 7 lines.',
  ];
  createStateFile(join(home, SEEDS_PATH), `${seedsYaml.join('\n')}\n`);
  createStateFile(join(home, DOCUMENT_PATH), STARTER_DOCUMENT);
  createStateFile(join(home, GUIDANCE_PATH), STARTER_GUIDANCE);
  createStateFile(join(home, SOURCES_PATH), `sources:\n${SIM_SOURCES.map((u) => `  - url: ${u}\n`).join('')}`);
  addSeeds(home, () => {}, seeds);
}

/** The person adds seeds to the seeds file (as `fano seed add` does). */
export function addSeeds(home: string, fence: Fence, seeds: readonly SimSeed[]): void {
  if (seeds.length === 0) return;
  // The file only grows (a seed for every thread explored), and parsing and re-printing all of it
  // for every seed added was a fifth of a long run: while it is a plain block list, as fano and
  // this person write it, the new items are appended as text (the same seeds, read back alike).
  const file = join(home, SEEDS_PATH);
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // no seeds file yet: the list editor makes one
  }
  if (text !== null && BLOCK_LIST.test(text)) {
    const items = seeds.map((s) => `  - id: ${s.id}\n    type: question\n    priority: ${s.priority}\n    text: ${JSON.stringify(seedText(s.id))}\n`);
    writeStateFile(fence, file, text + items.join(''));
    return;
  }
  editYamlList(fence, join(home, SEEDS_PATH), 'seeds', 'seeds: []\n', (list, doc) => {
    for (const s of seeds) list.add(doc.createNode({ id: s.id, type: 'question', priority: s.priority, text: seedText(s.id) }));
  });
}

/** `seeds:` and block items only, every line indented, ending in a newline: safe to append to. */
const BLOCK_LIST = /^seeds:\n(?: {2}- [^\n]*\n(?: {4}[^\n]*\n)*)*$/;

/** The text the person writes as comment `id` (unique, so it can be followed until resolved). */
export const commentText = (id: string) => `Please make the argument of this section clearer (${id}).`;

/**
 * The person writes a comment into a section of the document (chosen by the comment's id), at its
 * end. False when the document has no section yet (nothing to comment on).
 */
export function addComment(home: string, fence: Fence, id: string): boolean {
  const file = join(home, DOCUMENT_PATH);
  const text = readFileSync(file, 'utf8');
  const sections = parseDocument(text).sections;
  if (sections.length === 0) return false;
  const section = sections[Math.floor(unitHash(`${id}:section`) * sections.length)]!;
  // At the end of the section, on a line of its own.
  const start = text.indexOf(section.text);
  if (start < 0) return false;
  const at = start + section.text.length;
  const nl = section.text.endsWith('\n') ? '' : '\n';
  writeStateFile(fence, file, `${text.slice(0, at)}${nl}<!-- COMMENT: ${commentText(id)} -->\n${text.slice(at)}`);
  return true;
}

/** Which of `ids` still have their comment open in the document (not yet resolved by fano). */
export function openComments(home: string, ids: Iterable<string>): Set<string> {
  let text = '';
  try {
    text = readFileSync(join(home, DOCUMENT_PATH), 'utf8');
  } catch {
    // no document: nothing is open
  }
  const open = new Set<string>();
  for (const c of parseDocument(text).comments) {
    const m = /\(([^()]+)\)\.$/.exec(c.text.trim());
    if (m && c.kind === 'comment') open.add(m[1]!);
  }
  return new Set([...ids].filter((id) => open.has(id)));
}
