// Data types: float32 (default, both backends) and float64 (CPU backend only).

import { DTypeError } from './errors.js';

export type DType = 'float32' | 'float64';
export type HostArray = Float32Array | Float64Array;

export function checkDType(op: string, dtype: unknown): DType {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(`${op}: unsupported dtype ${String(dtype)} (expected 'float32' or 'float64')`);
  }
  return dtype;
}

export function bytesPerElement(dtype: DType): number {
  return dtype === 'float32' ? 4 : 8;
}

export function allocHost(dtype: DType, size: number): HostArray {
  return dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
}
