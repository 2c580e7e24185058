//! The raw safetensors container: an 8-byte little-endian header length `N`, `N` bytes of JSON header,
//! then the data buffer holding every tensor back to back.
//!
//! This module knows nothing about recofuse sections; it reads and writes the container the way the
//! official `safetensors` implementation does (same header size limit, offsets contiguous and covering the
//! whole buffer, header padded with spaces to a multiple of 8 bytes).

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::json::{self, Dims, ObjectWriter, Quoted, ToJson, Value};

/// The largest header the official reader accepts (and so do we).
pub(crate) const MAX_HEADER_LEN: u64 = 100_000_000;

/// Key of the string-to-string metadata map inside the header.
pub(crate) const METADATA_KEY: &str = "__metadata__";

/// The byte-sized safetensors dtypes this reader understands (others are rejected as a bad header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dtype {
    Bool,
    U8,
    I8,
    F8E5M2,
    F8E4M3,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
}

impl Dtype {
    const ALL: [Dtype; 15] = [
        Dtype::Bool,
        Dtype::U8,
        Dtype::I8,
        Dtype::F8E5M2,
        Dtype::F8E4M3,
        Dtype::I16,
        Dtype::U16,
        Dtype::F16,
        Dtype::BF16,
        Dtype::I32,
        Dtype::U32,
        Dtype::F32,
        Dtype::F64,
        Dtype::I64,
        Dtype::U64,
    ];

    /// The name used in the JSON header.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Dtype::Bool => "BOOL",
            Dtype::U8 => "U8",
            Dtype::I8 => "I8",
            Dtype::F8E5M2 => "F8_E5M2",
            Dtype::F8E4M3 => "F8_E4M3",
            Dtype::I16 => "I16",
            Dtype::U16 => "U16",
            Dtype::F16 => "F16",
            Dtype::BF16 => "BF16",
            Dtype::I32 => "I32",
            Dtype::U32 => "U32",
            Dtype::F32 => "F32",
            Dtype::F64 => "F64",
            Dtype::I64 => "I64",
            Dtype::U64 => "U64",
        }
    }

    fn parse(name: &str) -> Option<Dtype> {
        Dtype::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Size of one element in bytes.
    pub(crate) fn size(self) -> usize {
        match self {
            Dtype::Bool | Dtype::U8 | Dtype::I8 | Dtype::F8E5M2 | Dtype::F8E4M3 => 1,
            Dtype::I16 | Dtype::U16 | Dtype::F16 | Dtype::BF16 => 2,
            Dtype::I32 | Dtype::U32 | Dtype::F32 => 4,
            Dtype::F64 | Dtype::I64 | Dtype::U64 => 8,
        }
    }
}

/// One tensor as described by the header. Offsets are absolute positions in the whole file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    /// Number of elements (product of `shape`).
    pub len: usize,
    /// First byte of the tensor in the file.
    pub start: usize,
    /// One past the last byte of the tensor in the file.
    pub end: usize,
    /// `data_offsets` as in the header: begin and end relative to the data buffer.
    pub offsets: (u64, u64),
}

impl Entry {
    /// `"F32 [5, 8]"`, for error messages.
    pub(crate) fn describe(&self) -> String {
        format!("{} {}", self.dtype.name(), Dims(&self.shape))
    }
}

/// A small map from names to values: a vector sorted by name (binary search). The container's maps
/// hold a few dozen entries; this keeps `BTreeMap`'s node code out of the WebAssembly module.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SortedMap<V>(Vec<(String, V)>);

impl<V> Default for SortedMap<V> {
    fn default() -> Self {
        SortedMap(Vec::new())
    }
}

impl<V> SortedMap<V> {
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// Inserts or replaces.
    pub(crate) fn insert(&mut self, key: String, value: V) {
        match self.find(&key) {
            Ok(i) => {
                if let Some(slot) = self.0.get_mut(i) {
                    slot.1 = value;
                }
            }
            Err(i) => self.0.insert(i, (key, value)),
        }
    }

    /// Removes `key` if present.
    pub(crate) fn remove(&mut self, key: &str) {
        if let Ok(i) = self.find(key) {
            self.0.remove(i);
        }
    }

