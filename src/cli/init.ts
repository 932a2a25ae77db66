import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { INIT_CONFIG_TEXT } from '../config/init-template.js';
import { STARTER_DOCUMENT, STARTER_GUIDANCE } from '../modules/documenter/document.js';
import { DOCUMENT_PATH, GUIDANCE_PATH } from '../modules/documenter/types.js';
import { SEEDS_PATH } from '../modules/seeds-file.js';
import { createStateFile, ensureDirDurable } from '../store/state-files.js';
import { STATE_GITIGNORE } from '../store/store.js';

export const SAMPLE_SEEDS = `# Seeds of the Explorer: what fano should think about.
#   type: axiom (context only, never explored) | conjecture | question
#   priority: 1-10 or high | medium | low
# Add more with \`fano seed add "<text>"\` or by editing this file.
seeds:
  - id: fano-plane
    type: axiom
    text: The Fano plane is the projective plane of order 2, with 7 points and 7 lines.
    tags: [geometry]
  - id: fano-automorphisms
    type: question
    priority: high
    text: Why is the automorphism group of the Fano plane of order 168, and what does it act on?
    tags: [geometry, groups]
  - id: fano-octonions
    type: conjecture
    priority: medium
    text: The multiplication table of the octonions is encoded by the lines of the Fano plane.
    tags: [algebra]
`;

export async function runInit(opts: { home: string; out: (s: string) => void }): Promise<number> {
  const { home, out } = opts;
  // Durable like every write under state/: created only where absent, fsynced, folders too.
  ensureDirDurable(join(home, 'state', 'explorer'));
  ensureDirDurable(join(home, 'state', 'documenter'));
  await mkdir(join(home, 'runs'), { recursive: true });
  const files: Array<[string, string]> = [
    ['fano.config.yaml', INIT_CONFIG_TEXT],
    [join('state', '.gitignore'), STATE_GITIGNORE],
    [SEEDS_PATH, SAMPLE_SEEDS],
    [DOCUMENT_PATH, STARTER_DOCUMENT],
    [GUIDANCE_PATH, STARTER_GUIDANCE],
    ['.gitignore', 'runs/\nnode_modules/\n'],
  ];
  const lines: string[] = [];
  for (const [rel, text] of files) {
    const made = createStateFile(join(home, rel), text);
    lines.push(`  ${made ? 'created' : 'kept   '} ${rel}`);
  }
  out(`fano home at ${relative(process.cwd(), home) || '.'}:\n${lines.join('\n')}`);
  out(`Next: fano tick${home === process.cwd() ? '' : ` --home ${home}`}   (then \`fano status\`; put it on a timer with \`fano schedule\`)`);
  return 0;
}
