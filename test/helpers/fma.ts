// A correctly rounded fused multiply-add in plain JS, the reference for the CPU matmul's fused
// kernels: a·b + c computed exactly in BigInt (each double is m·2^e exactly) and rounded once, to
// nearest with ties to even, to 53 bits (float64) or 24 bits (float32). For finite operands whose
// result is a normal number (the tests' values); a few microseconds a call.

const bits64 = new DataView(new ArrayBuffer(8));

/** [m, e] with x = m·2^e exactly (m a signed integer). */
function exact(x: number): [bigint, number] {
  if (x === 0) return [0n, 0];
  bits64.setFloat64(0, x);
  const hi = bits64.getUint32(0);
  const field = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(bits64.getUint32(4));
  const m = field === 0 ? frac : frac | (1n << 52n);
  return [hi >>> 31 ? -m : m, (field === 0 ? 1 : field) - 1075];
}

/** a·b + c rounded once to `precision` significant bits (53: float64, 24: float32). */
export function fmaExact(a: number, b: number, c: number, precision: 53 | 24): number {
  const [ma, ea] = exact(a);
  const [mb, eb] = exact(b);
  const [mc, ec] = exact(c);
  const ep = ea + eb;
  let e = Math.min(ep, ec);
  const sum = ((ma * mb) << BigInt(ep - e)) + (mc << BigInt(ec - e));
  if (sum === 0n) return 0; // an exact zero sum rounds to +0 (the kernels' sums start at +0)
  let m = sum < 0n ? -sum : sum;
  const drop = m.toString(2).length - precision;
  if (drop > 0) {
    const half = 1n << BigInt(drop - 1);
    const rest = m & ((half << 1n) - 1n);
    m >>= BigInt(drop);
    if (rest > half || (rest === half && (m & 1n) === 1n)) m += 1n;
    e += drop;
  }
  const r = Number(m) * 2 ** e;
  return sum < 0n ? -r : r;
}
