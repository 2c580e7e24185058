//! History: bounded (oldest dropped first), decayed by age, versioned serialisation, recovery from
//! corrupt records.

use proptest::prelude::*;
use recofuse_core::history::{HISTORY_MAGIC, HISTORY_VERSION, MAX_ITEM_ID_BYTES};
use recofuse_core::{Event, EventKind, History};

const DAY: f64 = 86_400_000.0;

#[test]
fn bounded_oldest_dropped_first_and_ordered_by_time() {
    let mut h = History::new(3);
    for (i, t) in [5.0, 1.0, 3.0, 4.0, 2.0].into_iter().enumerate() {
        h.push(Event::new(format!("i{i}"), EventKind::View, t)).unwrap();
    }
    // Kept the three newest by time (3, 4, 5), oldest first.
    let kept: Vec<(String, f64)> = h.events().map(|e| (e.item.clone(), e.ts_ms)).collect();
    assert_eq!(kept, [("i2".to_string(), 3.0), ("i3".to_string(), 4.0), ("i0".to_string(), 5.0)]);
    h.set_capacity(1);
    assert_eq!(h.len(), 1);
    assert_eq!(h.events().next().unwrap().ts_ms, 5.0);
}

#[test]
fn invalid_events_are_typed_errors_and_change_nothing() {
    let mut h = History::new(10);
    for bad in [
        Event::new("", EventKind::View, 1.0),
        Event::new("x".repeat(MAX_ITEM_ID_BYTES + 1), EventKind::View, 1.0),
        Event::new("a", EventKind::View, f64::NAN),
        Event::new("a", EventKind::View, -5.0),
        Event::new("a", EventKind::View, f64::INFINITY),
    ] {
        assert_eq!(h.push(bad).unwrap_err().code(), "INVALID_INPUT");
    }
    assert!(h.is_empty());
}

#[test]
fn decay_halves_per_half_life_and_future_events_count_fully() {
    let e = Event::new("a", EventKind::Click, 10.0 * DAY);
    assert!((e.decay(10.0 * DAY, 7.0) - 1.0).abs() < 1e-6);
    assert!((e.decay(17.0 * DAY, 7.0) - 0.5).abs() < 1e-6);
    assert!((e.decay(24.0 * DAY, 7.0) - 0.25).abs() < 1e-6);
    assert_eq!(e.decay(0.0, 7.0), 1.0);
}

#[test]
fn expire_drops_events_older_than_the_limit() {
    let mut h = History::new(10);
    for d in 0..5 {
        h.push(Event::new(format!("d{d}"), EventKind::View, f64::from(d) * DAY)).unwrap();
    }
    assert_eq!(h.expire(4.0 * DAY, 2.0), 2);
    assert_eq!(h.events().map(|e| e.item.as_str()).collect::<Vec<_>>(), ["d2", "d3", "d4"]);
}

#[test]
fn round_trip_is_versioned_and_exact() {
    let mut h = History::new(50);
    for (i, k) in EventKind::ALL.iter().enumerate() {
        h.push(Event::new(format!("sku-\"{i}\"\n\t✓"), *k, 1_700_000_000_000.5 + i as f64)).unwrap();
    }
    let text = h.encode();
    assert!(text.starts_with(&format!("{HISTORY_MAGIC} {HISTORY_VERSION}\n")));
    assert_eq!(text.lines().count(), 5, "ids with newlines stay on one line");
    let (back, rec) = History::decode(&text, 50).unwrap();
    assert!(rec.is_clean());
    assert_eq!(back, h);
}

#[test]
fn corrupt_records_are_dropped_kept_rest_reported() {
    let mut h = History::new(10);
    h.push(Event::new("a", EventKind::View, 1.0)).unwrap();
    h.push(Event::new("b", EventKind::Click, 2.0)).unwrap();
    h.push(Event::new("c", EventKind::Purchase, 3.0)).unwrap();
    let mut lines: Vec<String> = h.encode().lines().map(str::to_string).collect();
    lines.insert(2, "{\"t\":1.5,\"k\":\"teleport\",\"i\":\"x\"}".into()); // unknown kind
    lines.insert(3, "\u{0}\u{1}garbage".into()); // not JSON
    lines.push("{\"t\":-4,\"k\":\"view\",\"i\":\"y\"}".into()); // invalid time
    lines.push("{\"t\":9,\"k\":\"view\",\"i\":\"z\"".into()); // truncated record (e.g. torn write)
    let (back, rec) = History::decode(&lines.join("\n"), 10).unwrap();
    assert_eq!(back, h);
    assert_eq!(rec.dropped, 4);
    assert_eq!(rec.reasons.len(), 4);
    assert!(rec.reasons[0].starts_with("line 3:"), "{:?}", rec.reasons);
}

#[test]
fn unreadable_header_or_unknown_version_is_an_error_empty_is_empty() {
    assert_eq!(History::decode("", 5).unwrap().0.len(), 0);
    assert_eq!(History::decode("\n\n", 5).unwrap().0.len(), 0);
    assert_eq!(History::decode("{\"t\":1}", 5).unwrap_err().code(), "HISTORY_UNREADABLE");
    assert_eq!(History::decode(&format!("{HISTORY_MAGIC} 2\n"), 5).unwrap_err().code(), "HISTORY_UNREADABLE");
    assert_eq!(History::decode(&format!("{HISTORY_MAGIC} x\n"), 5).unwrap_err().code(), "HISTORY_UNREADABLE");
}

#[test]
fn decode_applies_the_capacity() {
    let mut h = History::new(100);
    for i in 0..20 {
        h.push(Event::new(format!("i{i}"), EventKind::View, f64::from(i))).unwrap();
    }
    let (small, rec) = History::decode(&h.encode(), 5).unwrap();
    assert!(rec.is_clean());
    assert_eq!(small.events().map(|e| e.item.as_str()).collect::<Vec<_>>(), ["i15", "i16", "i17", "i18", "i19"]);
}

proptest! {
    #[test]
    fn decode_never_panics_on_arbitrary_text(text in ".{0,400}") {
        let _ = History::decode(&text, 16);
        let with_header = format!("{HISTORY_MAGIC} {HISTORY_VERSION}\n{text}");
        let (h, _) = History::decode(&with_header, 16).unwrap();
        prop_assert!(h.len() <= 16);
    }

    #[test]
    fn decode_of_a_mutated_history_keeps_every_intact_record(cut in 0usize..400, byte in any::<u8>()) {
        let mut h = History::new(64);
        for i in 0..10 {
            h.push(Event::new(format!("item-{i}"), EventKind::ALL[i % 4], i as f64)).unwrap();
        }
        let mut bytes = h.encode().into_bytes();
        let at = cut % bytes.len();
        bytes[at] = byte;
        let text = String::from_utf8_lossy(&bytes);
        if let Ok((back, rec)) = History::decode(&text, 64) {
            // At most the damaged record is lost (a newline byte can split one record into two bad ones).
            prop_assert!(back.len() + rec.dropped >= 9 && back.len() >= 8, "{} kept, {} dropped", back.len(), rec.dropped);
        }
    }
}
