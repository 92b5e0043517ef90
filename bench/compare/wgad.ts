// wgad's engines for `npm run bench -- --compare`: the current tree on the CPU backend in float64
// (the reference every other engine's ratio and check starts from) and float32, and on WebGPU in
// float32. The methods are bench/wgad-workloads.ts's: the collapsed Laplacian, grad of the
// collapsed Laplacian's loss, hvp fwd-rev and rev-rev, each jit-ed (and the first two also not).

import type { DType } from '../../src/index.js';
import { type BenchData, type WgadModule, type WorkloadKey, wgadVariants } from '../wgad-workloads.js';
import type { Adapter, CompareWorkload, EngineDef, Problem, Workload } from './engine.js';

const AS_WORKLOAD: Record<CompareWorkload, WorkloadKey> = { laplacian: 'lap16', train: 'train', hvp: 'hvp' };

/** The backend wgad has active now (one at a time: init() destroys the previous one). */
let active: 'cpu' | 'webgpu' | null = null;

function adapter(api: WgadModule, backend: 'cpu' | 'webgpu', dtype: DType): Adapter {
  return {
    async activate() {
      if (active === backend) return;
      await api.init({ backend });
      active = backend;
    },
    async build(key: CompareWorkload, p: Problem): Promise<Workload[]> {
      // wgad-workloads' data: its Laplacian workload on the problem's network
      const d: BenchData = { small: p.net, big: p.net, g: p.g, y: p.y, v: p.v, u: p.u };
      return wgadVariants(api, AS_WORKLOAD[key], d, dtype);
    },
  };
}

async function open(backend: 'cpu' | 'webgpu', dtype: DType): Promise<Adapter> {
  const api = (await import('../../src/index.js')) as WgadModule;
  const a = adapter(api, backend, dtype);
  await a.activate(); // fails here, reported as unavailable, when there is no WebGPU adapter
  return a;
}

export const WGAD_ENGINES: EngineDef[] = [
  { id: 'wgad-cpu-f64', library: 'wgad', backend: 'cpu', dtype: 'float64', phase: 'cpu', open: () => open('cpu', 'float64') },
  { id: 'wgad-cpu-f32', library: 'wgad', backend: 'cpu', dtype: 'float32', phase: 'cpu', open: () => open('cpu', 'float32') },
  { id: 'wgad-webgpu-f32', library: 'wgad', backend: 'webgpu', dtype: 'float32', phase: 'gpu', open: () => open('webgpu', 'float32') },
];
