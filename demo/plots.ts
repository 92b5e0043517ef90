// Canvas plots of the workbench, drawn by hand (no plotting library: two chart kinds, a few hundred
// lines, no bundle cost): heat maps with axes and a colour bar with a value scale, and the loss
// curve on a log axis with 10ⁿ tick labels, a step axis and labelled event markers. The tick and
// label helpers are pure and unit-tested (test/demo/plots.test.ts).

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** 10^e as text: 10⁻³, 10⁰, 10². */
export function pow10Label(e: number): string {
  return `10${String(e)
    .split('')
    .map((ch) => SUPERSCRIPT[ch] ?? ch)
    .join('')}`;
}

/** Round tick values (1, 2 or 5 × 10^k steps) covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return out;
}

/** Integer decades e with 10^e in [10^lo, 10^hi] (lo, hi in log10 units), thinned to at most `max`. */
export function decadeTicks(lo: number, hi: number, max = 7): number[] {
  const all: number[] = [];
  for (let e = Math.ceil(lo - 1e-9); e <= Math.floor(hi + 1e-9); e++) all.push(e);
  const every = Math.max(1, Math.ceil(all.length / max));
  return all.filter((e) => e % every === 0);
}

/** A short number for a tick label: 0.5, −1, 2.5e-3. */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return (a >= 1e-2 && a < 1e4 ? String(Number(v.toPrecision(3))) : v.toExponential(1)).replace('-', '−');
}

type Rgb = readonly [number, number, number];