    /// The value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        self.find(key).ok().and_then(|i| self.0.get(i)).map(|(_, v)| v)
    }

    /// The value of `key`, mutable.
    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let i = self.find(key).ok()?;
        self.0.get_mut(i).map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Entries by name.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The first entry by name.
    pub(crate) fn into_first(self) -> Option<(String, V)> {
        self.0.into_iter().next()
    }
}

/// A parsed container: header entries (validated against the file size) and metadata.
#[derive(Debug, Clone)]
pub(crate) struct Container {
    /// Tensors by name.
    pub tensors: SortedMap<Entry>,
    /// The `__metadata__` map (empty when absent).
    pub metadata: SortedMap<String>,
    /// Where the data buffer starts (8 + header length).
    pub data_start: usize,
    /// One past the last byte of the container (the end of its last tensor; `bytes.len()` for [`parse`]).
    pub end: usize,
}

fn bad(reason: impl Into<String>) -> Error {
    Error::BadHeader { reason: reason.into() }
}

/// Parses the length prefix and the header, and checks every offset against the buffer.
///
/// Errors, in this order: [`Error::Truncated`] (`"header length"`, then `"header"`), [`Error::BadHeader`]
/// (size limit, JSON, entries), [`Error::BadHeader`] for gaps / overlaps / trailing bytes, and
/// [`Error::Truncated`] naming the first tensor that the buffer cuts.
#[cfg_attr(not(feature = "pieces"), allow(dead_code))]
pub(crate) fn parse(bytes: &[u8]) -> Result<Container> {
    let c = parse_prefix(bytes)?;
    if c.end < bytes.len() {
        return Err(bad(format!("{} trailing bytes after the last tensor", bytes.len() - c.end)));
    }
    Ok(c)
}

/// [`parse`] of a container followed by other bytes (the head of a format-2 bundle is followed by its
/// shards): bytes after the last tensor are allowed, and [`Container::end`] says where it ends.
pub(crate) fn parse_prefix(bytes: &[u8]) -> Result<Container> {
    let total = bytes.len() as u64;
    let Some(prefix) = bytes.get(..8) else {
        return Err(Error::Truncated { section: "header length".into(), needed: 8, available: total });
    };
    let mut len_bytes = [0u8; 8];
    len_bytes.copy_from_slice(prefix);
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > MAX_HEADER_LEN {
        return Err(bad(format!("header length {header_len} exceeds the limit of {MAX_HEADER_LEN} bytes")));
    }
    let data_start_u64 = 8 + header_len; // cannot overflow: header_len <= 1e8
    if data_start_u64 > total {
        return Err(Error::Truncated { section: "header".into(), needed: data_start_u64, available: total });
    }
    // data_start <= bytes.len(), so it fits in usize.
    let data_start = usize::try_from(data_start_u64).map_err(|_| bad("header length does not fit in memory"))?;
    let header = bytes.get(8..data_start).ok_or_else(|| bad("header out of range"))?;
    if header.first() != Some(&b'{') {
        return Err(bad("header does not start with '{'"));
    }
    let fields = match json::parse_bytes(header) {
        Ok(Value::Object(fields)) => fields,
        Ok(_) => return Err(bad("header is not a JSON object")),
        Err(e) => return Err(bad(format!("header is not a JSON object: {e}"))),
    };
    // As `serde_json` reads a map: the last of duplicated names counts, and the first problem in name
    // order is the one reported. Valid tensors go to `tensors`, problems to `problems`, both by name
    // (no map of JSON values: one `BTreeMap` instantiation less in the wasm module).
    let mut tensors: SortedMap<Entry> = SortedMap::default();
    let mut problems: SortedMap<String> = SortedMap::default();
    let mut metadata_value = None;
    for (name, value) in fields {
        if name == METADATA_KEY {
            metadata_value = Some(value);
            continue;
        }
        match entry(&name, &value) {
            Ok(e) => {
                problems.remove(&name);
                tensors.insert(name, e);
            }
            Err(reason) => {
                tensors.remove(&name);
                problems.insert(name, reason);
            }
        }
    }
    let mut metadata = SortedMap::default();
    if let Some(value) = metadata_value {
        if let Err(reason) = read_metadata(&value, &mut metadata) {
            problems.insert(METADATA_KEY.to_string(), reason);
        }
    }
    if let Some((_, reason)) = problems.into_first() {
        return Err(bad(reason));
    }
    // (begin, end, name), relative to the data buffer, for the layout check.
    let mut spans: Vec<(u64, u64, String)> =
        tensors.iter().map(|(name, e)| (e.offsets.0, e.offsets.1, name.clone())).collect();

    // Layout: sorted by offsets, contiguous from 0, no gap, no overlap (what the official reader demands).
    crate::sort::sort_any_by(&mut spans, |a, b| a.cmp(b));
    let mut cursor: u64 = 0;
    for (begin, end, name) in &spans {
        if *begin > cursor {
            return Err(bad(format!("gap of {} bytes before tensor {}", begin - cursor, Quoted(name))));
        }
        if *begin < cursor {
            return Err(bad(format!("tensor {} overlaps the tensor before it", Quoted(name))));
        }
        cursor = *end;
    }
    let data_len = total - data_start_u64;
    if cursor > data_len {
        let (_, end, name) = spans.iter().find(|(_, end, _)| *end > data_len).cloned().unwrap_or_default();
        return Err(Error::Truncated { section: name, needed: data_start_u64.saturating_add(end), available: total });
    }
    for (begin, end, name) in spans {
        if let Some(e) = tensors.get_mut(&name) {
            // Both are <= total, which is a usize.
            e.start = usize::try_from(data_start_u64 + begin).map_err(|_| bad("offset does not fit in memory"))?;
            e.end = usize::try_from(data_start_u64 + end).map_err(|_| bad("offset does not fit in memory"))?;
        }
    }
    let end = usize::try_from(data_start_u64 + cursor).map_err(|_| bad("offset does not fit in memory"))?;
    Ok(Container { tensors, metadata, data_start, end })
}

