// Shared by both reduction templates: their sizes and the reduction (sum or max).
//
// The generated prelude (kernels/loop.ts) supplies the bindings, the helpers (wg_isnan, wg_inf_bits) and
//   struct Site                       what one output's reads need (base offsets, output index)
//   fn setup(o: u32) -> Site          the site of output o
//   fn element(s: Site, r: u32) -> f32   the prologue's value at reduced element r
//   fn epilogue(s: Site, acc: f32)    computes and stores the outputs from the folded value

// threads per workgroup
override WG: u32;
// outputs
override TOTAL: u32;
// reduced elements per output
override REDUCED: u32;
// max instead of sum
override REDUCE_MAX: bool;

fn identity() -> f32 {
  if (REDUCE_MAX) { return -bitcast<f32>(wg_inf_bits); }
  return 0.0;
}

// max propagates NaN, as Math.max
fn combine(a: f32, b: f32) -> f32 {
  if (REDUCE_MAX) { return select(a, b, b > a || wg_isnan(b)); }
  return a + b;
}
