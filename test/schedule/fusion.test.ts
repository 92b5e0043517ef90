// The fusion plan (src/schedule/fusion.ts) decided before any kernel is built: where each node is
// computed and why, checked directly, and the kernels the scheduler builds from it.

import { beforeAll, describe, expect, it } from 'vitest';
import * as W from '../../src/index.js';
import type { Node } from '../../src/ir/node.js';
import { type Decision, type FusionPlan, MAX_FUSED_DEPTH, planFusion } from '../../src/schedule/fusion.js';
import { schedule } from '../../src/schedule/scheduler.js';

const t = (shape: number[], seed: number): W.Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return W.tensor(
    Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 0.37)),
    { dtype: 'float64' },
  ).reshape(shape);
};
const label = (n: Node): string => `${n.op} #${n.id}`;
/** Canonical nodes of the plan with decision kind `kind`. */
const withKind = (plan: FusionPlan, kind: Decision['kind']): Node[] => plan.g.order.filter((n) => plan.decision(n).kind === kind);

describe('fusion plan', () => {
  beforeAll(async () => {
    await W.init({ backend: 'cpu' });
  });

  it('matmul + bias + tanh: the matmul is the accumulator of the tanh kernel, whose epilogue adds the bias', () => {
    const x = t([5, 4], 1),
      w = t([4, 3], 2),
      b = t([3], 3);
    const y = x.matmul(w).add(b).tanh();
    const plan = planFusion([y.node]);
    const tanh = y.node,
      add = tanh.inputs[0]!,
      mm = add.inputs[0]!;
    expect(mm.op).toBe('matmul');
    expect(plan.decision(tanh)).toEqual({ kind: 'kernel', reason: 'asked for' });
    expect(plan.decision(add)).toEqual({ kind: 'fused', into: tanh, reason: `its only consumer ${label(tanh)} is elementwise` });
    expect(plan.decision(mm)).toEqual({
      kind: 'accumulator',
      into: tanh,
      reason: `its only consumer ${label(add)} is elementwise: the epilogue of the kernel of ${label(tanh)}`,
    });
    expect(plan.decision(add.inputs[1]!)).toEqual({ kind: 'view', reason: 'a strided view of its input' });
    expect(plan.accumulatorOf(tanh)).toBe(mm);
    const { kernels } = schedule([y.node]).plan;
    expect(kernels.map((k) => k.type)).toEqual(['matmul']);
  });

  it('a reduction computes its elementwise producer in its prologue', () => {
    const x = t([6, 7], 4),
      y = t([6, 7], 5);
    const s = x.mul(y).exp().sum(1);
    const plan = planFusion([s.node]);
    const sum = s.node,
      exp = sum.inputs[0]!,
      mul = exp.inputs[0]!;
    expect(plan.decision(exp)).toEqual({ kind: 'prologue', into: sum, reason: `its only consumer is the reduction ${label(sum)}` });
    expect(plan.decision(mul)).toEqual({ kind: 'fused', into: exp, reason: `its only consumer ${label(exp)} is elementwise` });
    expect(plan.accumulatorOf(sum)).toBe(sum);
    const { kernels } = schedule([s.node]).plan;
    expect(kernels.length).toBe(1);
    expect(kernels[0]!.type === 'loop' && kernels[0]!.reduce === 'sum' && kernels[0]!.prologue?.k === 'op').toBe(true);
  });

  it("a Taylor channel of one layer is computed in the next matmul's A loads", () => {
    const x = t([8, 4], 6),
      v = t([8, 4], 7),
      w1 = t([4, 5], 8),
      w2 = t([5, 3], 9);
    const [, [c1]] = W.jet((z: W.Tensor) => z.matmul(w1).tanh().matmul(w2), [x], [[v]]) as [W.Tensor, W.Tensor[]];
    const plan = planFusion([c1!.node]);
    // the first-order channel tanh'(x W1) ⊙ (v W1) feeds the second matmul as A, and only it
    const loads = withKind(plan, 'a-loads');
    expect(loads.length).toBe(1);
    const d = plan.decision(loads[0]!);
    expect(d.kind === 'a-loads' && d.into.op).toBe('matmul');
    expect(d.reason).toBe(`only matmul ${label((d as { into: Node }).into)} reads it, as its A operand`);
    expect(plan.loadsOf((d as { into: Node }).into, 'a')?.root).toBe(loads[0]);
    const { kernels } = schedule([c1!.node]).plan;
    expect(kernels.some((k) => k.type === 'matmul' && k.a === null && k.aPrologue !== null)).toBe(true);
  });

  it("a lazily scaled weight is computed in the matmul's B loads (also through a transpose)", () => {
    const x = t([6, 4], 20),
      w = t([4, 5], 21),
      v = t([5, 4], 22);
    for (const transposed of [false, true]) {
      const scaled = (transposed ? v : w).mul(0.1);
      const y = x.matmul(transposed ? scaled.transpose() : scaled);
      const plan = planFusion([y.node]);
      const mm = y.node,
        mul = scaled.node;
      const moves = transposed ? [plan.g.inputsOf(mm)[1]!] : [];
      expect(moves.map((m) => m.op)).toEqual(transposed ? ['permute'] : []);
      expect(plan.decision(mul)).toEqual({
        kind: 'b-loads',
        into: mm,
        reason: `only matmul ${label(mm)} reads it, as its B operand${transposed ? ' (through permute)' : ''}`,
      });
      expect(plan.loadsOf(mm, 'b')).toEqual({ operand: 'b', root: mul, moves });
      expect(plan.loadsOf(mm, 'a')).toBe(null);
      const { kernels } = schedule([y.node]).plan;
      expect(kernels.length).toBe(1);
      const k = kernels[0]!;
      expect(k.type === 'matmul' && k.b === null && k.bPrologue?.expr.k === 'op' && k.a !== null && k.aPrologue === null).toBe(true);
      expect(k.scalars).toEqual([0.1]);
    }
  });

  it('A and B producers both go into the loads; a node read as both operands (x @ x) keeps its kernel', () => {
    const x = t([5, 5], 23),
      y = t([5, 5], 24),
      w = t([5, 5], 25);
    const z = x.exp().matmul(w.add(y));
    const plan = planFusion([z.node]);
    const [a, b] = plan.g.inputsOf(z.node) as [Node, Node];
    expect(plan.decision(a).kind).toBe('a-loads');
    expect(plan.decision(b).kind).toBe('b-loads');
    const { kernels } = schedule([z.node]).plan;
    expect(kernels.length).toBe(1);
    const k = kernels[0]!;
    expect(k.type === 'matmul' && k.a === null && k.b === null && k.aPrologue !== null && k.bPrologue !== null).toBe(true);

    const e = x.exp();
    const sq = e.matmul(e);
    const p2 = planFusion([sq.node]);
    const [ea] = p2.g.inputsOf(sq.node) as [Node, Node];
    expect(p2.decision(ea)).toEqual({
      kind: 'kernel',
      reason: `its only consumer ${label(sq.node)} is neither elementwise nor a matmul reading it as A only or B only`,
    });
    expect(schedule([sq.node]).plan.kernels.map((k) => k.type)).toEqual(['loop', 'matmul']);
  });

  it('a B producer read by two matmuls gets a kernel; a matmul inside B loads is a nested kernel', () => {
    const x = t([3, 4], 26),
      w = t([4, 4], 27),
      u = t([4, 4], 28),
      x2 = t([3, 4], 29);
    const ws = w.mul(0.5);
    const y = x.matmul(ws).add(x2.matmul(ws));
    const plan = planFusion([y.node]);
    expect(plan.decision(ws.node)).toEqual({ kind: 'kernel', reason: '2 consumers' });

    // B = w ⊙ (u @ w): the inner matmul is a nested kernel read by the B loads of the outer one
    const inner = u.matmul(w);
    const z = x.matmul(w.mul(inner)).tanh();
    const p2 = planFusion([z.node]);
    const mm = z.node.inputs[0]!;
    expect(p2.decision(inner.node)).toEqual({ kind: 'nested', into: z.node, reason: `read by the B loads of ${label(mm)}` });
    expect(p2.accumulatorOf(z.node)).toBe(mm);
    expect(p2.loadsOf(mm, 'b')?.root.op).toBe('mul');
    expect(schedule([z.node]).plan.kernels.map((k) => k.type)).toEqual(['matmul', 'matmul']);
  });

  it('a node whose consumers are all computed in one place is a shared subexpression there; consumers in two kernels give it a buffer', () => {
    const x = t([9], 10);
    const e = x.exp();
    const y = e.sin().add(e.cos());
    const plan = planFusion([y.node]);
    expect(plan.decision(e.node)).toEqual({
      kind: 'fused',
      into: e.node.id < y.node.id ? plan.g.consumers.get(e.node)![0] : y.node,
      reason: `its 2 consumers are all computed in the kernel of ${label(y.node)}`,
    });
    expect(schedule([y.node]).plan.kernels.length).toBe(1);
    // read by two kernels (two targets): a buffer of its own
    const z = e.sin().sum();
    const w = e.cos().mul(2);
    const p2 = planFusion([z.node, w.node]);
    expect(p2.decision(e.node)).toEqual({ kind: 'kernel', reason: '2 consumers' });
    // e's kernel then also writes w (merge.ts), and the sum reads e's buffer
    expect(schedule([z.node, w.node]).plan.kernels.length).toBe(2);
  });

  it('a node read through one view by several consumers in one place is a shared subexpression there too', () => {
    const x = t([4], 12),
      z = t([3, 4], 13);
    const e = x.mul(2);
    const b = e.reshape([1, 4]).broadcastTo([3, 4]); // one consumer (the reshape); the broadcast has two
    const y = b.sin().add(b.mul(z));
    const plan = planFusion([y.node]);
    const view = plan.g.consumers.get(e.node)!;
    expect(view.map((v) => v.op)).toEqual(['reshape']);
    expect(plan.decision(e.node)).toEqual({
      kind: 'fused',
      into: view[0],
      reason: `the consumers of its view ${label(view[0]!)} are all computed in the kernel of ${label(y.node)}`,
    });
    expect(schedule([y.node]).plan.kernels.length).toBe(1);
  });

  it('one cheap op over buffers read in several places is repeated in each; a costly one or a longer chain keeps its buffer', async () => {
    const a = t([6, 5], 14),
      b = t([6, 5], 15);
    const e = a.mul(b);
    const rowSums = e.sum(1); // a reduction's prologue
    const shifted = e.add(1).sin(); // an elementwise kernel
    const plan = planFusion([rowSums.node, shifted.node]);
    expect(plan.decision(e.node)).toEqual({
      kind: 'fused',
      into: plan.g.consumers.get(e.node)![0],
      reason: 'one op over buffers, repeated in the 2 places its consumers are computed in',
    });
    const { kernels } = schedule([rowSums.node, shifted.node]).plan;
    expect(kernels.length).toBe(2);
    const [av, bv] = [await a.data(), await b.data()];
    const sums = await rowSums.data(),
      sh = await shifted.data();
    for (let i = 0; i < 6; i++) {
      let s = 0;
      for (let j = 0; j < 5; j++) {
        s += av[i * 5 + j]! * bv[i * 5 + j]!;
        expect(sh[i * 5 + j]).toBeCloseTo(Math.sin(av[i * 5 + j]! * bv[i * 5 + j]! + 1), 12);
      }
      expect(sums[i]).toBeCloseTo(s, 12);
    }
    // exp is costly: computed once into a buffer
    const x = a.exp();
    expect(planFusion([x.sum(1).node, x.add(1).sin().node]).decision(x.node).kind).toBe('kernel');
    // two ops (a·b + a): the add is not one op over buffers
    const y = a.mul(b).add(a);
    expect(planFusion([y.sum(1).node, y.add(1).sin().node]).decision(y.node).kind).toBe('kernel');
  });

  it("tanh(z) read by several terms of the next matmul's A operand is computed in its loads", () => {
    const z = t([8, 4], 20),
      w = t([4, 3], 21);
    const th = z.tanh();
    const a = th.add(th.mul(th).neg().add(1).mul(z)); // t + (1 − t²) z: consumers add and mul (t·t)
    const y = a.matmul(w);
    const plan = planFusion([y.node]);
    expect(plan.decision(th.node).kind).toBe('fused');
    expect(plan.decision(th.node).reason).toBe(`its 2 consumers are all computed in the a-loads of ${label(y.node)}`);
    const { kernels } = schedule([y.node]).plan;
    expect(kernels.map((k) => k.type)).toEqual(['matmul']);
  });

  it('one accumulator per kernel: a second matmul in the same epilogue gets its own kernel, built when reached', () => {
    const x = t([3, 4], 11),
      a = t([4, 2], 12),
      b = t([4, 2], 13);
    const y = x.matmul(a).add(x.matmul(b));
    const plan = planFusion([y.node]);
    const [m1, m2] = y.node.inputs as [Node, Node];
    expect(plan.decision(m1).kind).toBe('accumulator');
    expect(plan.decision(m2)).toEqual({ kind: 'nested', into: y.node, reason: `a second accumulator in the kernel of ${label(y.node)}` });
    expect(plan.isKernel(m2)).toBe(false); // not built in graph order: built when the kernel of y reaches it
    expect(plan.accumulatorOf(m2)).toBe(m2);
    expect(schedule([y.node]).plan.kernels.map((k) => k.type)).toEqual(['matmul', 'matmul']);
  });

  it(`a fused chain is cut where its depth reaches MAX_FUSED_DEPTH (${MAX_FUSED_DEPTH})`, () => {
    let y = t([4], 14);
    for (let i = 0; i < MAX_FUSED_DEPTH / 2 + 5; i++) y = y.mul(1.5).add(0.25); // 2 ops a step
    const plan = planFusion([y.node]);
    const cuts = withKind(plan, 'kernel').filter((n) => n !== y.node);
    expect(cuts.length).toBe(1);
    expect(plan.decision(cuts[0]!).reason).toBe(`its fused expression reaches depth ${MAX_FUSED_DEPTH}`);
  });
});
