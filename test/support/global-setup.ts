import { execFileSync } from 'node:child_process';

/** The e2e tests run the built CLI: build it once per test run so they never test a stale dist/. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs', '--cli-only'], { stdio: 'inherit' });
}
