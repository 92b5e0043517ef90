// init({ backend: 'auto' }): the rule (src/backend/choice.ts) with fake adapters in every
// environment, and what this machine's Node process chooses and why.

import { describe, expect, it } from 'vitest';
import { type AdapterFacts, chooseAuto, currentEnvironment, softwareAdapter } from '../../src/backend/choice.js';
import { backendInfo, init, profile, tensor } from '../../src/index.js';
import { probeAdapter } from '../webgpu/adapter.js';

const adapter = (vendor: string, architecture: string, description = '', isFallbackAdapter = false): AdapterFacts => ({
  vendor,
  architecture,
  description,
  isFallbackAdapter,
});

const SOFTWARE: [string, AdapterFacts][] = [
  ['a fallback adapter', adapter('google', 'swiftshader', '', true)],
  ['SwiftShader not flagged as fallback', adapter('google', 'swiftshader')],
  ['llvmpipe', adapter('mesa', '', 'llvmpipe (LLVM 15.0.6, 256 bits)')],
  ['lavapipe', adapter('mesa', 'lavapipe')],
  ['WARP', adapter('microsoft', '', 'Microsoft Basic Render Driver')],
  ['an unnamed adapter flagged as fallback', adapter('', '', '', true)],
];
const HARDWARE: [string, AdapterFacts][] = [
  ['an NVIDIA GPU', adapter('nvidia', 'hopper', 'NVIDIA H200')],
  ['an Apple GPU', adapter('apple', 'metal-3')],
  ['an AMD GPU', adapter('amd', 'rdna-3')],
];

describe("init({ backend: 'auto' }) rule", () => {
  for (const [name, a] of HARDWARE) {
    it(`${name}: WebGPU everywhere`, () => {
      for (const env of ['node', 'page', 'worker'] as const) {
        const c = chooseAuto(a, env);
        expect(c.backend).toBe('webgpu');
        expect(c.reason).toMatch(/hardware GPU/);
        expect(c.adapter).toContain(a.vendor);
      }
      expect(softwareAdapter(a)).toBeNull();
    });
  }
  for (const [name, a] of SOFTWARE) {
    it(`${name}: the CPU backend in Node and in a worker, WebGPU on a page's main thread`, () => {
      expect(softwareAdapter(a)).not.toBeNull();
      for (const env of ['node', 'worker'] as const) {
        const c = chooseAuto(a, env);
        expect(c.backend).toBe('cpu');
        expect(c.reason).toMatch(/is a software adapter .* slower than the CPU backend/);
      }
      const page = chooseAuto(a, 'page');
      expect(page.backend).toBe('webgpu');
      expect(page.reason).toMatch(/block the UI/);
    });
  }
  it('no adapter: the CPU backend, with the reason none was found', () => {
    for (const env of ['node', 'page', 'worker'] as const) {
      const c = chooseAuto(null, env, 'Dawn found no adapter; tried X');
      expect(c).toMatchObject({ backend: 'cpu', adapter: null });
      expect(c.reason).toMatch(/^Dawn found no adapter; tried X/);
    }
  });
  it('this process is Node', () => {
    expect(currentEnvironment()).toBe('node');
  });
});

describe('what this machine chooses', () => {
  it("init({ backend: 'auto' }) in Node returns the CPU unless a hardware GPU exists, and says why", async () => {
    const chosen = await init({ backend: 'auto' });
    const info = backendInfo();
    expect(info.backend).toBe(chosen);
    expect(info.requested).toBe('auto');
    const probe = probeAdapter();
    const software = !probe.found || /swiftshader|fallback|llvmpipe|lavapipe/i.test(probe.detail);
    expect(chosen).toBe(software ? 'cpu' : 'webgpu');
    if (probe.found && software) {
      expect(info.adapter).toMatch(/swiftshader/i);
      expect(info.reason).toMatch(/software adapter .* slower than the CPU backend/);
    }
    // profile() reports it too
    const p = await profile(() => tensor([1, 2]).add(1).data());
    expect(p.backend).toEqual(info);
    expect(p.compileMs).toBeGreaterThanOrEqual(0);
  });

  it('explicit backends are taken as asked', async () => {
    expect(await init({ backend: 'cpu' })).toBe('cpu');
    expect(backendInfo()).toMatchObject({ backend: 'cpu', requested: 'cpu', reason: 'asked for' });
  });
});

describe("init's cpu options", () => {
  it('are checked when init is called, with what was expected', async () => {
    const bad: [unknown, RegExp][] = [
      [{ fma: 'yes' }, /cpu\.fma must be true or false; got yes/],
      [{ threads: 3 }, /cpu\.threads must be 1 or 2; got 3/],
      [{ fma: true, thread: 2 }, /unknown cpu option thread; expected init\(\{ cpu: \{ fma\?: boolean, threads\?: 1 \| 2 \} \}\)/],
      ['fast', /cpu must be an object/],
    ];
    for (const [cpu, message] of bad) await expect(init({ backend: 'cpu', cpu } as never)).rejects.toThrow(message);
    // and accepted as documented
    expect(await init({ backend: 'cpu', cpu: { fma: true, threads: 2 } })).toBe('cpu');
  });
});
