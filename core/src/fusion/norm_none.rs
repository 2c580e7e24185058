//! No normalisation.

use super::value_or_nan;

/// The scores as they are: present finite values are copied, `None`, NaN and ±∞ become `None`.
///
/// Fine when the columns are already on comparable scales (or for [`super::stacking`] with
/// coefficients learned on raw scores).
///
/// ```
/// use recofuse_core::fusion::none_norm;
/// assert_eq!(none_norm(&[Some(-2.5), None, Some(f32::NAN)]), vec![Some(-2.5), None, None]);
/// ```
pub fn none_norm(column: &[Option<f32>]) -> Vec<Option<f32>> {
    column.iter().map(|v| Some(value_or_nan(*v)).filter(|x| !x.is_nan())).collect()
}
