import type { FanoConfig } from '../config/schema.js';
import type { ProjectionSpec } from '../core/projection-spec.js';
import { quotaOptions } from '../config/core-options.js';
import { consultationModule, consultationOptions } from './consultation/index.js';
import { documenterMockAnswer, documenterModule } from './documenter/index.js';
import { echoModule } from './echo/index.js';
import { explorerMockAnswer, explorerModule } from './explorer/index.js';
import type { Module } from './module.js';
import { researcherMockAnswer, researcherModule } from './researcher/index.js';

/** The modules enabled in config, in a stable order, with their option sections. */
export function enabledModules(config: FanoConfig): Array<{ module: Module; options: Record<string, unknown> }> {
  const out: Array<{ module: Module; options: Record<string, unknown> }> = [];
  if (config.modules.echo.enabled) out.push({ module: echoModule, options: config.modules.echo });
  if (config.modules.explorer.enabled) {
    // The Explorer picks backends itself (alternating exchanges, review panels): it gets the
    // enabled backends and their quota options next to its own config keys.
    const backends = Object.fromEntries(
      Object.entries(config.backends)
        .filter(([, b]) => b.enabled)
        .map(([name, b]) => [name, quotaOptions(config, b)]),
    );
    out.push({ module: explorerModule, options: { ...config.modules.explorer, backends } });
  }
  if (config.modules.documenter.enabled) {
    // The Documenter reads blessed insights, derived with the Explorer's review options.
    const { secondRound, maxAttempts } = config.modules.explorer;
    out.push({ module: documenterModule, options: { ...config.modules.documenter, explorer: { secondRound, maxAttempts } } });
  }
  if (config.modules.researcher.enabled) out.push({ module: researcherModule, options: config.modules.researcher });
  // The consultation weighs the modules enabled so far; it is last so it sees them all.
  if (config.scheduler.consultation.enabled && out.length > 0) {
    out.push({
      module: consultationModule,
      options: consultationOptions(
        config,
        out.map((m) => m.module.name),
      ),
    });
  }
  return out;
}

/** The file projections of the enabled modules (written by the store after each checkpoint). */
export function moduleProjections(config: FanoConfig): ProjectionSpec[] {
  return enabledModules(config).flatMap(({ module }) => [...(module.projections ?? [])]);
}

/**
 * What a mock backend answers to the modules' strict formats, tried in this order (a prompt names
 * one format, so at most one recognises it). Handed to the gateway by whoever builds the backends.
 */
export const mockResponders: ReadonlyArray<(seed: number, prompt: string, context?: string | null) => string | null> = [
  explorerMockAnswer,
  documenterMockAnswer,
  researcherMockAnswer,
];
