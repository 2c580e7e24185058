//! Typed access to a parsed [`Value`]: `as_*` (an `Option`), `req_*` (an [`Error::Field`] naming the
//! field) and [`struct_fields`] (the known fields of an object, as a serde derive picks them).

use super::{Error, Result, Value, MAX_SAFE_INTEGER};

impl Value {
    /// The last field named `key` of an object (`None` for other values).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(x) => Some(*x),
            _ => None,
        }
    }

    /// The number as a non-negative integer, if it is one exactly and at most [`MAX_SAFE_INTEGER`]
    /// (beyond that an `f64` cannot tell neighbouring integers apart).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(x) if *x >= 0.0 && x.fract() == 0.0 && *x <= MAX_SAFE_INTEGER as f64 => Some(*x as u64),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The fields in document order, if this is an object.
    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// [`Value::as_bool`], or an [`Error::Field`] naming `field`.
    pub fn req_bool(&self, field: &str) -> Result<bool, Error> {
        self.as_bool().ok_or_else(|| field_error(field, "a boolean"))
    }

    /// [`Value::as_f64`], or an [`Error::Field`] naming `field`.
    pub fn req_f64(&self, field: &str) -> Result<f64, Error> {
        self.as_f64().ok_or_else(|| field_error(field, "a number"))
    }

    /// The number rounded to the nearest `f32` (as `serde` does; values beyond the `f32` range become
    /// infinite), or an [`Error::Field`] naming `field`.
    pub fn req_f32(&self, field: &str) -> Result<f32, Error> {
        self.req_f64(field).map(|x| x as f32)
    }

    /// [`Value::as_u64`], or an [`Error::Field`] naming `field`.
    pub fn req_u64(&self, field: &str) -> Result<u64, Error> {
        self.as_u64().ok_or_else(|| field_error(field, "an integer >= 0"))
    }

    /// [`Value::as_u64`] as a `usize`, or an [`Error::Field`] naming `field`.
    pub fn req_usize(&self, field: &str) -> Result<usize, Error> {
        self.as_u64().and_then(|x| usize::try_from(x).ok()).ok_or_else(|| field_error(field, "an integer >= 0"))
    }

    /// [`Value::as_str`], or an [`Error::Field`] naming `field`.
    pub fn req_str(&self, field: &str) -> Result<&str, Error> {
        self.as_str().ok_or_else(|| field_error(field, "a string"))
    }

    /// [`Value::as_array`], or an [`Error::Field`] naming `field`.
    pub fn req_array(&self, field: &str) -> Result<&[Value], Error> {
        self.as_array().ok_or_else(|| field_error(field, "an array"))
    }

    /// [`Value::as_object`], or an [`Error::Field`] naming `field`.
    pub fn req_object(&self, field: &str) -> Result<&[(String, Value)], Error> {
        self.as_object().ok_or_else(|| field_error(field, "an object"))
    }

    /// An array of numbers as `f32`s (see [`Value::req_f32`]).
    pub fn req_f32_vec(&self, field: &str) -> Result<Vec<f32>, Error> {
        self.req_array(field)?.iter().map(|x| x.req_f32(field)).collect()
    }
}

/// An [`Error::Field`].
pub fn field_error(field: &str, expected: impl Into<String>) -> Error {
    Error::Field { field: field.to_string(), expected: expected.into() }
}

/// The value of a required field (from [`struct_fields`]), or [`Error::Missing`] naming `field`.
pub fn required<'a>(v: Option<&'a Value>, field: &str) -> Result<&'a Value> {
    v.ok_or_else(|| Error::Missing { field: field.to_string() })
}

/// The fields `names` of the object `v` (named `what` in errors), in the order of `names`: `None` for an
/// absent field. Other fields are ignored; a field of `names` present twice is an [`Error::Duplicate`];
/// `v` not an object is an [`Error::Field`].
///
/// ```
/// use recofuse_core::json::{parse, struct_fields};
/// let v = parse(r#"{"b": 2, "zzz": null, "a": 1}"#).unwrap();
/// let [a, b, c] = struct_fields(&v, "point", ["a", "b", "c"]).unwrap();
/// assert_eq!((a.and_then(|x| x.as_u64()), b.and_then(|x| x.as_u64()), c), (Some(1), Some(2), None));
/// assert!(struct_fields(&parse(r#"{"a": 1, "a": 2}"#).unwrap(), "point", ["a"]).is_err());
/// ```
pub fn struct_fields<'a, const N: usize>(
    v: &'a Value,
    what: &str,
    names: [&str; N],
) -> Result<[Option<&'a Value>; N], Error> {
    let mut out = [None; N];
    for (k, value) in v.req_object(what)? {
        if let Some(i) = names.iter().position(|n| n == k) {
            if out[i].is_some() {
                return Err(Error::Duplicate { field: format!("{what}.{k}") });
            }
            out[i] = Some(value);
        }
    }
    Ok(out)
}
