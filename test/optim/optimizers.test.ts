// The optimizers step by step against the independent float64 references of ./reference.ts:
// 20 steps of SGD (plain, momentum, Nesterov), Adam (bias correction) and AdamW (decoupled decay)
// under every schedule on a one-layer tanh network, on every backend; the schedules' values; the
// state's count and learning rate; structure errors naming the path.

import { expect, it } from 'vitest';
import { type Tensor, ArgumentError, DTypeError, ShapeError, TransformError, evaluate, full, grad, optim } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { throwsWith } from '../helpers/errors.js';
import { expectClose } from '../webgpu/util.js';
import { loss, tanhProblem } from './problem.js';
import { type RefOptimizer, lossAndGrad, refAdam, refSchedules, refSgd } from './reference.js';

const STEPS = 20;
const n = 6,
  d = 3,
  o = 2;

/** Each case: the optimizer under test, its reference, and the reference learning rate at step k. */
const cases: { name: string; tx: () => optim.GradientTransformation; ref: () => RefOptimizer; lr: (k: number) => number }[] = [
  { name: 'sgd', tx: () => optim.sgd({ lr: 0.3 }), ref: () => refSgd(() => 0.3), lr: () => 0.3 },
  { name: 'sgd + momentum', tx: () => optim.sgd({ lr: 0.1, momentum: 0.9 }), ref: () => refSgd(() => 0.1, 0.9), lr: () => 0.1 },
  {
    name: 'sgd + Nesterov, exponential decay',
    tx: () => optim.sgd({ lr: optim.exponentialDecay({ init: 0.2, rate: 0.5, decaySteps: 7 }), momentum: 0.8, nesterov: true }),
    ref: () => refSgd(refSchedules.exponential(0.2, 0.5, 7), 0.8, true),
    lr: refSchedules.exponential(0.2, 0.5, 7),
  },
  {
    name: 'sgd, piecewise constant',
    tx: () => optim.sgd({ lr: optim.piecewiseConstant({ boundaries: [5, 12], values: [0.4, 0.1, 0.02] }) }),
    ref: () => refSgd(refSchedules.piecewise([5, 12], [0.4, 0.1, 0.02])),
    lr: refSchedules.piecewise([5, 12], [0.4, 0.1, 0.02]),
  },
  { name: 'adam', tx: () => optim.adam({ lr: 0.02 }), ref: () => refAdam(() => 0.02), lr: () => 0.02 },
  {
    name: 'adam (b1, b2, eps), cosine decay',
    tx: () => optim.adam({ lr: optim.cosineDecay({ init: 0.05, decaySteps: 15, alpha: 0.1 }), b1: 0.8, b2: 0.99, eps: 1e-3 }),
    ref: () => refAdam(refSchedules.cosine(0.05, 15, 0.1), 0.8, 0.99, 1e-3),
    lr: refSchedules.cosine(0.05, 15, 0.1),
  },
  {
    name: 'adamw, warmup + cosine',
    tx: () => optim.adamw({ lr: optim.warmupCosine({ init: 0.001, peak: 0.05, warmupSteps: 4, decaySteps: 16, end: 0.005 }), weightDecay: 0.3 }),
    ref: () => refAdam(refSchedules.warmupCosine(0.001, 0.05, 4, 16, 0.005), 0.9, 0.999, 1e-8, 0.3),
    lr: refSchedules.warmupCosine(0.001, 0.05, 4, 16, 0.005),
  },
];

describeBackends('optim: 20 steps against the float64 references', (c) => {
  const setup = () => tanhProblem(c, n, d, o, 1);
  const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => expectClose(got, want, c.rtol, c.atol, what);

  for (const cs of cases) {
    it(cs.name, async () => {
      const { X, Y, params, problem, theta } = await setup();
      const tx = cs.tx();
      const ref = cs.ref();
      let p = params;
      let state = tx.init(p);
      for (let k = 0; k < STEPS; k++) {
        const [updates, next] = tx.update(grad(loss)(p, X, Y), state, p);
        p = optim.applyUpdates(p, updates);
        state = next;
        await evaluate(p, state);
        ref.step(theta, lossAndGrad(problem, theta)[1], k);
        close([...(await p.W.data()), ...(await p.b.data())], theta, `params after step ${k + 1}`);
        close(await state.lr.data(), [cs.lr(k)], `lr of step ${k + 1}`);
        expect(await state.count.item()).toBe(k + 1);
      }
    });
  }

  it('schedules: values at steps 0..40 (as 0-d tensors of the count)', async () => {
    const schedules: [optim.Schedule, (k: number) => number][] = [
      [optim.constant(0.25), () => 0.25],
      [optim.exponentialDecay({ init: 1.5, rate: 0.3, decaySteps: 9 }), refSchedules.exponential(1.5, 0.3, 9)],
      [optim.cosineDecay({ init: 2, decaySteps: 25 }), refSchedules.cosine(2, 25, 0)],
      [optim.cosineDecay({ init: 2, decaySteps: 25, alpha: 0.25 }), refSchedules.cosine(2, 25, 0.25)],
      [optim.warmupCosine({ peak: 1, warmupSteps: 10, decaySteps: 30 }), refSchedules.warmupCosine(0, 1, 10, 30, 0)],
      [optim.warmupCosine({ init: 0.1, peak: 1, warmupSteps: 3, decaySteps: 33, end: 0.2 }), refSchedules.warmupCosine(0.1, 1, 3, 33, 0.2)],
      [optim.piecewiseConstant({ boundaries: [1, 10, 10.5, 30], values: [5, 4, 3, 2, 1] }), refSchedules.piecewise([1, 10, 10.5, 30], [5, 4, 3, 2, 1])],
    ];
    const steps = Array.from({ length: 41 }, (_, k) => k);
    for (const [s, ref] of schedules) {
      const got = steps.map((k) => s(full([], k, { dtype: c.dtype })) as Tensor);
      await evaluate(got);
      close(await Promise.all(got.map((t) => t.item())), steps.map(ref), 'schedule');
    }
  });
});

