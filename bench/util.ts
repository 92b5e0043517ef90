// Benchmark helpers: median timing after warm-up, and argument parsing shared by bench scripts.

export interface Timing {
  median: number;
  min: number;
  runs: number;
}

/** Runs `fn` `warmup` times, then `runs` times, and returns the median wall time in ms. */
export async function timeit(fn: () => Promise<unknown>, opts: { warmup?: number; runs?: number } = {}): Promise<Timing> {
  const warmup = opts.warmup ?? 3;
  const runs = opts.runs ?? 10;
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, min: times[0]!, runs };
}

/** Reads `--name value` from process.argv. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

/** The median of `xs` (the upper one of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/**
 * Wall times (ms, sorted) of every variant over `runs` rounds that interleave the variants, so a
 * change in machine load hits all of them alike.
 */
export async function interleaved<K extends string>(keys: readonly K[], run: (key: K) => Promise<unknown>, runs: number): Promise<Map<K, number[]>> {
  const times = new Map<K, number[]>(keys.map((k) => [k, []]));
  for (let r = 0; r < runs; r++) {
    for (const k of keys) {
      const t0 = performance.now();
      await run(k);
      times.get(k)!.push(performance.now() - t0);
    }
  }
  for (const ts of times.values()) ts.sort((a, b) => a - b);
  return times;
}
