// The one interface every engine of `npm run bench -- --compare` implements (wgad, jax-js,
// TF.js, each in its own adapter file), the problem they all compute on (bench/mlp.ts's LCG
// network, training target, MSE target and HVP directions), the sizes and the three workloads.

import { type MlpData, lcg, mlpData, paramArrays } from '../mlp.js';
import type { Leaves } from '../workload-reference.js';

export const COMPARE_WORKLOADS = {
  laplacian: 'Laplacian Δu at N points',
  train: 'PINN training step ∇θ mean((Δu − g)²)',
  hvp: 'HVP of mean((u − y)²) w.r.t. θ',
} as const;
export type CompareWorkload = keyof typeof COMPARE_WORKLOADS;
/** Short names, for the chart's axis. */
export const WORKLOAD_SHORT: Record<CompareWorkload, string> = { laplacian: 'Laplacian', train: 'training step', hvp: 'HVP' };
export const WORKLOAD_KEYS = Object.keys(COMPARE_WORKLOADS) as CompareWorkload[];

/** A network size: inputs D, hidden widths, points N. */
export interface Size {
  D: number;
  widths: readonly number[];
  N: number;
}

export const SIZES = {
  /** platform.md's benchmark network. */
  default: { D: 16, widths: [64, 64], N: 256 },
  /** A tiny network for smoke tests (seconds in all). */
  tiny: { D: 3, widths: [4, 4], N: 4 },
  /** The paper's. */
  paper: { D: 50, widths: [768, 768, 512, 512], N: 2048 },
} as const satisfies Record<string, Size>;
export type SizeName = keyof typeof SIZES;

export const sizeLabel = (s: Size): string => `D = ${s.D}, widths ${s.widths.join('-')}, N = ${s.N}`;

/** Everything the workloads compute on, in float64 (engines round to their dtype). */
export interface Problem {
  net: MlpData;
  /** Training target per point. */
  g: Float64Array;
  /** MSE target per point. */
  y: Float64Array;
  /** The HVP direction (paramLeaves order: W0, b0, ..., wOut, bOut; W as [inputs, outputs]). */
  v: Leaves;
  /** A second direction for the check ⟨u, Hv⟩. */
  u: Leaves;
}

/** The problem of a size: mlpData's network, then targets and directions from LCGs of their own seeds (as bench/wgad-workloads.ts). */
export function compareProblem(s: Size): Problem {
  const net = mlpData(s.D, s.widths, s.N);
  const direction = (seed: number): Leaves => {
    const draw = lcg(seed);
    return paramArrays(net).map(({ data }) => draw(data.length, 1));
  };
  return { net, g: lcg(7)(s.N, 0.5), y: lcg(8)(s.N, 0.5), v: direction(9), u: direction(10) };
}

/** The parameter leaves of the problem's network with their shapes, in paramLeaves order. */
export const problemLeaves = (p: Problem): { data: Float64Array; shape: number[] }[] => paramArrays(p.net);

/** One way an engine computes a workload: its name, and a call that computes and reads back the result leaves. */
export interface Workload {
  method: string;
  run: () => Promise<Leaves>;
}

/** A library on one backend and dtype, opened. */
export interface Adapter {
  /** Makes this engine's backend the library's active one; called before each of its turns, untimed. */
  activate(): Promise<void>;
  /** Builds the methods worth timing for a workload on `p`, the preferred first (throws when the library cannot do it). */
  build(key: CompareWorkload, p: Problem): Promise<Workload[]>;
}

/** Engines are measured in phases: every CPU engine interleaved, then every GPU engine (wgad has one backend active at a time). */
export type Phase = 'cpu' | 'gpu';

/** An engine before it is opened: what it is, and how to load it (a dynamic import: peers load only with --compare). */
export interface EngineDef {
  /** Short id, e.g. 'wgad-cpu-f64'. */
  id: string;
  library: 'wgad' | 'jax-js' | 'TF.js';
  backend: string;
  dtype: 'float64' | 'float32';
  phase: Phase;
  /** The wgad engine this one's ratio is taken against (absent for that engine itself). */
  against?: string;
  /** Loads the library and its backend; throws (missing package, no adapter) and the engine is reported unavailable. */
  open(): Promise<Adapter>;
}

export const engineLabel = (e: Pick<EngineDef, 'library' | 'backend' | 'dtype'>): string =>
  `${e.library} ${e.backend} ${e.dtype === 'float64' ? 'f64' : 'f32'}`;

/** The first line of an error's message (peers' messages can be long stack-like texts). */
export function errorLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const line = text.split('\n').find((l) => l.trim()) ?? text;
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
