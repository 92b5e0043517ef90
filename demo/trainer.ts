// Trains a PINN on one problem of the table (problems.ts): an MLP on inputs scaled to [−1, 1]^D, the
// loss mean(residual²) + mean(boundary residual²), Adam steps through optim.Optimizer, then an
// L-BFGS phase; evaluates the network and the exact solution on a grid, and compares the operator
// methods on one training step. Pure library code: the page and the tests drive it.

import { type OperatorMethod, type Tensor, evaluate, nn, operatorCost, optim, profile, tensor, valueAndGrad } from '../src/index.js';
import { type Field, PROBLEMS, type Problem, type ProblemId, type ProblemSetup, boundaryPoints, gridPoints, interiorPoints } from './problems.js';

export type ActivationName = 'tanh' | 'sin' | 'softplus';

export interface TrainerConfig {
  readonly problem: ProblemId;
  readonly width: number;
  /** Hidden layers. */
  readonly depth: number;
  readonly activation: ActivationName;
  readonly lr: number;
  /** Interior collocation points (boundary points: a quarter of them, at least 16). */
  readonly points: number;
  readonly method: OperatorMethod;
  /** High-dimensional Poisson: D and the estimator's random directions. */
  readonly dim: number;
  readonly samples: number;
  /** Redraw the collocation points every this many Adam steps (0: never). */
  readonly resample: number;
  readonly seed: number;
}

export const DEFAULT_CONFIG: TrainerConfig = {
  problem: 'poisson',
  width: 24,
  depth: 2,
  activation: 'tanh',
  lr: 0.01,
  points: 256,
  method: 'collapsed',
  dim: 20,
  samples: 4,
  resample: 0,
  seed: 7,
};

export interface GridValues {
  /** n × n values of the plotted component (rows: vertical axis upward). */
  readonly u: Float64Array;
  readonly exact: Float64Array;
  /** |u − u*| on the grid, and its maximum. */
  readonly error: Float64Array;
  readonly maxError: number;
}

export interface MethodTiming {
  readonly method: OperatorMethod;
  /** Median milliseconds of one loss-and-gradient evaluation. */
  readonly ms: number;
  readonly kernels: number;
  /** Vectors per datum of the residual's `pde` call (null: not counted, e.g. nested at order > 2). */
  readonly vectors: number | null;
}

const boundaryCount = (points: number): number => Math.max(16, Math.round(points / 4));

export class Trainer {
  readonly problem: Problem;
  readonly config: TrainerConfig;
  private readonly net: nn.Mlp;
  private readonly opt: optim.Optimizer<nn.MlpParams>;
  private readonly scale: { center: Tensor; half: Tensor };
  private X: Tensor;
  private Xb: Tensor;
  /** Adam steps taken (and L-BFGS iterations, counted on after them). */
  steps = 0;
  private draws = 0;

  constructor(config: TrainerConfig) {
    this.config = config;
    this.problem = PROBLEMS[config.problem];
    const box = this.problem.domain(this.setup(0));
    const D = box.length;
    this.scale = { center: tensor(box.map(([lo, hi]) => (lo + hi) / 2)), half: tensor(box.map(([lo, hi]) => (hi - lo) / 2)) };
    const sizes = [D, ...Array.from({ length: config.depth }, () => config.width), this.problem.outputs];
    this.net = nn.mlp({ sizes, activation: config.activation, seed: config.seed });
    this.opt = new optim.Optimizer(optim.adam({ lr: config.lr }), this.net.params);
    this.X = interiorPoints(this.problem, this.setup(0), config.points, config.seed * 1000 + 1);
    this.Xb = boundaryPoints(this.problem, this.setup(0), boundaryCount(config.points), config.seed * 1000 + 2);
  }

  /** The problem's setup at a step (the estimator draws new directions every step). */
  setup(step: number, method = this.config.method): ProblemSetup {
    return { method, dim: this.config.dim, samples: this.config.samples, seed: this.config.seed * 7919 + step };
  }

  get params(): nn.MlpParams {
    return this.opt.params;
  }

  /** The network as a field of the problem's coordinates. */
  field(p: nn.MlpParams): Field {
    return (X: Tensor) => this.net.apply(p, X.sub(this.scale.center).div(this.scale.half));
  }