/// The `__metadata__` object: a string per key, the last of duplicated keys counting; a non-string value
/// is a problem (the first in key order is reported).
fn read_metadata(value: &Value, metadata: &mut SortedMap<String>) -> std::result::Result<(), String> {
    let fields = value.as_object().ok_or_else(|| "__metadata__ is not an object".to_string())?;
    // Keys whose (last) value is not a string.
    let mut problems: SortedMap<String> = SortedMap::default();
    for (k, v) in fields {
        match v.as_str() {
            Some(s) => {
                problems.remove(k);
                metadata.insert(k.clone(), s.to_string());
            }
            None => {
                metadata.remove(k);
                problems.insert(k.clone(), format!("__metadata__ value of {} is not a string", Quoted(k)));
            }
        }
    }
    match problems.into_first() {
        Some((_, reason)) => Err(reason),
        None => Ok(()),
    }
}

/// One tensor's header entry, checked on its own (the layout is checked once all are known); the error is
/// the reason for [`Error::BadHeader`].
fn entry(name: &str, value: &Value) -> std::result::Result<Entry, String> {
    let name = Quoted(name);
    if value.as_object().is_none() {
        return Err(format!("tensor {name} is not an object"));
    }
    let dtype_name =
        value.get("dtype").and_then(Value::as_str).ok_or_else(|| format!("tensor {name} has no dtype string"))?;
    let dtype =
        Dtype::parse(dtype_name).ok_or_else(|| format!("tensor {name} has unknown dtype {}", Quoted(dtype_name)))?;
    let shape_json =
        value.get("shape").and_then(Value::as_array).ok_or_else(|| format!("tensor {name} has no shape array"))?;
    let mut shape = Vec::with_capacity(shape_json.len());
    let mut elements: u64 = 1;
    for d in shape_json {
        let d = d.as_u64().ok_or_else(|| format!("tensor {name} has a shape entry that is not an integer >= 0"))?;
        elements = elements.checked_mul(d).ok_or_else(|| format!("tensor {name} shape overflows"))?;
        shape.push(usize::try_from(d).map_err(|_| format!("tensor {name} shape does not fit in memory"))?);
    }
    let offsets = value
        .get("data_offsets")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("tensor {name} has no data_offsets array"))?;
    let (begin, end) = match offsets {
        [b, e] => match (b.as_u64(), e.as_u64()) {
            (Some(b), Some(e)) => (b, e),
            _ => return Err(format!("tensor {name} data_offsets are not integers >= 0")),
        },
        _ => return Err(format!("tensor {name} data_offsets must hold exactly two integers")),
    };
    if end < begin {
        return Err(format!("tensor {name} ends ({end}) before it begins ({begin})"));
    }
    let nbytes =
        elements.checked_mul(dtype.size() as u64).ok_or_else(|| format!("tensor {name} byte size overflows"))?;
    if end - begin != nbytes {
        return Err(format!(
            "tensor {name} spans {} bytes but {} {} needs {nbytes}",
            end - begin,
            dtype.name(),
            Dims(&shape)
        ));
    }
    let len = usize::try_from(elements).map_err(|_| format!("tensor {name} does not fit in memory"))?;
    // Absolute positions are fixed once the layout is known to fit in the file.
    Ok(Entry { dtype, shape, len, start: 0, end: 0, offsets: (begin, end) })
}

