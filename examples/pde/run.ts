// Trains the PINNs of examples/pde/ and prints, for each, the loss and the relative L2 error
// against the exact solution before training, after Adam and after L-BFGS, and the time.
// Run: npx tsx examples/pde/run.ts [heat|allen-cahn|kovasznay|plate|poisson100 ...] [--quick] [--verbose]

import { init } from '../../src/index.js';
import { type PinnProblem, type RunSettings, trainPinn } from './common.js';
import { problems } from './problems.js';

async function main(): Promise<void> {
  await init({ backend: 'cpu' });
  const quick = process.argv.includes('--quick');
  const verbose = process.argv.includes('--verbose');
  const asked = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const names = asked.length > 0 ? asked : Object.keys(problems);
  for (const name of names) {
    const make = problems[name as keyof typeof problems];
    if (!make) throw new Error(`unknown example ${name} (expected ${Object.keys(problems).join(', ')})`);
    const { problem, settings } = make(quick);
    const r = await trainPinn(problem as PinnProblem<unknown>, settings as RunSettings, verbose ? console.log : undefined);
    const e = (v: number) => v.toExponential(2);
    console.log(
      `${name.padEnd(11)} loss ${e(r.initialLoss)} -> ${e(r.adamLoss)} (Adam ${settings.adamSteps}) -> ${e(r.finalLoss)} (L-BFGS ${problem.lbfgs ? settings.lbfgsIter : 0});` +
        ` rel. L2 error ${e(r.initialError)} -> ${e(r.adamError)} -> ${e(r.error)}; ${r.seconds.toFixed(1)} s`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
