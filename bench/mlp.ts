// The benchmark networks of the README, the docs and bench/workloads.ts: tanh MLPs with
// deterministic weights and points (a 32-bit LCG), the same as the peers' measurements use.
// mlpData draws the numbers (plain Float64Arrays, so any engine can load them); mlpParams and
// mlpForward build the network on a wgad module instance (the current tree's or a baseline
// checkout's, see bench/workloads.ts); benchmarkMlp is the D = 16, widths 64-64 network.

import { type DType, type Tensor, tensor } from '../src/index.js';
import { _realizeNodes, randn } from '../src/internal.js';

/** The 32-bit LCG: s_{k+1} = (1664525 s_k + 1013904223) mod 2^32, value = fround((2 s/2^32 − 1) scale). */
export function lcg(seed: number): (n: number, scale: number) => Float64Array {
  let s = seed >>> 0;
  return (n, scale) =>
    Float64Array.from({ length: n }, () => {
      s = (Math.imul(1664525, s) + 1013904223) >>> 0;
      return Math.fround((2 * (s / 4294967296) - 1) * scale);
    });
}

/** One hidden layer, z = h W + b, with W stored [inputs, outputs] row-major. */
export interface LayerData {
  inputs: number;
  outputs: number;
  W: Float64Array;
  b: Float64Array;
}

/** f(x) = wOut · tanh(... tanh(x W0 + b0) ...) + bOut at N points X [N, D] (row-major). */
export interface MlpData {
  D: number;
  N: number;
  widths: readonly number[];
  layers: LayerData[];
  wOut: Float64Array;
  bOut: number;
  X: Float64Array;
}

/**
 * The numbers of the tanh MLP D → widths → 1 at N points, drawn in this order from the LCG seeded
 * with `seed`: for each layer W [outputs × inputs] (scale 1.5/√inputs) then b [outputs] (0.5),
 * then the output weights [last width] (1/√width), the output bias (0.5), and X [N × D] (1.0).
 * W is returned transposed, [inputs, outputs]. For widths [64, 64] these are benchmarkMlp's numbers.
 */
export function mlpData(D: number, widths: readonly number[], N: number, seed = 20240607): MlpData {
  const draw = lcg(seed);
  const layers: LayerData[] = [];
  let inputs = D;
  for (const outputs of widths) {
    const drawn = draw(outputs * inputs, 1.5 / Math.sqrt(inputs)); // [outputs, inputs]
    const W = new Float64Array(inputs * outputs);
    for (let o = 0; o < outputs; o++) for (let i = 0; i < inputs; i++) W[i * outputs + o] = drawn[o * inputs + i]!;
    layers.push({ inputs, outputs, W, b: draw(outputs, 0.5) });
    inputs = outputs;
  }
  const wOut = draw(inputs, 1 / Math.sqrt(inputs));
  const bOut = draw(1, 0.5)[0]!;
  return { D, N, widths, layers, wOut, bOut, X: draw(N * D, 1.0) };
}

/** The parameters of an MLP as a pytree: W[i] [inputs, outputs], b[i] [outputs], wOut [width], bOut []. */
export interface MlpParams<T = Tensor> {
  W: T[];
  b: T[];
  wOut: T;
  bOut: T;
}

/** The leaves of `p` in a fixed order: W0, b0, W1, b1, ..., wOut, bOut. */
export function paramLeaves<T>(p: MlpParams<T>): T[] {
  return [...p.W.flatMap((w, i) => [w, p.b[i]!]), p.wOut, p.bOut];
}

/** Builds an MlpParams of the same structure from leaves in paramLeaves order. */
export function paramsFromLeaves<T>(leaves: readonly T[], layers: number): MlpParams<T> {
  return {
    W: Array.from({ length: layers }, (_, i) => leaves[2 * i]!),
    b: Array.from({ length: layers }, (_, i) => leaves[2 * i + 1]!),
    wOut: leaves[2 * layers]!,
    bOut: leaves[2 * layers + 1]!,
  };
}

