// The PINN examples by name, each with its full settings (the figures of docs/operators.md) and
// its quick ones (CI: test/examples/pde.test.ts).

import * as allenCahn from './allen-cahn.js';
import type { PinnProblem, RunSettings } from './common.js';
import * as heat from './heat.js';
import * as kovasznay from './kovasznay.js';
import * as plate from './plate.js';
import * as poisson100 from './poisson100.js';

type Entry = (quick: boolean) => { problem: PinnProblem<unknown>; settings: RunSettings };

const dtype = 'float64';
const erase = <P>(p: PinnProblem<P>) => p as PinnProblem<unknown>;
/** Adam steps and L-BFGS iterations, full and quick; lr overrides the problem's rate. */
const run = (quick: boolean, full: [number, number], fast: [number, number], lr?: { full?: number; quick?: number }): RunSettings => {
  const [adamSteps, lbfgsIter] = quick ? fast : full;
  const rate = quick ? lr?.quick : lr?.full;
  return rate === undefined ? { adamSteps, lbfgsIter, dtype } : { adamSteps, lbfgsIter, dtype, lr: rate };
};

export const problems = {
  heat: (quick) => ({
    problem: erase(heat.problem({ width: 16, interior: quick ? 64 : 256, boundary: quick ? 32 : 64, dtype })),
    settings: run(quick, [1000, 300], [20, 15]),
  }),
  'allen-cahn': (quick) => ({
    problem: erase(allenCahn.problem({ width: 16, interior: quick ? 64 : 256, boundary: quick ? 32 : 128, dtype })),
    // a short run needs a larger rate to leave the initial plateau
    settings: run(quick, [1000, 300], [200, 0], { quick: 2e-2 }),
  }),
  kovasznay: (quick) => ({
    problem: erase(kovasznay.problem({ width: 24, interior: quick ? 64 : 512, boundary: quick ? 32 : 128, dtype })),
    settings: run(quick, [500, 600], [20, 15]),
  }),
  plate: (quick) => ({
    problem: erase(plate.problem({ width: 16, interior: quick ? 32 : 128, boundary: quick ? 32 : 128, dtype })),
    settings: run(quick, [500, 200], [10, 30]),
  }),
  poisson100: (quick) => ({
    problem: erase(
      poisson100.problem({
        width: 32,
        interior: quick ? 32 : 128,
        boundary: quick ? 32 : 128,
        samples: 10,
        distribution: 'coordinates',
        unbiased: true,
        boundaryWeight: 100,
        dtype,
      }),
    ),
    settings: run(quick, [1000, 0], [60, 0]),
  }),
} satisfies Record<string, Entry>;
