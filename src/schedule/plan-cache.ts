// Plan reuse without jit: a structural fingerprint of the unrealized graph below the nodes asked
// for, and a bounded (LRU) cache from fingerprints to kernel plans. A repeated realization of a
// graph with the same structure, shapes and dtypes (a loop calling laplacian(f)(X)) skips
// canonicalization and scheduling and replays the cached plan with the new graph's leaves as its
// inputs.
//
// What the scheduler decides from values is part of the key: size-1 constants become kernel
// scalars (deduplicated by value, and CSE merges equal ones), so the key numbers each scalar by
// the class of equal values it belongs to, and spells out the values the rewrites of rewrite.ts
// inspect (1, +0, -0). On a hit the new graph's scalar values replace the cached plan's, class by
// class (every kernel scalar is the value of a size-1 constant, scheduler.ts's read()). Entries
// hold no nodes: input slots are stored as positions in the fingerprint's walk. So is the
// storage-buffer limit the plan was made for (the active backend's), the one fact of the backend
// a plan depends on.

import { activeStorageBufferLimit } from '../ir/host.js';
import type { Node } from '../ir/node.js';
import { walkPostOrder } from '../ir/walk.js';
import { isSchedulerConstant } from './constants.js';
import { valueKey } from './graph.js';
import type { Kernel, Plan, Slot } from './kernel.js';
import type { Schedule } from './scheduler.js';

/** Graphs with more nodes than this are not cached (the key would be as large as the graph). */
export const MAX_FINGERPRINT_NODES = 20000;

export interface Fingerprint {
  readonly key: string;
  /** Position of every node the walk reached (leaves included). */
  readonly pos: ReadonlyMap<Node, number>;
  /** Nodes by position. */
  readonly nodes: readonly Node[];
  /** Value of each scalar class (size-1 constants with equal values), by class number. */
  readonly values: readonly number[];
}

/** Values the rewrites (rewrite.ts) compare against: these are spelled out in the key. */
const inspected = (v: number): boolean => v === 1 || v === 0; // +0 and -0 both

function paramsKey(params: object): string {
  for (const _ in params) return JSON.stringify(params);
  return '';
}

/**
 * The fingerprint of the unrealized graph below `targets`, walked as canonicalize() walks it
 * (graph.ts: stopping at realized nodes and constants); null when it should not be cached (a
 * disposed node, which scheduling reports, an alias without inputs, or a very large graph).
 */
export function fingerprint(targets: readonly Node[]): Fingerprint | null {
  const pos = new Map<Node, number>();
  const nodes: Node[] = [];
  const classOf = new Map<string, number>();
  const values: number[] = [];
  let key = `B${activeStorageBufferLimit()};`;
  const leaf = (n: Node): boolean => n.buffer !== null || n.op === 'const';
  const complete = walkPostOrder(
    targets,
    (n) => (leaf(n) ? [] : n.inputs),
    (n) => pos.has(n),
    (n) => {
      if (n.disposed) return false;
      pos.set(n, nodes.push(n) - 1);
      if (nodes.length > MAX_FINGERPRINT_NODES) return false;
      const shape = n.shape.join(',');
      if (n.buffer === null && n.op === 'const' && n.size === 1) {
        // a kernel scalar: its class of equal values, and the value itself when a rewrite looks at it
        const v = n.p('const').data[0]!;
        const vk = valueKey(v);
        let c = classOf.get(vk);
        if (c === undefined) classOf.set(vk, (c = values.push(v) - 1));
        key += `s${n.dtype}[${shape}]#${c}${inspected(v) ? `=${vk}` : ''};`;
      } else if (leaf(n)) key += `L${n.dtype}[${shape}];`;
      else {
        let ins = '';
        for (const m of n.inputs) ins += `${pos.get(m)!},`;
        if (n.op === 'identity' || n.op === 'custom') {
          // aliases: canonicalize replaces them by their last input, so their params do not matter
          if (n.inputs.length === 0) return false;
          key += `A${n.op}<${ins}>;`;
        } else key += `${n.op}${paramsKey(n.params)}${n.dtype}[${shape}]<${ins}>;`;
      }
      return true;
    },
  );
  if (!complete) return null;
  key += '|';
  for (const t of targets) key += `${pos.get(t)!},`;
  return { key, pos, nodes, values };
}

interface Entry {
  /** Slots without their input nodes. */
  readonly slots: readonly Slot[];
  /** Input slot -> position (in the fingerprint's walk) of the node it reads. */
  readonly inputs: readonly (readonly [number, number])[];
  readonly targetSlots: readonly number[];
  readonly lastUse: Plan['lastUse'];
  readonly keep: Plan['keep'];
  /** The kernels for `values` (the scalar values last used): equal values reuse these objects. */
  kernels: readonly Kernel[];
  values: readonly number[];
}

export interface PlanCacheStats {
  hits: number;
  misses: number;
}

/** A bounded cache of kernel plans by fingerprint, least recently used first out. */
export class PlanCache {
  private readonly entries = new Map<string, Entry>();
  readonly stats: PlanCacheStats = { hits: 0, misses: 0 };

  constructor(readonly capacity = 64) {}

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  /** The cached schedule for `fp`'s graph, with its leaves as inputs and its scalar values, or null. */
  lookup(fp: Fingerprint): Schedule | null {
    const e = this.entries.get(fp.key);
    if (!e) {
      this.stats.misses++;
      return null;
    }
    this.stats.hits++;
    this.entries.delete(fp.key); // most recently used last
    this.entries.set(fp.key, e);
    if (!sameValues(e.values, fp.values)) {
      e.kernels = substitute(e.kernels, e.values, fp.values);
      e.values = fp.values.slice();
    }
    const slots = e.slots.slice();
    for (const [slot, p] of e.inputs) slots[slot] = { ...slots[slot]!, input: fp.nodes[p]! };
    return { plan: { slots, kernels: e.kernels, lastUse: e.lastUse, keep: e.keep }, targetSlots: e.targetSlots.slice() };
  }

  /** Remembers the schedule made for `fp`'s graph. */
  store(fp: Fingerprint, s: Schedule): void {
    const inputs: [number, number][] = [];
    for (let i = 0; i < s.plan.slots.length; i++) {
      const n = s.plan.slots[i]!.input;
      if (!n) continue;
      if (isSchedulerConstant(n)) continue; // the same node in every plan: kept in the slot
      const p = fp.pos.get(n);
      if (p === undefined) return; // not a node of the walk: do not cache what we cannot rebuild
      inputs.push([i, p]);
    }
    const slots = s.plan.slots.map((sl) => (sl.input && !isSchedulerConstant(sl.input) ? { size: sl.size, dtype: sl.dtype } : sl));
    const { lastUse, keep, kernels } = s.plan;
    this.entries.set(fp.key, { slots, inputs, targetSlots: s.targetSlots.slice(), lastUse, keep, kernels, values: fp.values.slice() });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

function sameValues(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** New kernel objects where a scalar changed (old class value -> new class value); others kept. */
function substitute(kernels: readonly Kernel[], from: readonly number[], to: readonly number[]): Kernel[] {
  const map = new Map<string, number>();
  from.forEach((v, c) => map.set(valueKey(v), to[c]!));
  return kernels.map((k) => {
    if (k.scalars.every((v) => Object.is(map.get(valueKey(v)) ?? v, v))) return k;
    return { ...k, scalars: k.scalars.map((v) => map.get(valueKey(v)) ?? v) };
  });
}
