import { describe, expect, it } from 'vitest';
import { initialViewState, reduceKey, type KeyInfo, type ViewState } from './view-state.js';

const KEYS = ['a', 'b', 'c'];
function press(s: ViewState, input: string, key: KeyInfo = {}, readOnly = false) {
  return reduceKey(s, input, key, KEYS, readOnly);
}

describe('dashboard keys', () => {
  it('moves the selection within bounds and opens details only on a visible row', () => {
    let s: ViewState = { ...initialViewState(), selected: 'a' };
    s = press(s, '', { downArrow: true }).state;
    s = press(s, 'j').state;
    s = press(s, 'j').state;
    expect(s.selected).toBe('c');
    s = press(s, 'k').state;
    expect(s.selected).toBe('b');
    expect(press(s, '', { return: true }).state.view).toBe('details');
    expect(press({ ...s, selected: 'gone' }, '', { return: true }).state.view).toBe('list');
  });

  it('cycles sort and state filter; esc clears filters', () => {
    let s = initialViewState();
    const sorts = [s.sort];
    for (let i = 0; i < 3; i++) sorts.push((s = press(s, 's').state).sort);
    expect(sorts).toEqual(['priority', 'age', 'key', 'priority']);
    s = press(press(s, 'f').state, 'f').state;
    expect(s.stateFilter).toBe('running');
    s = press(s, '', { escape: true }).state;
    expect(s.stateFilter).toBeNull();
  });

  it('p asks for a pause toggle unless read-only; q quits, but not while typing a filter', () => {
    expect(press(initialViewState(), 'p').effect).toBe('togglePause');
    const ro = press(initialViewState(), 'p', {}, true);
    expect(ro.effect).toBeNull();
    expect(ro.state.message).toMatch(/read-only/);
    expect(press(initialViewState(), 'q').effect).toBe('quit');
    const typing = press(initialViewState(), '/').state;
    const r = press(typing, 'q');
    expect(r.effect).toBeNull();
    expect(r.state.text).toBe('q');
    expect(press(r.state, '', { backspace: true }).state.text).toBe('');
  });

  it('tab moves the arrows to the events pane, which scrolls within its length; g/G and home/end jump', () => {
    let s: ViewState = { ...initialViewState(), selected: 'a' };
    s = press(s, '', { tab: true }).state;
    expect(s.focus).toBe('events');
    const scroll = (st: ViewState, input: string, key: KeyInfo = {}) => reduceKey(st, input, key, KEYS, false, { events: 30, page: 8 }).state;
    s = scroll(s, 'j');
    expect(s.eventOffset).toBe(1);
    expect(s.selected).toBe('a'); // the task selection stays
    s = scroll(s, '', { pageDown: true });
    expect(s.eventOffset).toBe(9);
    s = scroll(s, 'G');
    expect(s.eventOffset).toBe(29);
    s = scroll(s, '', { downArrow: true });
    expect(s.eventOffset).toBe(29);
    s = scroll(s, '', { home: true });
    expect(s.eventOffset).toBe(0);
    s = scroll(s, 'k');
    expect(s.eventOffset).toBe(0);
    s = press(s, '', { tab: true }).state;
    expect(s.focus).toBe('tasks');
    expect(press(s, 'G').state.selected).toBe('c');
    expect(press({ ...s, selected: 'c' }, '', { home: true }).state.selected).toBe('a');
  });
});
