// Test and benchmark entry point: the public API (index.ts) plus hooks into the runtime that are
// not part of the package (package.json's `exports` map names index.js only). Tests that need a
// hook import this module instead of index.ts.

export * from './index.js';
/** Realizes (computes) the given graph nodes now, synchronously, in one plan. */
export { realize as _realizeNodes } from './runtime.js';
/** The active backend object (its stats, limits, buffers). */
export { backend as _backend } from './runtime.js';
/** The plan cache's counters (schedules made, hits, misses, entries) and its on/off switch. */
export { planCacheStats as _planCacheStats, setPlanCache as _setPlanCache } from './runtime.js';
/** Collapsed Taylor mode's stacked matmul channels (src/ad/collapse.ts), off by default: returns the previous setting. */
export { setStackedChannels as _setStackedChannels } from './ad/collapse.js';