/** Viridis-like perceptual map, t in [0, 1] (piecewise linear between five anchors). */
export function viridis(t: number): Rgb {
  const stops: Rgb[] = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [stops[i]!, stops[i + 1]!];
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

export interface HeatmapOptions {
  /** Colour range [lo, hi]: values outside are clamped. */
  readonly range: readonly [number, number];
  /** Log10 colour scale (range in data units, both > 0). */
  readonly log?: boolean;
  /** Axis names [horizontal, vertical] and their extents. */
  readonly axes: readonly [string, string];
  readonly extent: readonly [readonly [number, number], readonly [number, number]];
  /** Colour bar title, e.g. '|u − u*|'. */
  readonly label: string;
}

const FONT = '11px system-ui, sans-serif';
const INK = '#333';

/** n × n values (rows: vertical axis upward) as an image with axes and a colour bar with its value scale. */
export function drawHeatmap(canvas: HTMLCanvasElement, values: ArrayLike<number>, n: number, o: HeatmapOptions): void {
  const ctx = canvas.getContext('2d')!;
  const W = canvas.width;
  const H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  const plot = { x: 46, y: 8, w: W - 46 - 86, h: H - 8 - 30 };
  const norm = (v: number): number => {
    const [lo, hi] = o.log ? [Math.log10(o.range[0]), Math.log10(o.range[1])] : o.range;
    const x = o.log ? Math.log10(Math.max(v, 1e-300)) : v;
    return hi > lo ? (x - lo) / (hi - lo) : 0.5;
  };
  const img = new ImageData(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const [r, g, b] = viridis(norm(values[i * n + j]!));
      img.data.set([r, g, b, 255], ((n - 1 - i) * n + j) * 4);
    }
  }
  const tmp = document.createElement('canvas');
  tmp.width = tmp.height = n;
  tmp.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, plot.x, plot.y, plot.w, plot.h);
  ctx.strokeStyle = INK;
  ctx.strokeRect(plot.x, plot.y, plot.w, plot.h);
  ctx.font = FONT;
  ctx.fillStyle = INK;
  // axes: ticks at round values of each coordinate
  const [[h0, h1], [v0, v1]] = o.extent;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of niceTicks(h0, h1, 4)) ctx.fillText(tickLabel(t), plot.x + ((t - h0) / (h1 - h0)) * plot.w, plot.y + plot.h + 3);
  ctx.fillText(o.axes[0], plot.x + plot.w / 2, plot.y + plot.h + 16);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of niceTicks(v0, v1, 4)) ctx.fillText(tickLabel(t), plot.x - 3, plot.y + plot.h - ((t - v0) / (v1 - v0)) * plot.h);
  ctx.save();
  ctx.translate(7, plot.y + plot.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(o.axes[1], 0, 0);
  ctx.restore();
  // colour bar with its value scale
  const bar = { x: plot.x + plot.w + 10, y: plot.y, w: 12, h: plot.h };
  for (let k = 0; k < bar.h; k++) {
    const [r, g, b] = viridis(1 - k / (bar.h - 1));
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(bar.x, bar.y + k, bar.w, 1);
  }
  ctx.strokeStyle = INK;
  ctx.strokeRect(bar.x, bar.y, bar.w, bar.h);
  ctx.fillStyle = INK;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  const [lo, hi] = o.log ? [Math.log10(o.range[0]), Math.log10(o.range[1])] : o.range;
  const ticks = o.log ? decadeTicks(lo, hi, 6) : niceTicks(lo, hi, 6);
  for (const t of ticks) {
    const y = bar.y + bar.h - ((t - lo) / (hi - lo || 1)) * bar.h;
    ctx.fillRect(bar.x + bar.w, y, 3, 1);
    ctx.fillText(o.log ? pow10Label(t) : tickLabel(t), bar.x + bar.w + 5, y);
  }
  // its title, along the right edge
  ctx.save();
  ctx.translate(W - 4, bar.y + bar.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillText(o.label, 0, 0);
  ctx.restore();
}

export interface Marker {
  readonly step: number;
  readonly label: string;
}

/** The loss per step on a log axis (10ⁿ ticks), a step axis, and vertical markers (resampling, L-BFGS). */
export function drawLoss(canvas: HTMLCanvasElement, losses: readonly number[], markers: readonly Marker[]): void {
  const ctx = canvas.getContext('2d')!;
  const W = canvas.width;
  const H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  const plot = { x: 44, y: 10, w: W - 44 - 12, h: H - 10 - 34 };
  ctx.font = FONT;
  ctx.strokeStyle = INK;
  ctx.strokeRect(plot.x, plot.y, plot.w, plot.h);
  ctx.fillStyle = INK;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.fillText('step', plot.x + plot.w / 2, plot.y + plot.h + 18);
  const good = losses.filter((l) => l > 0 && Number.isFinite(l));
  if (good.length === 0) return;
  const lo = Math.floor(Math.log10(Math.min(...good)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...good))));
  const last = Math.max(losses.length - 1, 1);
  const X = (s: number): number => plot.x + (s / last) * plot.w;
  const Y = (l: number): number => plot.y + plot.h - ((Math.log10(Math.max(l, 10 ** lo)) - lo) / (hi - lo)) * plot.h;
  // step axis
  for (const t of niceTicks(0, last, 5)) {
    ctx.fillRect(X(t), plot.y + plot.h, 1, 4);
    ctx.fillText(tickLabel(t), X(t), plot.y + plot.h + 5);
  }
  // log axis, gridlines at decades
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const e of decadeTicks(lo, hi)) {
    const y = Y(10 ** e);
    ctx.fillStyle = '#e4e4e4';
    ctx.fillRect(plot.x + 1, y, plot.w - 2, 1);
    ctx.fillStyle = INK;
    ctx.fillText(pow10Label(e), plot.x - 4, y);
  }
  // markers
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.setLineDash([3, 3]);
  ctx.strokeStyle = '#c62828';
  for (const m of markers) {
    ctx.beginPath();
    ctx.moveTo(X(m.step), plot.y);
    ctx.lineTo(X(m.step), plot.y + plot.h);
    ctx.stroke();
    ctx.fillStyle = '#c62828';
    ctx.fillText(m.label, X(m.step) + 2, plot.y + 2);
  }
  ctx.setLineDash([]);
  // the curve
  ctx.strokeStyle = '#1565c0';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  losses.forEach((l, s) => (s === 0 ? ctx.moveTo(X(s), Y(l)) : ctx.lineTo(X(s), Y(l))));
  ctx.stroke();
  ctx.lineWidth = 1;
}
