// wgad in a real browser: Vite serves test/browser/page.html, headless Chromium (Debian's, driven by
// playwright-core) runs it on WebGPU through navigator.gpu (SwiftShader without a GPU), and the
// values must match the CPU backend's float64 values computed in the same page. Without Chromium
// the test is skipped with a loud warning, unless WGAD_REQUIRE_WEBGPU=1 (CI), where it fails.

import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { expect, it } from 'vitest';

const CHROMIUM = process.env.WGAD_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.WGAD_REQUIRE_WEBGPU === '1';
const available = existsSync(CHROMIUM);

if (!available && !required) {
  console.warn(`\n!!! WARNING: ${CHROMIUM} not found: the browser WebGPU test is SKIPPED (apt-get install chromium) !!!\n`);
}

it.runIf(available || required)('computes on WebGPU in headless Chromium, matching the CPU backend', async () => {
  if (!available) throw new Error(`WGAD_REQUIRE_WEBGPU=1 but ${CHROMIUM} does not exist`);
  const server = await createServer({ root: process.cwd(), logLevel: 'error', server: { port: 0, host: '127.0.0.1' }, optimizeDeps: { noDiscovery: true } });
  await server.listen();
  const address = server.httpServer!.address() as { port: number };
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic',
    ],
  });
  try {
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    await page.goto(`http://127.0.0.1:${address.port}/test/browser/page.html`);
    await page.waitForFunction(() => (window as unknown as { __wgad?: unknown }).__wgad !== undefined, null, { timeout: 90_000 });
    const r = (await page.evaluate(() => (window as unknown as { __wgad: unknown }).__wgad)) as { backend: string; gpu: number[]; cpu: number[]; error?: string };
    expect(r.error, logs.join('\n')).toBeUndefined();
    expect(r.backend).toBe('webgpu');
    expect(r.gpu.length).toBe(r.cpu.length);
    expect(r.gpu.length).toBe(12);
    r.gpu.forEach((g, i) => expect(Math.abs(g - r.cpu[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(r.cpu[i]!))));
  } finally {
    await browser.close();
    await server.close();
  }
}, 180_000);
