// Full Jacobian (128×128) and Hessian (64×64) of a tanh MLP: batched over the basis by vmap (one
// walk, one plan; what jacobian and hessian do) vs one walk per basis vector, the columns stacked
// (the former way, src/ad/mixed.ts jacobianByColumns). Times include building the graph and
// scheduling, since that is where the per-column way spends its time; medians of interleaved rounds.
// Then a sparse Jacobian (n = 1000, banded: three 3-point stencil layers, |i - j| <= 3) by colored
// forward mode (7 passes) vs the dense batched Jacobian (1000 basis vectors).
// Run: npx tsx bench/jacobian.ts [--backend cpu|webgpu] [--dtype float64|float32] [--runs 9]

import { type DType, type Tensor, hessian, init, jacobian, jacobianColoring, profile, randn } from '../src/index.js';
import { _jacobianByColumns } from '../src/internal.js';
import { arg } from './util.js';

function mlp(n: number, dtype: DType): (x: Tensor) => Tensor {
  const W1 = randn([n, 64], { seed: 1, dtype }).mul(1 / Math.sqrt(n));
  const W2 = randn([64, n], { seed: 2, dtype }).mul(1 / 8);
  return (x) => x.matmul(W1).tanh().matmul(W2).tanh();
}

/** Three layers of a 3-point stencil on [n]: a banded Jacobian, |i - j| <= 3. */
function stencil(x: Tensor): Tensor {
  const n = x.shape[0]!;
  let z = x;
  for (let layer = 0; layer < 3; layer++) {
    const left = z.slice([0], [n - 1]).pad([[1, 0]]);
    const right = z.slice([1], [n]).pad([[0, 1]]);
    z = left.add(z.mul(z)).add(right.mul(0.5)).tanh();
  }
  return z;
}

/** Median times (interleaved rounds), kernels and agreement of two ways of computing one matrix. */
async function compare(name: string, ways: (() => Promise<Float32Array | Float64Array>)[], runs: number): Promise<void> {
  for (let w = 0; w < 2; w++) for (const way of ways) await way();
  const times: number[][] = ways.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < ways.length; k++) {
      const t0 = performance.now();
      await ways[k]!();
      times[k]!.push(performance.now() - t0);
    }
  }
  const med = times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
  const kernels: number[] = [];
  for (const way of ways) kernels.push((await profile(way)).kernels); // one at a time: profile counts whatever runs meanwhile
  const [a, b] = [await ways[0]!(), await ways[1]!()];
  const diff = Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  console.log(
    `${name.padEnd(40)} ${med[0]!.toFixed(1).padStart(10)}  ${String(kernels[0]).padStart(7)}  ${med[1]!.toFixed(1).padStart(10)}  ${String(kernels[1]).padStart(7)}  ${(med[1]! / med[0]!).toFixed(1).padStart(6)}   (max |diff| ${diff.toExponential(1)})`,
  );
}

async function main(): Promise<void> {
  const backend = arg('backend', 'cpu') as 'cpu' | 'webgpu';
  const dtype = arg('dtype', backend === 'cpu' ? 'float64' : 'float32') as DType;
  const runs = Number(arg('runs', '9'));
  await init({ backend });
  const cases = [
    { name: 'jacobian 128×128', n: 128, kind: 'jacobian' as const },
    { name: 'hessian 64×64', n: 64, kind: 'hessian' as const },
  ];
  console.log(`backend ${backend}, ${dtype}; median of ${runs} interleaved rounds after 2 warm-ups`);
  console.log(`${'case'.padEnd(40)}   first ms  kernels    other ms  kernels  other/first`);
  for (const c of cases) {
    const g = mlp(c.n, dtype);
    const f = c.kind === 'jacobian' ? g : (x: Tensor) => g(x).square().sum();
    const x = randn([c.n], { seed: 3, dtype });
    const batched = () => (c.kind === 'jacobian' ? jacobian(f) : hessian(f as (x: Tensor) => Tensor))(x).data();
    const columns = () => _jacobianByColumns(c.kind, f)(x).data();
    await compare(`${c.name}: batched vs per-column`, [batched, columns], runs);
  }
  const n = 1000;
  const rows: number[] = [];
  const cols: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = Math.max(0, i - 3); j <= Math.min(n - 1, i + 3); j++) {
      rows.push(i);
      cols.push(j);
    }
  }
  const sparsity = { rows, cols };
  const coloring = jacobianColoring(sparsity, n, n);
  const x = randn([n], { seed: 4, dtype });
  console.log(`sparse: ${coloring.colors} colors (${coloring.mode} passes) for n = ${n}`);
  await compare(`jacobian ${n}: sparse vs dense`, [() => jacobian(stencil, { sparsity })(x).data(), () => jacobian(stencil)(x).data()], runs);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
