// The four workloads of bench/workloads.ts on one wgad module instance (the current tree's, or a
// baseline checkout's loaded from its own src/index.ts): the networks' numbers, and per workload
// the methods worth timing, each a call that computes the result and reads it back.

import type * as wgad from '../src/index.js';
import type { DType, HvpMode, Tensor } from '../src/index.js';
import { type MlpData, type MlpParams, lcg, mlpData, mlpForward, mlpParams, paramArrays, paramLeaves, paramsFromLeaves } from './mlp.js';
import type { Leaves } from './workload-reference.js';

/** A wgad module instance: its public API (a baseline checkout's is assumed to have the same names). */
export type WgadModule = typeof wgad;

export const WORKLOADS = {
  lap16: 'Laplacian, D = 16, widths 64-64, N = 256',
  lap50: 'Laplacian, D = 50, widths 256-256-128-128, N = 256',
  train: 'PINN training step: ∇θ mean((Δu − g)²), first network',
  hvp: 'HVP of an MSE loss w.r.t. the parameters, first network',
} as const;
export type WorkloadKey = keyof typeof WORKLOADS;

/** Everything the workloads compute on: two networks, the training target g, the MSE target y, HVP directions v (and u, for checks). */
export interface BenchData {
  small: MlpData;
  big: MlpData;
  /** Training target per row of the small network's X. */
  g: Float64Array;
  /** MSE target per row of the small network's X. */
  y: Float64Array;
  /** The HVP direction, a pytree like the small network's parameters (paramLeaves order). */
  v: Leaves;
  /** A second direction of the same structure, for the check ⟨u, Hv⟩. */
  u: Leaves;
}

/** Deterministic numbers: the networks from mlpData's LCG, targets and directions from LCGs of their own seeds. */
export function benchData(): BenchData {
  const small = mlpData(16, [64, 64], 256);
  const big = mlpData(50, [256, 256, 128, 128], 256);
  const direction = (seed: number): Leaves => {
    const draw = lcg(seed);
    return paramArrays(small).map(({ data }) => draw(data.length, 1));
  };
  return { small, big, g: lcg(7)(small.N, 0.5), y: lcg(8)(small.N, 0.5), v: direction(9), u: direction(10) };
}

/** One way to compute a workload: its name and a call that computes and reads back the result leaves. */
export interface Variant {
  method: string;
  run: () => Promise<Leaves>;
}

/**
 * Realizes `leaves` in one plan and reads them. They are left to the garbage collector, not
 * disposed: a jit-ed call may return the same tensor every time (a gradient that is a constant,
 * such as the output bias's in the training step, which the Laplacian does not depend on).
 */
async function readLeaves(api: WgadModule, leaves: Tensor[]): Promise<Leaves> {
  await api.evaluate(leaves);
  return Promise.all(leaves.map(async (t) => Float64Array.from(await t.data())));
}

/** The methods timed for `key` on `api` (already initialized on its backend), in `dtype`. */
export function wgadVariants(api: WgadModule, key: WorkloadKey, d: BenchData, dtype: DType): Variant[] {
  const net = key === 'lap50' ? d.big : d.small;
  const p = mlpParams(api.tensor, net, dtype);
  const X = api.tensor(net.X, { dtype, shape: [net.N, net.D] });
  const row = (a: Float64Array): Tensor => api.tensor(a, { dtype, shape: [a.length] });
  const u = (q: MlpParams) => (x: Tensor) => mlpForward(q, x);
  const read = (t: Tensor | MlpParams): Promise<Leaves> => readLeaves(api, t instanceof api.Tensor ? [t as Tensor] : paramLeaves(t as MlpParams));
  switch (key) {
    case 'lap16':
    case 'lap50': {
      const lap = api.laplacian(u(p));
      const lapJit = api.jit((x: Tensor) => lap(x));
      return [
        { method: 'collapsed, jit', run: () => read(lapJit(X)) },
        { method: 'collapsed', run: () => read(lap(X)) },
      ];
    }
    case 'train': {
      const g = row(d.g);
      const loss = (q: MlpParams, x: Tensor, target: Tensor): Tensor => api.laplacian(u(q))(x).sub(target).square().mean();
      const step = (q: MlpParams, x: Tensor, target: Tensor): MlpParams => api.grad(loss)(q, x, target);
      const stepJit = api.jit(step);
      return [
        { method: 'collapsed, jit', run: () => read(stepJit(p, X, g)) },
        { method: 'collapsed', run: () => read(step(p, X, g)) },
      ];
    }
    case 'hvp': {
      const y = row(d.y);
      const v = paramsFromLeaves(
        d.v.map((a, i) => api.tensor(a, { dtype, shape: paramLeaves(p)[i]!.shape.slice() })),
        net.layers.length,
      );
      const mse = (q: MlpParams): Tensor => mlpForward(q, X).sub(y).square().mean();
      const hvpJit = (mode: HvpMode) => api.jit((q: MlpParams, w: MlpParams): MlpParams => api.hvp(mse, q, w, { mode }));
      return (['fwd-rev', 'rev-rev'] as const).map((mode) => {
        const f = hvpJit(mode);
        return { method: `${mode}, jit`, run: () => read(f(p, v)) };
      });
    }
  }
}
