//! Numbers: the shortest decimal that reads back exactly ([`write_f64`], [`write_f32`], [`Num`]) and
//! the correctly rounded reading of a decimal ([`decimal_to_f64`]), both without `core::fmt`'s float
//! code or the standard library's parse tables (WebAssembly size).

use std::fmt::Write as _;

/// Appends `x` (finite) as a plain decimal (no exponent, like `Display` of Rust floats) that reads back
/// as exactly `x`: the correctly rounded decimal with the fewest significant digits (at most 17) that
/// this module's reader (correctly rounded, like `str::parse`) turns back into `x`. Usually the same
/// text as `Display`; never formats through `core::fmt`'s float code (about 17 KB of WebAssembly).
/// Non-finite values write `null`.
///
/// ```
/// let mut s = String::new();
/// recofuse_core::json::write_f64(&mut s, 0.1 + 0.2);
/// assert_eq!(s, "0.30000000000000004");
/// ```
pub fn write_f64(out: &mut String, x: f64) {
    write_float(out, x, 17, &|text| decimal_to_f64(text) == Some(x.abs()));
}

/// [`write_f64`] for an `f32`: the shortest correctly rounded decimal (at most 9 significant digits)
/// that reads back as exactly `x` through `f64` (`text -> f64 -> f32`, the way this crate reads `f32`
/// fields).
///
/// ```
/// let mut s = String::new();
/// recofuse_core::json::write_f32(&mut s, 0.1);
/// assert_eq!(s, "0.1");
/// ```
pub fn write_f32(out: &mut String, x: f32) {
    write_float(out, f64::from(x), 9, &|text| decimal_to_f64(text).map(|y| y as f32) == Some(x.abs()));
}

/// A float that displays as [`write_f64`] / [`write_f32`] write it, and `NaN`, `inf`, `-inf` like
/// `Display` (for error messages without `core::fmt`'s float formatting).
///
/// ```
/// use recofuse_core::json::Num;
/// assert_eq!(format!("{}", Num::from(0.1f32)), "0.1");
/// assert_eq!(format!("{}", Num::from(f64::NAN)), "NaN");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num {
    value: f64,
    single: bool,
}

impl From<f64> for Num {
    fn from(value: f64) -> Num {
        Num { value, single: false }
    }
}

impl From<f32> for Num {
    fn from(value: f32) -> Num {
        Num { value: f64::from(value), single: true }
    }
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.value;
        if x.is_nan() {
            return f.write_str("NaN");
        }
        if x.is_infinite() {
            return f.write_str(if x > 0.0 { "inf" } else { "-inf" });
        }
        let mut s = String::new();
        if self.single {
            write_f32(&mut s, x as f32);
        } else {
            write_f64(&mut s, x);
        }
        f.write_str(&s)
    }
}

/// The shared body of [`write_f64`] / [`write_f32`]: exact digits of `x`, then the shortest correct
/// rounding (1..=`max_digits` significant digits) whose text `reads_back` accepts as `|x|`.
fn write_float(out: &mut String, x: f64, max_digits: usize, reads_back: &dyn Fn(&[u8]) -> bool) {
    if !x.is_finite() {
        out.push_str("null");
        return;
    }
    if x.is_sign_negative() {
        out.push('-');
    }
    let a = x.abs();
    if a == 0.0 {
        out.push('0');
        return;
    }
    if a.fract() == 0.0 && a < 9_007_199_254_740_992.0 {
        // Integers below 2^53: exact as u64.
        let _ = write!(out, "{}", a as u64);
        return;
    }
    let (digits, point) = exact_digits(a);
    let mut text = Vec::new();
    for p in 1..=max_digits.min(digits.len()) {
        let (rounded, point) = round_digits(&digits, point, p);
        text.clear();
        plain(&mut text, &rounded, point);
        if reads_back(&text) || p == max_digits.min(digits.len()) {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&text).unwrap_or("0"));
}

/// The exact decimal expansion of a positive finite `a`: digits (no leading zero) and the position of
/// the decimal point (`a = 0.d1d2… × 10^point`). `a = m·2^k` is `m·2^k` (k >= 0) or `m·5^-k / 10^-k`.
fn exact_digits(a: f64) -> (Vec<u8>, i64) {
    let bits = a.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1 << 52) - 1);
    let (m, k) = if biased == 0 { (frac, -1074) } else { (frac | 1 << 52, biased - 1075) };
    let mut n = Big::from_u64(m);
    let mut e10 = 0i64;
    if k >= 0 {
        n.shl(k as u32);
    } else {
        let mut e = k.unsigned_abs();
        while e >= 13 {
            n.mul_add_small(1_220_703_125, 0); // 5^13
            e -= 13;
        }
        n.mul_add_small(5u32.pow(e as u32), 0);
        e10 = k;
    }
    // Decimal digits of n, nine at a time from the low end.
    let mut groups = Vec::new();
    while !n.0.is_empty() {
        groups.push(n.div_small(1_000_000_000));
    }
    let mut digits = Vec::new();
    for (i, g) in groups.iter().rev().enumerate() {
        let s = g.to_string();
        if i > 0 {
            digits.extend(std::iter::repeat_n(0u8, 9 - s.len()));
        }
        digits.extend(s.bytes().map(|b| b - b'0'));
    }
    let point = digits.len() as i64 + e10;
    (digits, point)
}

