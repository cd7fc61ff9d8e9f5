//! The election rules, as plain functions: the settings and their defaults (from the Organic
//! Law of Villagers' Committees, arts. 15–16, which Sun Village's rules follow), what a
//! ballot may hold, the receipt a phone computes for its ballot, the hashes of the roll, the
//! ballots and the record's chain, and the tally. The handlers, the election clock and
//! `linli election verify` all call these; the unit and property tests below hold them.
//!
//! The tally is a pure function of the settings, the roll's size, how many voted and the
//! ballots, so anyone with the published record gets the same result.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::FieldError;

/// Who is on the roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Every verified resident of the unit of age on the day voting opens (the default).
    Person,
    /// One vote per household of the unit (城市居民委员会组织法 art. 8 allows it).
    Household,
}

/// Contested (差額: more candidates than seats) or uncontested (等額), as the candidates
/// standing when nominations closed made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Contested,
    Uncontested,
}

/// Where an election is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Candidates are nominated, second, accept or decline.
    Nominating,
    /// The roll is frozen and published; voting opens and closes at its times.
    Voting,
    /// Voting has closed: officers enter the paper ballots, then count.
    Counting,
    /// Counted: the result and the record are published.
    Done,
    /// Nobody stood (every candidate declined or lapsed): nothing to vote on.
    Failed,
    /// Called off before the count.
    Cancelled,
}

macro_rules! stored {
    ($t:ident { $($v:ident = $s:literal),* $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)* _ => None }
            }
        }
    };
}

stored!(Basis { Person = "person", Household = "household" });
stored!(Mode { Contested = "contested", Uncontested = "uncontested" });
stored!(State {
    Nominating = "nominating",
    Voting = "voting",
    Counting = "counting",
    Done = "done",
    Failed = "failed",
    Cancelled = "cancelled",
});
stored!(Voted {
    Phone = "phone",
    Paper = "paper",
    ProxyPhone = "proxy_phone",
    ProxyPaper = "proxy_paper",
});
stored!(Conflict {
    PhoneAfterPaper = "phone_after_paper",
    PaperAfterPhone = "paper_after_phone",
});

/// How an elector's vote reached the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voted {
    Phone,
    Paper,
    /// Their proxy cast it on a phone.
    ProxyPhone,
    /// Their proxy cast it on paper.
    ProxyPaper,
}

impl Voted {
    pub fn on_paper(self) -> bool {
        matches!(self, Self::Paper | Self::ProxyPaper)
    }
}

/// A second attempt to vote for an elector who had already voted, reported to the officers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// A phone ballot came after a paper mark: it was refused (nothing to spoil).
    PhoneAfterPaper,
    /// A paper mark came after a phone ballot: the paper ballot is to be spoiled.
    PaperAfterPhone,
}

/// An election's rules. Every field is a setting of the election; the defaults follow the
/// law the committee's own rules follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Seats to fill (several for representatives of a building).
    pub seats: u32,
    pub basis: Basis,
    /// Age on the day voting opens (18).
    pub min_age: i32,
    /// Voters who must second a voter's nomination (9: ten voters jointly, 十人以上聯名).
    pub seconders: u32,
    /// Entrustments one voter may hold (3).
    pub max_entrustments: u32,
    /// Valid only if more than this percentage of the roll voted (50).
    pub quorum_pct: u32,
    /// Elected only with more than this percentage of the ballots cast: 50 in a first
    /// round; 33 (at least a third) in a second round.
    pub majority_pct: u32,
    /// 1, or 2 for a second round among the next candidates.
    pub round: u32,
}

impl Settings {
    pub const DEFAULT_SECONDERS: u32 = 9;
    pub const DEFAULT_MAX_ENTRUSTMENTS: u32 = 3;
    pub const DEFAULT_QUORUM_PCT: u32 = 50;
    pub const FIRST_ROUND_MAJORITY_PCT: u32 = 50;
    pub const SECOND_ROUND_MAJORITY_PCT: u32 = 33;