describeBackends(
  'optim: structure and options',
  (c) => {
    const p = () => ({ W: full([3, 2], 1, { dtype: c.dtype }), b: full([2], 0, { dtype: c.dtype }) });

    it('mismatched trees raise errors naming the path', () => {
      const tx = optim.adam({ lr: 0.1 });
      const state = tx.init(p());
      const g = p();
      // @ts-expect-error grads must have the parameters' type (checked by tsc, then at run time)
      throwsWith(() => tx.update({ W: g.W }, state), TransformError, 'adam', 'state.mu', 'keys {W}', 'like grads', '{W, b}');
      throwsWith(
        () => tx.update(g, { ...state, nu: { W: full([2, 3], 0, { dtype: c.dtype }), b: g.b } }),
        ShapeError,
        'adam',
        'state.nu.W',
        '[2, 3]',
        '[3, 2]',
      );
      throwsWith(() => optim.applyUpdates(p(), [g.W, g.b] as never), TransformError, 'applyUpdates', 'updates', 'keys {W, b} like params');
      throwsWith(() => optim.applyUpdates(p(), { W: g.W, b: null } as never), ArgumentError, 'applyUpdates', 'updates.b', 'null');
      throwsWith(() => tx.update(g, { ...state, count: 3 } as never), ArgumentError, 'adam', 'state.count', '0-d Tensor');
      throwsWith(() => optim.adamw({ lr: 0.1 }).update(g, state), ArgumentError, 'adamw', 'needs params');
      throwsWith(() => optim.sgd({ lr: 0.1, momentum: 0.5 }).update(g, optim.sgd({ lr: 0.1 }).init(p())), TransformError, 'sgd', 'state.trace');
      if (c.dtype === 'float64') {
        throwsWith(() => tx.update({ W: g.W.astype('float32'), b: g.b }, state), DTypeError, 'adam', 'state.mu.W', 'float64', 'float32');
      }
    });

    it('bad options are errors naming the option', () => {
      throwsWith(() => optim.sgd({ lr: Number.NaN }), ArgumentError, 'sgd', 'lr');
      throwsWith(() => optim.sgd({ lr: full([2], 1) }), ArgumentError, 'sgd', 'lr', '0-d');
      throwsWith(() => optim.sgd({ lr: 0.1, nesterov: true }), ArgumentError, 'nesterov', 'momentum');
      throwsWith(() => optim.sgd({ lr: 0.1, momentum: 1.5 }), ArgumentError, 'momentum', '[0, 1]');
      throwsWith(() => optim.adam({ lr: 0.1, b1: 1 }), ArgumentError, 'adam', 'b1', '[0, 1)');
      throwsWith(() => optim.adamw({ lr: 0.1, weightDecay: -1 }), ArgumentError, 'adamw', 'weightDecay');
      throwsWith(() => optim.cosineDecay({ init: 1, decaySteps: 0 }), ArgumentError, 'cosineDecay', 'decaySteps', '> 0');
      throwsWith(() => optim.warmupCosine({ peak: 1, warmupSteps: 5, decaySteps: 5 }), ArgumentError, 'warmupCosine', 'decaySteps', 'warmupSteps');
      throwsWith(() => optim.piecewiseConstant({ boundaries: [1, 2], values: [1, 2] }), ArgumentError, 'piecewiseConstant', 'one entry more');
      throwsWith(() => optim.piecewiseConstant({ boundaries: [2, 1], values: [1, 2, 3] }), ArgumentError, 'boundaries must increase');
    });

    it('a tensor learning rate, and replacing state.lr between steps', async () => {
      const tx = optim.sgd({ lr: full([], 0.5, { dtype: c.dtype }) });
      let params = p();
      let state = tx.init(params);
      const g = { W: full([3, 2], 1, { dtype: c.dtype }), b: full([2], 2, { dtype: c.dtype }) };
      let u: typeof g;
      [u, state] = tx.update(g, state);
      params = optim.applyUpdates(params, u);
      state.lr = full([], 0.25, { dtype: c.dtype });
      [u, state] = tx.update(g, state);
      params = optim.applyUpdates(params, u);
      expect(Array.from(await params.W.data())).toEqual(new Array(6).fill(1 - 0.5 - 0.25));
      expect(Array.from(await params.b.data())).toEqual([-1.5, -1.5]);
      expect(await state.count.item()).toBe(2);
    });
  },
  { float32: false },
);
