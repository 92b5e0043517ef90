// Shared set-up of the browser tests: Vite serves the repository, headless Chromium (Debian's,
// driven by playwright-core) opens its pages with WebGPU enabled (SwiftShader without a GPU).
// Without Chromium the suites are skipped with a loud warning, unless WGAD_REQUIRE_WEBGPU=1 (CI),
// where they fail.

import { existsSync } from 'node:fs';
import { type Browser, type Page, chromium } from 'playwright-core';
import { type ViteDevServer, createServer } from 'vite';
import { afterAll, beforeAll } from 'vitest';

export const CHROMIUM = process.env.WGAD_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.WGAD_REQUIRE_WEBGPU === '1';
const available = existsSync(CHROMIUM);

/** Whether the browser suites run (Chromium found, or required so that its absence fails). */
export const browserTestsEnabled = available || required;

if (!available && !required) {
  console.warn(`\n!!! WARNING: ${CHROMIUM} not found: the browser WebGPU tests are SKIPPED (apt-get install chromium) !!!\n`);
}

export interface OpenedPage {
  page: Page;
  /** Console messages and page errors, for failure messages. */
  logs: string[];
  /** Responses with an HTTP error status (a missing favicon, module...), as 'status url'. */
  httpErrors: string[];
}

/** Starts Vite and Chromium before the suite's tests and closes them after; returns `open(path)`. */
export function useBrowser(): (path: string) => Promise<OpenedPage> {
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

  return async (path: string): Promise<OpenedPage> => {
    const page = await browser.newPage();
    const logs: string[] = [];
    const httpErrors: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('response', (r) => {
      if (r.status() >= 400) httpErrors.push(`${r.status()} ${r.url()}`);
    });
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    await page.goto(`${base}${path}`);
    return { page, logs, httpErrors };
  };
}