    /// The defaults for `seats` seats in round `round`.
    pub fn defaults(seats: u32, round: u32) -> Self {
        Self {
            seats,
            basis: Basis::Person,
            min_age: super::super::territory::rules::ADULT,
            seconders: Self::DEFAULT_SECONDERS,
            max_entrustments: Self::DEFAULT_MAX_ENTRUSTMENTS,
            quorum_pct: Self::DEFAULT_QUORUM_PCT,
            majority_pct: if round >= 2 {
                Self::SECOND_ROUND_MAJORITY_PCT
            } else {
                Self::FIRST_ROUND_MAJORITY_PCT
            },
            round,
        }
    }

    /// Checks the bounds of every setting.
    pub fn check(&self) -> Result<(), FieldError> {
        if !(1..=50).contains(&self.seats) {
            return Err(FieldError::new("seats", "must be 1 to 50"));
        }
        if !(16..=30).contains(&self.min_age) {
            return Err(FieldError::new("min_age", "must be 16 to 30"));
        }
        if self.seconders > 100 {
            return Err(FieldError::new("seconders", "must be 0 to 100"));
        }
        if self.max_entrustments > 10 {
            return Err(FieldError::new("max_entrustments", "must be 0 to 10"));
        }
        if self.quorum_pct > 99 {
            return Err(FieldError::new("quorum_pct", "must be 0 to 99"));
        }
        if self.majority_pct > 99 {
            return Err(FieldError::new("majority_pct", "must be 0 to 99"));
        }
        Ok(())
    }
}

/// A mark on a candidate. No mark is an abstention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    For,
    /// Only in an uncontested election (等額): a vote against the sole candidate of a seat.
    Against,
}

/// What a ballot holds, in canonical order: marks on standing candidates, and write-ins
/// (other voters on the roll, named by their roll entry).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ballot {
    pub marks: BTreeMap<Uuid, Mark>,
    pub write_ins: BTreeSet<Uuid>,
}

/// Why a ballot's contents are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BallotError {
    /// A mark on someone not standing.
    NotStanding(Uuid),
    /// More votes for than seats.
    TooManyChoices { seats: u32 },
    /// A write-in is not on the roll.
    NotOnRoll(Uuid),
    /// `against` in a contested election, or a write-in of a standing candidate.
    Invalid(&'static str),
}

impl Ballot {
    /// Votes for someone (marked for, or written in).
    pub fn votes_for(&self) -> usize {
        self.marks.values().filter(|m| **m == Mark::For).count() + self.write_ins.len()
    }

    /// The canonical text the receipt and the ballot's hash are computed over.
    pub fn canonical(&self) -> String {
        let mut s = String::new();
        for (c, m) in &self.marks {
            let m = match m {
                Mark::For => "for",
                Mark::Against => "against",
            };
            s.push_str(&format!("{c}:{m}\n"));
        }
        for w in &self.write_ins {
            s.push_str(&format!("write_in:{w}\n"));
        }
        s
    }
}

/// Whether `ballot` may be cast: marks only on standing candidates (`standing` maps each
/// candidate id to their roll entry), `against` only when uncontested, no more votes for
/// than seats, write-ins on the roll and not standing.
pub fn check_ballot(
    ballot: &Ballot,
    mode: Mode,
    seats: u32,
    standing: &BTreeMap<Uuid, Uuid>,
    on_roll: impl Fn(Uuid) -> bool,
) -> Result<(), BallotError> {
    for (c, m) in &ballot.marks {
        if !standing.contains_key(c) {
            return Err(BallotError::NotStanding(*c));
        }
        if *m == Mark::Against && mode == Mode::Contested {
            return Err(BallotError::Invalid(
                "`against` is for uncontested elections; in a contested one, leave the candidate unmarked",
            ));
        }
    }
    for w in &ballot.write_ins {
        if standing.values().any(|e| e == w) {
            return Err(BallotError::Invalid(
                "a standing candidate is marked, not written in",
            ));
        }
        if !on_roll(*w) {
            return Err(BallotError::NotOnRoll(*w));
        }
    }
    if ballot.votes_for() > seats as usize {
        return Err(BallotError::TooManyChoices { seats });
    }
    Ok(())
}

fn sha256_hex(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b"\n");
        }
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

