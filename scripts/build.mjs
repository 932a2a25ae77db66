// Bundles the CLI into dist/ with esbuild. One bundle instead of hundreds of node_modules files
// is what keeps an idle per-minute `fano tick` near bare-node start-up time; heavy, rarely used
// dependencies stay external and are only imported by the commands that need them.
import { build } from 'esbuild';
import { readdirSync, rmSync, statSync } from 'node:fs';

const external = ['playwright-core', 'ink', 'react', 'react/jsx-runtime', 'ink-testing-library', 'yoga-layout'];

// dist/ is not emptied first: a fano process (a test, a timer) may be loading chunks right now,
// and chunk names carry a content hash, so files from older builds are merely unused. Chunks
// not rewritten for an hour are swept.
await build({
  entryPoints: { 'cli/main': 'src/cli/main.ts', ...(process.argv.includes('--cli-only') ? {} : { bench: 'scripts/bench.ts' }) },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Less to parse at every start-up of a per-minute process; the source map keeps stack traces readable.
  minify: true,
  keepNames: true,
  external,
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies bundled into ESM still use require(), __filename and __dirname.
  banner: {
    js: [
      "import { createRequire as __fanoCreateRequire } from 'node:module';",
      "import { fileURLToPath as __fanoFileURLToPath } from 'node:url';",
      'const require = __fanoCreateRequire(import.meta.url);',
      'const __filename = __fanoFileURLToPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join(' '),
  },
  logLevel: 'warning',
});
const HOUR_MS = 3_600_000;
for (const f of readdirSync('dist/chunks')) {
  const p = `dist/chunks/${f}`;
  if (Date.now() - statSync(p).mtimeMs > HOUR_MS) rmSync(p, { force: true });
}
