//! Every sort and selection of the engine, in one place, to keep the WebAssembly module small.
//!
//! Each closure type given to std's `sort_by` / `sort_unstable_by` / `select_nth_unstable_by`
//! instantiates the whole driftsort / ipnsort machinery (several KB of code each). Natively that is
//! what we want (fast, inlined comparator), so these helpers call std there. On `wasm32` they run a
//! compact stable bottom-up merge sort through a `&dyn Fn` comparator instead, instantiated once per
//! element type ([`merge_sort_by_dyn`](crate::sort::merge_sort_by_dyn)), or once in all for the element types that are not `Copy`
//! ([`indirect_sort_by_dyn`](crate::sort::indirect_sort_by_dyn): it sorts positions, then permutes).
//!
//! Both paths give identical results for every input: the sorts are stable (equal elements keep
//! their order) whatever the comparator, and [`smallest_k_by`](crate::sort::smallest_k_by) requires a total order (no two
//! elements compare equal, e.g. ties broken by position), under which selection is deterministic.
//! `cmp` must still be a consistent order (as for std's sorts); an inconsistent one gives some
//! permutation of the input, not necessarily the same on both paths, and never panics.

use std::cmp::Ordering;

/// Stable sort by `cmp`. Natively: std's `sort_by` (fast, inlined comparator). On `wasm32`: a compact
/// bottom-up merge sort through a `&dyn Fn` comparator ([`merge_sort_by_dyn`](crate::sort::merge_sort_by_dyn)), instantiated once per
/// element type, to keep the module small. Same result on both.
///
/// ```
/// let mut v = [(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd')];
/// recofuse_core::sort::sort_by(&mut v, |a, b| a.0.cmp(&b.0));
/// assert_eq!(v, [(1, 'b'), (1, 'd'), (2, 'a'), (2, 'c')]);
/// ```
#[inline]
pub fn sort_by<T: Copy>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_by(cmp);
    #[cfg(target_arch = "wasm32")]
    merge_sort_by_dyn(v, &cmp);
}

/// Stable sort by `key` ([`sort_by`] comparing the keys).
#[inline]
pub fn sort_by_key<T: Copy, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sort by [`Ord`] ([`sort_by`] with `T::cmp`; stable, so identical to an unstable sort whenever no
/// two elements are equal).
#[inline]
pub fn sort<T: Copy + Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Stable sort by `cmp` for element types that are not `Copy`. Natively: std's `sort_by`. On
/// `wasm32`: [`indirect_sort_by_dyn`](crate::sort::indirect_sort_by_dyn) (sorts the positions with the one `usize` merge sort, then
/// permutes in place). Same result on both.
#[inline]
pub fn sort_any_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_by(cmp);
    #[cfg(target_arch = "wasm32")]
    indirect_sort_by_dyn(v, &cmp);
}

/// Keeps the `k` smallest elements by `cmp`, sorted, and drops the rest (`v` is truncated to `k`).
///
/// `cmp` must be a total order: no two distinct elements may compare equal (break ties by position
/// or id). Then the result is the first `k` of the fully sorted vector, whatever the algorithm.
/// Natively: `select_nth_unstable_by` and a sort of the head (`O(n + k log k)`); on `wasm32`: the
/// merge sort of [`sort_by`] and a truncation (`O(n log n)`, no extra code).
///
/// ```
/// let mut v = vec![(5, 0), (1, 1), (4, 2), (1, 3), (3, 4)];
/// recofuse_core::sort::smallest_k_by(&mut v, 3, |a, b| a.cmp(b));
/// assert_eq!(v, vec![(1, 1), (1, 3), (3, 4)]);
/// ```
#[inline]
pub fn smallest_k_by<T: Copy>(v: &mut Vec<T>, k: usize, cmp: impl Fn(&T, &T) -> Ordering) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        if k == 0 {
            v.clear();
            return;
        }
        if k < v.len() {
            v.select_nth_unstable_by(k - 1, &cmp);
            v.truncate(k);
        }
        v.sort_by(cmp);
    }
    #[cfg(target_arch = "wasm32")]
    {
        merge_sort_by_dyn(v, &cmp);
        v.truncate(k);
    }
}

/// Length of the runs sorted by insertion before the merge passes.
const RUN: usize = 12;

/// The `wasm32` path of [`sort_by`], public so that it can be tested natively: a stable bottom-up
/// merge sort (insertion-sorted runs of a few elements, then merge passes between `v` and one
/// buffer of the same length). `O(n log n)` comparisons, never panics, whatever `cmp` returns.
pub fn merge_sort_by_dyn<T: Copy>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
    for run in v.chunks_mut(RUN) {
        insertion_sort(run, cmp);
    }
    let n = v.len();
    if n <= RUN {
        return;
    }
    let mut buf = v.to_vec();
    let mut width = RUN;
    let mut in_v = true; // where the sorted runs of `width` currently are
    while width < n {
        let (src, dst): (&[T], &mut [T]) = if in_v { (&*v, &mut buf) } else { (&buf, &mut *v) };
        for (s, d) in src.chunks(2 * width).zip(dst.chunks_mut(2 * width)) {
            let (a, b) = s.split_at(width.min(s.len()));
            merge(a, b, d, cmp);
        }
        in_v = !in_v;
        width = width.saturating_mul(2);
    }
    if !in_v {
        v.copy_from_slice(&buf);
    }
}

/// Stable insertion sort (for the short runs).
fn insertion_sort<T: Copy>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 {
            match (v.get(j - 1), v.get(j)) {
                (Some(prev), Some(cur)) if cmp(cur, prev) == Ordering::Less => v.swap(j - 1, j),
                _ => break,
            }
            j -= 1;
        }
    }
}

/// Merges the sorted `a` and `b` into `out` (of length `a.len() + b.len()`), `a` first on ties.
fn merge<T: Copy>(a: &[T], b: &[T], out: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
    let (mut i, mut j) = (0, 0);
    for o in out {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if cmp(y, x) != Ordering::Less => {
                *o = *x;
                i += 1;
            }
            (_, Some(y)) => {
                *o = *y;
                j += 1;
            }
            (Some(x), None) => {
                *o = *x;
                i += 1;
            }
            (None, None) => break,
        }
    }
}

/// The `wasm32` path of [`sort_any_by`], public so that it can be tested natively: sorts the
/// positions `0..n` with [`merge_sort_by_dyn`](crate::sort::merge_sort_by_dyn) (by `cmp` of the elements there, so stably), then
/// applies that permutation in place by following its cycles.
pub fn indirect_sort_by_dyn<T>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
    let mut perm: Vec<usize> = (0..v.len()).collect();
    {
        let v: &[T] = v;
        merge_sort_by_dyn(&mut perm, &|&a, &b| match (v.get(a), v.get(b)) {
            (Some(x), Some(y)) => cmp(x, y),
            _ => Ordering::Equal,
        });
    }
    // Position k receives the element at perm[k]. Each cycle is walked once; a visited entry is
    // reset to the identity so that later starts skip it.
    for start in 0..perm.len() {
        let mut k = start;
        while let Some(slot) = perm.get_mut(k) {
            let next = std::mem::replace(slot, k);
            if next == start || next == k {
                break;
            }
            v.swap(k, next);
            k = next;
        }
    }
}
