//! The shopper's local history: bounded, decayed by age, versioned, recoverable when corrupt.
//!
//! Time is always passed in (milliseconds since the Unix epoch, as `Date.now()` gives); this module never
//! reads a clock.
//!
//! # Serialised form (version 1)
//! UTF-8 text, one record per line. The first line is the header `recofuse-history 1`; every following
//! line is one event as a JSON object `{"t": <ms>, "k": "view"|"click"|"cart"|"purchase", "i": "<item id>"}`,
//! oldest first. Decoding drops any record that does not parse or is invalid, keeps the rest and reports
//! what it dropped in a [`Recovery`]; only an unreadable header or an unknown version is an error.

use std::collections::VecDeque;

use crate::config::ScoringConfig;
use crate::error::{Error, Result};
use crate::json::{self, ObjectWriter, ToJson};

/// Header line of serialised history, followed by the version number.
pub const HISTORY_MAGIC: &str = "recofuse-history";
/// The serialisation version this engine writes.
pub const HISTORY_VERSION: u32 = 1;
/// Longest item id accepted in history, in bytes.
pub const MAX_ITEM_ID_BYTES: usize = 256;

/// Kind of interaction, in increasing order of intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The product was seen (e.g. its page opened).
    View,
    /// The product was clicked.
    Click,
    /// The product was added to the cart.
    Cart,
    /// The product was bought.
    Purchase,
}

impl EventKind {
    /// Every kind, in the order of [`crate::config::ScoringConfig::event_weights`].
    pub const ALL: [EventKind; 4] = [EventKind::View, EventKind::Click, EventKind::Cart, EventKind::Purchase];

    /// Stable name: `view`, `click`, `cart`, `purchase`.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::View => "view",
            EventKind::Click => "click",
            EventKind::Cart => "cart",
            EventKind::Purchase => "purchase",
        }
    }

    /// Parses a name (also accepts `add-to-cart`, `add_to_cart`, `addtocart`).
    ///
    /// ```
    /// use recofuse_core::EventKind;
    /// assert_eq!(EventKind::parse("add-to-cart").unwrap(), EventKind::Cart);
    /// assert!(EventKind::parse("like").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<EventKind> {
        match name.to_ascii_lowercase().as_str() {
            "view" => Ok(EventKind::View),
            "click" => Ok(EventKind::Click),
            "cart" | "add-to-cart" | "add_to_cart" | "addtocart" => Ok(EventKind::Cart),
            "purchase" | "buy" => Ok(EventKind::Purchase),
            _ => Err(Error::invalid(
                "event kind",
                format!("{} is not one of view, click, cart, purchase", json::Quoted(name)),
            )),
        }
    }

    /// Position in [`EventKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One interaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The store's item id.
    pub item: String,
    /// What happened.
    pub kind: EventKind,
    /// When, in milliseconds since the Unix epoch.
    pub ts_ms: f64,
}

impl Event {
    /// Builds an event.
    pub fn new(item: impl Into<String>, kind: EventKind, ts_ms: f64) -> Self {
        Event { item: item.into(), kind, ts_ms }
    }

    /// Checks the event: non-empty id of at most [`MAX_ITEM_ID_BYTES`] bytes, finite non-negative time.
    pub fn validate(&self) -> Result<()> {
        if self.item.is_empty() {
            return Err(Error::invalid("event.item", "item id is empty"));
        }
        if self.item.len() > MAX_ITEM_ID_BYTES {
            return Err(Error::invalid("event.item", format!("item id longer than {MAX_ITEM_ID_BYTES} bytes")));
        }
        if !self.ts_ms.is_finite() || self.ts_ms < 0.0 {
            return Err(Error::invalid(
                "event.ts",
                format!("timestamp {} is not a finite time >= 0", crate::json::Num::from(self.ts_ms)),
            ));
        }
        Ok(())
    }

    /// Parses one record of the serialised form, `{"t": <ms>, "k": "<kind>", "i": "<item id>"}` (all three
    /// required, other fields ignored). Not validated (see [`Event::validate`]).
    ///
    /// ```
    /// use recofuse_core::json::ToJson;
    /// use recofuse_core::{Event, EventKind};
    /// let e = Event::from_json(r#"{"t": 1.5, "k": "cart", "i": "sku-\u00e9"}"#).unwrap();
    /// assert_eq!(e, Event::new("sku-é", EventKind::Cart, 1.5));
    /// assert_eq!(e.to_json(), r#"{"i":"sku-é","k":"cart","t":1.5}"#);
    /// assert!(Event::from_json(r#"{"t": 1, "k": "like", "i": "a"}"#).is_err());
    /// ```
    pub fn from_json(text: &str) -> json::Result<Event> {
        let v = json::parse(text)?;
        let [t, k, i] = json::struct_fields(&v, "event", ["t", "k", "i"])?;
        let item = json::required(i, "i")?.req_str("i")?.to_string();
        let kind = json::required(k, "k")?.req_str("k")?;
        let kind = EventKind::ALL.into_iter().find(|x| x.name() == kind).ok_or_else(|| {
            json::field_error("k", format!("one of view, click, cart, purchase, got {}", json::Quoted(kind)))
        })?;
        let ts_ms = json::required(t, "t")?.req_f64("t")?;
        Ok(Event { item, kind, ts_ms })
    }

