// The 2-D steady Navier–Stokes residual terms of a tanh MLP (x, y) -> (u, v, p): (u, v, p), every first derivative, Δu and Δv, computed by one pde call (collapsed and standard Taylor), by separate jvp / laplacian calls, and by nested first-order AD (pde's 'nested' method). Medians of interleaved rounds, vectors per datum, kernels.
// Run: npx tsx bench/pde-navier-stokes.ts [--backend cpu|webgpu] [--dtype float64|float32] [--runs 15] [--n 256] [--width 64]

import { type DType, type Tensor, concat, evaluate, init, jvp, laplacian, operatorCost, pde, profile, tensor } from '../src/index.js';
import { lcg } from './mlp.js';
import { arg, interleaved } from './util.js';

const D = 2,
  C = 3;

/** tanh MLP 2 → H → H → 3 with LCG weights; N points in [−0.5, 1] × [−0.5, 1.5]. */
function network(dtype: DType, H: number, N: number): { f: (X: Tensor) => Tensor; X: Tensor } {
  const draw = lcg(20251130);
  const t = (a: Float64Array, shape: number[]): Tensor => tensor(a, { dtype, shape });
  const W1 = t(draw(D * H, 1.5 / Math.sqrt(D)), [D, H]);
  const b1 = t(draw(H, 0.5), [H]);
  const W2 = t(draw(H * H, 1.5 / Math.sqrt(H)), [H, H]);
  const b2 = t(draw(H, 0.5), [H]);
  const W3 = t(draw(H * C, 1 / Math.sqrt(H)), [H, C]);
  const xy = draw(N * D, 1).map((v: number, i: number) => (i % 2 === 0 ? 0.25 + 0.75 * v : 0.5 + v));
  const f = (X: Tensor): Tensor => X.matmul(W1).add(b1).tanh().matmul(W2).add(b2).tanh().matmul(W3);
  return { f, X: t(xy, [N, D]) };
}

const spec = { q: 'value', dq: { grad: 'all' }, lap: { laplacian: 'all' } } as const;

/** The terms as [value [N, 3], gradient [N, 3, 2], Laplacians of u and v [N, 2]], and the vectors per datum. */
type Variant = (f: (X: Tensor) => Tensor, X: Tensor) => Tensor[];

const component = (f: (X: Tensor) => Tensor, c: number) => (Y: Tensor) =>
  f(Y)
    .slice([0, c], [Y.shape[0]!, c + 1])
    .reshape([Y.shape[0]!]);

const VARIANTS: Record<string, Variant> = {
  'pde collapsed': (f, X) => {
    const r = pde(f, spec)(X);
    return [r.q, r.dq, r.lap.slice([0, 0], [X.shape[0]!, 2])];
  },
  'pde taylor': (f, X) => {
    const r = pde(f, spec, { method: 'taylor' })(X);
    return [r.q, r.dq, r.lap.slice([0, 0], [X.shape[0]!, 2])];
  },
  'separate calls': (f, X) => {
    const N = X.shape[0]!;
    const e = (i: number) =>
      tensor(i === 0 ? [1, 0] : [0, 1], { dtype: X.dtype })
        .reshape([1, D])
        .broadcastTo([N, D]);
    const [q, dx] = jvp(f, [X], [e(0)]) as [Tensor, Tensor];
    const dy = (jvp(f, [X], [e(1)]) as [Tensor, Tensor])[1];
    const laps = [0, 1].map((c) => laplacian(component(f, c))(X));
    return [q, concat([dx.reshape([N, C, 1]), dy.reshape([N, C, 1])], 2), concat([laps[0]!.reshape([N, 1]), laps[1]!.reshape([N, 1])], 1)];
  },
  'nested AD': (f, X) => {
    const r = pde(f, { q: 'value', dq: { grad: 'all' }, lap: { laplacian: 'all' } }, { method: 'nested' })(X);
    return [r.q, r.dq, r.lap.slice([0, 0], [X.shape[0]!, 2])];
  },
};

function vectorsOf(name: string, f: (X: Tensor) => Tensor, X: Tensor): number | null {
  const cost = (terms: object, method?: 'collapsed' | 'taylor' | 'nested') => operatorCost('pde', f, X, { terms: terms as never, method }).vectors;
  if (name === 'pde collapsed') return cost(spec);
  if (name === 'pde taylor') return cost(spec, 'taylor');
  if (name === 'nested AD') return cost(spec, 'nested');
  // value + gradient by one batched jvp counted as 1 + D; one collapsed Laplacian (2 + D) per component
  const jvps = cost({ dq: { grad: 'all' } })!;
  const lap = operatorCost('laplacian', component(f, 0), X).vectors!;
  return jvps + 2 * lap;
}

async function main(): Promise<void> {
  const backend = arg('backend', 'cpu') as 'cpu' | 'webgpu';
  await init({ backend });
  const dtype = arg('dtype', backend === 'cpu' ? 'float64' : 'float32') as DType;
  const runs = Number(arg('runs', '15'));
  const N = Number(arg('n', '256')),
    H = Number(arg('width', '64'));
  const { f, X } = network(dtype, H, N);
  console.log(
    `Navier–Stokes terms ((u, v, p), ∇ of each, Δu, Δv) of a tanh MLP 2→${H}→${H}→3 at N = ${N}; ${backend}, ${dtype}; median of ${runs} interleaved rounds`,
  );
  const names = Object.keys(VARIANTS);
  const run = (name: string) => async () => {
    const outs = VARIANTS[name]!(f, X);
    await evaluate(outs);
    return outs;
  };
  for (const name of names) for (let w = 0; w < 3; w++) await run(name)();
  const times = await interleaved(names, (name) => run(name)(), runs);
  const ref = await Promise.all((await run('nested AD')()).map((t) => t.data()));
  const medians: Record<string, number> = {};
  console.log('variant           median ms   min ms  kernels  vectors/datum  max |diff| vs nested');
  for (const name of names) {
    const ts = times.get(name)!;
    medians[name] = ts[Math.floor(ts.length / 2)]!;
    const p = await profile(run(name));
    const vals = await Promise.all(p.result.map((t) => t.data()));
    const diff = Math.max(...vals.flatMap((v, k) => Array.from(v, (x, i) => Math.abs(x - ref[k]![i]!))));
    console.log(
      `${name.padEnd(17)} ${medians[name]!.toFixed(2).padStart(9)} ${ts[0]!.toFixed(2).padStart(8)} ${String(p.kernels).padStart(8)} ${String(vectorsOf(name, f, X)).padStart(14)}  ${diff.toExponential(1)}`,
    );
  }
  const ratio = (a: string, b: string) => (medians[a]! / medians[b]!).toFixed(3);
  console.log(
    `ratios (same run): pde collapsed / separate calls = ${ratio('pde collapsed', 'separate calls')}, pde collapsed / nested AD = ${ratio('pde collapsed', 'nested AD')}`,
  );
}

void main();
