// Lists the compiler does not check, checked here: every op is exported from the entry point and
// is a Tensor method (except the few that take no single tensor first), every elementwise
// primitive has an op of its name, and every WGSL helper's calls are among its declared
// dependencies, which are emitted before it.

import { describe, expect, it } from 'vitest';
import * as W from '../../src/index.js';
import { HELPERS, helperOrder } from '../../kernels/wgsl.js';
import { PRIMITIVES, PRIM_NAMES } from '../../src/ir/primitives.js';
import * as ops from '../../src/ops.js';
import { LIBRARY_METHODS } from '../../src/nn/methods.js';
import { PARTIALS } from '../../src/rules/partials.js';

/** Ops that are functions only: several tensors, a condition first, or no derivative (documented in README). */
const FUNCTION_ONLY = ['where', 'concat', 'stack', 'stopGradient'];
/** Primitives reached through another op name or none: pow(x, p) has a parameter, cast is astype, cmp the comparisons. */
const NOT_AN_OP = ['pow', 'cast', 'cmp'];

const opNames = Object.keys(ops).filter((k) => typeof (ops as Record<string, unknown>)[k] === 'function');

describe('op exports', () => {
  it('every op function of src/ops.ts is exported from src/index.ts', () => {
    expect(opNames.filter((k) => (W as Record<string, unknown>)[k] !== (ops as Record<string, unknown>)[k])).toEqual([]);
  });

  it('every op that takes one tensor first is a Tensor method', () => {
    const methods = new Set(Object.getOwnPropertyNames(W.Tensor.prototype));
    expect(opNames.filter((k) => !FUNCTION_ONLY.includes(k) && !methods.has(k))).toEqual([]);
  });

  it('every library op behind a Tensor method (src/nn/methods.ts) is exported from src/index.ts and is a method', () => {
    const methods = new Set(Object.getOwnPropertyNames(W.Tensor.prototype));
    const names = Object.keys(LIBRARY_METHODS) as (keyof typeof LIBRARY_METHODS)[];
    expect(names.filter((k) => (W as Record<string, unknown>)[k] !== LIBRARY_METHODS[k] || !methods.has(k))).toEqual([]);
  });

  it('every elementwise primitive is an op of its own name (and has partials)', () => {
    const elementwise = PRIM_NAMES.filter((p) => ['unary', 'binary', 'ternary'].includes(PRIMITIVES[p].kind));
    expect(elementwise.filter((p) => !NOT_AN_OP.includes(p) && !opNames.includes(p))).toEqual([]);
    expect(Object.keys(PARTIALS).sort()).toEqual(elementwise.sort());
  });
});

describe('WGSL helpers', () => {
  const names = Object.keys(HELPERS);

  it('each helper defines wg_<name> and calls only helpers among its dependencies', () => {
    for (const [name, h] of Object.entries(HELPERS)) {
      expect(h.src, name).toContain(`fn wg_${name}(`);
      const reach = new Set<string>();
      const add = (d: string): void => {
        if (reach.has(d)) return;
        reach.add(d);
        HELPERS[d]!.deps.forEach(add);
      };
      h.deps.forEach(add);
      const called = [...h.src.matchAll(/\bwg_(\w+)\(/g)].map((m) => m[1]!).filter((c) => c !== name && c !== 'isnan' && c !== 'isnan4');
      expect(
        called.filter((c) => !reach.has(c)),
        `${name} calls helpers it does not list`,
      ).toEqual([]);
    }
  });

  it('helperOrder emits every dependency before the helper that needs it', () => {
    for (const name of names) {
      const order = helperOrder(new Set([name]));
      expect(order[order.length - 1]).toBe(name);
      order.forEach((h, i) => {
        for (const d of HELPERS[h]!.deps) expect(order.indexOf(d), `${d} before ${h}`).toBeLessThan(i);
        expect(order.indexOf(h)).toBe(i);
      });
    }
    const all = helperOrder(new Set(names));
    expect(all.slice().sort()).toEqual(names.slice().sort());
  });
});
