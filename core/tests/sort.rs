//! The sort helpers: the `wasm32` path (the compact merge sort, run natively here) against std's
//! stable sort, and the top-k selection against a full sort. Both paths of `recofuse_core::sort`
//! must give identical results for every input.

use std::cmp::Ordering;

use proptest::prelude::*;
use recofuse_core::sort::{
    indirect_sort_by_dyn, merge_sort_by_dyn, smallest_k_by, sort, sort_any_by, sort_by, sort_by_key,
};

/// (key with many ties, original position): equal keys must keep their order.
fn tagged(keys: &[u8]) -> Vec<(u8, usize)> {
    keys.iter().copied().zip(0..).collect()
}

fn by_key(a: &(u8, usize), b: &(u8, usize)) -> Ordering {
    a.0.cmp(&b.0)
}

fn std_sorted(v: &[(u8, usize)], cmp: impl Fn(&(u8, usize), &(u8, usize)) -> Ordering) -> Vec<(u8, usize)> {
    let mut v = v.to_vec();
    v.sort_by(cmp);
    v
}

/// Keys from a small alphabet (many ties), lengths around the run and merge boundaries and beyond.
fn keys() -> impl Strategy<Value = Vec<u8>> {
    (1u8..=12).prop_flat_map(|alphabet| prop::collection::vec(0..alphabet, 0..300))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn merge_sort_equals_std_stable_sort(keys in keys()) {
        let v = tagged(&keys);
        let mut got = v.clone();
        merge_sort_by_dyn(&mut got, &by_key);
        prop_assert_eq!(&got, &std_sorted(&v, by_key));
        // Descending too (the `b.cmp(a)` comparators of the scorers).
        let desc = |a: &(u8, usize), b: &(u8, usize)| b.0.cmp(&a.0);
        let mut got = v.clone();
        merge_sort_by_dyn(&mut got, &desc);
        prop_assert_eq!(&got, &std_sorted(&v, desc));
    }

    #[test]
    fn merge_sort_of_floats_by_total_cmp(xs in prop::collection::vec(
        prop_oneof![Just(0.0f32), Just(-0.0), Just(1.0), Just(f32::NAN), Just(-f32::NAN),
                    Just(f32::INFINITY), -10.0f32..10.0], 0..200)) {
        let v: Vec<(f32, usize)> = xs.iter().copied().zip(0..).collect();
        let cmp = |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0);
        let mut want = v.clone();
        want.sort_by(cmp);
        let mut got = v;
        merge_sort_by_dyn(&mut got, &cmp);
        let bits = |v: &[(f32, usize)]| v.iter().map(|&(x, i)| (x.to_bits(), i)).collect::<Vec<_>>();
        prop_assert_eq!(bits(&got), bits(&want));
    }

    #[test]
    fn indirect_sort_equals_std_stable_sort(keys in keys()) {
        // Not `Copy`: the path of `sort_any_by` on wasm32.
        let v: Vec<(u8, String)> = keys.iter().enumerate().map(|(i, &k)| (k, format!("#{i}"))).collect();
        let cmp = |a: &(u8, String), b: &(u8, String)| a.0.cmp(&b.0);
        let mut want = v.clone();
        want.sort_by(cmp);
        let mut got = v.clone();
        indirect_sort_by_dyn(&mut got, &cmp);
        prop_assert_eq!(&got, &want);
        let mut native = v;
        sort_any_by(&mut native, cmp);
        prop_assert_eq!(&native, &want);
    }

    #[test]
    fn public_sorts_equal_std(keys in keys()) {
        let v = tagged(&keys);
        let mut a = v.clone();
        sort_by(&mut a, by_key);
        prop_assert_eq!(&a, &std_sorted(&v, by_key));
        let mut b = v.clone();
        sort_by_key(&mut b, |&(k, _)| std::cmp::Reverse(k));
        prop_assert_eq!(&b, &std_sorted(&v, |x, y| y.0.cmp(&x.0)));
        let mut c = keys.clone();
        sort(&mut c);
        let mut want = keys;
        want.sort_unstable();
        prop_assert_eq!(c, want);
    }

    #[test]
    fn smallest_k_equals_full_sort_head(keys in keys(), k in 0usize..320) {
        // A total order: ties broken by position.
        let total = |a: &(u8, usize), b: &(u8, usize)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
        let v = tagged(&keys);
        let mut want = std_sorted(&v, total);
        want.truncate(k);
        // Native path (select_nth_unstable_by + sort of the head).
        let mut got = v.clone();
        smallest_k_by(&mut got, k, total);
        prop_assert_eq!(&got, &want);
        // wasm32 path (merge sort + truncate).
        let mut got = v;
        merge_sort_by_dyn(&mut got, &total);
        got.truncate(k);
        prop_assert_eq!(&got, &want);
    }
}

#[test]
fn edge_cases() {
    let mut empty: Vec<u32> = Vec::new();
    merge_sort_by_dyn(&mut empty, &u32::cmp);
    indirect_sort_by_dyn(&mut empty, &u32::cmp);
    smallest_k_by(&mut empty, 3, u32::cmp);
    assert!(empty.is_empty());

    let mut one = vec![7u32];
    merge_sort_by_dyn(&mut one, &u32::cmp);
    smallest_k_by(&mut one, 0, u32::cmp);
    assert!(one.is_empty());

    // Already sorted, reversed, all equal; a length just past several powers of two of the runs.
    for n in [1usize, 2, 11, 12, 13, 24, 25, 48, 49, 97, 1000, 1025] {
        let asc: Vec<u32> = (0..n as u32).collect();
        let mut v = asc.clone();
        merge_sort_by_dyn(&mut v, &u32::cmp);
        assert_eq!(v, asc);
        let mut v: Vec<u32> = asc.iter().rev().copied().collect();
        merge_sort_by_dyn(&mut v, &u32::cmp);
        assert_eq!(v, asc);
        let mut v: Vec<(u8, usize)> = (0..n).map(|i| (1, i)).collect();
        merge_sort_by_dyn(&mut v, &by_key);
        assert_eq!(v, (0..n).map(|i| (1, i)).collect::<Vec<_>>());
    }
}

#[test]
fn inconsistent_comparator_does_not_panic() {
    // Not an order at all: both paths must still return a permutation of the input.
    let weird = |a: &u32, b: &u32| if (a ^ b) & 1 == 0 { Ordering::Less } else { Ordering::Greater };
    let input: Vec<u32> = (0..500).map(|i| (i * 7919) % 501).collect();
    let mut v = input.clone();
    merge_sort_by_dyn(&mut v, &weird);
    let mut w = input.clone();
    indirect_sort_by_dyn(&mut w, &weird);
    let mut sorted_input = input;
    sorted_input.sort_unstable();
    v.sort_unstable();
    w.sort_unstable();
    assert_eq!(v, sorted_input);
    assert_eq!(w, sorted_input);
}
