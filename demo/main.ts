// The workbench page: reads the state from the URL (url-state.ts) into the controls, initializes
// the backend asked for, trains the chosen problem (trainer.ts) step by step between frames, draws
// the plots (plots.ts), runs the L-BFGS phase and the operator-method comparison on request, and
// writes every control change back to the URL. Exposes window.__workbench for the browser test.

import { type OperatorMethod, backendInfo, init } from '../src/index.js';
import { type Marker, drawHeatmap, drawLoss } from './plots.js';
import { PROBLEMS, PROBLEM_IDS } from './problems.js';
import { type MethodTiming, Trainer } from './trainer.js';
import { DEFAULT_STATE, type WorkbenchState, parseState, stateToSearch } from './url-state.js';

const GRID = 40;
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** What the browser test reads. */
interface PageState {
  state: WorkbenchState;
  backend: string;
  backendText: string;
  steps: number;
  losses: number[];
  markers: Marker[];
  running: boolean;
  done: boolean;
  busy: boolean;
  /** The L-BFGS phase has run (it runs once per run, after or instead of Adam). */
  lbfgsDone: boolean;
  maxError: number;
  msPerStep: number;
  comparison: MethodTiming[];
  /** Increments at every reset (a control change, Reset). */
  runs: number;
  error?: string;
}

const page: PageState = {
  state: DEFAULT_STATE,
  backend: '',
  backendText: '',
  steps: 0,
  losses: [],
  markers: [],
  running: false,
  done: false,
  busy: false,
  lbfgsDone: false,
  maxError: Number.NaN,
  msPerStep: Number.NaN,
  comparison: [],
  runs: 0,
};
(window as unknown as { __workbench: PageState }).__workbench = page;

let trainer: Trainer | null = null;
let stepTimes: number[] = [];
/** The Adam loop's current frame: a reset waits for it, so no step runs across a change of backend. */
let inflight: Promise<void> = Promise.resolve();
let currentBackend = '';

// ---- controls <-> state ----

/** The form controls, keyed like the state (the backend select has id 'backend-choice'). */
const CONTROL_IDS = {
  problem: 'problem',
  width: 'width',
  depth: 'depth',
  activation: 'activation',
  lr: 'lr',
  points: 'points',
  method: 'method',
  dim: 'dim',
  samples: 'samples',
  resample: 'resample',
  seed: 'seed',
  backend: 'backend-choice',
  steps: 'steps',
  lbfgs: 'lbfgs',
} as const satisfies Record<Exclude<keyof WorkbenchState, 'autostart'>, string>;
type ControlKey = keyof typeof CONTROL_IDS;
const control = (k: ControlKey): HTMLInputElement | HTMLSelectElement => $(CONTROL_IDS[k]);

function fillProblemOptions(): void {
  const sel = $<HTMLSelectElement>('problem');
  for (const id of PROBLEM_IDS) sel.add(new Option(PROBLEMS[id].title, id));
}

function showState(s: WorkbenchState): void {
  for (const k of Object.keys(CONTROL_IDS) as ControlKey[]) control(k).value = String(s[k]);
  const nd = s.problem === 'poisson-nd';
  control('dim').disabled = !nd;
  control('samples').disabled = !nd;
}

/** The state the controls show (a value the URL rules refuse keeps the previous one). */
function readControls(prev: WorkbenchState): WorkbenchState {
  const q = new URLSearchParams();
  for (const k of Object.keys(CONTROL_IDS) as ControlKey[]) q.set(k, control(k).value);
  const { state, problems } = parseState(q.toString());
  const out: Record<string, unknown> = { ...state, autostart: prev.autostart };
  for (const p of problems) {
    const key = p.split('=')[0] as ControlKey;
    out[key] = prev[key];
  }
  $('url-problems').textContent = problems.length ? `Not applied: ${problems.join('; ')}` : '';
  return out as unknown as WorkbenchState;
}

// ---- backend ----