/// A phone ballot's receipt code: the first 16 hex digits of
/// SHA-256(`linli-ballot/1` ⏎ election id ⏎ canonical ballot ⏎ nonce). The phone computes it
/// before sending, so a lost answer loses no receipt; after the close the ballot is
/// published under it.
pub fn receipt(election: Uuid, ballot: &Ballot, nonce: &str) -> String {
    sha256_hex(&[
        "linli-ballot/1",
        &election.to_string(),
        &ballot.canonical(),
        nonce,
    ])[..16]
        .to_owned()
}

/// A receipt's nonce: 16 to 64 characters the phone drew at random (letters, digits, `-`,
/// `_`).
pub fn nonce(s: &str) -> Result<&str, FieldError> {
    let ok = (16..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(s)
    } else {
        Err(FieldError::new(
            "nonce",
            "must be 16 to 64 random letters, digits, - or _",
        ))
    }
}

/// A paper ballot's sheet number, as printed or written on it: 1 to 32 characters.
pub fn sheet(s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    if (1..=32).contains(&s.chars().count()) {
        Ok(s.to_owned())
    } else {
        Err(FieldError::new("sheet", "must be 1 to 32 characters"))
    }
}

/// A published ballot, as the record lists it and its hash covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// `phone` or `paper`.
    pub source: String,
    pub receipt: Option<String>,
    pub nonce: Option<String>,
    pub sheet: Option<String>,
    pub ballot: Ballot,
}

impl Published {
    /// The ballot's hash in the record's chain.
    pub fn hash(&self) -> String {
        sha256_hex(&[
            "linli-ballot-record/1",
            &self.source,
            self.receipt.as_deref().unwrap_or(""),
            self.nonce.as_deref().unwrap_or(""),
            self.sheet.as_deref().unwrap_or(""),
            &self.ballot.canonical(),
        ])
    }
}

/// The roll's hash: SHA-256 over each entry's id and name, one per line, in id order.
pub fn roll_hash<'a>(entries: impl IntoIterator<Item = (Uuid, &'a str)>) -> String {
    let mut lines: Vec<(Uuid, &str)> = entries.into_iter().collect();
    lines.sort_unstable();
    let mut h = Sha256::new();
    h.update(b"linli-roll/1\n");
    for (id, name) in lines {
        h.update(format!("{id}\t{name}\n").as_bytes());
    }
    hex::encode(h.finalize())
}

/// The chain's start: the hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an event appended after `prev`.
pub fn link(prev: &str, kind: &str, body: &str) -> String {
    sha256_hex(&["linli-election-event/1", prev, kind, body])
}

/// The id in the officers' sync scope of a community: election officers' phones hold the
/// roll, entrustments and paper entries, and no other resident's scope has this id.
pub fn desk(community: Uuid) -> Uuid {
    const DESK: Uuid = Uuid::from_u128(0x6c69_6e6c_6900_4000_8000_6465_736b_0001);
    Uuid::new_v5(&DESK, community.as_bytes())
}

/// Whom a vote is for: a standing candidate, or a voter written in (by roll entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Choice {
    Candidate(Uuid),
    WriteIn(Uuid),
}

/// One name's count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub choice: Choice,
    pub votes_for: u32,
    pub votes_against: u32,
}

/// An election's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub roll_size: u32,
    /// Voters who voted (phone, paper or by proxy).
    pub voted: u32,
    /// Ballots counted.
    pub ballots_cast: u32,
    /// Ballots with no vote for anyone.
    pub blank: u32,
    /// Each candidate standing, then each voter written in, by votes for (most first).
    pub counts: Vec<Count>,
    /// More than `quorum_pct` of the roll voted.
    pub valid: bool,
    pub elected: Vec<Choice>,
    /// Seats not filled.
    pub unfilled: u32,
    /// Who stands in a second round for the unfilled seats: those tied for the last seat, or
    /// the next by votes (one more than the seats left, 差額).
    pub runoff: Vec<Choice>,
}

