// The demo page: initializes wgad (WebGPU when the browser has it, else CPU), trains the PINN of
// pinn.ts step by step, and draws the solution, its error against the exact solution and the loss
// curve. Exposes window.__pinn (steps, losses, backend) for the browser test.

import { backendInfo, init } from '../src/index.js';
import { PinnTrainer } from './pinn.js';

const GRID = 32;
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

interface PinnState {
  backend: string;
  steps: number;
  losses: number[];
  maxError: number;
  running: boolean;
  error?: string;
}
const state: PinnState = { backend: '', steps: 0, losses: [], maxError: NaN, running: false };
(window as unknown as { __pinn: PinnState }).__pinn = state;

function heatmap(canvas: HTMLCanvasElement, values: ArrayLike<number>, color: (v: number) => [number, number, number]): void {
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(GRID, GRID);
  for (let i = 0; i < GRID; i++) {
    for (let j = 0; j < GRID; j++) {
      const [r, g, b] = color(values[i * GRID + j]!);
      const o = ((GRID - 1 - i) * GRID + j) * 4; // y up
      img.data.set([r, g, b, 255], o);
    }
  }
  const tmp = new OffscreenCanvas(GRID, GRID);
  tmp.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
}

function lossChart(canvas: HTMLCanvasElement, losses: number[]): void {
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (losses.length < 2) return;
  const logs = losses.map((l) => Math.log10(Math.max(l, 1e-12)));
  const lo = Math.min(...logs),
    hi = Math.max(...logs);
  ctx.strokeStyle = '#1565c0';
  ctx.beginPath();
  logs.forEach((v, i) => {
    const x = (i / (logs.length - 1)) * (canvas.width - 10) + 5;
    const y = canvas.height - 5 - ((v - lo) / Math.max(hi - lo, 1e-9)) * (canvas.height - 10);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = '#555';
  ctx.fillText(`1e${hi.toFixed(1)}`, 8, 14);
  ctx.fillText(`1e${lo.toFixed(1)}`, 8, canvas.height - 8);
}

async function draw(tr: PinnTrainer): Promise<void> {
  const { u, maxError } = await tr.grid(GRID);
  state.maxError = maxError;
  heatmap($('u'), u, (v) => {
    const t = Math.max(0, Math.min(1, v));
    return [Math.round(255 * t), Math.round(80 + 100 * (1 - Math.abs(2 * t - 1))), Math.round(255 * (1 - t))];
  });
  const exact = (k: number): number => Math.sin((Math.PI * ((k % GRID) + 0.5)) / GRID) * Math.sin((Math.PI * (Math.floor(k / GRID) + 0.5)) / GRID);
  heatmap(
    $('err'),
    Array.from(u, (v, k) => Math.abs(v - exact(k)) / Math.max(maxError, 1e-9)),
    (e) => [255, Math.round(255 * (1 - e)), Math.round(255 * (1 - e))],
  );
  lossChart($('loss'), state.losses);
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  state.backend = await init({ backend: (params.get('backend') as 'cpu' | 'webgpu' | 'auto' | null) ?? 'auto' });
  const why = backendInfo();
  $('backend').textContent = `backend: ${state.backend}${why.adapter ? ` (${why.adapter})` : ''}`;
  $('backend').title = why.reason;
  console.log(`wgad backend ${state.backend}: ${why.reason}`);
  const tr = new PinnTrainer();
  await draw(tr);
  const maxSteps = Number(params.get('steps') ?? 2000);
  const loop = async (): Promise<void> => {
    const t0 = performance.now();
    while (state.running && state.steps < maxSteps && performance.now() - t0 < 200) {
      state.losses.push(await tr.step());
      state.steps++;
      if (state.steps % 100 === 0) tr.resample();
    }
    await draw(tr);
    const last = state.losses[state.losses.length - 1];
    $('status').textContent = `step ${state.steps}  loss ${last?.toExponential(3) ?? '-'}  max |u − u*| ${state.maxError.toExponential(2)}`;
    if (state.running && state.steps < maxSteps) requestAnimationFrame(() => void loop());
    else {
      state.running = false;
      $('toggle').textContent = state.steps < maxSteps ? 'Start' : 'Done';
      $<HTMLButtonElement>('toggle').disabled = state.steps >= maxSteps;
    }
  };
  $('toggle').addEventListener('click', () => {
    state.running = !state.running;
    $('toggle').textContent = state.running ? 'Pause' : 'Start';
    if (state.running) void loop();
  });
  if (params.has('autostart')) $('toggle').click();
}

main().catch((e: Error) => {
  state.error = `${e.name}: ${e.message}`;
  $('status').textContent = state.error;
});
