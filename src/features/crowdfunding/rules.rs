//! Crowdfunding's rules as plain functions: money in integer fen, a campaign's states, what a
//! pledge may be, and the ledger: its balance after each entry and its hash chain, which a
//! changed past entry breaks.
//!
//! Nothing here reads the database or the clock: handlers read, call these, and write.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::FieldError;

/// The most one entry or pledge may move: 1,000,000 yuan, in fen. A community's small gifts
/// never come near it; a typo of three extra zeros does.
pub const MAX_FEN: i64 = 100_000_000;
/// The most volunteer hours one pledge may promise.
pub const MAX_HOURS: i32 = 1_000;
/// Kinds of goods in one goal or pledge, at most.
pub const MAX_ITEMS: usize = 20;

/// A campaign's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, poem_openapi::Enum)]
#[oai(rename = "CampaignStatus", rename_all = "snake_case")]
pub enum Status {
    /// Being prepared by its organiser: seen by the committee only, takes no pledges.
    Draft,
    /// Takes pledges until its deadline.
    Open,
    /// Its money goal is reached (it still takes pledges until closed).
    Funded,
    /// Closed by its organiser, who reports what was done; the ledger still takes the
    /// treasurer's last expenses and corrections.
    Closed,
    /// Called off; what was received is accounted for in the ledger.
    Cancelled,
}

