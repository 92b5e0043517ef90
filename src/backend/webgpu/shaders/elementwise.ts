// Template: one thread per output element (or per 4 consecutive elements, vec4) of a fused
// elementwise kernel. The flat index comes from a 2-D grid of workgroups (more than 65535
// workgroups are split over y).

export interface ElementwiseParts {
  decls: string;
  helpers: string;
  wg: number;
  total: number;
  /** Statements computing and storing the outputs at flat index `idx` (u32). */
  body: string;
  /** Name of the thread index (`idx`; `idx4` when each thread handles 4 elements). */
  index?: string;
}

export function elementwiseShader(p: ElementwiseParts): string {
  return `${p.decls}
${p.helpers}
@compute @workgroup_size(${p.wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let ${p.index ?? 'idx'} = (wid.x + wid.y * nwg.x) * ${p.wg}u + lid;
  if (${p.index ?? 'idx'} >= ${p.total}u) { return; }
  ${p.body}
}
`;
}
