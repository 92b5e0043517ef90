// A baseline checkout for the benchmarks that compare against one (--baseline <dir>): its
// src/index.ts loaded as a second module instance, and the short git revision it names.

import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as current from '../src/index.js';
import type { WgadModule } from './wgad-workloads.js';

/** The short revision of the checkout at `dir`. */
export function gitRev(dir: string): string {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown rev';
  }
}

/** The baseline checkout's src/index.ts as a second module instance (its own URL, so its own state). */
export async function loadBaseline(dir: string): Promise<WgadModule> {
  const entry = resolve(dir, 'src/index.ts');
  if (!existsSync(entry)) throw new Error(`--baseline ${dir}: no src/index.ts there`);
  const url = pathToFileURL(realpathSync(entry)).href;
  const ours = pathToFileURL(realpathSync(fileURLToPath(new URL('../src/index.ts', import.meta.url)))).href;
  if (url === ours) throw new Error(`--baseline ${dir} is this checkout: its module would be the same instance`);
  const mod = (await import(url)) as WgadModule;
  if (mod.Tensor === current.Tensor || mod.init === current.init) throw new Error(`--baseline ${dir}: the module shares state with the current tree`);
  return mod;
}
