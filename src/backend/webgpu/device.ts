// WebGPU device acquisition: `navigator.gpu` in a browser; in Node, Dawn through a dynamic
// import of the npm package `webgpu` (kept out of browser bundles: the specifier is a variable).
// Without a GPU, Dawn needs a Vulkan driver: when no adapter is found and VK_ICD_FILENAMES is not
// set, the SwiftShader ICD at its Debian path is tried before giving up (docs/webgpu.md). One device is shared by every WebGPU backend instance until it
// is lost; buffers therefore stay valid across init() calls.

import { type AdapterFacts, describeAdapter, softwareAdapter } from '../choice.js';

export interface DeviceInfo {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  /** What the adapter says about itself (for init({ backend: 'auto' })'s choice). */
  readonly facts: AdapterFacts;
  /** Adapter description for messages, e.g. 'google swiftshader (fallback)'. */
  readonly description: string;
  /**
   * True on a software adapter (SwiftShader, a fallback adapter, ...): barriers are slow, use
   * register-blocked kernels; and its shaders run on this machine's cores, so reads wait without
   * spinning one (node-wait.ts).
   */
  readonly slowBarriers: boolean;
  /** Resolves with the loss info when the device is lost. */
  readonly lost: Promise<GPUDeviceLostInfo>;
  /**
   * The loss, watched by one handler per device: backends read `info` and register a callback
   * for the duration of a pending read only, so nothing accumulates on the never-settling `lost`
   * promise (a `.then` per read would keep a closure alive per read until the device dies).
   */
  readonly loss: DeviceLoss;
}

export interface DeviceLoss {
  info: GPUDeviceLostInfo | null;
  readonly waiters: Set<(info: GPUDeviceLostInfo) => void>;
}

/** Debian paths of the SwiftShader Vulkan ICD (packages chromium-common / chromium). */
export const SWIFTSHADER_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json'];

interface NodeWebGPU {
  create(flags: string[]): GPU;
}

let nodeGpu: GPU | null = null;
/**
 * Every Dawn instance ever created stays referenced: when the GPU object returned by create() is
 * garbage-collected while a device made from it is in use, Dawn crashes the process (SIGSEGV,
 * std::system_error, futex errors; a hot loop only triggers the collection).
 */
const instances: GPU[] = [];
let current: Promise<DeviceInfo | null> | null = null;
let lastFailure = '';

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

async function nodeFileExists(path: string): Promise<boolean> {
  try {
    const spec = ['node', 'fs'].join(':'); // not a literal: bundlers must not try to resolve it
    const fs = (await import(/* @vite-ignore */ spec)) as { existsSync(p: string): boolean };
    return fs.existsSync(path);
  } catch {
    return false;
  }
}

async function nodeTmpDir(): Promise<string> {
  try {
    const spec = ['node', 'os'].join(':');
    const os = (await import(/* @vite-ignore */ spec)) as { tmpdir(): string };
    return os.tmpdir();
  } catch {
    return '/tmp';
  }
}

async function requestAdapterFrom(gpu: GPU): Promise<GPUAdapter | null> {
  try {
    return await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    lastFailure = `requestAdapter failed: ${(e as Error).message}`;
    return null;
  }
}

async function findAdapter(): Promise<GPUAdapter | null> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) {
    const a = await requestAdapterFrom(nav.gpu);
    if (a) return a;
    if (!isNode()) {
      lastFailure ||= 'navigator.gpu.requestAdapter() returned null';
      return null;
    }
  }
  if (!isNode()) {
    lastFailure = 'this JavaScript environment has no navigator.gpu';
    return null;
  }
  let mod: NodeWebGPU;
  try {
    const spec = ['web', 'gpu'].join(''); // not a literal: browser bundles must not pull in Dawn
    mod = (await import(/* @vite-ignore */ spec)) as NodeWebGPU;
  } catch (e) {
    lastFailure = `the npm package 'webgpu' (Dawn) could not be loaded: ${(e as Error).message}`;
    return null;
  }
  const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
  // Dawn's Vulkan and Wayland probes warn on every start when XDG_RUNTIME_DIR is unset
  env.XDG_RUNTIME_DIR ??= await nodeTmpDir();
  const preset = env.VK_ICD_FILENAMES;
  if (!nodeGpu) instances.push((nodeGpu = mod.create([])));
  let adapter = await requestAdapterFrom(nodeGpu);
  const tried = [preset ? `the Vulkan driver named by VK_ICD_FILENAMES (${preset})` : "the system's Vulkan drivers"];
  if (!adapter && !preset) {
    for (const icd of SWIFTSHADER_ICDS) {
      if (!(await nodeFileExists(icd))) continue;
      tried.push(`SwiftShader at ${icd}`);
      env.VK_ICD_FILENAMES = icd;
      instances.push((nodeGpu = mod.create([])));
      adapter = await requestAdapterFrom(nodeGpu);
      if (adapter) break;
    }
    if (tried.length === 1) tried.push(`SwiftShader (not installed: none of ${SWIFTSHADER_ICDS.join(', ')} exists)`);
  }
  if (!adapter) {
    lastFailure ||=
      `Dawn (npm 'webgpu') found no adapter; tried ${tried.join(', then ')}. ` +
      "On a machine without a GPU, 'apt-get install libvulkan1 chromium-common' provides the Vulkan loader and the SwiftShader driver";
  }
  return adapter;
}

async function acquire(): Promise<DeviceInfo | null> {
  lastFailure = '';
  const adapter = await findAdapter();
  if (!adapter) return null;
  const L = adapter.limits;
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
        maxBufferSize: L.maxBufferSize,
        maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
        maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
        maxComputeWorkgroupSizeY: L.maxComputeWorkgroupSizeY,
        maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
      },
    });
  } catch (e) {
    lastFailure = `requestDevice failed: ${(e as Error).message}`;
    return null;
  }
  const info = adapter.info;
  const facts: AdapterFacts = {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: info?.isFallbackAdapter === true || (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
  };
  const slow = softwareAdapter(facts) !== null;
  const description = describeAdapter(facts);
  const lost = device.lost;
  const loss: DeviceLoss = { info: null, waiters: new Set() };
  void lost.then((i) => {
    loss.info = i;
    for (const w of loss.waiters) w(i);
    loss.waiters.clear();
    if (currentDevice === device) {
      current = null;
      currentDevice = null;
    }
  });
  currentDevice = device;
  return { device, adapter, facts, description, slowBarriers: slow, lost, loss };
}

let currentDevice: GPUDevice | null = null;

/** The shared device (acquired on first use, re-acquired after a loss); null without an adapter. */
export function getDevice(): Promise<DeviceInfo | null> {
  if (!current) {
    current = acquire();
    void current.then((d) => {
      if (!d) current = null; // no adapter now: try again next time
    });
  }
  return current;
}

/** Why the last acquisition found nothing (for messages). */
export function acquisitionFailure(): string {
  return lastFailure;
}

/** True when a WebGPU adapter (and device) can be had in this process. */
export async function webgpuAvailable(): Promise<boolean> {
  return (await getDevice()) !== null;
}
