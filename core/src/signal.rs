//! The closed set of signals (score columns) the engine fuses.

/// One score column. The order of [`Signal::ALL`] is the column order everywhere (fusion weights,
/// stacking coefficients, contributions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    /// Item-based collaborative filtering: neighbour sums over the decayed history.
    ItemCf,
    /// Sequential item-to-item transitions from the most recent history events.
    Seq,
    /// User-based collaborative filtering through prototype users.
    UserCf,
    /// Embedding similarity between the decayed history vector and the item vector.
    Embedding,
    /// Content/attribute affinity (category, brand, price band).
    Content,
    /// Popularity and trend prior.
    Popularity,
    /// The server's own score, passed in by the page.
    Server,
    /// The deep sequential model (self-attention over the most recent items, see [`crate::neural`]).
    Neural,
}

impl Signal {
    /// Number of signals.
    pub const COUNT: usize = 8;
    /// Every signal, in column order.
    pub const ALL: [Signal; Signal::COUNT] = [
        Signal::ItemCf,
        Signal::Seq,
        Signal::UserCf,
        Signal::Embedding,
        Signal::Content,
        Signal::Popularity,
        Signal::Server,
        Signal::Neural,
    ];

    /// The column index of this signal.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The stable lowercase name used in bundles, reports and the JS API (`"itemcf"`, `"seq"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Signal::ItemCf => "itemcf",
            Signal::Seq => "seq",
            Signal::UserCf => "usercf",
            Signal::Embedding => "embedding",
            Signal::Content => "content",
            Signal::Popularity => "popularity",
            Signal::Server => "server",
            Signal::Neural => "neural",
        }
    }

    /// Parses a name produced by [`Signal::name`].
    ///
    /// ```
    /// use recofuse_core::Signal;
    /// assert_eq!(Signal::from_name("usercf"), Some(Signal::UserCf));
    /// assert_eq!(Signal::from_name("nope"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Signal> {
        Signal::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A value per signal, indexed by [`Signal`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PerSignal<T>(pub [T; Signal::COUNT]);

impl<T> std::ops::Index<Signal> for PerSignal<T> {
    type Output = T;
    fn index(&self, s: Signal) -> &T {
        &self.0[s.index()]
    }
}

impl<T> std::ops::IndexMut<Signal> for PerSignal<T> {
    fn index_mut(&mut self, s: Signal) -> &mut T {
        &mut self.0[s.index()]
    }
}

/// Score columns for one request: one column of `Option<f32>` per [`Signal`], each as long as the
/// candidate list. `None` means "this signal has nothing to say about this candidate" (never a silent 0).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Columns {
    len: usize,
    data: Vec<Option<f32>>,
}

impl Columns {
    /// `Signal::COUNT` columns of `len` missing values.
    pub fn new(len: usize) -> Self {
        Columns { len, data: vec![None; len * Signal::COUNT] }
    }

    /// Number of candidates (rows).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no candidate.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The column of `s`.
    pub fn column(&self, s: Signal) -> &[Option<f32>] {
        let a = s.index() * self.len;
        &self.data[a..a + self.len]
    }

    /// The column of `s`, mutable (what a scorer fills).
    pub fn column_mut(&mut self, s: Signal) -> &mut [Option<f32>] {
        let a = s.index() * self.len;
        &mut self.data[a..a + self.len]
    }

    /// The values of candidate `row` across all signals.
    pub fn row(&self, row: usize) -> PerSignal<Option<f32>> {
        let mut out = PerSignal([None; Signal::COUNT]);
        if row < self.len {
            for s in Signal::ALL {
                out[s] = self.data[s.index() * self.len + row];
            }
        }
        out
    }
}