    /// Decay factor of this event at `now_ms`: `0.5^(age / half_life)`, 1 for events in the future.
    pub fn decay(&self, now_ms: f64, half_life_days: f32) -> f32 {
        decay(self.ts_ms, now_ms, half_life_days)
    }
}

/// The serialised record: `{"i": "<item id>", "k": "<kind>", "t": <ms>}` (a non-finite time, which
/// [`Event::validate`] rejects, is written as `null`).
impl ToJson for Event {
    fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        o.field("i", &self.item).field("k", self.kind.name()).field("t", &self.ts_ms);
        o.finish();
    }
}

/// What decoding had to drop to recover a damaged history.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recovery {
    /// Number of records dropped.
    pub dropped: usize,
    /// The reasons for the first few dropped records (line number and problem).
    pub reasons: Vec<String>,
}

impl Recovery {
    /// Whether nothing was dropped.
    pub fn is_clean(&self) -> bool {
        self.dropped == 0
    }
}

/// Bounded event log, oldest first. When full, the oldest event is dropped first.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    events: VecDeque<Event>,
    capacity: usize,
}

impl History {
    /// An empty history holding at most `capacity` events (at least 1).
    pub fn new(capacity: usize) -> Self {
        History { events: VecDeque::new(), capacity: capacity.max(1) }
    }

    /// Maximum number of events kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Changes the capacity, dropping the oldest events if needed.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        while self.events.len() > self.capacity {
            self.events.pop_front();
        }
    }

    /// Appends an event after validating it; drops the oldest one when full. Events may arrive out of
    /// order: they are inserted at their time position so that the log stays ordered by time.
    ///
    /// ```
    /// use recofuse_core::{Event, EventKind, History};
    /// let mut h = History::new(2);
    /// h.push(Event::new("a", EventKind::View, 1.0)).unwrap();
    /// h.push(Event::new("b", EventKind::Click, 2.0)).unwrap();
    /// h.push(Event::new("c", EventKind::Cart, 3.0)).unwrap();
    /// assert_eq!(h.events().map(|e| e.item.as_str()).collect::<Vec<_>>(), ["b", "c"]);
    /// assert!(h.push(Event::new("", EventKind::View, 4.0)).is_err());
    /// ```
    pub fn push(&mut self, event: Event) -> Result<()> {
        event.validate()?;
        let pos = self.events.partition_point(|e| e.ts_ms <= event.ts_ms);
        self.events.insert(pos, event);
        while self.events.len() > self.capacity {
            self.events.pop_front();
        }
        Ok(())
    }

    /// Events, oldest first.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = &Event> + ExactSizeIterator + '_ {
        self.events.iter()
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether there is no event.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Removes every event.
    pub fn clear(&mut self) {
        self.events.clear();
    }

    /// Drops events older than `max_age_days` at `now_ms`; returns how many were dropped.
    pub fn expire(&mut self, now_ms: f64, max_age_days: f64) -> usize {
        let cutoff = now_ms - max_age_days * 86_400_000.0;
        let n = self.events.partition_point(|e| e.ts_ms < cutoff);
        self.events.drain(..n);
        n
    }

    /// Serialises to the version-1 text form (see the module docs).
    pub fn encode(&self) -> String {
        let mut out = format!("{HISTORY_MAGIC} {HISTORY_VERSION}\n");
        for e in &self.events {
            e.write_json(&mut out);
            out.push('\n');
        }
        out
    }

    /// Reads the text form. Corrupt records are dropped and reported; events beyond `capacity` are
    /// dropped oldest first (not reported: that is the normal bound). An empty input is an empty history.
    ///
    /// ```
    /// use recofuse_core::History;
    /// let text = "recofuse-history 1\n{\"t\":1,\"k\":\"view\",\"i\":\"a\"}\n{garbage\n{\"t\":2,\"k\":\"click\",\"i\":\"b\"}\n";
    /// let (h, rec) = History::decode(text, 100).unwrap();
    /// assert_eq!(h.len(), 2);
    /// assert_eq!(rec.dropped, 1);
    /// assert_eq!(History::decode("recofuse-history 9\n", 10).unwrap_err().code(), "HISTORY_UNREADABLE");
    /// ```
    pub fn decode(text: &str, capacity: usize) -> Result<(History, Recovery)> {
        let mut history = History::new(capacity);
        let mut recovery = Recovery::default();
        let mut lines = text.lines().enumerate();
        let header = loop {
            match lines.next() {
                None => return Ok((history, recovery)),
                Some((_, l)) if l.trim().is_empty() => continue,
                Some((_, l)) => break l.trim(),
            }
        };
        let version = header
            .strip_prefix(HISTORY_MAGIC)
            .map(str::trim)
            .ok_or_else(|| Error::History { reason: format!("first line is not a {HISTORY_MAGIC} header") })?;
        match version.parse::<u32>() {
            Ok(HISTORY_VERSION) => {}
            Ok(v) => {
                return Err(Error::History {
                    reason: format!("version {v} is not supported (this engine reads {HISTORY_VERSION})"),
                })
            }
            Err(_) => return Err(Error::History { reason: format!("bad version {}", json::Quoted(version)) }),
        }
        let drop = |recovery: &mut Recovery, line: usize, why: String| {
            recovery.dropped += 1;
            if recovery.reasons.len() < 8 {
                recovery.reasons.push(format!("line {}: {why}", line + 1));
            }
        };
        for (n, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            match Event::from_json(line) {
                Ok(e) => {
                    if let Err(err) = history.push(e) {
                        drop(&mut recovery, n, err.to_string());
                    }
                }
                Err(err) => drop(&mut recovery, n, err.to_string()),
            }
        }
        Ok((history, recovery))
    }
}