/// `digits` (exact, `0.d… × 10^point`) rounded to `p` significant digits, ties to even: the digits
/// (trailing zeros removed) and the new point.
fn round_digits(digits: &[u8], point: i64, p: usize) -> (Vec<u8>, i64) {
    let mut r: Vec<u8> = digits.iter().copied().take(p).collect();
    let rest = digits.get(p..).unwrap_or(&[]);
    let up = match rest.split_first() {
        Some((&d, tail)) if d > 5 || (d == 5 && tail.iter().any(|&t| t != 0)) => true,
        Some((&5, _)) => r.last().is_some_and(|&l| l % 2 == 1),
        _ => false,
    };
    let mut point = point;
    if up {
        let mut i = r.len();
        loop {
            if i == 0 {
                r.insert(0, 1);
                point += 1;
                break;
            }
            i -= 1;
            if r[i] == 9 {
                r[i] = 0;
            } else {
                r[i] += 1;
                break;
            }
        }
    }
    while r.len() > 1 && r.last() == Some(&0) {
        r.pop();
    }
    (r, point)
}

/// Writes `0.d… × 10^point` in plain notation.
fn plain(out: &mut Vec<u8>, digits: &[u8], point: i64) {
    let ascii = digits.iter().map(|d| d + b'0');
    if point <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', point.unsigned_abs() as usize));
        out.extend(ascii);
    } else if point as usize >= digits.len() {
        out.extend(ascii);
        out.extend(std::iter::repeat_n(b'0', point as usize - digits.len()));
    } else {
        let (int, fraction) = digits.split_at(point as usize);
        out.extend(int.iter().map(|d| d + b'0'));
        out.push(b'.');
        out.extend(fraction.iter().map(|d| d + b'0'));
    }
}

// ---- Decimal to f64 ----
//
// `str::parse::<f64>` would do, but it links the standard library's Eisel-Lemire tables (~15 KB gzip in
// the WebAssembly module). This is the classic small alternative: Clinger's exact fast path for short
// inputs, otherwise an approximation corrected ulp by ulp with exact big-integer comparisons against the
// halfway points (Clinger's AlgorithmR). Correctly rounded (ties to even), like `str::parse`.

/// Powers of ten exactly representable as f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Significant digits kept: halfway points between doubles have at most 767 of them, so with a sticky
/// digit for the rest the rounding is exact.
const MAX_DIGITS: usize = 800;

/// The value of a number matching the JSON grammar, correctly rounded; `None` when it overflows.
pub(super) fn decimal_to_f64(text: &[u8]) -> Option<f64> {
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (mantissa, exponent) = match text.iter().position(|c| matches!(c, b'e' | b'E')) {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, &[][..]),
    };
    // Significant digits (leading zeros skipped, at most MAX_DIGITS + a sticky 1) and the power of ten.
    let mut digits: Vec<u8> = Vec::new();
    let mut e10: i64 = 0;
    let mut seen_point = false;
    let mut sticky = false;
    for &c in mantissa {
        if c == b'.' {
            seen_point = true;
            continue;
        }
        let d = c.wrapping_sub(b'0');
        if seen_point {
            e10 -= 1;
        }
        if digits.is_empty() && d == 0 {
            continue;
        }
        if digits.len() < MAX_DIGITS {
            digits.push(d);
        } else {
            e10 += 1;
            sticky |= d != 0;
        }
    }
    if sticky {
        digits.push(1);
        e10 -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
        e10 += 1;
    }
    let mut exp: i64 = 0;
    let (exp_negative, exp_digits) = match exponent.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, exponent),
    };
    for &c in exp_digits {
        exp = exp.saturating_mul(10).saturating_add(i64::from(c.wrapping_sub(b'0')));
    }
    e10 = e10.saturating_add(if exp_negative { -exp } else { exp });
    let magnitude = if digits.is_empty() { 0.0 } else { positive(&digits, e10)? };
    Some(if negative { -magnitude } else { magnitude })
}

