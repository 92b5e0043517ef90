// TF.js (@tensorflow/tfjs-core with its cpu and webgpu backends) as a peer of `npm run bench --
// --compare`, float32 only (TF.js has no float64). TF.js has reverse mode only, so: the Laplacian
// by nested tf.grad (one backward pass of ∂u/∂x_d per input dimension d, over all points at
// once: points are independent), the training step as tf.grads of that loss w.r.t. every
// parameter (third order; TF.js fails there, so also tf.grads over a hand-written forward
// Laplacian, first order only, as bench/torch/workloads.py's training step), the HVP by double backward (grad of ⟨∇θ mse, v⟩). TF.js's own tanh
// cannot be differentiated twice (its gradient kernel has no gradient), and tanh written with exp
// gives a silently wrong second derivative, so tanh here is a tf.customGrad whose gradient,
// dy·(1 − tanh²), is built from this same tanh: differentiable to any order.

import type { Leaves } from '../workload-reference.js';
import { type Adapter, type CompareWorkload, type EngineDef, type Problem, type Workload, problemLeaves } from './engine.js';
import { installNodeWebGPU } from './node-webgpu.js';

type Tf = typeof import('@tensorflow/tfjs-core');
type Tensor = import('@tensorflow/tfjs-core').Tensor;
type Backend = 'cpu' | 'webgpu';

