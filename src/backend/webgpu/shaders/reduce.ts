// Templates for reductions with a fused prologue (evaluated at every reduced element) and
// epilogue (evaluated once per output, with the folded value in `acc`).
//  - reduceSerial: one thread per output, a serial loop over the reduced elements; no barriers
//    (the right choice on SwiftShader, and whenever there are many outputs).
//  - reduceWorkgroup: one workgroup per output; threads stride over the reduced elements, then a
//    tree in workgroup memory (few outputs, many reduced elements, real GPUs).

export interface ReduceParts {
  decls: string;
  helpers: string;
  wg: number;
  /** Number of outputs. */
  total: number;
  /** Per-output statements (index of output `o`, base offsets). */
  setup: string;
  /** Initial accumulator value. */
  init: string;
  /** Loop statements folding prologue values into `acc`. */
  body: string;
  /** Statements writing the outputs from `acc`. */
  epilogue: string;
}

export function reduceSerial(p: ReduceParts): string {
  return `${p.decls}
${p.helpers}
@compute @workgroup_size(${p.wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = (wid.x + wid.y * nwg.x) * ${p.wg}u + lid;
  if (o >= ${p.total}u) { return; }
  ${p.setup}
  var acc = ${p.init};
  {
    ${p.body}
  }
  ${p.epilogue}
}
`;
}

export interface WorkgroupReduceParts extends ReduceParts {
  /** Number of reduced elements per output. */
  reduced: number;
  /** Expression combining partial results `a` and `b`. */
  combine: string;
}

export function reduceWorkgroup(p: WorkgroupReduceParts): string {
  return `${p.decls}
${p.helpers}
var<workgroup> partial: array<f32, ${p.wg}>;
@compute @workgroup_size(${p.wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;
  if (o >= ${p.total}u) { return; }
  ${p.setup}
  var acc = ${p.init};
  for (var r = lid; r < ${p.reduced}u; r += ${p.wg}u) {
    ${p.body}
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = ${p.wg / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      let a = partial[lid];
      let b = partial[lid + s];
      partial[lid] = ${p.combine};
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    acc = partial[0];
    ${p.epilogue}
  }
}
`;
}
