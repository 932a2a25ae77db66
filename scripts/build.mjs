// Bundles the CLI into dist/ with esbuild. One bundle instead of hundreds of node_modules files
// is what keeps an idle per-minute `fano tick` near bare-node start-up time; heavy, rarely used
// dependencies stay external and are only imported by the commands that need them.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const external = ['playwright-core', 'ink', 'react', 'react/jsx-runtime', 'ink-testing-library', 'yoga-layout'];

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { 'cli/main': 'src/cli/main.ts', ...(process.argv.includes('--cli-only') ? {} : { bench: 'scripts/bench.ts' }) },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
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
