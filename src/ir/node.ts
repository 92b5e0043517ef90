// Graph nodes: one primitive applied to input nodes, with its inferred shape and dtype. A node is
// immutable except for realization: once a value is computed, the node holds the backend buffer
// and drops its inputs, so the graph above it can be garbage-collected.

import type { DType } from '../dtype.js';
import type { Params, ParamsMap, Prim } from './primitives.js';
import type { Shape } from './shape.js';
import { checkExtent, sizeOf } from './shape.js';

/** A computed value living on a backend (see src/backend/backend.ts). */
export interface RealizedBuffer {
  readonly backendName: string;
  readonly bytes: number;
  /** Backend-specific storage (a typed array on CPU, a GPUBuffer on WebGPU). */
  readonly handle: unknown;
  /** Adds an owner (a node sharing this buffer). */
  retain(): void;
  /** Drops an owner; the storage returns to its backend when the last one goes. */
  release(): void;
}

let nextId = 0;

/** Counts nodes built, for tests that assert how much graph a transformation creates. */
export function nodesCreated(): number {
  return nextId;
}

export class Node {
  readonly id: number = nextId++;
  /** Set once the value is computed; the node is then a leaf for scheduling. */
  buffer: RealizedBuffer | null = null;
  disposed = false;
  /**
   * Set by the runtime once a plan has computed this node without keeping its value (an
   * intermediate): a later plan that needs it again recomputes it (src/recompute.ts).
   */
  computed = false;

  constructor(
    readonly op: Prim,
    public inputs: readonly Node[],
    readonly params: Params,
    readonly shape: Shape,
    readonly dtype: DType,
  ) {
    // the last line of defence: ops check with the user's op name first (ops.ts, creation.ts)
    checkExtent(op, shape);
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  p<P extends Prim>(_op: P): ParamsMap[P] {
    return this.params as ParamsMap[P];
  }

  /** True when no computation is needed to read this node (a constant or a realized value). */
  get isLeaf(): boolean {
    return this.op === 'const' || this.buffer !== null;
  }
}
