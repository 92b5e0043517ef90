// MAML on sine regression (Finn et al. 2017): tasks y = A sin(x + φ), A ∈ [0.1, 5], φ ∈ [0, π],
// x ∈ [−5, 5]. The meta-parameters of a 1-40-1 tanh network are trained by Adam on the
// second-order meta-gradient of ./maml.ts (inner SGD steps by `grad`, tasks batched by `vmap`,
// differentiated through the inner loop). Against a non-meta baseline trained by Adam on the
// pooled tasks for as many iterations, both adapted to new tasks by the same inner steps, MAML's
// post-adaptation loss is lower.
// Run: npx tsx examples/maml-sine.ts [--quick] [--iterations n] [--steps k] [--alpha a]

import { pathToFileURL } from 'node:url';
import { type DType, type Tensor, init, nn, optim, tensor } from '../src/index.js';
import { type Net, metaLoss, mse } from './maml.js';
import { hostUniform } from './pde/common.js';

/** A batch of T sine tasks: support (K points) and query (Q points) sets, [T, K, 1] and [T, Q, 1]. */
export interface SineTasks {
  XS: Tensor;
  YS: Tensor;
  XQ: Tensor;
  YQ: Tensor;
}

export function sampleTasks(T: number, K: number, Q: number, seed: number, dtype: DType): SineTasks {
  const u = hostUniform(seed);
  const [xs, ys, xq, yq] = [[], [], [], []] as [number[], number[], number[], number[]];
  for (let t = 0; t < T; t++) {
    const [amp, phase] = [0.1 + 4.9 * u(), Math.PI * u()];
    for (let k = 0; k < K; k++) xs.push(-5 + 10 * u());
    for (let q = 0; q < Q; q++) xq.push(-5 + 10 * u());
    for (let k = 0; k < K; k++) ys.push(amp * Math.sin(xs[t * K + k]! + phase));
    for (let q = 0; q < Q; q++) yq.push(amp * Math.sin(xq[t * Q + q]! + phase));
  }
  const make = (v: number[], n: number) => tensor(v, { shape: [T, n, 1], dtype });
  return { XS: make(xs, K), YS: make(ys, K), XQ: make(xq, Q), YQ: make(yq, Q) };
}

export interface MamlSettings {
  readonly hidden: number;
  readonly tasksPerBatch: number;
  readonly shots: number;
  readonly queries: number;
  readonly innerSteps: number;
  readonly alpha: number;
  readonly metaLr: number;
  readonly iterations: number;
  readonly seed: number;
  readonly dtype: DType;
}

export function initNet(s: MamlSettings): Net {
  const layers = nn.mlp({ sizes: [1, s.hidden, 1], activation: 'tanh', biasInit: nn.zeros, seed: s.seed, dtype: s.dtype }).params;
  return { W1: layers[0]!.W, b1: layers[0]!.b, W2: layers[1]!.W };
}

/** Adam on the meta-loss (MAML) or on the pooled query loss without adaptation (the baseline); a fresh task batch each iteration. Returns the parameters and the loss of each iteration. */
export async function train(s: MamlSettings, kind: 'maml' | 'baseline'): Promise<{ params: Net; losses: number[] }> {
  const opt = new optim.Optimizer(optim.adam({ lr: s.metaLr }), initNet(s));
  const objective =
    kind === 'maml'
      ? (p: Net, t: SineTasks) => metaLoss(p, t.XS, t.YS, t.XQ, t.YQ, s.alpha, s.innerSteps)
      : (p: Net, t: SineTasks) => mse(p, t.XQ.reshape([-1, 1]), t.YQ.reshape([-1, 1]));
  const losses: number[] = [];
  for (let it = 0; it < s.iterations; it++) {
    const tasks = sampleTasks(s.tasksPerBatch, s.shots, s.queries, s.seed * 7919 + it, s.dtype);
    losses.push(await (await opt.valueAndStep(objective, tasks)).item());
  }
  return { params: opt.params, losses };
}

/** Mean query loss over a task batch after `steps` inner steps from p (steps = 0: no adaptation). */
export async function adaptedLoss(p: Net, t: SineTasks, s: MamlSettings, steps: number): Promise<number> {
  return metaLoss(p, t.XS, t.YS, t.XQ, t.YQ, s.alpha, steps).item();
}

export const fullSettings: MamlSettings = {
  hidden: 40,
  tasksPerBatch: 10,
  shots: 10,
  queries: 10,
  innerSteps: 3,
  alpha: 0.05,
  metaLr: 1e-2,
  iterations: 2000,
  seed: 3,
  dtype: 'float64',
};

async function main(): Promise<void> {
  await init({ backend: 'cpu' });
  const quick = process.argv.includes('--quick');
  const num = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const s: MamlSettings = {
    ...fullSettings,
    iterations: num('iterations', quick ? 60 : fullSettings.iterations),
    innerSteps: num('steps', fullSettings.innerSteps),
    alpha: num('alpha', fullSettings.alpha),
  };
  const test = sampleTasks(100, s.shots, 50, 999, s.dtype);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const window = Math.max(1, Math.floor(s.iterations / 10));
  const t0 = performance.now();
  const maml = await train(s, 'maml');
  const seconds = (performance.now() - t0) / 1000;
  const base = await train(s, 'baseline');
  console.log(
    `MAML meta-loss (mean of ${window} iterations): first ${mean(maml.losses.slice(0, window)).toFixed(3)}, last ${mean(maml.losses.slice(-window)).toFixed(3)}; ${s.iterations} iterations in ${seconds.toFixed(1)} s`,
  );
  const rnd = initNet(s);
  for (const steps of [...new Set([0, 1, s.innerSteps, 10])]) {
    const [m, b, r] = [await adaptedLoss(maml.params, test, s, steps), await adaptedLoss(base.params, test, s, steps), await adaptedLoss(rnd, test, s, steps)];
    console.log(
      `100 new tasks, ${String(steps).padStart(2)} inner steps (α = ${s.alpha}): query MSE  MAML ${m.toFixed(3)}  pooled baseline ${b.toFixed(3)}  random init ${r.toFixed(3)}`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
