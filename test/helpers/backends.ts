// Backend-parametrized suites (in the spirit of TF.js describeWithFlags): a suite written once
// runs on every backend case. The CPU backend in float64 is the reference; float32 cases (CPU and
// WebGPU) are compared against float64 references with a float32 tolerance.

import { beforeAll, describe } from 'vitest';
import { type DType, init } from '../../src/index.js';
import { webgpuCaseEnabled } from '../webgpu/adapter.js';

export interface BackendCase {
  /** Suite label, e.g. 'cpu/float64'. */
  readonly name: string;
  readonly backend: 'cpu' | 'webgpu';
  /** dtype the tests should create their tensors in. */
  readonly dtype: DType;
  /** Relative tolerance against a float64 reference. */
  readonly rtol: number;
  /** Absolute tolerance against a float64 reference. */
  readonly atol: number;
}

export const CPU64: BackendCase = { name: 'cpu/float64', backend: 'cpu', dtype: 'float64', rtol: 1e-12, atol: 1e-12 };
export const CPU32: BackendCase = { name: 'cpu/float32', backend: 'cpu', dtype: 'float32', rtol: 2e-5, atol: 2e-6 };
export const GPU32: BackendCase = { name: 'webgpu/float32', backend: 'webgpu', dtype: 'float32', rtol: 1e-4, atol: 1e-5 };

/** Backend cases to run: CPU always; WebGPU when the WebGPU backend finds an adapter. */
export function backendCases(opts: { float64?: boolean; float32?: boolean } = {}): BackendCase[] {
  const cases: BackendCase[] = [];
  if (opts.float64 !== false) cases.push(CPU64);
  if (opts.float32 !== false) cases.push(CPU32);
  // WebGPU: when an adapter is found; otherwise a loud warning, or a failure with WGAD_REQUIRE_WEBGPU=1
  if (opts.float32 !== false && webgpuCaseEnabled()) cases.push(GPU32);
  return cases;
}

/** describe() once per backend case, with the backend initialized before the suite runs. */
export function describeBackends(title: string, fn: (c: BackendCase) => void, opts?: { float64?: boolean; float32?: boolean }): void {
  for (const c of backendCases(opts)) {
    describe(`${title} [${c.name}]`, () => {
      beforeAll(async () => {
        await init({ backend: c.backend });
      });
      fn(c);
    });
  }
}