/// Counts `ballots` under `settings`.
///
/// Elected: by votes for, most first, those with more than `majority_pct` of the ballots
/// cast, up to the seats; candidates tied for the last seat that cannot all take it are not
/// elected and go to a second round among themselves. Unfilled seats otherwise go to a second
/// round among the next names by votes. An election where no more than `quorum_pct` of the
/// roll voted elects nobody.
pub fn tally(
    settings: &Settings,
    standing: &[Uuid],
    roll_size: u32,
    voted: u32,
    ballots: &[Ballot],
) -> Tally {
    let mut counts: BTreeMap<Choice, (u32, u32)> = standing
        .iter()
        .map(|c| (Choice::Candidate(*c), (0, 0)))
        .collect();
    let mut blank = 0;
    for b in ballots {
        if b.votes_for() == 0 {
            blank += 1;
        }
        for (c, m) in &b.marks {
            let e = counts.entry(Choice::Candidate(*c)).or_default();
            match m {
                Mark::For => e.0 += 1,
                Mark::Against => e.1 += 1,
            }
        }
        for w in &b.write_ins {
            counts.entry(Choice::WriteIn(*w)).or_default().0 += 1;
        }
    }
    let mut counts: Vec<Count> = counts
        .into_iter()
        .map(|(choice, (f, a))| Count {
            choice,
            votes_for: f,
            votes_against: a,
        })
        .collect();
    // Most votes first; ties in a fixed order (candidates before write-ins, then by id).
    counts.sort_by(|a, b| b.votes_for.cmp(&a.votes_for).then(a.choice.cmp(&b.choice)));

    let cast = u32::try_from(ballots.len()).unwrap_or(u32::MAX);
    let valid = u64::from(voted) * 100 > u64::from(settings.quorum_pct) * u64::from(roll_size);
    let mut elected = Vec::new();
    let mut runoff = Vec::new();
    if valid && cast > 0 {
        let passes = |c: &Count| {
            c.votes_for > 0
                && u64::from(c.votes_for) * 100 > u64::from(settings.majority_pct) * u64::from(cast)
        };
        let seats = settings.seats as usize;
        let passing: Vec<&Count> = counts.iter().filter(|c| passes(c)).collect();
        if passing.len() <= seats {
            elected.extend(passing.iter().map(|c| c.choice));
        } else {
            // Seats go by votes; a tie across the last seat goes to a second round.
            let last = passing[seats - 1].votes_for;
            let above: Vec<Choice> = passing
                .iter()
                .filter(|c| c.votes_for > last)
                .map(|c| c.choice)
                .collect();
            elected.extend(above);
            runoff.extend(
                passing
                    .iter()
                    .filter(|c| c.votes_for == last)
                    .map(|c| c.choice),
            );
        }
        let unfilled = seats - elected.len();
        if runoff.is_empty() && unfilled > 0 {
            // The next names by votes: one more than the seats left, and all tied at the cut.
            let rest: Vec<&Count> = counts
                .iter()
                .filter(|c| c.votes_for > 0 && !elected.contains(&c.choice))
                .collect();
            let want = unfilled + 1;
            if rest.len() <= want {
                runoff.extend(rest.iter().map(|c| c.choice));
            } else {
                let cut = rest[want - 1].votes_for;
                runoff.extend(rest.iter().filter(|c| c.votes_for >= cut).map(|c| c.choice));
            }
        }
    }
    let unfilled = settings.seats - u32::try_from(elected.len()).unwrap_or(0);
    Tally {
        roll_size,
        voted,
        ballots_cast: cast,
        blank,
        counts,
        valid,
        elected,
        unfilled,
        runoff,
    }
}

/// A counted election's result as stored on the election: the tally, and the name of each
/// candidate and voter it counts (by candidate id or roll entry id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counted {
    pub tally: Tally,
    pub names: BTreeMap<Uuid, String>,
}

/// The mode the candidates standing give an election of `seats` seats; `None` when nobody
/// stands.
pub fn mode_for(standing: usize, seats: u32) -> Option<Mode> {
    match standing {
        0 => None,
        n if n > seats as usize => Some(Mode::Contested),
        _ => Some(Mode::Uncontested),
    }
}

/// A candidate's statement: at most 300 characters.
pub fn statement(s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    if s.chars().count() <= 300 {
        Ok(s.to_owned())
    } else {
        Err(FieldError::new(
            "statement",
            "must be at most 300 characters",
        ))
    }
}

/// An election's title: 1 to 80 characters.
pub fn title(s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    if (1..=80).contains(&s.chars().count()) {
        Ok(s.to_owned())
    } else {
        Err(FieldError::new("title", "must be 1 to 80 characters"))
    }
}

