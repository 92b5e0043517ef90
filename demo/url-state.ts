// The workbench's state in the URL: every control as a query parameter, parsed with checks (an
// unknown or out-of-range value falls back to the default and is reported), and written back in a
// fixed order with defaults left out, so a shared link reproduces the run.

import type { OperatorMethod } from '../src/index.js';
import { PROBLEM_IDS } from './problems.js';
import { type ActivationName, DEFAULT_CONFIG, type TrainerConfig } from './trainer.js';

export type BackendWanted = 'auto' | 'webgpu' | 'cpu';

export interface WorkbenchState extends TrainerConfig {
  readonly backend: BackendWanted;
  /** Adam steps before the run stops. */
  readonly steps: number;
  /** L-BFGS iterations of the second phase. */
  readonly lbfgs: number;
  /** Start training when the page loads. */
  readonly autostart: boolean;
}

export const DEFAULT_STATE: WorkbenchState = { ...DEFAULT_CONFIG, backend: 'auto', steps: 2000, lbfgs: 100, autostart: false };

type Key = keyof WorkbenchState;

/** How each parameter is read: a list of allowed values, or an integer/number range. */
type Rule =
  | { readonly oneOf: readonly string[] }
  | { readonly int: readonly [number, number] }
  | { readonly num: readonly [number, number] }
  | { readonly flag: true };

export const RULES = {
  problem: { oneOf: PROBLEM_IDS },
  width: { int: [2, 256] },
  depth: { int: [1, 8] },
  activation: { oneOf: ['tanh', 'sin', 'softplus'] satisfies ActivationName[] },
  lr: { num: [1e-5, 1] },
  points: { int: [8, 4096] },
  method: { oneOf: ['collapsed', 'taylor', 'nested'] satisfies OperatorMethod[] },
  dim: { int: [2, 100] },
  samples: { int: [1, 64] },
  resample: { int: [0, 100000] },
  seed: { int: [0, 1_000_000] },
  backend: { oneOf: ['auto', 'webgpu', 'cpu'] satisfies BackendWanted[] },
  steps: { int: [1, 100000] },
  lbfgs: { int: [1, 10000] },
  autostart: { flag: true },
} as const satisfies Record<Key, Rule>;

const KEYS = Object.keys(RULES) as Key[];

/** The state in a query string, and a message per parameter that was refused. */
export function parseState(search: string): { state: WorkbenchState; problems: string[] } {
  const q = new URLSearchParams(search);
  const state: Record<string, unknown> = { ...DEFAULT_STATE };
  const problems: string[] = [];
  for (const key of KEYS) {
    const raw = q.get(key);
    if (raw === null) continue;
    const rule: Rule = RULES[key];
    if ('flag' in rule) {
      state[key] = raw !== '0' && raw !== 'false';
    } else if ('oneOf' in rule) {
      if (rule.oneOf.includes(raw)) state[key] = raw;
      else problems.push(`${key}=${raw}: expected one of ${rule.oneOf.join(', ')}`);
    } else {
      const [lo, hi] = 'int' in rule ? rule.int : rule.num;
      const v = Number(raw);
      if (raw.trim() !== '' && Number.isFinite(v) && v >= lo && v <= hi && (!('int' in rule) || Number.isInteger(v))) state[key] = v;
      else problems.push(`${key}=${raw}: expected ${'int' in rule ? 'an integer' : 'a number'} in [${lo}, ${hi}]`);
    }
  }
  for (const key of q.keys()) if (!KEYS.includes(key as Key)) problems.push(`${key}: not a workbench parameter`);
  return { state: state as unknown as WorkbenchState, problems };
}

/** The query string of a state: only what differs from the defaults, in a fixed order. */
export function stateToSearch(state: WorkbenchState): string {
  const q = new URLSearchParams();
  for (const key of KEYS) {
    const v = state[key];
    if (v === DEFAULT_STATE[key]) continue;
    if (typeof v === 'boolean') {
      if (v) q.set(key, '');
    } else q.set(key, String(v));
  }
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
