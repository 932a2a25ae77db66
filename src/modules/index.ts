import type { FanoConfig } from '../config/schema.js';
import { echoModule } from './echo/echo-module.js';
import type { Module } from './module.js';

/** The modules enabled in config, in a stable order, with their option sections. */
export function enabledModules(config: FanoConfig): Array<{ module: Module; options: Record<string, unknown> }> {
  const out: Array<{ module: Module; options: Record<string, unknown> }> = [];
  if (config.modules.echo.enabled) out.push({ module: echoModule, options: config.modules.echo });
  return out;
}