/// The decay factor of an event at `ts_ms` seen at `now_ms`: `0.5^(age / half_life)` with the age in
/// days, 1 for events in the future.
pub fn decay(ts_ms: f64, now_ms: f64, half_life_days: f32) -> f32 {
    let age_days = ((now_ms - ts_ms) / 86_400_000.0).max(0.0);
    0.5f64.powf(age_days / f64::from(half_life_days.max(1e-6))) as f32
}

/// A history digested for the scorers, by item index: what every history-driven scorer kernel reads
/// (see [`crate::scorers`]). The engine builds it from a [`History`] (ids resolved against the bundle,
/// unknown ids left out); the trainer from its logs, with the same arithmetic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Digest {
    /// Known history items with the sum of their events' weights (event-kind weight times
    /// [`decay`]), sorted by item index; items whose sum is not finite are left out.
    pub weights: Vec<(u32, f32)>,
    /// The most recent distinct items, newest first (at most [`ScoringConfig::seq_recent`]).
    pub recent: Vec<u32>,
    /// The items of `weights`, sorted (what "already seen" means).
    pub seen: Vec<u32>,
}

impl Digest {
    /// Digests `events`, given **newest first** as `(item index, kind, time in ms)`, at `now_ms` with
    /// the event weights, half-life and recent window of `cfg`.
    ///
    /// ```
    /// use recofuse_core::history::Digest;
    /// use recofuse_core::{EventKind, ScoringConfig};
    ///
    /// let cfg = ScoringConfig { seq_recent: 2, ..ScoringConfig::default() };
    /// let events = [(7, EventKind::Click, 3.0), (2, EventKind::View, 2.0), (7, EventKind::View, 1.0)];
    /// let d = Digest::new(events, &cfg, 3.0);
    /// assert_eq!(d.recent, [7, 2]);
    /// assert_eq!(d.seen, [2, 7]);
    /// assert_eq!(d.weights[1].0, 7);
    /// assert!((d.weights[1].1 - (cfg.event_weights[1] + cfg.event_weights[0])).abs() < 1e-6);
    /// ```
    pub fn new(events: impl IntoIterator<Item = (u32, EventKind, f64)>, cfg: &ScoringConfig, now_ms: f64) -> Digest {
        let mut weighted: Vec<(u32, f32)> = Vec::new();
        let mut recent: Vec<u32> = Vec::new();
        for (i, kind, ts_ms) in events {
            let w =
                cfg.event_weights.get(kind.index()).copied().unwrap_or(0.0) * decay(ts_ms, now_ms, cfg.half_life_days);
            weighted.push((i, w));
            if recent.len() < cfg.seq_recent && !recent.contains(&i) {
                recent.push(i);
            }
        }
        // Per item, the sum of its events' weights, newest first (the stable sort keeps that order).
        crate::sort::sort_by_key(&mut weighted, |&(i, _)| i);
        let mut weights: Vec<(u32, f32)> = Vec::new();
        for (i, w) in weighted {
            if weights.last().map(|&(j, _)| j) != Some(i) {
                weights.push((i, 0.0));
            }
            if let Some((_, s)) = weights.last_mut() {
                *s += w;
            }
        }
        weights.retain(|&(_, w)| w.is_finite());
        let seen = weights.iter().map(|&(i, _)| i).collect();
        Digest { weights, recent, seen }
    }

    /// Whether item `i` is in the history.
    pub fn has_seen(&self, i: u32) -> bool {
        self.seen.binary_search(&i).is_ok()
    }
}