/** Each parameter's numbers and shape, in paramLeaves order. */
export function paramArrays(m: MlpData): { data: Float64Array; shape: number[] }[] {
  return paramLeaves({
    W: m.layers.map((l) => ({ data: l.W, shape: [l.inputs, l.outputs] })),
    b: m.layers.map((l) => ({ data: l.b, shape: [l.outputs] })),
    wOut: { data: m.wOut, shape: [m.wOut.length] },
    bOut: { data: Float64Array.of(m.bOut), shape: [] },
  });
}

/** The `tensor` creation function of a wgad module instance (the current tree's or a baseline's). */
export type TensorFn = (data: Float64Array, opts: { dtype: DType; shape: number[] }) => Tensor;

/** The parameters of `m` as realized tensors of `dtype` made by `make` (weights already [inputs, outputs]). */
export function mlpParams(make: TensorFn, m: MlpData, dtype: DType): MlpParams {
  const leaves = paramArrays(m).map(({ data, shape }) => make(data, { dtype, shape }));
  return paramsFromLeaves(leaves, m.layers.length);
}

/** f(x) = wOut · tanh(... tanh(x W0 + b0) ...) + bOut for x [N, D]; returns [N]. */
export function mlpForward(p: MlpParams, x: Tensor): Tensor {
  let h = x;
  p.W.forEach((W, i) => {
    h = h.matmul(W).add(p.b[i]!).tanh();
  });
  return h.matmul(p.wOut).add(p.bOut);
}

/** f(x) = W3 tanh(W2 tanh(W1 x + b1) + b2) + b3, D = 16, widths 64, N = 256 points (weights transposed lazily). */
export function benchmarkMlp(dtype: DType, D = 16, H = 64, N = 256): { f: (X: Tensor) => Tensor; X: Tensor } {
  const m = mlpData(D, [H, H], N);
  const t = (a: Float64Array, shape: number[]): Tensor => tensor(a, { dtype, shape });
  // as drawn, [outputs, inputs], transposed lazily (the graph this benchmark always had)
  const drawnLayout = (l: LayerData): Tensor => {
    const a = new Float64Array(l.W.length);
    for (let i = 0; i < l.inputs; i++) for (let o = 0; o < l.outputs; o++) a[o * l.inputs + i] = l.W[i * l.outputs + o]!;
    return t(a, [l.outputs, l.inputs]).transpose();
  };
  const [l1, l2] = m.layers as [LayerData, LayerData];
  const W1t = drawnLayout(l1);
  const W2t = drawnLayout(l2);
  const b1 = t(l1.b, [H]);
  const b2 = t(l2.b, [H]);
  const W3 = t(m.wOut, [H]);
  const b3 = t(Float64Array.of(m.bOut), []);
  const X = t(m.X, [m.N, D]);
  const f = (x: Tensor): Tensor => x.matmul(W1t).add(b1).tanh().matmul(W2t).add(b2).tanh().matmul(W3).add(b3);
  return { f, X };
}

/**
 * A small L-hidden-layer tanh MLP with biases, D → H → … → H → 1 (an [N, D] input gives [N]), for
 * kernel counts: weights randn(…).mul(1/√fan-in), biases randn(…).mul(0.1), realized or left lazy
 * (as built). `apply(params)` is the network at those parameters.
 */
export function layeredTanhMlp(L: number, { D = 4, H = 8, dtype = 'float64', lazy = false }: { D?: number; H?: number; dtype?: DType; lazy?: boolean } = {}) {
  const mk = (shape: number[], s: number, seed: number): Tensor => {
    const t = randn(shape, { dtype, seed }).mul(s);
    if (!lazy) _realizeNodes([t.node]);
    return t;
  };
  const params: Tensor[] = [];
  let din = D;
  for (let l = 0; l < L; l++) {
    params.push(mk([din, H], 1 / Math.sqrt(din), 10 + l), mk([H], 0.1, 20 + l));
    din = H;
  }
  params.push(mk([H], 1 / Math.sqrt(H), 30), mk([], 0.1, 31));
  const apply =
    (q: readonly Tensor[]) =>
    (X: Tensor): Tensor => {
      let h = X;
      for (let l = 0; l < L; l++)
        h = h
          .matmul(q[2 * l]!)
          .add(q[2 * l + 1]!)
          .tanh();
      return h.matmul(q[2 * L]!).add(q[2 * L + 1]!);
    };
  return { params, apply };
}
