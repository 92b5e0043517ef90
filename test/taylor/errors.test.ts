// Every error path of jet, collapsedJet, laplacian, biharmonic and operatorCost: typed errors naming the problem, thrown at graph-build time.

import { expect, it } from 'vitest';
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  biharmonic,
  collapsedJet,
  jet,
  jetDirections,
  laplacian,
  operatorCost,
  tensor,
} from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { T, uniform } from './zoo.js';

describeBackends(
  'Taylor errors',
  () => {
    const X = T(uniform(4 * 3, 1), [4, 3]);
    const f = (Y: Tensor) => Y.tanh().sum(1);

    it('laplacian / biharmonic: f not a function, X not a 2-D tensor', () => {
      expect(() => laplacian(42 as never)).toThrow(ArgumentError);
      expect(() => biharmonic(null as never)).toThrow(ArgumentError);
      expect(() => laplacian(f)([[1, 2]] as never)).toThrow(ArgumentError);
      expect(() => laplacian(f)(T([1, 2, 3], [3]))).toThrow(ShapeError);
      expect(() => laplacian(f)(T(uniform(8, 2), [2, 2, 2]))).toThrow(/X must be 2-D \[N, D\], got shape \[2, 2, 2\]/);
      expect(() => biharmonic(f)(T([1, 2, 3], [3]))).toThrow(ShapeError);
    });

    it('f whose output is not [N] or [N, 1]', () => {
      for (const method of ['collapsed', 'taylor', 'nested'] as const) {
        expect(() => laplacian((Y: Tensor) => Y.tanh(), { method })(X)).toThrow(/f must map X \[4, D\] to \[4\] or \[4, 1\].*got \[4, 3\]/);
        expect(() => laplacian((Y: Tensor) => Y.tanh().sum(), { method })(X)).toThrow(ShapeError);
        expect(() => laplacian((Y: Tensor) => Y.tanh().sum(0), { method })(X)).toThrow(ShapeError);
        expect(() => biharmonic((Y: Tensor) => Y.tanh().sum(1, true).reshape([1, 4]), { method })(X)).toThrow(ShapeError);
      }
      expect(() => laplacian((Y: Tensor) => Y.tanh().sum(1, true))(X)).not.toThrow(); // [N, 1] is fine
    });

    it('weighting V: wrong first dimension, not 2-D, not a tensor, wrong dtype', () => {
      expect(() => laplacian(f, { weighting: T(uniform(8, 3), [4, 2]) })(X)).toThrow(/weighting V must have shape \[D, R\] = \[3, R\], got \[4, 2\]/);
      expect(() => laplacian(f, { weighting: T(uniform(3, 3), [3]) })(X)).toThrow(ShapeError);
      expect(() => laplacian(f, { weighting: [[1], [2], [3]] as never })(X)).toThrow(ArgumentError);
      expect(() => laplacian(f, { weighting: T(uniform(6, 3), [3, 2], 'float32') })(X)).toThrow(DTypeError);
    });

    it('estimator: samples < 1 or not an integer, unknown distribution, bad seed', () => {
      for (const samples of [0, -1, 1.5, Number.NaN]) {
        expect(() => laplacian(f, { estimator: { distribution: 'gaussian', samples } })(X)).toThrow(/samples must be an integer >= 1/);
        expect(() => biharmonic(f, { estimator: { distribution: 'gaussian', samples } })(X)).toThrow(ArgumentError);
      }
      expect(() => laplacian(f, { estimator: { distribution: 'uniform' as never, samples: 2 } })(X)).toThrow(/distribution must be 'rademacher' or 'gaussian'/);
      expect(() => laplacian(f, { estimator: { distribution: 'gaussian', samples: 2, seed: Number.NaN } })(X)).toThrow(ArgumentError);
      expect(() => laplacian(f, { estimator: 3 as never })(X)).toThrow(ArgumentError);
    });

    it('the randomized biharmonic refuses Rademacher directions and says why', () => {
      const call = () => biharmonic(f, { estimator: { distribution: 'rademacher', samples: 4, seed: 1 } })(X);
      expect(call).toThrow(ArgumentError);
      expect(call).toThrow(/needs distribution 'gaussian'.*3 Δ²f.*Rademacher.*biased/);
    });

    it('unknown method / exact route; weighting given to the biharmonic', () => {
      expect(() => laplacian(f, { method: 'forward' as never })(X)).toThrow(/method must be 'collapsed', 'taylor' or 'nested'/);
      expect(() => biharmonic(f, { method: 'reverse' as never })(X)).toThrow(ArgumentError);
      expect(() => biharmonic(f, { exact: 'finite-differences' as never })(X)).toThrow(/exact must be 'interpolation' or 'nested-laplacian'/);
      expect(() => biharmonic(f, { weighting: T(uniform(6, 3), [3, 2]) } as never)(X)).toThrow(ArgumentError);
    });

    it('jet: K < 0, series length mismatches, coefficient shapes and dtypes, non-tensors', () => {
      const x = T([0.5, 1], [2]);
      const v = T([1, 1], [2]);
      const g = (a: Tensor) => a.exp();
      expect(() => jet(g, [x], [[v]], { order: -1 })).toThrow(/order K must be a non-negative integer, got -1/);
      expect(() => jet(g, [x], [[v]], { order: 1.5 })).toThrow(ArgumentError);
      expect(() => jet(g, [x], [[v, v, v]], { order: 2 })).toThrow(/series\[0\] has 3 coefficients, expected at most 2/);
      expect(() => jet(g, [x], [])).toThrow(/one coefficient list per primal \(1\), got 0/);
      expect(() => jet((a: Tensor, b: Tensor) => a.mul(b), [x, x], [[v], [v, v]])).toThrow(/series\[1\] has 2 coefficients, expected 1/);
      expect(() => jet(g, [x], [[T([1, 2, 3], [3])]])).toThrow(ShapeError);
      expect(() => jet(g, [x], [[tensor([1, 1])]])).toThrow(DTypeError);
      expect(() => jet(g, [x], [[[1, 1] as never]])).toThrow(ArgumentError);
      expect(() => jet(g, [[0.5, 1] as never], [[v]])).toThrow(ArgumentError);
      expect(() => jet(g, [x], [v as never])).toThrow(ArgumentError);
      expect(() => jet('exp' as never, [x], [[v]])).toThrow(ArgumentError);
      // jetDirections: coefficients [R, ...S] with one R throughout
      expect(() => jetDirections(g, [x], [[T(uniform(4, 2), [2, 2]), T(uniform(6, 3), [3, 2])]])).toThrow(/with the same R throughout/);
      expect(() => jetDirections(g, [x], [[v]])).toThrow(ShapeError);
    });

    it('collapsedJet: order < 1, shapes of lower / top, weights of the wrong length', () => {
      const x = T([0.5, 1], [2]);
      const d = T([1, 0, 0, 1], [2, 2]);
      const g = (a: Tensor) => a.tanh();
      expect(() => collapsedJet(g, [x], [[]], [null], { order: 0 })).toThrow(/order must be at least 1/);
      expect(() => collapsedJet(g, [x], [[x]], [null], { order: 2 })).toThrow(/expected \[R, 2\]/);
      expect(() => collapsedJet(g, [x], [[d]], [T([1, 2, 3], [3])], { order: 2 })).toThrow(ShapeError);
      expect(() => collapsedJet(g, [x], [[d]], [null], { order: 2, weights: [1, 2, 3] })).toThrow(/3 weights for 2 directions/);
      expect(() => collapsedJet(g, [x], [[d, d]], [null], { order: 2 })).toThrow(/at most K−1 = 1/);
    });

    it('operatorCost: unknown operator', () => {
      expect(() => operatorCost('hessian' as never, f, X)).toThrow(ArgumentError);
    });
  },
  { float32: false },
);
