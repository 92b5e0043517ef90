import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // wgsl_reflect's `main` is CommonJS in an ESM package: use its ES module build
    alias: [{ find: /^wgsl_reflect$/, replacement: 'wgsl_reflect/wgsl_reflect.module.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // WebGPU (Dawn) must not share a process across workers carelessly; forks isolate it.
    pool: 'forks',
    // the JSON report lets .ci/run print a plain 'N passed, N failed' closing line
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
  },
});
