// The workbench's pure page helpers: the URL state (demo/url-state.ts) round-trips every control
// and refuses bad values with a message; the plot labels (demo/plots.ts) are 10ⁿ superscripts and
// round ticks.

import { describe, expect, it } from 'vitest';
import { decadeTicks, niceTicks, pow10Label, tickLabel } from '../../demo/plots.js';
import { DEFAULT_STATE, type WorkbenchState, parseState, stateToSearch } from '../../demo/url-state.js';

describe('workbench URL state', () => {
  it('the defaults make an empty query, and an empty query gives the defaults', () => {
    expect(stateToSearch(DEFAULT_STATE)).toBe('');
    expect(parseState('')).toEqual({ state: DEFAULT_STATE, problems: [] });
  });

  it('every control round-trips through the URL', () => {
    const s: WorkbenchState = {
      problem: 'kovasznay',
      width: 48,
      depth: 3,
      activation: 'sin',
      lr: 0.003,
      points: 512,
      method: 'nested',
      dim: 50,
      samples: 8,
      resample: 100,
      seed: 3,
      backend: 'cpu',
      steps: 500,
      lbfgs: 40,
      autostart: true,
    };
    const q = stateToSearch(s);
    for (const key of Object.keys(s)) expect(q).toContain(`${key}=`);
    expect(parseState(q)).toEqual({ state: s, problems: [] });
  });

  it('bad values keep the default and are reported by name', () => {
    const { state, problems } = parseState('?problem=wave&width=2.5&lr=5&depth=&method=taylor&colour=red');
    expect(state).toEqual({ ...DEFAULT_STATE, method: 'taylor' });
    expect(problems).toEqual([
      'problem=wave: expected one of poisson, heat, allen-cahn, kovasznay, plate, poisson-nd',
      'width=2.5: expected an integer in [2, 256]',
      'depth=: expected an integer in [1, 8]',
      'lr=5: expected a number in [0.00001, 1]',
      'colour: not a workbench parameter',
    ]);
  });

  it('autostart is a flag', () => {
    expect(parseState('?autostart').state.autostart).toBe(true);
    expect(parseState('?autostart=0').state.autostart).toBe(false);
  });
});

describe('workbench plot labels', () => {
  it('powers of ten are written with superscripts', () => {
    expect(pow10Label(-3)).toBe('10⁻³');
    expect(pow10Label(0)).toBe('10⁰');
    expect(pow10Label(12)).toBe('10¹²');
  });

  it('ticks are round numbers inside the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-0.5, 1.5, 4)).toEqual([-0.5, 0, 0.5, 1, 1.5]);
    expect(niceTicks(0, 137, 5)).toEqual([0, 50, 100]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });

  it('decades cover the log range, thinned to at most max', () => {
    expect(decadeTicks(-3.2, 1.5)).toEqual([-3, -2, -1, 0, 1]);
    expect(decadeTicks(-12, 2, 4)).toEqual([-12, -8, -4, 0]);
  });

  it('tick labels are short and use a real minus sign', () => {
    expect(tickLabel(-0.5)).toBe('−0.5');
    expect(tickLabel(0.0025)).toBe('2.5e−3');
    expect(tickLabel(1500)).toBe('1500');
    expect(tickLabel(0)).toBe('0');
  });
});
