// Size-bucketed pool of GPU buffers, one free list per (usage, bucket). Buckets grow in quarter
// steps between powers of two (at most 25% waste, few distinct sizes) and are multiples of 16
// bytes, so any storage buffer can also be bound as array<vec4<f32>>.

export const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;

export type PoolKind = 'storage' | 'uniform' | 'staging';

const USAGE_OF: Record<PoolKind, number> = {
  storage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST,
  uniform: USAGE.UNIFORM | USAGE.COPY_DST,
  staging: USAGE.MAP_READ | USAGE.COPY_DST,
};

/** Bucket size for a request of `bytes` (never above `max`, which callers have checked). */
export function bucketBytes(bytes: number, max = Infinity): number {
  const b = Math.max(16, bytes);
  let size: number;
  if (b <= 4096) size = 2 ** Math.ceil(Math.log2(b));
  else {
    const p = 2 ** Math.floor(Math.log2(b));
    const q = p / 4;
    size = Math.ceil(b / q) * q;
  }
  size = Math.ceil(size / 16) * 16;
  if (size > max) size = Math.max(Math.ceil(b / 16) * 16, 16);
  return size;
}

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private freeBytes = 0;
  /** While a plan is encoded: buffers over capacity wait here and are destroyed after its submit. */
  private holding = false;
  private held: GPUBuffer[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBytes: number,
    private readonly onAllocate: (bytes: number) => void,
    /** Free bytes kept for reuse; beyond this, released buffers are destroyed. */
    private readonly capacity = 512 * 2 ** 20,
  ) {}

  acquire(kind: PoolKind, bytes: number): GPUBuffer {
    const size = bucketBytes(bytes, this.maxBytes);
    const list = this.free.get(`${kind}:${size}`);
    const hit = list?.pop();
    if (hit) {
      this.freeBytes -= size;
      return hit;
    }
    this.onAllocate(size);
    return this.device.createBuffer({ size, usage: USAGE_OF[kind], label: `wgad ${kind} ${size}` });
  }

  release(kind: PoolKind, buffer: GPUBuffer): void {
    if (this.freeBytes + buffer.size > this.capacity) {
      // a buffer released while a plan is encoded may still be used by its unsubmitted commands
      if (this.holding) this.held.push(buffer);
      else buffer.destroy();
      return;
    }
    const key = `${kind}:${buffer.size}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buffer);
    this.freeBytes += buffer.size;
  }

  /**
   * From here until `destroyHeld()`, buffers released beyond capacity are not destroyed: a plan is
   * being encoded, and its unsubmitted commands may still use them (WebGPU rejects a submit that
   * uses a destroyed buffer; one destroyed after its submit lives until that work is done).
   */
  hold(): void {
    this.holding = true;
  }

  /** After the submit: destroys the buffers held since `hold()`. */
  destroyHeld(): void {
    this.holding = false;
    for (const b of this.held) b.destroy();
    this.held = [];
  }

  /** Bytes held for reuse. */
  get pooledBytes(): number {
    return this.freeBytes;
  }

  clear(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.freeBytes = 0;
  }
}
