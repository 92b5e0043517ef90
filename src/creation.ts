// Tensor creation: from JS data (numbers, nested arrays, typed arrays), constant fills, ranges,
// and seeded random tensors. All produce constant leaves holding host data.

import { type DType, type HostArray, allocHost, checkDType } from './dtype.js';
import { ArgumentError, ShapeError, fmtShape } from './errors.js';
import { constNode } from './ir/build.js';
import { checkExtent, checkShape, sizeOf } from './ir/shape.js';
import { Rng, nextDefaultSeed } from './random.js';
import { checkBackendDType } from './ir/host.js';
import { type NestedArray, Tensor } from './tensor.js';

export interface CreateOptions {
  dtype?: DType;
  /** Required with a flat typed array or flat JS array whose shape is not 1-D. */
  shape?: number[];
}

function dtypeOf(op: string, opts: { dtype?: DType } | undefined, fallback: DType = 'float32'): DType {
  const dtype = opts?.dtype === undefined ? fallback : checkDType(op, opts.dtype);
  checkBackendDType(op, dtype);
  return dtype;
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'an object';
  if (typeof x === 'string') return `string ${JSON.stringify(x.length > 20 ? `${x.slice(0, 20)}...` : x)}`;
  return `${typeof x} ${String(x)}`;
}

function inferShape(data: NestedArray, path = 'data'): number[] {
  if (typeof data === 'number') return [];
  if (!Array.isArray(data)) throw new ArgumentError(`tensor: ${path} must be a number or an array of numbers, got ${describe(data)}`);
  if (data.length === 0) return [0];
  const inner = inferShape(data[0]!, `${path}[0]`);
  for (let i = 1; i < data.length; i++) {
    const s = inferShape(data[i]!, `${path}[${i}]`);
    if (s.length !== inner.length || s.some((d, j) => d !== inner[j])) {
      throw new ShapeError(`tensor: ragged nested array: ${path}[0] has shape ${fmtShape(inner)} but ${path}[${i}] has ${fmtShape(s)}`);
    }
  }
  return [data.length, ...inner];
}

function fill(out: HostArray, data: NestedArray, offset: { i: number }): void {
  if (typeof data === 'number') {
    out[offset.i++] = data;
    return;
  }
  for (const d of data) fill(out, d, offset);
}

/** A tensor from a number (0-d), nested arrays, or a typed array with `{ shape }`. */
export function tensor(data: NestedArray | ArrayLike<number>, opts?: CreateOptions): Tensor {
  if (data instanceof Tensor) return opts?.dtype ? data.astype(opts.dtype) : data;
  const isTyped = ArrayBuffer.isView(data);
  const dtype = dtypeOf('tensor', opts, 'float32');
  let shape: number[];
  let host: HostArray;
  if (isTyped) {
    const arr = data as ArrayLike<number>;
    shape = opts?.shape ? checkShape('tensor', opts.shape) : [arr.length];
    if (sizeOf(shape) !== arr.length) throw new ShapeError(`tensor: ${arr.length} values do not fill shape ${fmtShape(shape)}`);
    host = allocHost(dtype, arr.length);
    host.set(arr);
  } else {
    shape = inferShape(data as NestedArray);
    host = allocHost(dtype, sizeOf(shape));
    fill(host, data as NestedArray, { i: 0 });
    if (opts?.shape) {
      const target = checkShape('tensor', opts.shape);
      if (sizeOf(target) !== host.length) throw new ShapeError(`tensor: ${host.length} values do not fill shape ${fmtShape(target)}`);
      shape = target;
    }
  }
  return new Tensor(constNode(host, shape, dtype));
}

function filled(op: string, shape: number[], value: number, opts?: { dtype?: DType }): Tensor {
  const s = checkShape(op, shape);
  if (typeof value !== 'number') throw new ArgumentError(`${op}: value must be a number, got ${typeof value}`);
  const dtype = dtypeOf(op, opts);
  const host = allocHost(dtype, sizeOf(s));
  host.fill(value);
  return new Tensor(constNode(host, s, dtype));
}

export const full = (shape: number[], value: number, opts?: { dtype?: DType }): Tensor => filled('full', shape, value, opts);
export const zeros = (shape: number[], opts?: { dtype?: DType }): Tensor => filled('zeros', shape, 0, opts);
export const ones = (shape: number[], opts?: { dtype?: DType }): Tensor => filled('ones', shape, 1, opts);
export const zerosLike = (t: Tensor): Tensor => full(t.shape, 0, { dtype: t.dtype });
export const onesLike = (t: Tensor): Tensor => full(t.shape, 1, { dtype: t.dtype });

/** [start, stop) in steps of `step`; with one argument, [0, start). */
export function arange(start: number, stop?: number, step = 1, opts?: { dtype?: DType }): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  for (const [name, v] of [
    ['start', start],
    ['stop', stop],
    ['step', step],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(`arange: ${name} must be a finite number, got ${String(v)}`);
  }
  if (step === 0) throw new ArgumentError('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  checkExtent('arange', [n], `the result [${n}] of arange(${start}, ${stop}, ${step})`);
  const host = allocHost(dtypeOf('arange', opts), n);
  for (let i = 0; i < n; i++) host[i] = start + i * step;
  return new Tensor(constNode(host, [n], dtypeOf('arange', opts)));
}

/** `num` evenly spaced values from start to stop, both included. */
export function linspace(start: number, stop: number, num: number, opts?: { dtype?: DType }): Tensor {
  if (!Number.isInteger(num) || num < 0) throw new ArgumentError(`linspace: num must be a non-negative integer, got ${num}`);
  if (!Number.isFinite(start) || !Number.isFinite(stop)) throw new ArgumentError(`linspace: start and stop must be finite, got ${start}, ${stop}`);
  checkExtent('linspace', [num], `the result [${num}]`);
  const host = allocHost(dtypeOf('linspace', opts), num);
  for (let i = 0; i < num; i++) host[i] = num === 1 ? start : start + ((stop - start) * i) / (num - 1);
  return new Tensor(constNode(host, [num], dtypeOf('linspace', opts)));
}

export interface RandomOptions {
  seed?: number;
  dtype?: DType;
}

/** A tensor of `shape` filled with `draw(rng)` in row-major order, `rng` seeded by opts.seed (named `op` in errors). */
export function randomTensor(op: string, shape: number[], opts: RandomOptions | undefined, draw: (r: Rng) => number): Tensor {
  const s = checkShape(op, shape);
  const seed = opts?.seed ?? nextDefaultSeed();
  if (!Number.isFinite(seed)) throw new ArgumentError(`${op}: seed must be a finite number, got ${seed}`);
  const rng = new Rng(seed);
  const dtype = dtypeOf(op, opts);
  const host = allocHost(dtype, sizeOf(s));
  for (let i = 0; i < host.length; i++) host[i] = draw(rng);
  return new Tensor(constNode(host, s, dtype));
}

/** Standard normal samples; the same seed gives the same numbers on every backend. */
export const randn = (shape: number[], opts?: RandomOptions): Tensor => randomTensor('randn', shape, opts, (r) => r.normal());
/** Uniform samples in [0, 1). */
export const rand = (shape: number[], opts?: RandomOptions): Tensor => randomTensor('rand', shape, opts, (r) => r.uniform());
