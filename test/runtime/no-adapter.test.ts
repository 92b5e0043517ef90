// Without a usable Vulkan driver: init({ backend: 'webgpu' }) raises a BackendError that keeps the
// diagnosis (which drivers were tried, what to install), and 'auto' falls back to the CPU with that
// reason. Runs in a child process whose VK_ICD_FILENAMES names a driver that does not exist.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/init-webgpu.ts', import.meta.url));

describe('no WebGPU adapter', () => {
  it('the BackendError says which driver was tried and what to install; auto says why it took the CPU', () => {
    const env: Record<string, string | undefined> = { ...process.env, VK_ICD_FILENAMES: '/nonexistent/vk_icd.json' };
    delete env.XDG_RUNTIME_DIR;
    const out = execFileSync(process.execPath, ['--import', 'tsx', fixture], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    const webgpu = out.split('\n').find((l) => l.startsWith('webgpu: '))!;
    expect(webgpu).toMatch(/^webgpu: BackendError: init: no WebGPU adapter was found: /);
    expect(webgpu).toContain('/nonexistent/vk_icd.json');
    expect(webgpu).toContain('apt-get install libvulkan1 chromium-common');
    const auto = out.split('\n').find((l) => l.startsWith('auto: '))!;
    expect(auto).toMatch(/^auto: cpu: .*tried .*\/nonexistent\/vk_icd.json.*the CPU backend runs everywhere/);
  });
});