/// A tensor to write: name, dtype, shape and its little-endian bytes.
pub(crate) struct Out {
    pub name: String,
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub data: Vec<u8>,
}

/// Writes the container. Tensors are laid out by decreasing element size (stable for equal sizes), so
/// with the data buffer starting at a multiple of 8 every tensor is aligned for its dtype without any
/// gap. `metadata_for(data)` gives the metadata once the data buffer is known (for its checksum).
pub(crate) fn write(
    mut tensors: Vec<Out>,
    metadata_for: impl FnOnce(&[u8]) -> BTreeMap<String, String>,
) -> Result<Vec<u8>> {
    crate::sort::sort_any_by(&mut tensors, |a, b| b.dtype.size().cmp(&a.dtype.size()));
    let total: usize = tensors.iter().map(|t| t.data.len()).sum();
    let mut data = Vec::with_capacity(total);
    let mut entries = Vec::with_capacity(tensors.len());
    for t in &tensors {
        let begin = data.len();
        data.extend_from_slice(&t.data);
        entries.push((t, begin, data.len()));
    }
    let metadata = metadata_for(&data);
    let mut header = String::new();
    let mut o = ObjectWriter::new(&mut header);
    o.field(METADATA_KEY, &metadata);
    for (t, begin, end) in entries {
        o.field(&t.name, &TensorHeader { dtype: t.dtype, shape: &t.shape, begin, end });
    }
    o.finish();
    // Pad with spaces so that the data buffer starts at a multiple of 8 (as the official writer does).
    while (8 + header.len()) % 8 != 0 {
        header.push(' ');
    }
    if header.len() as u64 > MAX_HEADER_LEN {
        return Err(Error::invalid("bundle", "header larger than the safetensors limit of 100 MB"));
    }
    let mut out = Vec::with_capacity(8 + header.len() + data.len());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&data);
    // The checksum covers everything but itself: written over its placeholder once the file is whole.
    if let Some(at) = checksum_field(&out, 8 + header.len()) {
        let digest = checksum(&out, at);
        out[at..at + 64].copy_from_slice(digest.as_bytes());
    }
    Ok(out)
}

/// The key of the checksum in the header, as the writer writes it (a `"` inside a JSON string is
/// escaped, so these bytes only occur as the key itself).
const CHECKSUM_KEY: &[u8] = b"\"sha256\":\"";

/// Offset of the 64 hex digits of `"sha256":"…"` in the header (`bytes[..header_end]`), if present.
pub(crate) fn checksum_field(bytes: &[u8], header_end: usize) -> Option<usize> {
    let header = bytes.get(..header_end)?;
    let at = header.windows(CHECKSUM_KEY.len()).position(|w| w == CHECKSUM_KEY)? + CHECKSUM_KEY.len();
    (at + 64 <= header_end).then_some(at)
}

/// The bundle checksum: lowercase hex SHA-256 of the whole file with the 64 digits at `at` read as `0`s
/// (so it covers the length prefix, the header and the data, everything but itself).
pub(crate) fn checksum(bytes: &[u8], at: usize) -> String {
    let (head, rest) = bytes.split_at(at.min(bytes.len()));
    crate::sha256::hex(&crate::sha256::sha256_parts(&[head, &[b'0'; 64], rest.get(64..).unwrap_or(&[])]))
}

/// A tensor's header entry, `{"dtype":"F32","shape":[5,8],"data_offsets":[0,160]}`.
struct TensorHeader<'a> {
    dtype: Dtype,
    shape: &'a [usize],
    begin: usize,
    end: usize,
}

impl ToJson for TensorHeader<'_> {
    fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        o.field("dtype", self.dtype.name()).field("shape", self.shape).field("data_offsets", &[self.begin, self.end]);
        o.finish();
    }
}