async function useBackend(wanted: WorkbenchState['backend']): Promise<void> {
  let note = '';
  try {
    page.backend = await init({ backend: wanted });
  } catch (e) {
    note = ` (WebGPU was asked for: ${(e as Error).message})`;
    page.backend = await init({ backend: 'cpu' });
  }
  currentBackend = wanted;
  const why = backendInfo();
  page.backendText =
    page.backend === 'webgpu'
      ? `Backend: WebGPU on ${why.adapter ?? 'an unnamed adapter'}; operators run as fused WGSL compute kernels (${why.reason}).`
      : why.requested === 'cpu' && note === ''
        ? 'CPU backend (chosen): kernels run as generated JavaScript loops on this page’s thread.'
        : `CPU backend: no WebGPU adapter${note || ` (${why.reason})`}. Kernels run as generated JavaScript loops on this page’s thread.`;
  $('backend').textContent = page.backendText;
  console.log(`wgad backend ${page.backend}: ${why.reason}`);
}

// ---- drawing ----

async function draw(): Promise<void> {
  if (!trainer) return;
  const p = trainer.problem;
  const setup = trainer.setup(0);
  const box = p.domain(setup);
  const names = p.coordNames(box.length);
  const [h, v] = p.plotAxes;
  const g = await trainer.grid(GRID);
  page.maxError = g.maxError;
  const lo = Math.min(...g.exact);
  const hi = Math.max(...g.exact);
  const slice = box.length > 2 ? ` (slice: other coordinates at the centre)` : '';
  const axes = {
    axes: [names[h]!, names[v]!] as const,
    extent: [box[h]!, box[v]!] as const,
  };
  drawHeatmap($('u'), g.u, GRID, { ...axes, range: [lo, hi], label: p.plotted.name });
  drawHeatmap($('exact'), g.exact, GRID, { ...axes, range: [lo, hi], label: `${p.plotted.name}*` });
  const top = 10 ** Math.ceil(Math.log10(Math.max(Math.abs(lo), Math.abs(hi), 1e-3)));
  drawHeatmap($('err'), g.error, GRID, { ...axes, range: [top * 1e-4, top], log: true, label: '|u − u*|' });
  $('u-cap').textContent = `network ${p.plotted.name}${slice}`;
  $('exact-cap').textContent = `exact ${p.plotted.name}*${slice}`;
  drawLoss($('loss'), page.losses, page.markers);
  const last = page.losses.at(-1);
  // the median of the last 20 steps: the first step's pipeline compilation does not count
  const ms = stepTimes.length ? stepTimes.slice().sort((a, b) => a - b)[stepTimes.length >> 1]! : Number.NaN;
  page.msPerStep = ms;
  $('status').textContent =
    `step ${page.steps}   loss ${last?.toExponential(3) ?? '–'}   max |u − u*| ${g.maxError.toExponential(2)}   ` +
    (Number.isFinite(ms) ? `${ms.toFixed(1)} ms/step   ${(1000 / ms).toFixed(1)} steps/s` : '');
}

// ---- runs ----

function updateButtons(): void {
  const toggle = $<HTMLButtonElement>('toggle');
  toggle.textContent = page.done ? 'Done' : page.running ? 'Pause' : 'Start';
  toggle.disabled = page.done || page.busy;
  $<HTMLButtonElement>('lbfgs-run').disabled = page.lbfgsDone || page.busy || !trainer;
  $<HTMLButtonElement>('compare').disabled = page.busy || !trainer;
  $<HTMLButtonElement>('reset').disabled = page.busy;
  // no setting changes while L-BFGS or the comparison runs
  $('controls')
    .querySelectorAll('fieldset')
    .forEach((fs) => {
      fs.disabled = page.busy;
    });
}

async function reset(): Promise<void> {
  page.running = false;
  await inflight;
  page.done = false;
  page.lbfgsDone = false;
  page.steps = 0;
  page.losses = [];
  page.markers = [];
  page.comparison = [];
  stepTimes = [];
  $('compare-table').querySelector('tbody')!.replaceChildren();
  if (currentBackend !== page.state.backend) await useBackend(page.state.backend);
  trainer = new Trainer(page.state);
  $('equation').textContent = trainer.problem.equation;
  page.runs++;
  await draw();
  updateButtons();
}