impl Status {
    pub const ALL: [Self; 5] = [
        Self::Draft,
        Self::Open,
        Self::Funded,
        Self::Closed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Funded => "funded",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether residents may pledge.
    pub fn takes_pledges(self) -> bool {
        matches!(self, Self::Open | Self::Funded)
    }

    /// Whether the treasurer may still write the ledger (not while a draft: nothing is
    /// pledged yet).
    pub fn keeps_books(self) -> bool {
        self != Self::Draft
    }
}

/// Open or funded, by what was received against the money goal.
pub fn running_status(goal_fen: i64, received_fen: i64) -> Status {
    if goal_fen > 0 && received_fen >= goal_fen {
        Status::Funded
    } else {
        Status::Open
    }
}

/// Goods counted: an item's name and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Object)]
pub struct ItemCount {
    /// What: `花盆`, `長椅`. 1 to 40 characters.
    pub item: String,
    /// How many: 1 to 100,000.
    pub quantity: u32,
}

/// Goods checked: names trimmed and bounded, quantities 1 to 100,000, each item once (two
/// lines of the same item are added up), at most [`MAX_ITEMS`] kinds.
pub fn items(field: &'static str, given: &[ItemCount]) -> Result<Vec<ItemCount>, FieldError> {
    let mut out: Vec<ItemCount> = Vec::new();
    for i in given {
        let name = i.item.trim();
        if name.is_empty() || name.chars().count() > 40 {
            return Err(FieldError::new(
                field,
                "an item's name is 1 to 40 characters",
            ));
        }
        if !(1..=100_000).contains(&i.quantity) {
            return Err(FieldError::new(field, "a quantity is 1 to 100,000"));
        }
        match out.iter_mut().find(|o| o.item == name) {
            Some(o) => o.quantity = o.quantity.saturating_add(i.quantity).min(100_000),
            None => out.push(ItemCount {
                item: name.to_owned(),
                quantity: i.quantity,
            }),
        }
    }
    if out.len() > MAX_ITEMS {
        return Err(FieldError::new(
            field,
            format!("at most {MAX_ITEMS} kinds of goods"),
        ));
    }
    Ok(out)
}

/// An amount of money in fen: 0 (none) up to [`MAX_FEN`]; never negative.
pub fn fen(field: &'static str, amount: i64) -> Result<i64, FieldError> {
    if (0..=MAX_FEN).contains(&amount) {
        Ok(amount)
    } else if amount < 0 {
        Err(FieldError::new(
            field,
            "an amount is never negative: a correction is a reversing entry",
        ))
    } else {
        Err(FieldError::new(
            field,
            "at most 1,000,000 yuan (amounts are in fen: 1 yuan is 100)",
        ))
    }
}

/// A pledge's content: money, goods and/or hours, at least one of them.
pub fn pledge(
    fen_given: i64,
    goods: &[ItemCount],
    hours: i32,
) -> Result<(i64, Vec<ItemCount>, i32), FieldError> {
    let money = fen("amount_fen", fen_given)?;
    let goods = items("items", goods)?;
    if !(0..=MAX_HOURS).contains(&hours) {
        return Err(FieldError::new(
            "hours",
            format!("0 to {MAX_HOURS} volunteer hours"),
        ));
    }
    if money == 0 && goods.is_empty() && hours == 0 {
        return Err(FieldError::new(
            "amount_fen",
            "pledge money, goods or volunteer hours",
        ));
    }
    Ok((money, goods, hours))
}

/// Adds `more` into `total`, item by item.
pub fn add_items(total: &mut Vec<ItemCount>, more: &[ItemCount], sign: i64) {
    for m in more {
        match total.iter_mut().find(|t| t.item == m.item) {
            Some(t) => {
                let q = i64::from(t.quantity) + sign * i64::from(m.quantity);
                t.quantity = u32::try_from(q.max(0)).unwrap_or(0);
            }
            None if sign > 0 => total.push(m.clone()),
            None => {}
        }
    }
    total.retain(|t| t.quantity > 0);
}

/// What a ledger entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, poem_openapi::Enum)]
#[oai(rename = "LedgerKind", rename_all = "snake_case")]
pub enum Kind {
    /// A pledge received by the treasurer (money in, goods in).
    Receipt,
    /// Money spent, with its receipt's photo.
    Expense,
    /// The reversal of an earlier entry (a mistake), which is never edited.
    Reversal,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Receipt => "receipt",
            Self::Expense => "expense",
            Self::Reversal => "reversal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Receipt, Self::Expense, Self::Reversal]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// The balance's change an entry makes: a receipt adds its money, an expense takes it, a
/// reversal undoes the entry it reverses (`reversed`: that entry's kind).
pub fn delta(kind: Kind, amount_fen: i64, reversed: Option<Kind>) -> i64 {
    match (kind, reversed) {
        (Kind::Receipt, _) => amount_fen,
        (Kind::Expense, _) => -amount_fen,
        (Kind::Reversal, Some(k)) => -delta(k, amount_fen, None),
        (Kind::Reversal, None) => 0,
    }
}

/// Whether spending `amount` from `balance` needs an overdraft reason.
pub fn overdraws(balance_fen: i64, amount_fen: i64) -> bool {
    amount_fen > balance_fen
}

/// An entry's public content, as hashed: everything the ledger shows, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hashed<'a> {
    pub campaign_id: Uuid,
    pub seq: i32,
    pub kind: &'a str,
    pub amount_fen: i64,
    pub items: &'a [ItemCount],
    pub hours: i32,
    /// The giver's name, or `None` for an anonymous gift or an expense.
    pub donor: Option<&'a str>,
    pub method: &'a str,
    pub reference: &'a str,
    pub description: &'a str,
    pub reverses: Option<Uuid>,
    /// Why an expense was allowed past the balance.
    pub overdraft_reason: Option<&'a str>,
    /// Each receipt photo's id (its bytes are held to the SHA-256 the phone declared with
    /// it: see `features::attachments`), so a photo cannot be swapped for another.
    pub photos: &'a [String],
    pub balance_after_fen: i64,
    /// RFC 3339, to the second.
    pub recorded_at: &'a str,
}

/// The chain's start: the hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an entry following `prev`: SHA-256(`linli-ledger/1` ⏎ prev ⏎ the entry's
/// canonical JSON). Anyone holding the published entries recomputes it.
pub fn link(prev: &str, entry: &Hashed<'_>) -> String {
    let mut h = Sha256::new();
    h.update(b"linli-ledger/1\n");
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(serde_json::to_string(entry).unwrap_or_default().as_bytes());
    hex::encode(h.finalize())
}

/// Where a ledger stops holding together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    /// Entry `seq`'s hash is not the hash of its content after the one before.
    Hash { seq: i32 },
    /// Entry `seq`'s balance is not the one before plus its change.
    Balance { seq: i32 },
    /// The entries are not numbered 1, 2, 3…
    Gap { seq: i32 },
}

/// Checks a ledger (entries in order, each with its stored hash and the kind of the entry it
/// reverses): numbered without gaps, each balance the previous one plus its change, each hash
/// the link of its content to the one before. The head, when whole.
pub fn verify<'a>(
    entries: impl IntoIterator<Item = (Hashed<'a>, &'a str, Option<Kind>)>,
) -> Result<String, Broken> {
    let (mut prev, mut balance, mut expected) = (GENESIS.to_owned(), 0i64, 1);
    for (e, stored, reversed) in entries {
        if e.seq != expected {
            return Err(Broken::Gap { seq: e.seq });
        }
        let kind = Kind::parse(e.kind).ok_or(Broken::Hash { seq: e.seq })?;
        balance += delta(kind, e.amount_fen, reversed);
        if e.balance_after_fen != balance {
            return Err(Broken::Balance { seq: e.seq });
        }
        if link(&prev, &e) != stored {
            return Err(Broken::Hash { seq: e.seq });
        }
        prev = stored.to_owned();
        expected += 1;
    }
    Ok(prev)
}

