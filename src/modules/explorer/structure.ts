import type { InsightDoc, InsightKind } from './types.js';

/**
 * An insight's mathematical structure as every reader sees it. Insights extracted before the
 * structure existed (plain text, up to two sentences) read as a conjecture whose one claim is
 * the text, with no argument: older state and older insight files stay readable without a
 * migration step, and nothing is claimed for them that their extraction did not say.
 */
export interface InsightStructure {
  statement: string;
  kind: InsightKind;
  argument: string;
  claims: string[];
  dependsOn: string[];
}

export function structureOf(ins: Pick<InsightDoc, 'text' | 'kind' | 'argument' | 'claims' | 'dependsOn'>): InsightStructure {
  const claims = (ins.claims ?? []).filter((c) => c.trim() !== '');
  return {
    statement: ins.text,
    kind: ins.kind ?? 'conjectured',
    argument: ins.argument ?? '',
    claims: claims.length > 0 ? claims : [ins.text],
    dependsOn: ins.dependsOn ?? [],
  };
}