async function load(backend: Backend): Promise<Tf> {
  if (backend === 'webgpu') {
    const why = await installNodeWebGPU();
    if (why) throw new Error(why);
  }
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  tf.enableProdMode(); // as an application ships it: no debug checks, no console banner in Node
  // tfjs-core's bundle registers no gradients (the full tfjs package imports this module); it is
  // ESM with extensionless imports, which Node cannot load: tsx's require resolves them. The
  // gradients land in TF.js's global registry, shared with the bundle's engine.
  const { require: tsxRequire } = (await import('tsx/cjs/api')) as { require: (id: string, from: string) => unknown };
  tsxRequire('@tensorflow/tfjs-core/dist/register_all_gradients', import.meta.url);
  await import(backend === 'cpu' ? '@tensorflow/tfjs-backend-cpu' : '@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js could not initialize its ${backend} backend`);
  await tf.ready();
  return tf;
}

/** The workloads on one TF.js module: u, its Laplacian, the two losses and their derivatives. */
function programs(tf: Tf, layers: number) {
  const tanh: (x: Tensor) => Tensor = tf.customGrad((x, save) => {
    (save as (s: Tensor[]) => void)([x as Tensor]);
    return { value: tf.tanh(x as Tensor), gradFunc: (dy: Tensor, [s]: Tensor[]) => tf.mul(dy, tf.sub(1, tf.square(tanh(s!)))) };
  });
  /** u(X) [N] for X [N, D]. */
  const u = (P: Tensor[], X: Tensor): Tensor => {
    let h = X;
    for (let k = 0; k < layers; k++) h = tanh(tf.add(tf.matMul(h, P[2 * k] as never), P[2 * k + 1]!));
    return tf.add(tf.squeeze(tf.matMul(h, tf.reshape(P[2 * layers]!, [-1, 1])), [1]), P[2 * layers + 1]!);
  };
  /** Δu [N]: for each d, ∂/∂X of Σ_n ∂u_n/∂x_{n,d}, column d (D backward passes over the first). */
  const laplacian = (P: Tensor[], X: Tensor): Tensor => {
    const [N, D] = X.shape as [number, number];
    const first = (Z: Tensor): Tensor => tf.grad((Y: Tensor) => tf.sum(u(P, Y)))(Z);
    let lap: Tensor = tf.zeros([N]);
    for (let d = 0; d < D; d++) {
      const column = (Z: Tensor): Tensor => tf.sum(tf.slice(first(Z), [0, d], [N, 1]));
      lap = tf.add(lap, tf.reshape(tf.slice(tf.grad(column)(X), [0, d], [N, 1]), [N]));
    }
    return lap;
  };
  /**
   * Δu [N] pushed forward by hand through each layer (value h, Jacobian J [N, D, width], Laplacian
   * L): z = h W + b gives J_z = J W, L_z = L W; t = tanh z gives J = t′ J_z, L = t′ L_z + t″ Σ_d J_z².
   */
  const forwardLaplacian = (P: Tensor[], X: Tensor): Tensor => {
    const [N, D] = X.shape as [number, number];
    let h = X;
    let J = tf.tile(tf.reshape(tf.eye(D), [1, D, D]), [N, 1, 1]);
    let L: Tensor = tf.zeros([N, D]);
    for (let k = 0; k < layers; k++) {
      const W = P[2 * k]!;
      const width = W.shape[1]!;
      const t = tanh(tf.add(tf.matMul(h as never, W as never), P[2 * k + 1]!));
      const t1 = tf.sub(1, tf.square(t));
      const t2 = tf.mul(-2, tf.mul(t, t1));
      const Jz = tf.reshape(tf.matMul(tf.reshape(J, [-1, J.shape[2]!]), W as never), [N, D, width]);
      const Lz = tf.matMul(L as never, W as never);
      L = tf.add(tf.mul(t1, Lz), tf.mul(t2, tf.sum(tf.square(Jz), 1)));
      J = tf.mul(tf.reshape(t1, [N, 1, width]), Jz);
      h = t;
    }
    return tf.squeeze(tf.matMul(L as never, tf.reshape(P[2 * layers]!, [-1, 1]) as never), [1]);
  };
  /**
   * ∇θ mean((Δu − g)²). tf.grads throws when an argument does not reach the result ("Cannot
   * compute gradient of y=f(x) with respect to x"): Δu does not depend on the output bias, so its
   * gradient, zero, is appended instead of asked for.
   */
  const trainStep = (P: Tensor[], X: Tensor, g: Tensor, lap: typeof laplacian): Tensor[] => {
    const bOut = P[P.length - 1]!;
    const grads = tf.grads((...Q: Tensor[]) => tf.mean(tf.square(tf.sub(lap([...Q, bOut], X), g))))(P.slice(0, -1));
    return [...grads, tf.zerosLike(bOut)];
  };
  const mseGrad = (P: Tensor[], X: Tensor, y: Tensor): Tensor[] => tf.grads((...Q: Tensor[]) => tf.mean(tf.square(tf.sub(u(Q, X), y))))(P);
  /** H v by double backward: ∇θ ⟨∇θ mse, v⟩. */
  const hvp = (P: Tensor[], V: Tensor[], X: Tensor, y: Tensor): Tensor[] =>
    tf.grads((...Q: Tensor[]) => tf.addN(mseGrad(Q, X, y).map((gr, i) => tf.sum(tf.mul(gr, V[i]!)))))(P);
  return { laplacian, trainStep, hvp, forwardLaplacian };
}

function adapter(tf: Tf, backend: Backend): Adapter {
  return {
    async activate() {
      if (tf.getBackend() !== backend) await tf.setBackend(backend);
    },
    async build(key: CompareWorkload, p: Problem): Promise<Workload[]> {
      await this.activate();
      const { laplacian, trainStep, hvp, forwardLaplacian } = programs(tf, p.net.layers.length);
      const leaves = problemLeaves(p);
      const t = (a: Float64Array, shape: number[]): Tensor => tf.tensor(Float32Array.from(a), shape, 'float32');
      const P = leaves.map(({ data, shape }) => t(data, shape));
      const X = t(p.net.X, [p.net.N, p.net.D]);
      /** Computes inside tf.tidy (intermediates freed), reads the results, frees them. */
      const workload = (method: string, f: () => Tensor | Tensor[]): Workload[] => [
        {
          method,
          run: async (): Promise<Leaves> => {
            const out = tf.tidy(f);
            const list = Array.isArray(out) ? out : [out];
            const read = await Promise.all(list.map(async (a) => Float64Array.from(await a.data())));
            tf.dispose(list);
            return read;
          },
        },
      ];
      switch (key) {
        case 'laplacian':
          return workload('nested tf.grad (D backward passes)', () => laplacian(P, X));
        case 'train': {
          const g = t(p.g, [p.net.N]);
          return [
            ...workload('tf.grads over nested tf.grad', () => trainStep(P, X, g, laplacian)),
            ...workload('tf.grads over a hand-written forward Laplacian', () => trainStep(P, X, g, forwardLaplacian)),
          ];
        }
        case 'hvp': {
          const y = t(p.y, [p.net.N]);
          const V = p.v.map((a, i) => t(a, leaves[i]!.shape));
          return workload('double backward', () => hvp(P, V, X, y));
        }
      }
    },
  };
}

const def = (backend: Backend, against: string): EngineDef => ({
  id: `tfjs-${backend}-f32`,
  library: 'TF.js',
  backend,
  dtype: 'float32',
  phase: backend === 'cpu' ? 'cpu' : 'gpu',
  against,
  open: async () => adapter(await load(backend), backend),
});

export const TFJS_ENGINES: EngineDef[] = [def('cpu', 'wgad-cpu-f32'), def('webgpu', 'wgad-webgpu-f32')];
