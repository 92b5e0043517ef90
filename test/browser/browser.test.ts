// wgad in a real browser: Vite serves the pages, headless Chromium (Debian's, driven by
// playwright-core) runs them on WebGPU through navigator.gpu (SwiftShader without a GPU).
// 1. test/browser/page.html: values computed on WebGPU must match the CPU backend's float64 values
//    computed in the same page.
// 2. demo/index.html: the PINN demo trains on WebGPU and its loss falls.
// Without Chromium the tests are skipped with a loud warning, unless WGAD_REQUIRE_WEBGPU=1 (CI),
// where they fail.

import { existsSync } from 'node:fs';
import { type Browser, type Page, chromium } from 'playwright-core';
import { type ViteDevServer, createServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.WGAD_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.WGAD_REQUIRE_WEBGPU === '1';
const available = existsSync(CHROMIUM);

if (!available && !required) {
  console.warn(`\n!!! WARNING: ${CHROMIUM} not found: the browser WebGPU tests are SKIPPED (apt-get install chromium) !!!\n`);
}

describe.runIf(available || required)('in headless Chromium', () => {
  let server: ViteDevServer;
  let browser: Browser;
  let base = '';

  beforeAll(async () => {
    if (!available) throw new Error(`WGAD_REQUIRE_WEBGPU=1 but ${CHROMIUM} does not exist`);
    server = await createServer({ root: process.cwd(), logLevel: 'error', server: { port: 0, host: '127.0.0.1' }, optimizeDeps: { noDiscovery: true } });
    await server.listen();
    base = `http://127.0.0.1:${(server.httpServer!.address() as { port: number }).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--enable-unsafe-webgpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(path: string): Promise<{ page: Page; logs: string[] }> {
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    await page.goto(`${base}${path}`);
    return { page, logs };
  }

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

  it('the PINN demo trains on WebGPU: its loss falls', async () => {
    const steps = 60;
    const { page, logs } = await open(`/demo/index.html?autostart&steps=${steps}`);
    type State = { backend: string; steps: number; losses: number[]; maxError: number; running: boolean; error?: string };
    await page.waitForFunction(
      (n) => {
        const s = (window as unknown as { __pinn?: State }).__pinn;
        return s !== undefined && (s.error !== undefined || (s.steps >= n && !s.running));
      },
      steps,
      { timeout: 150_000 },
    );
    const s = (await page.evaluate(() => (window as unknown as { __pinn: State }).__pinn)) as State;
    expect(s.error, logs.join('\n')).toBeUndefined();
    expect(s.backend).toBe('webgpu');
    expect(s.losses.length).toBe(steps);
    expect(s.losses.every(Number.isFinite)).toBe(true);
    expect(s.losses[steps - 1]!).toBeLessThan(s.losses[0]! / 4);
    expect(await page.textContent('#status')).toMatch(new RegExp(`step ${steps} `));
    if (process.env.WGAD_SCREENSHOT) await page.screenshot({ path: process.env.WGAD_SCREENSHOT });
  }, 180_000);
});