async function loop(): Promise<void> {
  const tr = trainer;
  if (!tr) return;
  const t0 = performance.now();
  while (page.running && tr === trainer && page.steps < page.state.steps && performance.now() - t0 < 200) {
    if (tr.resamplesNext) page.markers.push({ step: page.steps, label: page.markers.some((m) => m.label === 'resampled') ? '' : 'resampled' });
    const s0 = performance.now();
    page.losses.push(await tr.step());
    stepTimes = [...stepTimes.slice(-19), performance.now() - s0];
    page.steps = tr.steps;
  }
  if (tr !== trainer) return;
  if (page.steps >= page.state.steps) {
    page.running = false;
    page.done = true;
  }
  await draw();
  updateButtons();
  if (page.running) requestAnimationFrame(startLoop);
}

function startLoop(): void {
  inflight = loop().catch(fail);
}

async function runLbfgs(): Promise<void> {
  const tr = trainer;
  if (!tr) return;
  page.running = false;
  page.busy = true;
  updateButtons();
  page.markers.push({ step: page.losses.length, label: 'L-BFGS' });
  $('status').textContent = `L-BFGS: up to ${page.state.lbfgs} iterations…`;
  const res = await tr.lbfgs(page.state.lbfgs, (loss) => page.losses.push(loss));
  if (tr !== trainer) return;
  page.steps = tr.steps;
  page.busy = false;
  page.done = true;
  await draw();
  $('status').textContent += `   L-BFGS stopped: ${res.reason} after ${res.iterations} iterations`;
  // published last: a page (or a test) that sees lbfgsDone sees the final status too
  page.lbfgsDone = true;
  updateButtons();
}

async function compare(): Promise<void> {
  const tr = trainer;
  if (!tr) return;
  const wasRunning = page.running;
  page.running = false;
  page.busy = true;
  updateButtons();
  const body = $('compare-table').querySelector('tbody')!;
  body.replaceChildren();
  const methods: OperatorMethod[] = ['collapsed', 'taylor', 'nested'];
  page.comparison = await tr.compareMethods(methods);
  const slowest = Math.max(...page.comparison.map((c) => c.ms));
  for (const c of page.comparison) {
    const row = body.insertRow();
    const cells = [c.method, c.ms.toFixed(1), (1000 / c.ms).toFixed(1), c.vectors === null ? 'not counted' : String(c.vectors), String(c.kernels)];
    for (const text of cells) row.insertCell().textContent = text;
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${(c.ms / slowest) * 8}em`;
    row.insertCell().append(bar);
  }
  page.busy = false;
  updateButtons();
  if (wasRunning && tr === trainer) {
    page.running = true;
    startLoop();
  }
}

function fail(e: Error): void {
  page.error = `${e.name}: ${e.message}`;
  page.running = false;
  page.busy = false;
  $('status').textContent = page.error;
  console.error(e);
}

async function main(): Promise<void> {
  fillProblemOptions();
  const { state, problems } = parseState(location.search);
  page.state = state;
  if (problems.length) $('url-problems').textContent = `Ignored in the URL: ${problems.join('; ')}`;
  showState(state);
  $('controls').addEventListener('change', () => {
    page.state = readControls(page.state);
    showState(page.state);
    history.replaceState(null, '', `${location.pathname}${stateToSearch(page.state)}`);
    void reset().catch(fail);
  });
  $('controls').addEventListener('submit', (e) => e.preventDefault());
  $('toggle').addEventListener('click', () => {
    page.running = !page.running;
    updateButtons();
    if (page.running) startLoop();
  });
  $('reset').addEventListener('click', () => void reset().catch(fail));
  $('lbfgs-run').addEventListener('click', () => void runLbfgs().catch(fail));
  $('compare').addEventListener('click', () => void compare().catch(fail));
  await reset();
  if (state.autostart) $('toggle').click();
}

main().catch(fail);
