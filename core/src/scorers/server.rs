//! The server's own score, passed in by the page: one more input column. NaN or infinite entries are
//! treated as missing for that candidate (documented recovery, never an error or a silent 0.0).

/// The server column: `scores[i]` where finite, NaN otherwise and for the candidates beyond `scores`
/// (the pipeline rejects a length mismatch before; extra scores are ignored).
///
/// ```
/// let mut out = [0.0; 3];
/// recofuse_core::scorers::server_column(&[1.5, f32::INFINITY], &mut out);
/// assert!(out[0] == 1.5 && out[1].is_nan() && out[2].is_nan());
/// ```
pub fn server_column(scores: &[f32], out: &mut [f32]) {
    // Two plain loops, which vectorise.
    let (scored, rest) = out.split_at_mut(scores.len().min(out.len()));
    for (o, &x) in scored.iter_mut().zip(scores) {
        *o = if x.is_finite() { x } else { f32::NAN };
    }
    rest.fill(f32::NAN);
}
