// No quadratic laziness trap (src/recompute.ts): a naive training loop — pure Adam updates, the
// loss read every 10 steps (or every step), never evaluate(params) — settles at the kernels of the
// steps each read covers, holds a lazy graph that does not grow, lets the buffers it keeps go back
// without dispose(), and computes the losses of a plain-JS float64 Adam. With the mechanism off,
// the same loop's reads and lazy graph grow with the step number (what the first tests catch).

import { expect, it } from 'vitest';
import { type Tensor, _setKeepFrontier, grad, optim, profile, tensor } from '../../src/internal.js';
import type { Node } from '../../src/ir/node.js';
import { describeBackends } from '../helpers/backends.js';
import { liveBytesAfterCollection } from '../helpers/gc.js';
import { type Params, loss, tanhProblem } from '../optim/problem.js';
import { lossAndGrad, refAdam } from '../optim/reference.js';
import { expectClose } from '../webgpu/util.js';

/** Unrealized nodes held by `tensors` (the lazy graph a loop keeps alive). */
function lazyNodes(tensors: readonly Tensor[]): number {
  const seen = new Set<Node>();
  const stack = tensors.map((t) => t.node);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n) || n.buffer !== null || n.op === 'const') continue;
    seen.add(n);
    stack.push(...n.inputs);
  }
  return seen.size;
}

interface Read {
  step: number;
  kernels: number;
  value: number;
  lazyNodes: number;
}

describeBackends('no quadratic laziness trap', (c) => {
  /** The naive loop for `steps` steps, reading every `every`: per read, its kernels, the loss and the lazy graph held. */
  async function naiveLoop(steps: number, every: number, atRead?: (r: Read) => Promise<void>) {
    const { X, Y, params, problem, theta } = await tanhProblem(c, 8, 4, 3, 5);
    const tx = optim.adam({ lr: 0.02 });
    const ref = refAdam(() => 0.02);
    let p: Params = params;
    let s = tx.init(p);
    const reads: Read[] = [];
    for (let step = 1; step <= steps; step++) {
      const [u, next] = tx.update(grad(loss)(p, X, Y), s, p);
      p = optim.applyUpdates(p, u);
      s = next;
      ref.step(theta, lossAndGrad(problem, theta)[1], step - 1);
      if (step % every !== 0) continue;
      const pr = await profile(() => loss(p, X, Y).item());
      const held = [p.W, p.b, s.count, s.mu.W, s.mu.b, s.nu.W, s.nu.b];
      const r = { step, kernels: pr.kernels, value: pr.result, lazyNodes: lazyNodes(held) };
      expectClose([r.value], [lossAndGrad(problem, theta)[0]], c.rtol, c.atol, `loss at step ${step}`);
      reads.push(r);
      await atRead?.(r);
    }
    return reads;
  }

  /**
   * From step `from` on, every read costs the same kernels and holds the same lazy graph, as many
   * kernels as the first read (the same steps from the initial state: each step computed once),
   * give or take that read's constants.
   */
  function expectSettled(reads: readonly Read[], from: number): void {
    const late = reads.filter((r) => r.step >= from);
    for (const r of late) {
      expect(r.kernels, `kernels of the read at step ${r.step}`).toBe(late[0]!.kernels);
      expect(r.lazyNodes, `lazy graph at step ${r.step}`).toBe(late[0]!.lazyNodes);
    }
    expect(late[0]!.kernels).toBeLessThanOrEqual(reads[0]!.kernels + 5);
  }

  it('a naive Adam loop reading the loss every 10 steps: from step 100 on, every read costs the kernels of 10 steps and holds the same lazy graph', async () => {
    const reads = await naiveLoop(200, 10);
    expectSettled(reads, 100);
    // never more than twice that while the runtime learns which values to keep
    for (const r of reads) expect(r.kernels).toBeLessThanOrEqual(2 * reads[0]!.kernels + 5);
  });

  it('the naive loop reading the loss every step: from step 40 on, every read costs the kernels of one step', async () => {
    expectSettled(await naiveLoop(80, 1), 40);
  });

  it('the values the loop keeps go back without dispose(): live bytes after a collection at step 200 as at step 100', async () => {
    const live = new Map<number, number>();
    await naiveLoop(200, 10, async (r) => {
      if (r.step === 100 || r.step === 200) live.set(r.step, await liveBytesAfterCollection());
    });
    expect(live.get(200)).toBeLessThanOrEqual(live.get(100)!);
  });

  it('with the mechanism off, every read recomputes the whole history (the trap the tests above catch)', async () => {
    const was = _setKeepFrontier(false);
    try {
      const reads = await naiveLoop(40, 10);
      expect(reads[3]!.kernels).toBeGreaterThan(reads[1]!.kernels);
      expect(reads[1]!.kernels).toBeGreaterThan(reads[0]!.kernels);
      expect(reads[3]!.lazyNodes).toBeGreaterThan(reads[1]!.lazyNodes);
    } finally {
      _setKeepFrontier(was);
    }
  });

  it('a small recomputation keeps nothing: a read that reuses a few nodes of an earlier one fuses as before', async () => {
    const a = tensor([0.5, 1, 2], { dtype: c.dtype }).exp().add(1);
    await a.sum().item();
    const p = await profile(() => a.mul(3).sum().item());
    expect(p.kernels).toBe(1);
    expect(a.node.buffer).toBeNull();
  });

  it('a long chain read twice: the second read keeps its frontier, and the third starts from it', async () => {
    _setKeepFrontier(true, true); // forget the chain's structure learned on another backend case
    const x0 = [0.5, -1, 2];
    let u = tensor(x0, { dtype: c.dtype });
    for (let i = 0; i < 300; i++) u = u.mul(0.99).add(0.01);
    // u_k = 1 + 0.99^k (x0 - 1)
    const want = x0.map((v) => 1 + 0.99 ** 300 * (v - 1));
    const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
    expectClose([await u.sum().item()], [sum(want)], c.rtol, c.atol, 'first read');
    expect(u.node.buffer).toBeNull();
    expectClose([await u.mul(2).sum().item()], [2 * sum(want)], c.rtol, c.atol, 'second read');
    // learned: the same chain built again keeps u at its first read
    let v = tensor(x0, { dtype: c.dtype });
    for (let i = 0; i < 300; i++) v = v.mul(0.99).add(0.01);
    expectClose([await v.sum().item()], [sum(want)], c.rtol, c.atol, 'first read of the second chain');
    expect(v.node.buffer).not.toBeNull();
    expect(u.node.buffer).not.toBeNull();
    const p = await profile(() => u.mul(3).sum().item());
    expect(p.kernels).toBe(1);
    expectClose([p.result], [3 * sum(want)], c.rtol, c.atol, 'third read');
  });
});
