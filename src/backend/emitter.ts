// The walk shared by the CPU (JavaScript) and WebGPU (WGSL) code generators that turns a kernel's
// Expr DAG into straight-line code: every shared subexpression once (a name per node), and
// `where(c, a, b)` as an if/else that computes only the branch taken. The two languages differ
// only in their `Syntax` and in how a leaf (an argument read, a scalar) and an op are written,
// which each generator supplies.

import type { Expr } from '../schedule/kernel.js';

export type OpExpr = Extract<Expr, { k: 'op' }>;
export type LeafExpr = Extract<Expr, { k: 'arg' | 'scalar' }>;

/** How a language writes the few statements the walk emits. */
export interface Syntax {
  /** A line binding the new name `v` to `src`, once. */
  bind(v: string, src: string): string;
  /** A line declaring `v`, assigned in both branches of an if/else. */
  declare(v: string): string;
  /** The condition under which `where` takes its first branch, given the condition's value `c`. */
  taken(c: string): string;
}

export abstract class ExprEmitter {
  lines: string[] = [];
  private n = 0;
  private memo = new Map<Expr, string>();

  constructor(
    private readonly prefix: string,
    private readonly syntax: Syntax,
  ) {}

  /** The source of a leaf; it may emit lines first (through `emit`). */
  protected abstract leaf(e: LeafExpr): string;
  /** The source of an op applied to its arguments' names. */
  protected abstract op(e: OpExpr, args: string[]): string;
  /** May `where` be emitted as an if/else here (not, e.g., in vec4 code or code inlined many times over)? */
  protected lazyWhereAllowed(): boolean {
    return true;
  }

  emit(line: string): void {
    this.lines.push(line);
  }

  fresh(): string {
    return `${this.prefix}${this.n++}`;
  }

  /** Forgets the names computed so far (a new scope). */
  reset(): void {
    this.memo = new Map();
  }

  /**
   * The names of `es` computed in a block of their own (a branch: its lines are returned, not
   * emitted; values computed before stay shared, values computed in it stay in it).
   */
  scoped(es: readonly Expr[], acc: string): [string[], string[]] {
    const outer = this.lines;
    const memo = this.memo;
    this.lines = [];
    this.memo = new Map(memo);
    const names = es.map((e) => this.expr(e, acc));
    const lines = this.lines;
    this.lines = outer;
    this.memo = memo;
    return [names, lines];
  }

  /** The name (or source) of `e`'s value; `acc` is the source of the accumulator. */
  expr(e: Expr, acc: string): string {
    const seen = this.memo.get(e);
    if (seen !== undefined) return seen;
    if (e.k === 'acc') return acc;
    let v: string;
    if (e.k !== 'op') v = this.leaf(e);
    else if (e.op === 'where' && this.lazyWhereAllowed() && (v = this.lazyWhere(e, acc)) !== '') {
      // computed in the branch taken only
    } else {
      const src = this.op(
        e,
        e.args.map((x) => this.expr(x, acc)),
      );
      v = this.fresh();
      this.lines.push(this.syntax.bind(v, src));
    }
    this.memo.set(e, v);
    return v;
  }

  /**
   * `where(c, a, b)` as an if/else computing only the branch taken (a branch's own lines stay in
   * it; values shared with the rest of the kernel are computed before), or '' when neither branch
   * needs lines of its own (then a plain select is as cheap).
   */
  private lazyWhere(e: OpExpr, acc: string): string {
    const c = this.expr(e.args[0]!, acc);
    const [[a], la] = this.scoped([e.args[1]!], acc);
    const [[b], lb] = this.scoped([e.args[2]!], acc);
    if (la.length === 0 && lb.length === 0) return '';
    const v = this.fresh();
    this.lines.push(this.syntax.declare(v), `if (${this.syntax.taken(c)}) {`, ...la, `${v} = ${a};`, '} else {', ...lb, `${v} = ${b};`, '}');
    return v;
  }
}