/// The written entrustment's reference (a form's number, or a note): at most 100 characters.
pub fn document(s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    if (1..=100).contains(&s.chars().count()) {
        Ok(s.to_owned())
    } else {
        Err(FieldError::new(
            "document",
            "must name the written entrustment (1 to 100 characters)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids(n: u128) -> Vec<Uuid> {
        (1..=n).map(Uuid::from_u128).collect()
    }

    fn for_(cs: &[Uuid]) -> Ballot {
        Ballot {
            marks: cs.iter().map(|c| (*c, Mark::For)).collect(),
            write_ins: BTreeSet::new(),
        }
    }

    #[test]
    fn defaults_follow_the_law() {
        let s = Settings::defaults(1, 1);
        assert_eq!((s.quorum_pct, s.majority_pct), (50, 50));
        assert_eq!(s.min_age, 18);
        assert_eq!(s.max_entrustments, 3);
        assert_eq!(Settings::defaults(1, 2).majority_pct, 33);
        assert!(s.check().is_ok());
        assert!(Settings { seats: 0, ..s }.check().is_err());
    }

    #[test]
    fn an_election_where_half_or_fewer_voted_elects_nobody() {
        let c = ids(1);
        let s = Settings::defaults(1, 1);
        let ballots = vec![for_(&c); 5];
        let t = tally(&s, &c, 10, 5, &ballots);
        assert!(!t.valid);
        assert!(t.elected.is_empty());
        let t = tally(&s, &c, 10, 6, &ballots);
        assert!(t.valid);
        assert_eq!(t.elected, vec![Choice::Candidate(c[0])]);
    }

    #[test]
    fn a_winner_needs_more_than_half_of_the_ballots_cast() {
        let c = ids(3);
        let s = Settings::defaults(1, 1);
        // A 4, B 3, C 3 of 10 ballots: nobody has more than half; second round A, B, C
        // (one more than the seat, and C tied with B at the cut).
        let mut ballots = vec![for_(&c[0..1]); 4];
        ballots.extend(vec![for_(&c[1..2]); 3]);
        ballots.extend(vec![for_(&c[2..3]); 3]);
        let t = tally(&s, &c, 10, 10, &ballots);
        assert!(t.elected.is_empty());
        assert_eq!(t.unfilled, 1);
        assert_eq!(
            t.runoff,
            vec![
                Choice::Candidate(c[0]),
                Choice::Candidate(c[1]),
                Choice::Candidate(c[2])
            ]
        );
        // Exactly half is not more than half.
        let mut ballots = vec![for_(&c[0..1]); 5];
        ballots.extend(vec![Ballot::default(); 5]);
        let t = tally(&s, &c, 10, 10, &ballots);
        assert!(t.elected.is_empty());
        assert_eq!(t.blank, 5);
    }

    #[test]
    fn a_tie_for_the_last_seat_goes_to_a_runoff_among_the_tied() {
        let c = ids(3);
        let s = Settings::defaults(2, 1);
        // Each of 10 ballots votes for two: A 10, B 5 and C 5 would not pass (5 of 10 is not
        // more than half); make B and C 6 each.
        let mut ballots = vec![for_(&[c[0], c[1]]); 4];
        ballots.extend(vec![for_(&[c[0], c[2]]); 4]);
        ballots.extend(vec![for_(&[c[1], c[2]]); 2]);
        let t = tally(&s, &c, 10, 10, &ballots);
        assert_eq!(t.elected, vec![Choice::Candidate(c[0])]);
        assert_eq!(
            t.runoff,
            vec![Choice::Candidate(c[1]), Choice::Candidate(c[2])]
        );
        assert_eq!(t.unfilled, 1);
    }

    #[test]
    fn in_a_second_round_a_third_of_the_ballots_elects() {
        let c = ids(3);
        let s = Settings::defaults(1, 2);
        let mut ballots = vec![for_(&c[0..1]); 4];
        ballots.extend(vec![for_(&c[1..2]); 3]);
        ballots.extend(vec![for_(&c[2..3]); 3]);
        let t = tally(&s, &c, 10, 10, &ballots);
        assert_eq!(t.elected, vec![Choice::Candidate(c[0])]);
    }

    #[test]
    fn uncontested_ballots_count_against_votes_and_write_ins() {
        let c = ids(1);
        let w = Uuid::from_u128(99);
        let s = Settings::defaults(1, 1);
        let against = Ballot {
            marks: [(c[0], Mark::Against)].into(),
            write_ins: BTreeSet::new(),
        };
        let write_in = Ballot {
            marks: BTreeMap::new(),
            write_ins: [w].into(),
        };
        let ballots = vec![
            for_(&c),
            against.clone(),
            against,
            write_in.clone(),
            write_in.clone(),
            write_in,
        ];
        let t = tally(&s, &c, 6, 6, &ballots);
        // Nobody has more than half (3 of 6 for the write-in).
        assert!(t.elected.is_empty());
        let cand = t
            .counts
            .iter()
            .find(|x| x.choice == Choice::Candidate(c[0]))
            .unwrap();
        assert_eq!((cand.votes_for, cand.votes_against), (1, 2));
        let wi = t
            .counts
            .iter()
            .find(|x| x.choice == Choice::WriteIn(w))
            .unwrap();
        assert_eq!(wi.votes_for, 3);
        // Against votes are not blank ballots.
        assert_eq!(t.blank, 2);
    }

    #[test]
    fn ballots_are_checked_against_the_standing_candidates_and_the_seats() {
        let c = ids(3);
        let standing: BTreeMap<Uuid, Uuid> = c
            .iter()
            .map(|c| (*c, Uuid::from_u128(c.as_u128() + 100)))
            .collect();
        let roll = |e: Uuid| e.as_u128() >= 100;
        assert!(check_ballot(&for_(&c[0..1]), Mode::Contested, 1, &standing, roll).is_ok());
        assert_eq!(
            check_ballot(&for_(&c[0..2]), Mode::Contested, 1, &standing, roll),
            Err(BallotError::TooManyChoices { seats: 1 })
        );
        let stranger = Uuid::from_u128(7);
        assert_eq!(
            check_ballot(&for_(&[stranger]), Mode::Contested, 1, &standing, roll),
            Err(BallotError::NotStanding(stranger))
        );
        let against = Ballot {
            marks: [(c[0], Mark::Against)].into(),
            ..Default::default()
        };
        assert!(check_ballot(&against, Mode::Uncontested, 1, &standing, roll).is_ok());
        assert!(matches!(
            check_ballot(&against, Mode::Contested, 1, &standing, roll),
            Err(BallotError::Invalid(_))
        ));
        let nobody = Ballot {
            write_ins: [Uuid::from_u128(50)].into(),
            ..Default::default()
        };
        assert_eq!(
            check_ballot(&nobody, Mode::Uncontested, 1, &standing, roll),
            Err(BallotError::NotOnRoll(Uuid::from_u128(50)))
        );
        let standing_written_in = Ballot {
            write_ins: [Uuid::from_u128(101)].into(),
            ..Default::default()
        };
        assert!(matches!(
            check_ballot(&standing_written_in, Mode::Uncontested, 1, &standing, roll),
            Err(BallotError::Invalid(_))
        ));
    }

    #[test]
    fn the_receipt_binds_the_election_the_choices_and_the_nonce() {
        let (e, c) = (Uuid::from_u128(1), ids(2));
        let r = receipt(e, &for_(&c[0..1]), "abcdefghijklmnop");
        assert_eq!(r.len(), 16);
        assert_eq!(r, receipt(e, &for_(&c[0..1]), "abcdefghijklmnop"));
        assert_ne!(r, receipt(e, &for_(&c[1..2]), "abcdefghijklmnop"));
        assert_ne!(r, receipt(e, &for_(&c[0..1]), "abcdefghijklmnoq"));
        assert_ne!(
            r,
            receipt(Uuid::from_u128(2), &for_(&c[0..1]), "abcdefghijklmnop")
        );
        assert!(nonce("short").is_err());
        assert!(nonce("abcdefghijklmnop").is_ok());
        assert!(nonce("abcdefghijklmnop;").is_err());
    }

    #[test]
    fn the_chain_and_the_roll_hash_change_with_any_change() {
        let a = link(GENESIS, "roll_frozen", "{}");
        assert_ne!(a, link(GENESIS, "roll_frozen", "{ }"));
        assert_ne!(link(&a, "closed", "{}"), link(GENESIS, "closed", "{}"));
        let (x, y) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(
            roll_hash([(x, "甲"), (y, "乙")]),
            roll_hash([(y, "乙"), (x, "甲")])
        );
        assert_ne!(
            roll_hash([(x, "甲"), (y, "乙")]),
            roll_hash([(x, "甲"), (y, "丙")])
        );
        assert_ne!(desk(x), desk(y));
        assert_ne!(desk(x), x);
    }

    fn ballots(n_candidates: usize, seats: usize) -> impl Strategy<Value = Vec<Vec<bool>>> {
        prop::collection::vec(prop::collection::vec(any::<bool>(), n_candidates), 0..60).prop_map(
            move |bs| {
                bs.into_iter()
                    .map(|mut b| {
                        // At most `seats` votes for.
                        let mut n = 0;
                        for v in b.iter_mut() {
                            if *v {
                                n += 1;
                                if n > seats {
                                    *v = false;
                                }
                            }
                        }
                        b
                    })
                    .collect()
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn the_tally_counts_each_ballot_once_and_elects_only_by_the_rules(
            (seats, n, raw, extra, round) in (1usize..4, 1usize..6)
                .prop_flat_map(|(s, n)| (Just(s), Just(n), ballots(n, s), 0u32..40, 1u32..3))
        ) {
            let c = ids(n as u128);
            let settings = Settings::defaults(seats as u32, round);
            let bs: Vec<Ballot> = raw.iter().map(|b| {
                let chosen: Vec<Uuid> = b.iter().zip(&c).filter(|(v, _)| **v).map(|(_, c)| *c).collect();
                for_(&chosen)
            }).collect();
            let cast = bs.len() as u32;
            let t = tally(&settings, &c, cast + extra, cast, &bs);
            prop_assert_eq!(t.ballots_cast, cast);
            // Every vote is counted exactly once.
            let marks: usize = bs.iter().map(Ballot::votes_for).sum();
            let counted: u32 = t.counts.iter().map(|x| x.votes_for).sum();
            prop_assert_eq!(counted as usize, marks);
            prop_assert!(t.elected.len() <= seats);
            prop_assert_eq!(t.unfilled as usize, seats - t.elected.len());
            for e in &t.elected {
                let got = t.counts.iter().find(|x| x.choice == *e).unwrap().votes_for;
                prop_assert!(u64::from(got) * 100 > u64::from(settings.majority_pct) * u64::from(cast));
                // Nobody not elected has more votes than someone elected, unless tied ones
                // went to a runoff.
                for other in &t.counts {
                    if !t.elected.contains(&other.choice) {
                        prop_assert!(other.votes_for <= got);
                    }
                }
            }
            prop_assert!(t.runoff.iter().all(|r| !t.elected.contains(r)));
            if !t.valid {
                prop_assert!(t.elected.is_empty() && t.runoff.is_empty());
            }
            // The order of the ballots does not matter.
            let mut rev = bs.clone();
            rev.reverse();
            prop_assert_eq!(tally(&settings, &c, cast + extra, cast, &rev), t);
        }

        #[test]
        fn one_more_vote_for_a_winner_never_unelects_them(
            (seats, n, raw) in (1usize..3, 1usize..5)
                .prop_flat_map(|(s, n)| (Just(s), Just(n), ballots(n, s)))
        ) {
            let c = ids(n as u128);
            let settings = Settings::defaults(seats as u32, 1);
            let mut bs: Vec<Ballot> = raw.iter().map(|b| {
                let chosen: Vec<Uuid> = b.iter().zip(&c).filter(|(v, _)| **v).map(|(_, c)| *c).collect();
                for_(&chosen)
            }).collect();
            let t = tally(&settings, &c, bs.len() as u32, bs.len() as u32, &bs);
            if let Some(Choice::Candidate(w)) = t.elected.first().copied() {
                bs.push(for_(&[w]));
                let again = tally(&settings, &c, bs.len() as u32, bs.len() as u32, &bs);
                prop_assert!(again.elected.contains(&Choice::Candidate(w)));
            }
        }
    }
}
