// Runs in headless Chromium (see browser.test.ts): computes a few values on WebGPU through
// navigator.gpu and the same values on the CPU backend in float64, and publishes both.

import { backendInfo, grad, init, laplacian, tensor } from '../../src/index.js';

interface PageResult {
  /** What init({ backend: 'auto' }) chose on this page's main thread, and why. */
  auto?: { backend: string; reason: string; adapter: string | null };
  backend: string;
  gpu: number[];
  cpu: number[];
  error?: string;
}

function mlp(x: ReturnType<typeof tensor>, dtype: 'float32' | 'float64') {
  const w1 = tensor(
    [
      [0.3, -0.7, 0.2],
      [0.5, 0.1, -0.4],
    ],
    { dtype },
  ); // [D=2, H=3]
  const w2 = tensor([[0.6], [-0.3], [0.9]], { dtype });
  return x
    .matmul(w1)
    .add(tensor([0.1, -0.2, 0.05], { dtype }))
    .tanh()
    .matmul(w2)
    .reshape([-1]);
}

async function values(dtype: 'float32' | 'float64'): Promise<number[]> {
  const x = tensor(
    [
      [0.5, -1],
      [2, 0.25],
      [-0.3, 0.8],
    ],
    { dtype },
  );
  const out: number[] = [];
  out.push(...(await x.matmul(x.transpose()).sum(1).data()));
  out.push(...(await grad((z: typeof x) => z.sin().mul(z).sum())(x).data()));
  out.push(...(await laplacian((z: typeof x) => mlp(z, dtype))(x).data()));
  return out;
}

async function run(): Promise<PageResult> {
  await init({ backend: 'auto' });
  const { backend: chosen, reason, adapter } = backendInfo();
  const backend = await init({ backend: 'webgpu' });
  const gpu = await values('float32');
  await init({ backend: 'cpu' });
  const cpu = await values('float64');
  return { auto: { backend: chosen, reason, adapter }, backend, gpu, cpu };
}

run()
  .then((r) => ((window as unknown as { __wgad: PageResult }).__wgad = r))
  .catch((e: Error) => ((window as unknown as { __wgad: PageResult }).__wgad = { backend: 'none', gpu: [], cpu: [], error: `${e.name}: ${e.message}` }))
  .finally(() => {
    document.getElementById('out')!.textContent = JSON.stringify((window as unknown as { __wgad: PageResult }).__wgad);
  });
