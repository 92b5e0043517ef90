// Typed errors thrown by wgad. Every error names the operation and the shapes or values involved,
// and is raised when the op is built (graph-build time), never at readback.

/** Base class of every error wgad throws on purpose. */
export class WgadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit the op: broadcasting, matmul inner dimensions, reshape sizes, axes. */
export class ShapeError extends WgadError {}

/** Mixed or unsupported dtypes (e.g. float32 with float64, float64 on WebGPU). */
export class DTypeError extends WgadError {}

/** An argument of the wrong type or value (not a tensor, a bad option value, samples < 1, ...);
 * a shape with a negative, fractional or non-finite size is a ShapeError. */
export class ArgumentError extends WgadError {}

/** Misuse of a transformation (grad of a non-scalar, argnums out of range, ...). */
export class TransformError extends WgadError {}

/** A backend could not be used or failed (no adapter, device lost, limits exceeded). */
export class BackendError extends WgadError {}

/** Formats a shape as `[2, 3]` for messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
