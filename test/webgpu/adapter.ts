// Does this machine have a WebGPU adapter? Asked synchronously (the backend-parametrized suites
// are collected synchronously) by running a small probe in a child Node process, with the same
// acquisition steps as src/backend/webgpu/device.ts: Dawn from npm `webgpu`, then the SwiftShader
// Vulkan driver at its Debian path. Cached per process.

import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SWIFTSHADER_ICDS } from '../../src/backend/webgpu/device.js';
import { init } from '../../src/index.js';

export interface AdapterProbe {
  readonly found: boolean;
  /** Adapter description, or why none was found. */
  readonly detail: string;
}

let cached: AdapterProbe | null = null;

const PROBE = `
const [url, icds] = [process.argv[1], JSON.parse(process.argv[2])];
const { existsSync } = await import('node:fs');
let mod;
try { mod = await import(url); } catch (e) { console.log('NONE npm package webgpu not loadable: ' + e.message); process.exit(0); }
let a = null;
try { a = await mod.create([]).requestAdapter(); } catch {}
if (!a && !process.env.VK_ICD_FILENAMES) {
  for (const icd of icds) {
    if (!existsSync(icd)) continue;
    process.env.VK_ICD_FILENAMES = icd;
    try { a = await mod.create([]).requestAdapter(); } catch {}
    if (a) break;
  }
}
if (!a) console.log('NONE Dawn found no adapter (VK_ICD_FILENAMES=' + (process.env.VK_ICD_FILENAMES ?? 'unset') + ')');
else console.log('FOUND ' + a.info.vendor + ' ' + a.info.architecture + (a.info.isFallbackAdapter ? ' (fallback adapter)' : ''));
process.exit(0);
`;

/** Probes once per process (about 0.3 s). */
export function probeAdapter(): AdapterProbe {
  if (cached) return cached;
  let url: string;
  try {
    url = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch {
    return (cached = { found: false, detail: "the npm package 'webgpu' is not installed" });
  }
  try {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', PROBE, url, JSON.stringify(SWIFTSHADER_ICDS)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 60_000,
    });
    const line = out.split('\n').find((l) => l.startsWith('FOUND ') || l.startsWith('NONE ')) ?? 'NONE probe printed nothing';
    cached = { found: line.startsWith('FOUND '), detail: line.slice(line.indexOf(' ') + 1) };
  } catch (e) {
    cached = { found: false, detail: `the adapter probe failed: ${(e as Error).message}` };
  }
  return cached;
}

let warned = false;

/**
 * True when the WebGPU case should run. Without an adapter: a loud warning (once per process),
 * or, with WGAD_REQUIRE_WEBGPU=1, an error that fails the suite.
 */
export function webgpuCaseEnabled(): boolean {
  const p = probeAdapter();
  if (p.found) return true;
  const msg =
    `WebGPU adapter not found: ${p.detail}. The webgpu/float32 test cases are NOT RUNNING. ` +
    'Install libvulkan1 and chromium-common (SwiftShader) to run them.';
  if (process.env.WGAD_REQUIRE_WEBGPU === '1') throw new Error(`WGAD_REQUIRE_WEBGPU=1: ${msg}`);
  if (!warned) {
    warned = true;
    const bar = '!'.repeat(100);
    console.warn(`\n${bar}\n!!! ${msg}\n${bar}\n`);
  }
  return false;
}

/**
 * describe() for suites that need the WebGPU backend: registered only when an adapter exists
 * (otherwise the loud warning above, or a failure with WGAD_REQUIRE_WEBGPU=1).
 */
export function describeWebGPU(title: string, fn: () => void): void {
  if (!webgpuCaseEnabled()) {
    // a file without tests fails in vitest: record, as a test, that the probe found no adapter
    describe(`${title} [webgpu: no adapter]`, () => {
      it('does not run: no WebGPU adapter was found (see the warning above)', () => {
        expect(probeAdapter().found).toBe(false);
      });
    });
    return;
  }
  describe(`${title} [webgpu/float32]`, () => {
    beforeAll(async () => {
      expect(await init({ backend: 'webgpu' })).toBe('webgpu');
    });
    fn();
  });
}