  /** The training loss at parameters p on the current points. */
  loss(p: nn.MlpParams, setup: ProblemSetup): Tensor {
    const u = this.field(p);
    const r = this.problem.residual(u, this.X, setup);
    const b = this.problem.boundary(u, this.Xb, setup);
    return r.square().mean().add(b.square().mean());
  }

  /** Whether the next Adam step redraws the collocation points first. */
  get resamplesNext(): boolean {
    return this.config.resample > 0 && this.steps > 0 && this.steps % this.config.resample === 0;
  }

  /** One Adam step; returns the loss before it. Redraws the points first when `resamplesNext`. */
  async step(): Promise<number> {
    if (this.resamplesNext) this.redraw();
    const setup = this.setup(this.steps);
    const value = await this.opt.valueAndStep((p: nn.MlpParams) => this.loss(p, setup));
    this.steps++;
    return value.item();
  }

  private redraw(): void {
    this.draws++;
    this.X.dispose();
    this.Xb.dispose();
    const s = this.config.seed * 1000 + 10 * this.draws;
    this.X = interiorPoints(this.problem, this.setup(0), this.config.points, s + 1);
    this.Xb = boundaryPoints(this.problem, this.setup(0), boundaryCount(this.config.points), s + 2);
  }

  /**
   * L-BFGS from the current parameters on the current points (fixed estimator directions: L-BFGS
   * needs one deterministic loss). Calls onIteration with each iteration's loss; the trainer
   * continues from its result.
   */
  async lbfgs(maxIter: number, onIteration?: (loss: number) => void): Promise<{ reason: string; iterations: number }> {
    const setup = this.setup(this.steps);
    const res = await optim
      .lbfgs({ maxIter, tolChange: 1e-12, onIteration: (it) => onIteration?.(it.value) })
      .minimize((p: nn.MlpParams) => valueAndGrad((q: nn.MlpParams) => this.loss(q, setup))(p), this.opt.params);
    this.opt.params = res.params;
    this.steps += res.iterations;
    return { reason: res.reason, iterations: res.iterations };
  }

  /** The plotted component of the network and of the exact solution on an n × n grid over the plot axes. */
  async grid(n: number): Promise<GridValues> {
    const G = gridPoints(this.problem, this.setup(0), n);
    const c = this.problem.plotted.component;
    const pick = (t: Tensor): Tensor => t.slice([0, c], [null, c + 1]).reshape([-1]);
    const u = pick(this.field(this.params)(G));
    const ex = pick(this.problem.exact(G));
    await evaluate(u, ex);
    const a = Float64Array.from(await u.data());
    const b = Float64Array.from(await ex.data());
    const error = a.map((v, i) => Math.abs(v - b[i]!));
    G.dispose();
    return { u: a, exact: b, error, maxError: Math.max(...error) };
  }

  /**
   * One loss-and-gradient evaluation per operator method, in interleaved rounds on the current
   * parameters and points: median time, kernels (profile) and vectors per datum (operatorCost).
   */
  async compareMethods(methods: readonly OperatorMethod[], rounds = 3): Promise<MethodTiming[]> {
    const times = new Map<OperatorMethod, number[]>(methods.map((m) => [m, []]));
    const kernels = new Map<OperatorMethod, number>();
    for (let r = 0; r <= rounds; r++) {
      for (const m of methods) {
        const setup = this.setup(this.steps, m);
        const prof = await profile(async () => {
          const [v, g] = valueAndGrad((p: nn.MlpParams) => this.loss(p, setup))(this.params);
          await evaluate(v, g);
        });
        // round 0 warms the pipelines and plan caches up
        if (r > 0) times.get(m)!.push(prof.ms);
        kernels.set(m, prof.kernels);
      }
    }
    const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;
    return methods.map((m) => {
      const setup = this.setup(this.steps, m);
      const vectors = operatorCost('pde', this.field(this.params), this.X, { terms: this.problem.spec(setup), method: m }).vectors;
      return { method: m, ms: median(times.get(m)!), kernels: kernels.get(m)!, vectors };
    });
  }
}
