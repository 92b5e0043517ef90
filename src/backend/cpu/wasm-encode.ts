// A tiny WebAssembly binary encoder: LEB128 numbers, the sections a kernel module needs (type,
// import of one memory, function, export, code) and the opcodes the generated kernels use,
// SIMD included (0xfd prefix). Kernels are written as byte arrays by the generators in this
// folder; no text format, no external tool.

/** Value types. */
export const I32 = 0x7f;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** Signed LEB128 (32-bit). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (n |= 0; ; ) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
}

const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Instructions (each returns its bytes). */
export const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (c: number) => [0x41, ...sleb(c)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  /** block/loop/if with no result; `end` closes them. */
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  /** SIMD instruction `code` (0xfd prefix), with a memarg for loads and stores. */
  simd: (code: number, mem?: { align: number; offset: number }) => [0xfd, ...uleb(code), ...(mem ? [...uleb(mem.align), ...uleb(mem.offset)] : [])],
  v128Zero: [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)],
};

/** `body` run `counter` times (a local counting down to 0; it must start ≥ 1). */
export function countedLoop(counter: number, body: readonly number[]): number[] {
  return [...op.loop, ...body, ...op.get(counter), ...op.i32(1), ...op.sub, ...op.tee(counter), ...op.brIf(0), ...op.end];
}

/** local `x` = local `from`. */
export function assign(x: number, from: number): number[] {
  return [...op.get(from), ...op.set(x)];
}

/** local `x` += the i32 that `by` pushes. */
export function bump(x: number, by: readonly number[]): number[] {
  return [...op.get(x), ...by, ...op.add, ...op.set(x)];
}

/** SIMD opcodes used by the kernels. */
export const SIMD = {
  load: 0x00,
  load32Splat: 0x09,
  load64Splat: 0x0a,
  store: 0x0b,
  /** i8x16.shuffle; its 16 lane indices follow the opcode. */
  shuffle: 0x0d,
  f32x4Add: 0xe4,
  f32x4Mul: 0xe6,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
  /** Relaxed SIMD: a·b + c, fused or not as the hardware does it (fused on x86-64 with FMA3 and on ARM64). */
  f32x4RelaxedMadd: 0x105,
  f64x2RelaxedMadd: 0x107,
};

export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  /** Extra locals' types, one entry per local. */
  readonly locals: readonly number[];
  readonly body: readonly number[];
}

/** A module importing memory `env.mem` (shared when asked) and exporting `funcs` (no results). */
export function wasmModule(funcs: readonly WasmFunction[], shared = false): Uint8Array<ArrayBuffer> {
  const types = section(1, vec(funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0])));
  // memory import: limits min 1 page; a shared memory needs a maximum (64 Ki pages = 4 GiB)
  const limits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const imports = section(2, vec([[...name('env'), ...name('mem'), 0x02, ...limits]]));
  const fns = section(3, vec(funcs.map((_, i) => uleb(i))));
  const exports = section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])));
  const bodies = funcs.map((f) => {
    // runs of equal local types
    const runs: number[][] = [];
    for (const t of f.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]!++;
      else runs.push([1, t]);
    }
    const body = [...vec(runs.map(([n, t]) => [...uleb(n!), t!])), ...f.body, ...op.end];
    return [...uleb(body.length), ...body];
  });
  const code = section(10, vec(bodies));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...fns, ...exports, ...code]);
}
