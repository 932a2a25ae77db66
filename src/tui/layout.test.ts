import { describe, expect, it } from 'vitest';
import { layout } from './layout.js';

/** Every line the frame has: header, the panes' two headings and rows, footer. */
function used(l: ReturnType<typeof layout>, backends: number, footer: number): number {
  const header = 4 + l.backendLines + (l.backendsHidden > 0 ? 1 : 0);
  expect(l.backendLines + l.backendsHidden).toBe(backends);
  return header + 2 + l.taskRows + l.eventRows + footer;
}

describe('top layout', () => {
  it('never uses more than rows - 1 lines, at any size, with any number of backends, tasks and events', () => {
    for (const rows of [1, 12, 24, 45, 60, 200]) {
      for (const backends of [0, 1, 3, 9, 40]) {
        for (const [tasks, events] of [
          [0, 0],
          [3, 200],
          [500, 2],
          [500, 500],
        ] as const) {
          for (const footer of [1, 2]) {
            const l = layout({ rows, backends, footer, tasks, events });
            expect(l.height).toBe(Math.max(12, rows) - 1);
            expect(used(l, backends, footer), JSON.stringify({ rows, backends, tasks, events, footer, l })).toBeLessThanOrEqual(l.height);
          }
        }
      }
    }
  });

  it('80x24 with three backends: the task list gets most of the panes, both get at least two rows', () => {
    const l = layout({ rows: 24, backends: 3, footer: 1, tasks: 57, events: 40 });
    expect(l).toMatchObject({ height: 23, backendLines: 3, backendsHidden: 0 });
    expect(l.taskRows + l.eventRows).toBe(23 - 7 - 2 - 1);
    expect(l.taskRows).toBeGreaterThan(l.eventRows);
    expect(l.eventRows).toBeGreaterThanOrEqual(2);
  });

  it('a pane with little to show leaves its lines to the other', () => {
    const few = layout({ rows: 45, backends: 3, footer: 1, tasks: 4, events: 300 });
    expect(few.taskRows).toBe(4);
    expect(few.eventRows).toBe(44 - 7 - 2 - 1 - 4);
    const quiet = layout({ rows: 45, backends: 3, footer: 1, tasks: 300, events: 1 });
    expect(quiet.eventRows).toBe(1);
  });

  it('many backends on a small terminal: at most a third of the lines, the rest summarised', () => {
    const l = layout({ rows: 24, backends: 12, footer: 1, tasks: 10, events: 10 });
    expect(l.backendLines).toBe(6);
    expect(l.backendsHidden).toBe(6);
  });
});
