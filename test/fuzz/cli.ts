// npm run fuzz -- --graphs N --seed S [--backends cpu32,webgpu] [--shrink M] [--large]
import { type Float32Backend, formatReport, runFuzz } from './fuzz.js';
import { LARGE, SMALL } from './graph.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const graphs = Number(opt('graphs', '200'));
const seed = Number(opt('seed', '1'));
const backends = opt('backends', 'cpu32,webgpu').split(',').filter(Boolean) as Float32Backend[];
const batch = Number(opt('batch', String(graphs)));
const sizes = args.includes('--large') ? LARGE : SMALL;
let failed = 0;
let total = { graphs: 0, checks: 0 };
// batches of graphs: all of a batch on WebGPU, then on the CPU (seeds seed, seed+1, ...)
for (let done = 0, s = seed; done < graphs; done += batch, s++) {
  const r = await runFuzz({
    seed: s,
    graphs: Math.min(batch, graphs - done),
    backends,
    sizes,
    maxShrink: Number(opt('shrink', '3')),
    log: (l) => console.log(l),
  });
  console.log(formatReport(r));
  failed += r.failures.length;
  total = { graphs: total.graphs + r.graphs, checks: total.checks + r.checks };
}
console.log(`total: ${total.graphs} graphs, ${total.checks} checks, ${failed} failing graph/backend pairs`);
process.exit(failed ? 1 : 0);
