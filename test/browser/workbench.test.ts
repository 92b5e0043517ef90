// The PINN workbench (demo/index.html) in headless Chromium on WebGPU (SwiftShader without a GPU):
// every problem of the table trains a few Adam steps and its loss falls, with a screenshot per
// problem written to test-output/screenshots/ for a person to look at; a control change is written
// to the URL and restarts the run with the new setting; the backend switches to the CPU and says
// so; the operator-method comparison fills its table. Set-up and skipping rules: chromium.ts.

import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { PROBLEM_IDS } from '../../demo/problems.js';
import { browserTestsEnabled, useBrowser } from './chromium.js';

const SHOTS = 'test-output/screenshots';

type Workbench = {
  state: { problem: string; width: number; activation: string; backend: string };
  backend: string;
  backendText: string;
  steps: number;
  losses: number[];
  running: boolean;
  done: boolean;
  busy: boolean;
  lbfgsDone: boolean;
  markers: { step: number; label: string }[];
  runs: number;
  maxError: number;
  msPerStep: number;
  comparison: { method: string; ms: number; kernels: number; vectors: number | null }[];
  error?: string;
};

const read = (page: Page): Promise<Workbench> => page.evaluate(() => (window as unknown as { __workbench: Workbench }).__workbench) as Promise<Workbench>;

/** Waits until `pred` holds for the page's state (or the page reports an error). */
async function until(page: Page, pred: string, timeout = 60_000): Promise<Workbench> {
  await page.waitForFunction(`(() => { const s = window.__workbench; return s !== undefined && (s.error !== undefined || (${pred})); })()`, null, { timeout });
  return read(page);
}

describe.runIf(browserTestsEnabled)('PINN workbench in headless Chromium', () => {
  const open = useBrowser();
  const steps = 12;

  for (const id of PROBLEM_IDS) {
    it(`${id}: trains ${steps} Adam steps on WebGPU, the loss falls; screenshot`, async () => {
      const { page, logs, httpErrors } = await open(`/demo/index.html?problem=${id}&width=16&points=96&dim=10&steps=${steps}&autostart`);
      const s = await until(page, 's.done');
      expect(s.error, logs.join('\n')).toBeUndefined();
      expect(s.backend).toBe('webgpu');
      expect(s.backendText).toMatch(/^Backend: WebGPU on .*WGSL/);
      expect(s.losses.length).toBe(steps);
      expect(s.losses.every(Number.isFinite)).toBe(true);
      expect(s.losses[steps - 1]!).toBeLessThan(s.losses[0]! * 0.9);
      expect(Number.isFinite(s.maxError)).toBe(true);
      expect(await page.textContent('#status')).toMatch(new RegExp(`^step ${steps} .* ms/step .* steps/s`));
      expect(await page.textContent('#toggle')).toBe('Done');
      expect(httpErrors).toEqual([]); // the favicon is an inline data URL
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: `${SHOTS}/${id}.png`, fullPage: true });
      await page.close();
    }, 90_000);
  }

  it('a control change goes to the URL and restarts the run with it, even mid-run; the backend switches to the CPU and says so', async () => {
    const { page, logs } = await open('/demo/index.html?problem=heat&width=16&points=64&steps=500&autostart');
    const first = await until(page, 's.steps >= 2');
    expect(first.error, logs.join('\n')).toBeUndefined();
    // mid-run: the select changes the activation, the run restarts (paused, at step 0)
    await page.selectOption('#activation', 'sin');
    const changed = await until(page, `s.runs === ${first.runs + 1}`);
    expect([changed.state.activation, changed.steps, changed.running]).toEqual(['sin', 0, false]);
    // keyboard: type the number of steps and leave the field
    await page.focus('#steps');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('3');
    await page.keyboard.press('Tab');
    await until(page, `s.runs === ${first.runs + 2}`);
    const url = new URL(page.url()).searchParams;
    expect([url.get('problem'), url.get('width'), url.get('activation'), url.get('steps')]).toEqual(['heat', '16', 'sin', '3']);
    await page.focus('#toggle');
    await page.keyboard.press('Enter');
    const rerun = await until(page, 's.done');
    expect(rerun.error, logs.join('\n')).toBeUndefined();
    expect(rerun.losses.length).toBe(3);
    // a different network (sin): a different initial loss
    expect(rerun.losses[0]).not.toBe(first.losses[0]);
    // the backend select
    await page.selectOption('#backend-choice', 'cpu');
    const cpu = await until(page, `s.runs === ${rerun.runs + 1}`);
    expect(cpu.backend).toBe('cpu');
    expect(cpu.backendText).toMatch(/^CPU backend/);
    expect(cpu.backendText).not.toMatch(/WGSL/);
    expect(new URL(page.url()).searchParams.get('backend')).toBe('cpu');
    expect(await page.textContent('#backend')).toBe(cpu.backendText);
    await page.close();
  }, 90_000);

  it('resampling is marked on the loss curve; the L-BFGS button continues after Adam and lowers the loss', async () => {
    const { page, logs } = await open('/demo/index.html?problem=poisson&width=8&points=64&steps=6&resample=3&lbfgs=5&autostart');
    const adam = await until(page, 's.done');
    expect(adam.error, logs.join('\n')).toBeUndefined();
    expect(adam.markers).toEqual([{ step: 3, label: 'resampled' }]);
    expect(await page.isDisabled('#lbfgs-run')).toBe(false);
    await page.click('#lbfgs-run');
    const s = await until(page, 's.lbfgsDone');
    expect(s.error, logs.join('\n')).toBeUndefined();
    expect(s.markers.at(-1)).toEqual({ step: 6, label: 'L-BFGS' });
    expect(s.losses.length).toBeGreaterThan(6);
    expect(s.losses.length).toBeLessThanOrEqual(6 + 5);
    expect(s.losses.at(-1)!).toBeLessThan(s.losses[5]!);
    expect(await page.textContent('#status')).toMatch(/L-BFGS stopped: \w+ after \d+ iterations/);
    expect(await page.isDisabled('#lbfgs-run')).toBe(true);
    await page.click('#reset');
    const fresh = await until(page, `s.runs === ${s.runs + 1}`);
    expect([fresh.steps, fresh.losses.length, fresh.done, await page.textContent('#toggle')]).toEqual([0, 0, false, 'Start']);
    await page.close();
  }, 90_000);

  it('the operator-method comparison measures the three methods on this machine', async () => {
    const { page, logs } = await open('/demo/index.html?problem=poisson&width=16&points=64');
    await until(page, 's.runs === 1');
    await page.click('#compare');
    const s = await until(page, 's.comparison.length === 3 && !s.busy');
    expect(s.error, logs.join('\n')).toBeUndefined();
    expect(s.comparison.map((c) => c.method)).toEqual(['collapsed', 'taylor', 'nested']);
    for (const c of s.comparison) {
      expect(c.ms).toBeGreaterThan(0);
      expect(c.kernels).toBeGreaterThan(0);
    }
    // docs/operators.md: a Laplacian at D = 2 carries 2 + D vectors collapsed, 1 + 2D standard
    expect(s.comparison[0]!.vectors).toBe(4);
    expect(s.comparison[1]!.vectors).toBe(5);
    expect(await page.locator('#compare-table tbody tr').count()).toBe(3);
    await page.close();
  }, 90_000);
});
