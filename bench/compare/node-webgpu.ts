// The browser globals the peers look for, installed in Node from the npm package 'webgpu' (Dawn,
// as src/backend/webgpu/device.ts loads it): navigator.gpu with a userAgent (jax-js reads it),
// the GPUBufferUsage-style constants (jax-js and TF.js use them as globals), and a stand-in
// Float16Array class (Node 20 has none; jax-js tests `instanceof Float16Array` on every array).

let installed: Promise<string | null> | null = null;

async function install(): Promise<string | null> {
  const g = globalThis as Record<string, unknown>;
  g.Float16Array ??= class Float16ArrayStandIn extends Float32Array {};
  const nav = g.navigator as { gpu?: unknown } | undefined;
  if (nav?.gpu) return null;
  try {
    const spec = 'webgpu';
    const mod = (await import(spec)) as { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
    for (const [k, v] of Object.entries(mod.globals)) g[k] ??= v;
    const gpu = mod.create([]);
    if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    else g.navigator = { gpu, userAgent: `Node.js/${process.versions.node}` };
    return null;
  } catch (e) {
    return `the npm package 'webgpu' (Dawn) could not be loaded: ${(e as Error).message}`;
  }
}

/** Installs the globals once; returns why navigator.gpu is missing, or null. */
export function installNodeWebGPU(): Promise<string | null> {
  installed ??= install();
  return installed;
}