/// The key a resident holds in their sync scope as a campaign's treasurer: the pledges to
/// the campaigns they keep the books of are seen over it.
pub fn person_key(resident: Uuid) -> Uuid {
    Uuid::new_v5(&resident, b"linli-crowdfunding/treasurer")
}

/// A line of at most 200 characters, cut there (for text the server writes itself).
pub fn clip_line(s: &str) -> String {
    s.chars().take(200).collect()
}

/// A rating's stars (1 to 5) and its words (at most 200 characters).
pub fn rating(stars: i32, comment: Option<&str>) -> Result<String, FieldError> {
    if !(1..=5).contains(&stars) {
        return Err(FieldError::new("stars", "1 to 5 stars"));
    }
    crate::features::deliberation::rules::bounded("comment", comment.unwrap_or(""), 0, 200)
}

/// A campaign's title: 1 to 80 characters.
pub fn title(s: &str) -> Result<String, FieldError> {
    crate::features::deliberation::rules::bounded("title", s, 1, 80)
}

/// Its purpose, or an organiser's closing report: 1 to 5,000 characters.
pub fn text(field: &'static str, s: &str) -> Result<String, FieldError> {
    crate::features::deliberation::rules::bounded(field, s, 1, 5000)
}

/// A short line: an expense's description, a reversal's reason, a transfer's reference (0 to
/// 200 characters where optional).
pub fn line(field: &'static str, s: &str, min: usize) -> Result<String, FieldError> {
    crate::features::deliberation::rules::bounded(field, s, min, 200)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn money_is_never_negative_nor_absurd() {
        assert_eq!(fen("amount_fen", 0), Ok(0));
        assert_eq!(fen("amount_fen", MAX_FEN), Ok(MAX_FEN));
        assert!(fen("amount_fen", -1).is_err());
        assert!(fen("amount_fen", MAX_FEN + 1).is_err());
        assert!(pledge(0, &[], 0).is_err());
        assert_eq!(pledge(0, &[], 3).unwrap().2, 3);
        assert!(pledge(100, &[], -1).is_err());
    }

    #[test]
    fn goods_are_named_counted_and_merged() {
        let pots = |q| ItemCount {
            item: " 花盆 ".into(),
            quantity: q,
        };
        assert_eq!(
            items("items", &[pots(10), pots(5)]).unwrap()[0].quantity,
            15
        );
        assert!(items("items", &[pots(0)]).is_err());
        assert!(
            items(
                "items",
                &[ItemCount {
                    item: "".into(),
                    quantity: 1
                }]
            )
            .is_err()
        );
        let mut total = items("items", &[pots(10)]).unwrap();
        add_items(&mut total, &items("items", &[pots(4)]).unwrap(), -1);
        assert_eq!(total[0].quantity, 6);
        add_items(&mut total, &items("items", &[pots(6)]).unwrap(), -1);
        assert!(total.is_empty());
    }

    #[test]
    fn funded_once_the_money_goal_is_received() {
        assert_eq!(running_status(10_000, 9_999), Status::Open);
        assert_eq!(running_status(10_000, 10_000), Status::Funded);
        assert_eq!(
            running_status(0, 50_000),
            Status::Open,
            "no money goal: never funded"
        );
        assert!(Status::Funded.takes_pledges() && !Status::Closed.takes_pledges());
        assert!(!Status::Draft.keeps_books() && Status::Cancelled.keeps_books());
    }

    /// One step of a ledger in the model.
    #[derive(Debug, Clone)]
    enum Step {
        Receive(i64),
        Spend(i64),
        /// Reverse the `n`th entry so far (modulo), if it is not a reversal or reversed.
        Reverse(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (1i64..50_000).prop_map(Step::Receive),
            (1i64..50_000).prop_map(Step::Spend),
            (0usize..100).prop_map(Step::Reverse),
        ]
    }

    struct Entry {
        seq: i32,
        kind: Kind,
        amount: i64,
        reverses: Option<Uuid>,
        reversed_kind: Option<Kind>,
        balance: i64,
        hash: String,
        id: Uuid,
    }

    fn hashed(c: Uuid, e: &Entry) -> Hashed<'static> {
        Hashed {
            campaign_id: c,
            seq: e.seq,
            kind: e.kind.as_str(),
            amount_fen: e.amount,
            items: &[],
            hours: 0,
            donor: None,
            method: "cash",
            reference: "",
            description: "",
            reverses: e.reverses,
            overdraft_reason: None,
            photos: &[],
            balance_after_fen: e.balance,
            recorded_at: "2026-12-03T08:00:00Z",
        }
    }

    /// Builds the ledger as the handlers do: each balance the last plus `delta`.
    fn build(c: Uuid, steps: &[Step]) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        let mut reversed: Vec<Uuid> = Vec::new();
        for s in steps {
            let (kind, amount, reverses, reversed_kind) = match s {
                Step::Receive(a) => (Kind::Receipt, *a, None, None),
                Step::Spend(a) => (Kind::Expense, *a, None, None),
                Step::Reverse(n) if !out.is_empty() => {
                    let t = &out[n % out.len()];
                    if t.kind == Kind::Reversal || reversed.contains(&t.id) {
                        continue;
                    }
                    reversed.push(t.id);
                    (Kind::Reversal, t.amount, Some(t.id), Some(t.kind))
                }
                Step::Reverse(_) => continue,
            };
            let last = out.last().map_or(0, |e| e.balance);
            let prev = out.last().map_or(GENESIS.to_owned(), |e| e.hash.clone());
            let mut e = Entry {
                seq: out.len() as i32 + 1,
                kind,
                amount,
                reverses,
                reversed_kind,
                balance: last + delta(kind, amount, reversed_kind),
                hash: String::new(),
                id: Uuid::from_u128(out.len() as u128 + 1),
            };
            e.hash = link(&prev, &hashed(c, &e));
            out.push(e);
        }
        out
    }

    proptest! {
        /// Over any order of receipts, expenses and reversals: received − spent = balance
        /// at every entry, the chain verifies, and changing any past entry's amount is found
        /// at that entry.
        #[test]
        fn the_ledger_balances_and_its_past_cannot_change_unseen(
            steps in proptest::collection::vec(step(), 1..40),
            tamper in 0usize..40,
        ) {
            let c = Uuid::from_u128(7);
            let ledger = build(c, &steps);
            let (mut received, mut spent) = (0i64, 0i64);
            for e in &ledger {
                match (e.kind, e.reversed_kind) {
                    (Kind::Receipt, _) => received += e.amount,
                    (Kind::Expense, _) => spent += e.amount,
                    (Kind::Reversal, Some(Kind::Receipt)) => received -= e.amount,
                    (Kind::Reversal, Some(Kind::Expense)) => spent -= e.amount,
                    _ => {}
                }
                prop_assert_eq!(received - spent, e.balance);
            }
            let head = verify(ledger.iter().map(|e| (hashed(c, e), e.hash.as_str(), e.reversed_kind)));
            prop_assert_eq!(head, Ok(ledger.last().map_or(GENESIS.to_owned(), |e| e.hash.clone())));

            // An edited past: one entry's amount changed, its balance and hash left.
            if !ledger.is_empty() {
                let at = tamper % ledger.len();
                let edited: Vec<(Hashed<'static>, &str, Option<Kind>)> = ledger
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        let mut h = hashed(c, e);
                        if i == at {
                            h.amount_fen += 1;
                        }
                        (h, e.hash.as_str(), e.reversed_kind)
                    })
                    .collect();
                let seq = ledger[at].seq;
                let found = verify(edited);
                prop_assert!(
                    found == Err(Broken::Balance { seq }) || found == Err(Broken::Hash { seq }),
                    "{:?} at {}", found, seq
                );
                // Balances rewritten to match the edit, as a forger would: the chain still
                // names the entry.
                let mut balance = 0;
                let rebalanced: Vec<(Hashed<'static>, &str, Option<Kind>)> = ledger
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        let mut h = hashed(c, e);
                        if i == at {
                            h.amount_fen += 1;
                        }
                        balance += delta(e.kind, h.amount_fen, e.reversed_kind);
                        h.balance_after_fen = balance;
                        (h, e.hash.as_str(), e.reversed_kind)
                    })
                    .collect();
                prop_assert_eq!(verify(rebalanced), Err(Broken::Hash { seq }));
            }
        }
    }
}