/// `digits × 10^e10` (digits without leading or trailing zeros, at least one).
fn positive(digits: &[u8], e10: i64) -> Option<f64> {
    let n = digits.len() as i64;
    // 10^(top-1) <= value < 10^top. Saturating: an exponent of 20 digits saturates `e10` at
    // `i64::MAX` or `i64::MIN`, which must still read as out of range or as 0, not wrap around.
    let top = n.saturating_add(e10);
    if top <= -324 {
        return Some(0.0);
    }
    if top > 309 {
        return None;
    }
    let e10 = e10 as i32; // |e10| < 1200 here.
                          // The first 19 digits as an integer (exact), for the fast path and the first approximation.
    let head = &digits[..digits.len().min(19)];
    let m = head.iter().fold(0u64, |m, &d| m * 10 + u64::from(d));
    let e_head = e10 + (digits.len() - head.len()) as i32;
    if digits.len() == head.len() && m < 1 << 53 && e10.unsigned_abs() <= 22 {
        // Clinger's fast path: both operands exact, one correctly rounded operation.
        let p = POW10[e10.unsigned_abs() as usize];
        return Some(if e10 < 0 { m as f64 / p } else { m as f64 * p });
    }
    // An approximation within a few ulp (scaled in two steps so the power of ten stays normal).
    let mut z =
        if e_head < -290 { m as f64 * 10f64.powi(e_head + 290) * 1e-290 } else { m as f64 * 10f64.powi(e_head) };
    // value = num / den exactly.
    let mut num = Big::from_digits(digits);
    let mut den = Big(vec![1]);
    if e10 >= 0 {
        num.mul_pow10(e10 as u32);
    } else {
        den.mul_pow10(e10.unsigned_abs());
    }
    if z.is_infinite() {
        z = f64::MAX;
    }
    for _ in 0..10_000 {
        if !z.is_finite() {
            return None; // rounded up past f64::MAX
        }
        // z = zm · 2^k, zm an integer (< 2^53).
        let bits = z.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1 << 52) - 1);
        let (zm, k) = if biased == 0 { (frac, -1074) } else { (frac | 1 << 52, biased - 1075) };
        // Over the common denominator den · 2^max(-k, 0): x = value, y = z, u = one ulp of z.
        let mut x = num.clone();
        x.shl(k.min(0).unsigned_abs());
        let mut y = den.mul(&Big::from_u64(zm));
        y.shl(k.max(0) as u32);
        let mut u = den.clone();
        u.shl(k.max(0) as u32);
        let below = x.cmp(&y) == std::cmp::Ordering::Less;
        let mut d2 = if below { y.sub(&x) } else { x.sub(&y) };
        // Twice the distance against one ulp: below half an ulp, z is the answer. Just below a power of two
        // the gap to the previous double is half as wide.
        d2.shl(if below && zm == 1 << 52 && biased > 1 { 2 } else { 1 });
        match d2.cmp(&u) {
            std::cmp::Ordering::Less => return Some(z),
            std::cmp::Ordering::Equal if zm % 2 == 0 => return Some(z),
            _ => {}
        }
        let step = if below { bits - 1 } else { bits + 1 };
        if zm == 0 && below {
            return Some(0.0);
        }
        z = f64::from_bits(step);
    }
    Some(z)
}

/// A non-negative big integer, little-endian 32-bit limbs, no trailing zero limbs.
#[derive(Clone)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(x: u64) -> Big {
        let mut b = Big(vec![x as u32, (x >> 32) as u32]);
        b.trim();
        b
    }

    fn from_digits(digits: &[u8]) -> Big {
        let mut b = Big(Vec::new());
        for chunk in digits.chunks(9) {
            let v = chunk.iter().fold(0u32, |v, &d| v * 10 + u32::from(d));
            b.mul_add_small(10u32.pow(chunk.len() as u32), v);
        }
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// `self /= d`, returning the remainder (`d > 0`).
    fn div_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let t = (rem << 32) | u64::from(*limb);
            *limb = (t / u64::from(d)) as u32;
            rem = t % u64::from(d);
        }
        self.trim();
        rem as u32
    }

    /// `self = self · m + a`.
    fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.0 {
            let t = u64::from(*limb) * u64::from(m) + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn mul_pow10(&mut self, mut e: u32) {
        while e >= 9 {
            self.mul_add_small(1_000_000_000, 0);
            e -= 9;
        }
        self.mul_add_small(10u32.pow(e), 0);
    }

    fn mul(&self, other: &Big) -> Big {
        let mut out = vec![0u32; self.0.len() + other.0.len()];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.0.iter().enumerate() {
                let t = u64::from(a) * u64::from(b) + u64::from(out[i + j]) + carry;
                out[i + j] = t as u32;
                carry = t >> 32;
            }
            out[i + other.0.len()] = carry as u32;
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    fn shl(&mut self, bits: u32) {
        if self.0.is_empty() {
            return;
        }
        let (limbs, bits) = ((bits / 32) as usize, bits % 32);
        if bits > 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let next = *limb >> (32 - bits);
                *limb = (*limb << bits) | carry;
                carry = next;
            }
            if carry > 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, std::iter::repeat_n(0, limbs));
    }

    fn cmp(&self, other: &Big) -> std::cmp::Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// `self - other`, for `self >= other`.
    fn sub(&self, other: &Big) -> Big {
        let mut out = self.0.clone();
        let mut borrow = 0i64;
        for (i, limb) in out.iter_mut().enumerate() {
            let t = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(t < 0);
            *limb = t.rem_euclid(1 << 32) as u32;
        }
        let mut b = Big(out);
        b.trim();
        b
    }
}
