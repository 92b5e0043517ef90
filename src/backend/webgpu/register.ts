// Registers the WebGPU backend factory with the runtime, so init({ backend: 'auto' | 'webgpu' })
// can use it. Importing this module touches no WebGPU API: the device (navigator.gpu, or Dawn via a
// dynamic import in Node) is acquired only when init() asks for it.

import { registerWebGPU } from '../../runtime.js';
import { WebGpuBackend } from './backend.js';
import { acquisitionFailure, getDevice } from './device.js';

registerWebGPU(async () => {
  const info = await getDevice();
  return info ? { adapter: info.facts, create: () => new WebGpuBackend(info) } : acquisitionFailure() || 'no WebGPU adapter was found';
});
