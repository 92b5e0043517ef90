// The PyTorch peer of bench/workloads.ts: writes the networks' numbers to a temporary file
// (a JSON header and raw float64 little-endian), starts `python3 bench/torch/workloads.py` with a
// python that imports torch (Debian's python3-torch lives under /usr/bin/python3, which a pyenv
// `python3` on PATH hides), reads its results, then asks it for one timed round at a time so its
// rounds interleave with wgad's. Where no python with torch is found, start() says why instead.

import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A named float64 array and its shape. */
export interface Float64Spec {
  data: Float64Array;
  shape: number[];
}

/** One network as torch sees it: points X, parameters P (paramLeaves order), and extra arrays (targets, directions). */
export interface TorchNetwork {
  name: string;
  arrays: Record<string, Float64Spec | Float64Spec[]>;
}

export interface TorchReady {
  torch: string;
  threads: number;
  /** Variant name ("lap16/hand-written", "train/...", "hvp/rev-rev", ...) -> its result (one list, or one per leaf). */
  results: Record<string, number[] | number[][]>;
}

export interface TorchOptions {
  /** Calls of each variant before its result is kept. */
  warmup: number;
  /** Variants left out (their names as in TorchReady.results). */
  skip: readonly string[];
  /** torch.set_num_threads. */
  threads: number;
  /** Pythons to try, in order: the first that imports torch runs the peer. */
  pythons: readonly string[];
}

const SCRIPT = fileURLToPath(new URL('./torch/workloads.py', import.meta.url));

/** The first of `candidates` that runs and imports torch, or null. */
function findPython(candidates: readonly string[]): string | null {
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    if (r.status === 0) return py;
  }
  return null;
}

/** Writes the header and the raw data file into a new temporary directory; returns the directory and header path. */
function writeData(networks: readonly TorchNetwork[], opts: TorchOptions): { dir: string; header: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wgad-torch-'));
  const chunks: Float64Array[] = [];
  let offset = 0;
  const place = (s: Float64Spec): { offset: number; shape: number[] } => {
    chunks.push(s.data);
    const at = offset;
    offset += s.data.byteLength;
    return { offset: at, shape: s.shape };
  };
  const nets = networks.map((n) => ({
    name: n.name,
    arrays: Object.fromEntries(Object.entries(n.arrays).map(([k, v]) => [k, Array.isArray(v) ? v.map(place) : place(v)])),
  }));
  const bytes = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    bytes.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at); // float64 in the machine's order: little-endian on x86 and ARM
    at += c.byteLength;
  }
  const data = join(dir, 'data.bin');
  writeFileSync(data, bytes);
  const header = join(dir, 'header.json');
  writeFileSync(header, JSON.stringify({ data, warmup: opts.warmup, skip: opts.skip, threads: opts.threads, networks: nets }));
  return { dir, header };
}

export class TorchPeer {
  private readonly lines: AsyncIterator<string>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly dir: string,
    readonly ready: TorchReady,
    lines: AsyncIterator<string>,
  ) {
    this.lines = lines;
  }

  /** Starts the peer and waits for its results (after opts.warmup calls of each variant); a string says why there is none. */
  static async start(networks: readonly TorchNetwork[], opts: TorchOptions): Promise<TorchPeer | string> {
    const py = findPython(opts.pythons);
    if (!py) return `no python with torch among ${opts.pythons.join(', ')} (Debian: apt-get install python3-torch)`;
    const { dir, header } = writeData(networks, opts);
    const child = spawn(py, [SCRIPT, header], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) {
      rmSync(dir, { recursive: true, force: true });
      await new Promise((r) => child.once('close', r));
      throw new Error(`the torch peer (${py} ${SCRIPT}) exited before its results:\n${stderr}`);
    }
    return new TorchPeer(child, dir, JSON.parse(first.value) as TorchReady, lines);
  }

  /** Runs every variant once; returns variant name -> wall ms. */
  async round(): Promise<Record<string, number>> {
    this.child.stdin.write('round\n');
    const next = await this.lines.next();
    if (next.done) throw new Error('the torch peer exited during a round');
    return (JSON.parse(next.value) as { times: Record<string, number> }).times;
  }

  async close(): Promise<void> {
    const closed = new Promise((r) => this.child.once('close', r));
    this.child.stdin.end('quit\n');
    await closed;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
