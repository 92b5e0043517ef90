// Compute pipelines of one GPUDevice, cached by their program's key (the WGSL source and the values
// of its override constants: kernels/program.ts) and shared by every WebGpuBackend on that device
// (init() twice compiles nothing twice). Code and constants are a complete description of a
// pipeline (bindings, uniform block, shapes, code), so two kernels share one exactly when they need
// the same one. Pipelines are compiled asynchronously ahead of a plan (createComputePipelineAsync:
// off the calling thread, several at once) or, when a plan runs without that step, synchronously;
// either way WebGPU's verdict is kept as a Failure.

import type { BindingSpec, KernelProgram } from '../../../kernels/program.js';

/** Settles with null when WebGPU accepted the work, or with wgad's message when it rejected it. */
export type Failure = Promise<string | null>;

/** A compute pipeline and WebGPU's verdict on its shader. */
export interface Pipeline {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly failure: Failure;
}

const SHADER_STAGE_COMPUTE = 0x4;

function rejectedMessage(p: KernelProgram, detail: string): string {
  return `WebGPU rejected the generated kernel '${p.label}' (a wgad code-generation bug: please report it with this message). WebGPU said: ${detail}\n--- override constants ---\n${JSON.stringify(p.constants)}\n--- WGSL ---\n${p.code}`;
}

export class PipelineCache {
  private readonly ready = new Map<string, Pipeline>();
  private readonly compiling = new Map<string, Promise<Pipeline | null>>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  /** Pipelines created and milliseconds spent creating them (synchronous creation, or awaiting asynchronous creation). */
  created = 0;
  compileMs = 0;

  constructor(private readonly device: GPUDevice) {}

  /** The pipeline for `p`, created now (synchronously) if no earlier call made it. */
  get(p: KernelProgram): Pipeline {
    const hit = this.ready.get(p.key);
    if (hit) return hit;
    const t0 = performance.now();
    const layout = this.layout(p.bindings);
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: p.code, label: p.label });
    const pipeline = this.device.createComputePipeline({
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main', constants: p.constants },
      label: p.label,
    });
    const failure = this.device.popErrorScope().then((e) => (e ? rejectedMessage(p, e.message) : null));
    return this.add(p.key, { pipeline, layout, failure }, t0);
  }

  /**
   * Creates the pipelines of `programs` that do not exist yet, concurrently and off the calling
   * thread (null when all exist). A program WebGPU rejects is left to get(), which records the
   * rejection as a Failure.
   */
  prepare(programs: readonly KernelProgram[]): Promise<void> | null {
    const waits: Promise<Pipeline | null>[] = [];
    const t0 = performance.now();
    for (const p of programs) {
      if (this.ready.has(p.key)) continue;
      let w = this.compiling.get(p.key);
      if (!w) {
        const layout = this.layout(p.bindings);
        const module = this.device.createShaderModule({ code: p.code, label: p.label });
        w = this.device
          .createComputePipelineAsync({
            layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
            compute: { module, entryPoint: 'main', constants: p.constants },
            label: p.label,
          })
          .then(
            (pipeline) => (this.ready.has(p.key) ? this.ready.get(p.key)! : this.add(p.key, { pipeline, layout, failure: Promise.resolve(null) })),
            () => null,
          )
          .finally(() => this.compiling.delete(p.key));
        this.compiling.set(p.key, w);
      }
      waits.push(w);
    }
    if (waits.length === 0) return null;
    return Promise.all(waits).then(() => {
      this.compileMs += performance.now() - t0;
    });
  }

  private add(key: string, p: Pipeline, t0?: number): Pipeline {
    this.ready.set(key, p);
    this.created++;
    if (t0 !== undefined) this.compileMs += performance.now() - t0;
    return p;
  }

  private layout(specs: readonly BindingSpec[]): GPUBindGroupLayout {
    const sig = specs.map((s) => (s.kind === 'out' ? 'w' : s.kind === 'uniform' ? 'u' : 'r')).join('');
    let l = this.layouts.get(sig);
    if (!l) {
      l = this.device.createBindGroupLayout({
        entries: specs.map((s, binding) => ({
          binding,
          visibility: SHADER_STAGE_COMPUTE,
          buffer: { type: s.kind === 'out' ? 'storage' : s.kind === 'uniform' ? 'uniform' : 'read-only-storage' },
        })),
      });
      this.layouts.set(sig, l);
    }
    return l;
  }
}

const caches = new WeakMap<GPUDevice, PipelineCache>();

/** The pipeline cache of `device` (one per device, shared by its backends). */
export function pipelineCache(device: GPUDevice): PipelineCache {
  let c = caches.get(device);
  if (!c) caches.set(device, (c = new PipelineCache(device)));
  return c;
}
