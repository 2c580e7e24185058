//! [`Tensor`]: a read-only slice that is either owned or borrowed in place from the bundle bytes.

use std::fmt;
use std::sync::Arc;

use bytemuck::Pod;

/// A read-only, contiguous array of `T`.
///
/// A tensor built by the trainer is [owned](Tensor::from). A tensor decoded from a bundle is used
/// *in place* when its stored dtype equals `T`, the target is little-endian and the data is aligned
/// for `T` inside the bundle buffer; otherwise the decoder converts (f16 -> f32, u16 -> u32) or copies it.
/// Either way it dereferences to `&[T]`.
///
/// ```
/// use recofuse_core::Tensor;
/// let t: Tensor<f32> = vec![1.0, 2.0].into();
/// assert_eq!(&*t, &[1.0, 2.0]);
/// assert!(!t.is_in_place());
/// ```
#[derive(Clone)]
pub struct Tensor<T: Pod> {
    repr: Repr<T>,
}

#[derive(Clone)]
enum Repr<T: Pod> {
    Owned(Vec<T>),
    InPlace { bytes: Arc<Vec<u8>>, start: usize, len: usize },
}

impl<T: Pod> Tensor<T> {
    /// An empty tensor.
    pub fn empty() -> Self {
        Tensor { repr: Repr::Owned(Vec::new()) }
    }

    /// Borrows `len` elements starting at byte `start` of `bytes`, if that range exists and is aligned
    /// for `T` (and the target is little-endian, the byte order of safetensors). Returns `None` otherwise,
    /// in which case the caller copies.
    pub fn in_place(bytes: &Arc<Vec<u8>>, start: usize, len: usize) -> Option<Self> {
        if cfg!(target_endian = "big") {
            return None;
        }
        let end = start.checked_add(len.checked_mul(std::mem::size_of::<T>())?)?;
        let slice = bytes.get(start..end)?;
        bytemuck::try_cast_slice::<u8, T>(slice).ok()?;
        Some(Tensor { repr: Repr::InPlace { bytes: Arc::clone(bytes), start, len } })
    }

    /// Whether this tensor borrows the bundle bytes instead of owning a copy.
    pub fn is_in_place(&self) -> bool {
        matches!(self.repr, Repr::InPlace { .. })
    }

    /// The elements.
    pub fn as_slice(&self) -> &[T] {
        match &self.repr {
            Repr::Owned(v) => v,
            Repr::InPlace { bytes, start, len } => {
                // Range and alignment were checked in `in_place`; the buffer is immutable behind the Arc.
                let end = start + len * std::mem::size_of::<T>();
                bytes.get(*start..end).and_then(|s| bytemuck::try_cast_slice(s).ok()).unwrap_or(&[])
            }
        }
    }
}

impl<T: Pod> std::ops::Deref for Tensor<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Pod> From<Vec<T>> for Tensor<T> {
    fn from(v: Vec<T>) -> Self {
        Tensor { repr: Repr::Owned(v) }
    }
}

impl<T: Pod> Default for Tensor<T> {
    fn default() -> Self {
        Tensor::empty()
    }
}

impl<T: Pod + fmt::Debug> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.as_slice();
        write!(f, "Tensor(len={}, in_place={}, ", s.len(), self.is_in_place())?;
        f.debug_list().entries(s.iter().take(8)).finish()?;
        write!(f, ")")
    }
}

impl<T: Pod + PartialEq> PartialEq for Tensor<T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}
