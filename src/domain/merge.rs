//! Per-field last-writer-wins: each plain field of a synced object remembers the [`Stamp`] of
//! its last write, and a write to a field takes effect only if its stamp is later. Two phones
//! editing different fields both keep their edit; editing the same field, the later stamp
//! wins whatever order the pushes arrive in.
//!
//! Deletes are not fields: a deleted group or series stays deleted (delete wins over any
//! concurrent edit); memberships treat "present" as a field, so join and leave are ordered by
//! their stamps like any other write.

use std::collections::BTreeMap;

use super::hlc::Stamp;

/// The stamps of an object's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldClocks(BTreeMap<String, Stamp>);

impl FieldClocks {
    /// Reads the stored JSON form; unreadable entries are dropped (they can only lose).
    pub fn from_json(s: &str) -> Self {
        let raw: BTreeMap<String, String> = serde_json::from_str(s).unwrap_or_default();
        Self(
            raw.into_iter()
                .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
                .collect(),
        )
    }

    pub fn to_json(&self) -> String {
        let raw: BTreeMap<&str, String> = self
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_string()))
            .collect();
        serde_json::to_string(&raw).unwrap_or_else(|_| "{}".into())
    }

    /// Records a write of `field` at `stamp` if it is later than the field's last write, and
    /// says whether it was.
    pub fn claim(&mut self, field: &str, stamp: Stamp) -> bool {
        match self.0.get(field) {
            Some(existing) if *existing >= stamp => false,
            _ => {
                self.0.insert(field.to_owned(), stamp);
                true
            }
        }
    }

    pub fn get(&self, field: &str) -> Option<Stamp> {
        self.0.get(field).copied()
    }
}

/// Applies `value` to `slot` if the write at `stamp` wins `field`, and says whether it won.
///
/// A winning write must be stored even when the value is unchanged: its stamp is now the
/// one later writes must beat. (Forgetting it lets an older write that arrives later win.)
pub fn merge_field<T>(
    clocks: &mut FieldClocks,
    field: &str,
    stamp: Stamp,
    slot: &mut T,
    value: T,
) -> bool {
    if clocks.claim(field, stamp) {
        *slot = value;
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::hlc::Hlc;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn stamp(ms: u64, client: u128) -> Stamp {
        Stamp {
            hlc: Hlc { ms, counter: 0 },
            client: Uuid::from_u128(client),
        }
    }

    #[test]
    fn edits_to_different_fields_both_survive() {
        let mut clocks = FieldClocks::default();
        let (mut title, mut venue) = ("書法班".to_owned(), "活動室".to_owned());
        merge_field(
            &mut clocks,
            "title",
            stamp(20, 1),
            &mut title,
            "書畫社".into(),
        );
        merge_field(
            &mut clocks,
            "venue",
            stamp(10, 2),
            &mut venue,
            "老年大學".into(),
        );
        assert_eq!((title.as_str(), venue.as_str()), ("書畫社", "老年大學"));
    }

    #[test]
    fn the_later_stamp_wins_a_field_in_either_order() {
        for order in [[0, 1], [1, 0]] {
            let writes = [(stamp(10, 1), "early"), (stamp(20, 2), "late")];
            let mut clocks = FieldClocks::default();
            let mut title = String::new();
            for i in order {
                merge_field(
                    &mut clocks,
                    "title",
                    writes[i].0,
                    &mut title,
                    writes[i].1.to_owned(),
                );
            }
            assert_eq!(title, "late");
        }
    }

    #[test]
    fn equal_clocks_are_broken_by_client_id() {
        let mut clocks = FieldClocks::default();
        let mut v = String::new();
        merge_field(
            &mut clocks,
            "f",
            stamp(10, 9),
            &mut v,
            "from client 9".to_owned(),
        );
        merge_field(
            &mut clocks,
            "f",
            stamp(10, 3),
            &mut v,
            "from client 3".to_owned(),
        );
        assert_eq!(v, "from client 9");
    }

    #[test]
    fn a_winning_write_of_the_same_value_still_raises_the_bar() {
        let mut clocks = FieldClocks::default();
        let mut role = "member".to_owned();
        assert!(merge_field(
            &mut clocks,
            "role",
            stamp(10, 1),
            &mut role,
            "leader".to_owned()
        ));
        // Re-asserting "leader" later must win, and be remembered...
        assert!(merge_field(
            &mut clocks,
            "role",
            stamp(30, 1),
            &mut role,
            "leader".to_owned()
        ));
        // ...so an edit made in between, arriving late, loses.
        assert!(!merge_field(
            &mut clocks,
            "role",
            stamp(20, 2),
            &mut role,
            "member".to_owned()
        ));
        assert_eq!(role, "leader");
    }

    #[test]
    fn clocks_round_trip_through_json() {
        let mut clocks = FieldClocks::default();
        clocks.claim("title", stamp(10, 1));
        clocks.claim("venue", stamp(20, 2));
        assert_eq!(FieldClocks::from_json(&clocks.to_json()), clocks);
        assert_eq!(FieldClocks::from_json("not json"), FieldClocks::default());
    }

    proptest! {
        /// Any order of the same writes gives the same value: the one with the greatest stamp.
        #[test]
        fn merging_is_order_independent(writes in prop::collection::vec((0u64..50, 0u128..4, 0u32..1000), 1..20), seed in any::<u64>()) {
            let mut shuffled = writes.clone();
            // A deterministic shuffle from the seed.
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            let run = |ws: &[(u64, u128, u32)]| {
                let mut clocks = FieldClocks::default();
                let mut v = u32::MAX;
                for (ms, c, value) in ws {
                    merge_field(&mut clocks, "f", stamp(*ms, *c), &mut v, *value);
                }
                (v, clocks)
            };
            let winner = writes.iter().max_by_key(|(ms, c, _)| stamp(*ms, *c)).unwrap();
            let (a, ca) = run(&writes);
            let (b, cb) = run(&shuffled);
            prop_assert_eq!(ca, cb);
            // Two writes with the same stamp and different values cannot both win; the first
            // one seen keeps the field, so compare against the stamp only when stamps are unique.
            let unique = writes.iter().filter(|(ms, c, _)| stamp(*ms, *c) == stamp(winner.0, winner.1)).count() == 1;
            if unique {
                prop_assert_eq!(a, winner.2);
                prop_assert_eq!(b, winner.2);
            }
        }
    }
}
