// wgad in a real browser: Vite serves the pages, headless Chromium (Debian's, driven by
// playwright-core) runs them on WebGPU through navigator.gpu (SwiftShader without a GPU).
// test/browser/page.html: values computed on WebGPU must match the CPU backend's float64 values
// computed in the same page. The demo page (the PINN workbench) is tested in workbench.test.ts.
// Set-up and skipping rules: chromium.ts.

import { describe, expect, it } from 'vitest';
import { browserTestsEnabled, useBrowser } from './chromium.js';

describe.runIf(browserTestsEnabled)('in headless Chromium', () => {
  const open = useBrowser();

  it('computes on WebGPU, matching the CPU backend', async () => {
    const { page, logs } = await open('/test/browser/page.html');
    await page.waitForFunction(() => (window as unknown as { __wgad?: unknown }).__wgad !== undefined, null, { timeout: 90_000 });
    const r = (await page.evaluate(() => (window as unknown as { __wgad: unknown }).__wgad)) as {
      auto: { backend: string; reason: string; adapter: string | null };
      backend: string;
      gpu: number[];
      cpu: number[];
      error?: string;
    };
    expect(r.error, logs.join('\n')).toBeUndefined();
    expect(r.backend).toBe('webgpu');
    // 'auto' on a page's main thread takes even a software adapter: the CPU backend would block the UI
    expect(r.auto.backend).toBe('webgpu');
    if (/swiftshader|fallback/i.test(r.auto.adapter ?? '')) expect(r.auto.reason).toMatch(/block the UI/);
    expect(r.gpu.length).toBe(r.cpu.length);
    expect(r.gpu.length).toBe(12);
    r.gpu.forEach((g, i) => expect(Math.abs(g - r.cpu[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(r.cpu[i]!))));
  }, 180_000);
});
