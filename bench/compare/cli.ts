// `npm run bench -- --compare`: wgad against jax-js and TF.js on the same deterministic network
// (bench/mlp.ts), three workloads (Laplacian, PINN training step, HVP), every result checked
// against float64 references before it is timed, interleaved rounds, medians and ratios to wgad
// from one run; a progress bar on stderr; a table on stdout, --json, --markdown and --svg files.
// Options: --sizes default|paper|tiny, --rounds N (5), --quick (2 rounds, 1 warm-up, one method
// per cell), --engines id,id (default all; ids as printed), --json/--markdown/--svg FILE.
// Peers are imported only here, lazily, by their adapters; a missing one is reported.

import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { arg } from '../util.js';
import { type EngineDef, SIZES, type SizeName, compareProblem, sizeLabel } from './engine.js';
import { toMarkdown, toText } from './format.js';
import { JAXJS_ENGINES } from './jaxjs.js';
import { type CompareResult, runCompare } from './run.js';
import { toSvg } from './svg.js';
import { TFJS_ENGINES } from './tfjs.js';
import { WGAD_ENGINES } from './wgad.js';

const byId = (id: string): EngineDef => [...WGAD_ENGINES, ...JAXJS_ENGINES, ...TFJS_ENGINES].find((e) => e.id === id)!;

/**
 * Every engine, in the order they are checked and shown: wgad's first (its CPU float64 result is
 * the reference of the gradient and the HVP), jax-js's wasm float64 last of the CPU engines (its
 * leaked wasm memory then cannot starve the float32 one's, see bench/compare/jaxjs.ts).
 */
export const ALL_ENGINES: EngineDef[] = [
  'wgad-cpu-f64',
  'wgad-cpu-f32',
  'jaxjs-wasm-f32',
  'tfjs-cpu-f32',
  'jaxjs-wasm-f64',
  'wgad-webgpu-f32',
  'jaxjs-webgpu-f32',
  'tfjs-webgpu-f32',
].map(byId);

/** A plain-text progress bar on stderr: redrawn in place on a terminal, a line per step otherwise. */
function progressBar(): (what: string, done: number, total: number) => void {
  const tty = process.stderr.isTTY;
  return (what, done, total) => {
    const width = 24;
    const filled = total ? Math.round((done / total) * width) : width;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${what}`;
    if (tty) process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 120) - 1)}${done === total ? '\n' : ''}`);
    else process.stderr.write(`${line}\n`);
  };
}

function machineLine(): string {
  const [load] = loadavg();
  return `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${availableParallelism()} cores, load average ${load!.toFixed(1)}, Node ${process.versions.node}`;
}

export async function main(): Promise<void> {
  const started = performance.now();
  const quick = process.argv.includes('--quick');
  const sizeName = arg('sizes', 'default') as SizeName;
  const size = SIZES[sizeName];
  if (!size) throw new Error(`--sizes ${sizeName}: expected one of ${Object.keys(SIZES).join(', ')}`);
  const rounds = Number(arg('rounds', quick ? '2' : '5'));
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds: expected a positive integer, got ${arg('rounds', '')}`);
  const wanted = arg('engines', '');
  const engines = wanted ? ALL_ENGINES.filter((e) => wanted.split(',').includes(e.id)) : ALL_ENGINES;
  if (!engines.length) throw new Error(`--engines ${wanted}: none of ${ALL_ENGINES.map((e) => e.id).join(', ')}`);
  const warmup = quick ? 1 : 2;
  const machineBefore = machineLine();
  console.log(`# wgad vs jax-js vs TF.js: ${sizeLabel(size)}; medians of ${rounds} interleaved rounds\n\n${machineBefore} at the start`);
  const result: CompareResult = await runCompare({
    engines,
    problem: compareProblem(size),
    rounds,
    warmup,
    quick,
    reference: WGAD_ENGINES[0],
    progress: progressBar(),
  });
  const seconds = (performance.now() - started) / 1000;
  const machineAfter = machineLine();
  const dawn = result.engines.find((e) => e.phase === 'gpu' && e.available) ? ' (WebGPU: Dawn, the adapter it picks)' : '';
  console.log(`\n${toText(result)}\n${seconds.toFixed(0)} s in all; ${machineAfter} at the end${dawn}`);
  const title = `Median ms per call, ${sizeLabel(size)} (lower is better)`;
  const header = `${sizeLabel(size)}; medians of ${rounds} interleaved rounds, ratios (×) to wgad on the same kind of backend and dtype from the same run. ${machineBefore} at the start, ${machineAfter.replace(/^.*load average/, 'load average')} at the end; ${seconds.toFixed(0)} s in all.`;
  const markdownPath = arg('markdown', '');
  if (markdownPath) writeFileSync(markdownPath, `${header}\n\n${toMarkdown(result)}`);
  const svgPath = arg('svg', '');
  if (svgPath) writeFileSync(svgPath, toSvg(result, title));
  const jsonPath = arg('json', '');
  if (jsonPath)
    writeFileSync(
      jsonPath,
      JSON.stringify({ date: new Date().toISOString(), size, rounds, quick, machine: [machineBefore, machineAfter], seconds, ...result }, null, 1),
    );
}
