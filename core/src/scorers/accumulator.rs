//! The sparse accumulator of the history-driven scorers (item-CF, sequential, user-CF), and the copy
//! of its values into a dense column.

/// A sparse accumulator over item indices: dense values plus the list of touched indices, so that
/// building, reading and [`Accumulator::reset`] are O(touched) after one O(items) allocation.
///
/// ```
/// use recofuse_core::scorers::Accumulator;
/// let mut acc = Accumulator::new(4);
/// acc.add(2, 0.5);
/// acc.add(2, 0.25);
/// assert_eq!(acc.values(), &[0.0, 0.0, 0.75, 0.0]);
/// acc.reset();
/// assert!(acc.is_empty() && acc.get(2) == 0.0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Accumulator {
    values: Vec<f32>,
    touched: Vec<u32>,
    /// Whether some value is not finite (a sum that overflowed, a NaN weight): only then do the
    /// readers have to test each value they copy.
    nonfinite: bool,
}

impl Accumulator {
    /// An accumulator over `items` items, every value 0.
    pub fn new(items: usize) -> Self {
        Accumulator { values: vec![0.0; items], touched: Vec::new(), nonfinite: false }
    }

    /// Adds `x` to item `i` (ignored when `i` is out of range).
    pub fn add(&mut self, i: u32, x: f32) {
        if let Some(v) = self.values.get_mut(i as usize) {
            if *v == 0.0 && x != 0.0 {
                self.touched.push(i);
            }
            *v += x;
            self.nonfinite |= !v.is_finite();
        }
    }

    /// Sets every value back to 0 (in O(touched)), keeping the allocation.
    pub fn reset(&mut self) {
        for &i in &self.touched {
            if let Some(v) = self.values.get_mut(i as usize) {
                *v = 0.0;
            }
        }
        self.touched.clear();
        self.nonfinite = false;
    }

    /// Whether every value is finite. A sum that stopped being finite stays flagged, rightly:
    /// adding anything to ±∞ or NaN never gives a finite value again.
    pub(crate) fn all_finite(&self) -> bool {
        !self.nonfinite
    }

    /// The accumulated value at item `i` (0 when untouched or out of range).
    pub fn get(&self, i: u32) -> f32 {
        self.values.get(i as usize).copied().unwrap_or(0.0)
    }

    /// Every item's accumulated value (index = item), as a slice: what the hot loops take once,
    /// since through the `Vec` its pointer and length would be reloaded for every candidate (the
    /// compiler cannot tell that writing the output column leaves them unchanged).
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// Whether nothing was accumulated.
    pub fn is_empty(&self) -> bool {
        self.touched.is_empty()
    }
}

/// A sum that overflowed is missing, like every non-finite score.
#[inline]
fn finite_or_nan(x: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        f32::NAN
    }
}

/// The accumulated value of item `i` in `values` (0 when out of range), as `Accumulator::get`.
#[inline]
fn value_at(values: &[f32], i: u32) -> f32 {
    values.get(i as usize).copied().unwrap_or(0.0)
}

/// The column of an accumulator: its value for each known candidate (NaN for unknown ids and
/// non-finite sums); all NaN when there is no accumulator (the scorer's section is not in the bundle,
/// or the history is empty).
pub fn accumulated_column(acc: Option<&Accumulator>, candidates: &[Option<u32>], out: &mut [f32]) {
    match acc {
        Some(acc) => {
            let values = acc.values();
            for (o, c) in out.iter_mut().zip(candidates) {
                *o = match *c {
                    Some(i) => finite_or_nan(value_at(values, i)),
                    None => f32::NAN,
                };
            }
        }
        None => out.fill(f32::NAN),
    }
}

/// [`accumulated_column`] of three accumulators in one pass over the candidates (item-CF,
/// sequential and user-CF read the same candidate once instead of three times): the same three
/// columns.
pub(crate) fn accumulated_columns3(accs: [&Accumulator; 3], candidates: &[Option<u32>]) -> [Vec<f32>; 3] {
    let n = candidates.len();
    let mut out = [vec![f32::NAN; n], vec![f32::NAN; n], vec![f32::NAN; n]];
    // The usual case, no sum that stopped being finite: copied without a test per value.
    if accs.iter().all(|a| a.all_finite()) {
        copy_three(accs, candidates, &mut out, |x| x);
    } else {
        copy_three(accs, candidates, &mut out, finite_or_nan);
    }
    out
}

/// The loop of [`accumulated_columns3`], `keep` applied to each value copied.
#[inline(always)]
fn copy_three(accs: [&Accumulator; 3], candidates: &[Option<u32>], out: &mut [Vec<f32>; 3], keep: impl Fn(f32) -> f32) {
    let [o0, o1, o2] = out;
    // The values as slices, taken once (see `Accumulator::values`).
    let [a0, a1, a2] = accs.map(Accumulator::values);
    for (((c, x0), x1), x2) in candidates.iter().zip(o0.iter_mut()).zip(o1.iter_mut()).zip(o2.iter_mut()) {
        if let Some(i) = *c {
            (*x0, *x1, *x2) = (keep(value_at(a0, i)), keep(value_at(a1, i)), keep(value_at(a2, i)));
        }
    }
}
