// The public Tensor handle: a lazy reference to a graph node with shape and dtype. Ops are
// methods (delegating to src/ops.ts, which hands its functions over when it loads, so this file
// imports no op code); only data() / array() are async and trigger computation (through the
// runtime installed in src/ir/host.ts).

import type { DType, HostArray } from './dtype.js';
import { ArgumentError } from './errors.js';
import { runtimeHost } from './ir/host.js';
import type { Node } from './ir/node.js';
import type * as Ops from './ops.js';
import type { TensorLike } from './ops.js';
import type { LibraryOps } from './nn/methods.js';

export type NestedArray = number | NestedArray[];

let ops: typeof Ops = new Proxy({} as typeof Ops, {
  get(): never {
    throw new Error('wgad: Tensor methods need src/ops.ts; import from the package entry point (src/index.ts)');
  },
});

/** Called once by src/ops.ts when it loads: the functions behind the Tensor methods. */
export function bindOps(impl: typeof Ops): void {
  ops = impl;
}

let lib: LibraryOps = new Proxy({} as LibraryOps, {
  get(): never {
    throw new Error('wgad: this Tensor method needs src/nn; import from the package entry point (src/index.ts)');
  },
});

/** Called once by src/nn/methods.ts when it loads: the library ops that are Tensor methods. */
export function bindLibraryOps(impl: LibraryOps): void {
  lib = impl;
}

export class Tensor {
  constructor(readonly node: Node) {}

  get shape(): number[] {
    return this.node.shape.slice();
  }
  get dtype(): DType {
    return this.node.dtype;
  }
  get size(): number {
    return this.node.size;
  }
  get ndim(): number {
    return this.node.rank;
  }

  /** Computes the value (if needed) and returns a copy of it, flat, row-major. */
  async data(): Promise<HostArray> {
    if (this.node.disposed) throw new ArgumentError('data: the tensor was disposed');
    return runtimeHost().read(this.node);
  }

  /** Computes the value and returns it as nested JS arrays (a number for a 0-d tensor). */
  async array(): Promise<NestedArray> {
    const flat = await this.data();
    const shape = this.node.shape;
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === shape.length) return flat[offset]!;
      const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new ArgumentError(`item: tensor of shape [${this.node.shape.join(', ')}] has ${this.size} elements, not 1`);
    return (await this.data())[0]!;
  }

  /** Frees the computed value now; the tensor cannot be used afterwards. */
  dispose(): void {
    runtimeHost().release(this.node);
  }

  toString(): string {
    return `Tensor(shape=[${this.node.shape.join(', ')}], dtype=${this.node.dtype})`;
  }

  add(b: TensorLike): Tensor {
    return ops.add(this, b);
  }
  sub(b: TensorLike): Tensor {
    return ops.sub(this, b);
  }
  mul(b: TensorLike): Tensor {
    return ops.mul(this, b);
  }
  div(b: TensorLike): Tensor {
    return ops.div(this, b);
  }
  maximum(b: TensorLike): Tensor {
    return ops.maximum(this, b);
  }
  /** atan2(this, x): the angle of the point (x, this). */
  atan2(x: TensorLike): Tensor {
    return ops.atan2(this, x);
  }
  minimum(b: TensorLike): Tensor {
    return ops.minimum(this, b);
  }
  pow(exponent: number): Tensor {
    return ops.pow(this, exponent);
  }
  less(b: TensorLike): Tensor {
    return ops.less(this, b);
  }
  lessEqual(b: TensorLike): Tensor {
    return ops.lessEqual(this, b);
  }
  greater(b: TensorLike): Tensor {
    return ops.greater(this, b);
  }
  greaterEqual(b: TensorLike): Tensor {
    return ops.greaterEqual(this, b);
  }
  equal(b: TensorLike): Tensor {
    return ops.equal(this, b);
  }
  notEqual(b: TensorLike): Tensor {
    return ops.notEqual(this, b);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  sin(): Tensor {
    return ops.sin(this);
  }
  cos(): Tensor {
    return ops.cos(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  softplus(): Tensor {
    return ops.softplus(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  log1p(): Tensor {
    return ops.log1p(this);
  }
  expm1(): Tensor {
    return ops.expm1(this);
  }
  erf(): Tensor {
    return ops.erf(this);
  }
  gelu(): Tensor {
    return ops.gelu(this);
  }
  square(): Tensor {
    return ops.square(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  sign(): Tensor {
    return ops.sign(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  astype(dtype: DType): Tensor {
    return ops.astype(this, dtype);
  }
  matmul(b: Tensor): Tensor {
    return ops.matmul(this, b);
  }
  sum(axis?: number | number[] | null, keepdims = false): Tensor {
    return ops.sum(this, axis, keepdims);
  }
  mean(axis?: number | number[] | null, keepdims = false): Tensor {
    return ops.mean(this, axis, keepdims);
  }
  max(axis?: number | number[] | null, keepdims = false): Tensor {
    return ops.max(this, axis, keepdims);
  }
  min(axis?: number | number[] | null, keepdims = false): Tensor {
    return ops.min(this, axis, keepdims);
  }
  logsumexp(axis?: number | number[] | null, keepdims = false): Tensor {
    return ops.logsumexp(this, axis, keepdims);
  }
  reshape(shape: number[]): Tensor {
    return ops.reshape(this, shape);
  }
  transpose(perm?: number[]): Tensor {
    return ops.transpose(this, perm);
  }
  permute(perm: number[]): Tensor {
    return ops.permute(this, perm);
  }
  broadcastTo(shape: number[]): Tensor {
    return ops.broadcastTo(this, shape);
  }
  expandDims(axis: number): Tensor {
    return ops.expandDims(this, axis);
  }
  squeeze(axis?: number | number[]): Tensor {
    return ops.squeeze(this, axis);
  }
  slice(starts: number[], ends?: (number | null)[], steps?: number[]): Tensor {
    return ops.slice(this, starts, ends, steps);
  }
  pad(pads: [number, number][]): Tensor {
    return ops.pad(this, pads);
  }
  /** softmax along `axis` (default the last): a fused op with explicit rules (src/nn/softmax.ts). */
  softmax(axis = -1): Tensor {
    return lib.softmax(this, axis);
  }
  /** log softmax along `axis` (default the last), stable: a fused op (src/nn/softmax.ts). */
  logSoftmax(axis = -1): Tensor {
    return lib.logSoftmax(this, axis);
  }
  /** Index of the largest value along `axis` (flattened when absent); no derivative. */
  argmax(axis?: number, keepdims = false): Tensor {
    return lib.argmax(this, axis, keepdims);
  }
  /** Index of the smallest value along `axis` (flattened when absent); no derivative. */
  argmin(axis?: number, keepdims = false): Tensor {
    return lib.argmin(this, axis, keepdims);
  }
  /** NumPy's take: entries at `indices` (float tensor of integers) along `axis`. */
  take(indices: Tensor, axis?: number): Tensor {
    return lib.take(this, indices, axis);
  }
  /** take_along_axis / PyTorch's gather along `axis`. */
  gather(indices: Tensor, axis: number): Tensor {
    return lib.gather(this, indices, axis);
  }
}
