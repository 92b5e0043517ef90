// Which backend init({ backend: 'auto' }) picks, and why: a pure function of the adapter's facts
// and where the code runs, so the rule is testable with fake adapters.
//
// The rule: a hardware GPU adapter -> WebGPU. A software adapter (isFallbackAdapter, SwiftShader,
// llvmpipe/lavapipe, WARP, Microsoft Basic Render) computes on the same CPU cores as wgad's CPU
// backend and is slower than it (2.5-3.3x on every workload measured on a 2-core machine, plus
// pipeline compilation), so: in Node and in a worker -> the CPU backend; on a page's main thread ->
// WebGPU anyway, because the CPU backend would run on the UI thread and freeze the page while it
// computes, while a software adapter runs in the browser's GPU process. No adapter -> the CPU.

export type BackendKind = 'cpu' | 'webgpu';

/** What a WebGPU adapter says about itself (GPUAdapterInfo, plus isFallbackAdapter). */
export interface AdapterFacts {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  readonly isFallbackAdapter: boolean;
}

/** Where wgad runs: Node (or Deno/Bun), a page's main thread, or a worker. */
export type Environment = 'node' | 'page' | 'worker';

export interface BackendChoice {
  /** The backend init() chose. */
  readonly backend: BackendKind;
  /** What init() was asked for. */
  readonly requested: 'cpu' | 'webgpu' | 'auto';
  /** Why, in a sentence. */
  readonly reason: string;
  /** The WebGPU adapter considered, e.g. 'google swiftshader (fallback adapter)'; null when none was. */
  readonly adapter: string | null;
}

const SOFTWARE = [
  { re: /swiftshader/i, name: 'SwiftShader' },
  { re: /llvmpipe|lavapipe/i, name: 'llvmpipe' },
  { re: /\bwarp\b|microsoft basic render/i, name: 'WARP' },
];

/** The adapter described in a few words, e.g. 'nvidia hopper' or 'google swiftshader (fallback adapter)'. */
export function describeAdapter(a: AdapterFacts): string {
  return `${a.vendor || 'unknown vendor'} ${a.architecture || a.description || 'unknown device'}${a.isFallbackAdapter ? ' (fallback adapter)' : ''}`;
}

/** Why `a` is a software (CPU-emulated) adapter, or null for a hardware GPU. */
export function softwareAdapter(a: AdapterFacts): string | null {
  if (a.isFallbackAdapter) return 'isFallbackAdapter is set';
  const text = `${a.vendor} ${a.architecture} ${a.description}`;
  const hit = SOFTWARE.find((s) => s.re.test(text));
  return hit ? `${hit.name} is a software renderer` : null;
}

/** The choice for 'auto', given the adapter found (null: none, with `whyNone`). */
export function chooseAuto(adapter: AdapterFacts | null, env: Environment, whyNone = 'no WebGPU adapter was found'): BackendChoice {
  if (!adapter) return { backend: 'cpu', requested: 'auto', reason: `${whyNone}; the CPU backend runs everywhere`, adapter: null };
  const name = describeAdapter(adapter);
  const software = softwareAdapter(adapter);
  if (!software) return { backend: 'webgpu', requested: 'auto', reason: `${name} is a hardware GPU adapter`, adapter: name };
  if (env === 'page') {
    return {
      backend: 'webgpu',
      requested: 'auto',
      reason: `the only WebGPU adapter, ${name}, is a software adapter (${software}), but on a page's main thread the CPU backend would block the UI; a worker would choose the CPU`,
      adapter: name,
    };
  }
  return {
    backend: 'cpu',
    requested: 'auto',
    reason: `the only WebGPU adapter, ${name}, is a software adapter (${software}): it computes on the same CPU cores, slower than the CPU backend`,
    adapter: name,
  };
}

/** Where this code runs. */
export function currentEnvironment(): Environment {
  const g = globalThis as { process?: { versions?: { node?: string } }; document?: unknown; importScripts?: unknown; WorkerGlobalScope?: unknown };
  if (typeof g.process?.versions?.node === 'string' && g.document === undefined) return 'node';
  if (g.document !== undefined) return 'page';
  return 'worker';
}
