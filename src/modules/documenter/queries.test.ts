import { expect, test } from 'vitest';
import { applyEvents } from '../../core/reducer.js';
import { emptyState } from '../../core/types.js';
import { documentCounts, documentedInsightIds } from './queries.js';

const patch = (id: string, status: string, insightIds: string[]) => ({
  type: 'module.put' as const,
  module: 'documenter',
  collection: 'patches',
  id,
  doc: { status, insightIds },
});

test('documented insights: section markers plus pending or applied changes, not conflicted ones', () => {
  const state = applyEvents(emptyState(), [patch('p-1', 'applied', ['i-a']), patch('p-2', 'pending', ['i-b']), patch('p-3', 'conflict', ['i-c'])]);
  const doc = '<!-- SECTION id: s-x insights: [i-d, i-a] -->\n## X\n';
  expect([...documentedInsightIds(state, doc)].sort()).toEqual(['i-a', 'i-b', 'i-d']);
  expect([...documentedInsightIds(emptyState(), null)]).toEqual([]);
});

test('document counts', () => {
  const doc = '<!-- SECTION id: s-x -->\n<!-- COMMENT: a -->\n<!-- NEEDS_HUMAN_REVIEW: b -->\n<!-- SECTION -->\n';
  expect(documentCounts(doc)).toEqual({ sections: 1, openComments: 1, malformed: 1 });
});
