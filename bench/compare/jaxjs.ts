// jax-js (@jax-js/jax) as a peer of `npm run bench -- --compare`, on its wasm device (float64
// and float32; single-threaded in Node) and on WebGPU (float32). Its best ways, written here with
// its public API: the Laplacian as vmap over points of trace(hessian(u)) (hessian = jacfwd∘grad,
// forward over reverse), the training step as grad of that loss w.r.t. every parameter, the HVP
// as jvp of grad (forward over reverse); each also jit-ed. jax-js arrays are reference-counted:
// every function below consumes its array arguments exactly once (`.ref` keeps a copy alive).

import type { Leaves } from '../workload-reference.js';
import { type Adapter, type CompareWorkload, type EngineDef, type Problem, type Workload, problemLeaves } from './engine.js';
import { installNodeWebGPU } from './node-webgpu.js';

type Jax = typeof import('@jax-js/jax');
type JArray = import('@jax-js/jax').Array;
type Device = 'wasm' | 'webgpu';
/** A workload's function: array arguments, array results. */
type Program = (...a: never[]) => JArray | JArray[];

async function load(device: Device): Promise<Jax> {
  const whyNoGpu = await installNodeWebGPU(); // also the Float16Array stand-in jax-js needs in Node 20
  if (device === 'webgpu' && whyNoGpu) throw new Error(whyNoGpu);
  const jax = (await import('@jax-js/jax')) as Jax;
  const got = await jax.init(device);
  if (!got.includes(device)) throw new Error(`jax-js could not initialize its ${device} device (init returned [${got.join(', ')}])`);
  return jax;
}

/** Reads arrays back (consuming them) as float64 leaves. */
async function readAll(arrays: JArray[]): Promise<Leaves> {
  return Promise.all(arrays.map(async (a) => Float64Array.from(await a.data())));
}

/** The workloads' functions on one jax-js module, in the ownership convention (arguments consumed once). */
function programs(jax: Jax, layers: number) {
  const { numpy: np, grad, hessian, jvp, vmap } = jax;
  const refs = (P: JArray[]): JArray[] => P.map((p) => p.ref);
  /** u(x) = wOut · tanh(... tanh(x W0 + b0) ...) + bOut for x [D] or X [N, D]. */
  const u = (P: JArray[], x: JArray): JArray => {
    let h = x;
    for (let k = 0; k < layers; k++) h = np.tanh(np.matmul(h, P[2 * k]!).add(P[2 * k + 1]!));
    return np.matmul(h, P[2 * layers]!).add(P[2 * layers + 1]!);
  };
  /** Δu at every row of X: vmap over points of trace(hessian). */
  const laplacian = (P: JArray[], X: JArray): JArray => {
    const out = vmap((x: JArray) => np.trace(hessian((z: JArray) => u(refs(P), z))(x)))(X);
    for (const p of P) p.dispose();
    return out;
  };
  const trainLoss = (P: JArray[], X: JArray, g: JArray): JArray => np.mean(np.square(laplacian(P, X).sub(g)));
  const trainStep = (P: JArray[], X: JArray, g: JArray): JArray[] => grad(trainLoss)(P, X, g) as JArray[];
  const mse = (P: JArray[], X: JArray, y: JArray): JArray => np.mean(np.square(u(P, X).sub(y)));
  /** H v of mse w.r.t. P: jvp of grad (forward over reverse). */
  const hvp = (P: JArray[], V: JArray[], X: JArray, y: JArray): JArray[] => {
    const [g, hv] = jvp((Q: JArray[]) => grad(mse)(Q, X.ref, y.ref) as JArray[], [P], [V]);
    for (const a of [...g, X, y]) a.dispose();
    return hv;
  };
  return { laplacian, trainStep, hvp, refs };
}

function adapter(jax: Jax, device: Device, dtype: 'float64' | 'float32'): Adapter {
  const { numpy: np, jit } = jax;
  const array = (data: Float64Array, shape: number[]): JArray =>
    dtype === 'float64' ? np.array(Float64Array.from(data), { shape, dtype: np.float64 }) : np.array(Float32Array.from(data), { shape, dtype: np.float32 });
  return {
    async activate() {
      jax.defaultDevice(device);
    },
    async build(key: CompareWorkload, p: Problem): Promise<Workload[]> {
      jax.defaultDevice(device);
      const { laplacian, trainStep, hvp, refs } = programs(jax, p.net.layers.length);
      const leaves = problemLeaves(p);
      const P = leaves.map(({ data, shape }) => array(data, shape));
      const X = array(p.net.X, [p.net.N, p.net.D]);
      const both = (name: string, f: Program, args: () => unknown[]): Workload[] => {
        const call = f as unknown as (...a: unknown[]) => JArray | JArray[];
        const jitted = jit(call as never) as unknown as (...a: unknown[]) => JArray | JArray[];
        const read = (out: JArray | JArray[]) => readAll(Array.isArray(out) ? out : [out]);
        return [
          { method: name, run: () => read(call(...args())) },
          { method: `${name}, jit`, run: () => read(jitted(...args())) },
        ];
      };
      switch (key) {
        case 'laplacian':
          return both('vmap(trace∘hessian)', laplacian, () => [refs(P), X.ref]);
        case 'train': {
          const g = array(p.g, [p.net.N]);
          return both('grad of vmap(trace∘hessian) loss', trainStep, () => [refs(P), X.ref, g.ref]);
        }
        case 'hvp': {
          const y = array(p.y, [p.net.N]);
          const V = p.v.map((a, i) => array(a, leaves[i]!.shape));
          return both('jvp∘grad', hvp, () => [refs(P), refs(V), X.ref, y.ref]);
        }
      }
    },
  };
}

const def = (device: Device, dtype: 'float64' | 'float32', against: string): EngineDef => ({
  id: `jaxjs-${device}-${dtype === 'float64' ? 'f64' : 'f32'}`,
  library: 'jax-js',
  backend: device,
  dtype,
  phase: device === 'wasm' ? 'cpu' : 'gpu',
  against,
  open: async () => adapter(await load(device), device, dtype),
});

/**
 * float32 first: jax-js's third-order training step leaks wasm memory on every call (about 170 MB
 * at the default size, float32), and its wasm memory, shared by both dtypes, stops at 4 GiB.
 */
export const JAXJS_ENGINES: EngineDef[] = [
  def('wasm', 'float32', 'wgad-cpu-f32'),
  def('wasm', 'float64', 'wgad-cpu-f64'),
  def('webgpu', 'float32', 'wgad-webgpu-f32'),
];
