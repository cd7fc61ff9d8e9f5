//! The elections capability's wire types: its mutations, the data its changes carry, and the
//! changes themselves. `crate::features` puts them into the app's unions.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::features::territory::wire::PositionKindWire;
use crate::{change, mutation};

mutation!(
    /// Call an election (admins and the president): a position over a unit (or the
    /// community), its seats and term, its windows, and its rules (each defaults to the law's;
    /// see the README, "Elections"). `runoff_of` calls the second round of a counted election:
    /// its candidates are that election's runoff, its roll the same electorate.
    ElectionCreateMutation(ElectionCreateArgs)
);
mutation!(
    /// Call off an election before its votes are counted (admins and the president).
    ElectionCancelMutation(ElectionRef)
);
mutation!(
    /// Nominate a candidate while nominations are open: a voter of the unit (who then needs
    /// the seconders the rules ask for), or the committee (`by_committee`: holders over the
    /// unit, the president, admins). The nominee must be eligible to vote in the unit.
    CandidateNominateMutation(CandidateNominateArgs)
);
mutation!(
    /// Second a voter's nomination (a voter of the unit, once per candidate).
    CandidateSecondMutation(CandidateRef)
);
mutation!(
    /// Accept or decline a nomination, with a short statement (the candidate, or an
    /// election officer recording a candidate's written answer).
    CandidateRespondMutation(CandidateRespondArgs)
);
mutation!(
    /// Cast a ballot. It counts only if the server receives it while voting is open, whatever
    /// the phone's clock said (`voting_closed` after); a voter's second ballot is
    /// `already_voted` and the first stands. The receipt is computed on the phone: the first
    /// 16 hex digits of SHA-256 of `linli-ballot/1`, the election id, the canonical ballot
    /// (each mark as `candidate_id:for|against` in id order, then each write-in as
    /// `write_in:elector_id` in id order, one per line) and the nonce, joined by newlines.
    /// The stored result of this mutation holds no choice.
    BallotCastMutation(BallotCastArgs)
);
mutation!(
    /// Mark on the roll that a voter voted on paper (election officers), at a polling
    /// station or with the mobile ballot box. Accepted until the count; a voter who had
    /// already voted is `already_voted`, and the conflict is shown on their roll entry.
    PaperMarkMutation(PaperMarkArgs)
);
mutation!(
    /// Record a written entrustment (election officers): a voter away from home entrusts
    /// another voter of the same roll, who holds at most `max_entrustments` of them.
    EntrustmentRecordMutation(EntrustmentRecordArgs)
);
mutation!(
    /// Enter a paper ballot after the close (election officers). Each sheet is entered by
    /// two officers; it counts once two officers' entries agree.
    PaperEnterMutation(PaperEnterArgs)
);
mutation!(
    /// Count the votes after the close (election officers): every paper sheet entered twice
    /// and agreed, and no more paper ballots than paper marks. The result, the published
    /// ballots and the record are out at once; winners hold the position from the term's
    /// start and earlier holders' terms end the day before.
    ElectionCountMutation(ElectionRef)
);

/// Names an election.
#[derive(Debug, Clone, Object)]
pub struct ElectionRef {
    pub id: Uuid,
}

/// Names a candidate.
#[derive(Debug, Clone, Object)]
pub struct CandidateRef {
    pub candidate_id: Uuid,
}

/// Who is on the roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum BasisWire {
    /// Every verified resident of the unit of age on the day voting opens.
    Person,
    /// One vote per household.
    Household,
}

#[derive(Debug, Clone, Object)]
pub struct ElectionCreateArgs {
    pub id: Uuid,
    /// 1 to 80 characters, like `3號樓樓長選舉`.
    pub title: String,
    pub position: PositionKindWire,
    /// The building, area or compound whose residents elect; null for the community.
    pub unit_id: Option<Uuid>,
    /// Seats to fill; 1 when absent.
    pub seats: Option<u32>,
    pub term_starts_on: NaiveDate,
    pub term_ends_on: Option<NaiveDate>,
    /// When nominations close and the roll freezes.
    pub nominations_close: DateTime<Utc>,
    pub voting_opens: DateTime<Utc>,
    pub voting_closes: DateTime<Utc>,
    /// `person` when absent.
    pub basis: Option<BasisWire>,
    /// 18 when absent.
    pub min_age: Option<i32>,
    /// 9 when absent (ten voters jointly).
    pub seconders: Option<u32>,
    /// 3 when absent.
    pub max_entrustments: Option<u32>,
    /// Valid only if more than this percentage of the roll voted; 50 when absent.
    pub quorum_pct: Option<u32>,
    /// Elected only with more than this percentage of the ballots cast; 50 when absent
    /// (33 in a second round).
    pub majority_pct: Option<u32>,
    /// The counted election whose unfilled seats this second round fills.
    pub runoff_of: Option<Uuid>,
}

#[derive(Debug, Clone, Object)]
pub struct CandidateNominateArgs {
    pub id: Uuid,
    pub election_id: Uuid,
    pub resident_id: Uuid,
    /// In the committee's name: stands without seconders.
    pub by_committee: Option<bool>,
}

#[derive(Debug, Clone, Object)]
pub struct CandidateRespondArgs {
    pub candidate_id: Uuid,
    pub accept: bool,
    /// At most 300 characters.
    pub statement: Option<String>,
}

/// A mark on a candidate; no mark is an abstention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MarkWire {
    For,
    /// Only when uncontested (等額).
    Against,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct BallotMark {
    pub candidate_id: Uuid,
    pub mark: MarkWire,
}

#[derive(Debug, Clone, Object)]
pub struct BallotCastArgs {
    pub election_id: Uuid,
    /// At most one per candidate.
    #[oai(validator(max_items = 50))]
    pub marks: Vec<BallotMark>,
    /// Other voters on the roll, by roll entry.
    #[oai(validator(max_items = 50))]
    pub write_ins: Vec<Uuid>,
    /// 16 to 64 random characters drawn by the phone, mixed into the receipt.
    pub nonce: String,
    /// Voting as the proxy of this roll entry, under an entrustment recorded for it.
    pub on_behalf_of: Option<Uuid>,
}

#[derive(Debug, Clone, Object)]
pub struct PaperMarkArgs {
    pub election_id: Uuid,
    pub elector_id: Uuid,
    /// Their proxy voted for them on paper.
    pub by_proxy: Option<bool>,
}

#[derive(Debug, Clone, Object)]
pub struct EntrustmentRecordArgs {
    pub id: Uuid,
    pub election_id: Uuid,
    pub from_elector_id: Uuid,
    pub to_elector_id: Uuid,
    /// The written entrustment's number or a note, 1 to 100 characters.
    pub document: String,
}

#[derive(Debug, Clone, Object)]
pub struct PaperEnterArgs {
    pub id: Uuid,
    pub election_id: Uuid,
    /// The sheet's number, 1 to 32 characters.
    pub sheet: String,
    #[oai(validator(max_items = 50))]
    pub marks: Vec<BallotMark>,
    #[oai(validator(max_items = 50))]
    pub write_ins: Vec<Uuid>,
    /// An invalid sheet (marked beyond reading, or with more votes than seats): entered
    /// and agreed like the others, and not counted.
    pub spoiled: Option<bool>,
}

/// Where an election is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ElectionState {
    Nominating,
    Voting,
    Counting,
    Done,
    /// Nobody stood.
    Failed,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ModeWire {
    Contested,
    Uncontested,
}

/// An election's rules.
#[derive(Debug, Clone, PartialEq, Object)]
pub struct RulesData {
    pub basis: BasisWire,
    pub min_age: i32,
    pub seconders: u32,
    pub max_entrustments: u32,
    pub quorum_pct: u32,
    pub majority_pct: u32,
    pub round: u32,
}

/// One name's count.
#[derive(Debug, Clone, PartialEq, Object)]
pub struct CountData {
    /// A standing candidate.
    #[oai(skip_serializing_if_is_none)]
    pub candidate_id: Option<Uuid>,
    /// A voter written in (their roll entry).
    #[oai(skip_serializing_if_is_none)]
    pub elector_id: Option<Uuid>,
    pub name: String,
    pub votes_for: u32,
    pub votes_against: u32,
    pub elected: bool,
    /// Stands in the second round.
    pub runoff: bool,
}

/// An election's result, published when it is counted.
#[derive(Debug, Clone, PartialEq, Object)]
pub struct ResultData {
    pub roll_size: u32,
    pub voted: u32,
    pub ballots_cast: u32,
    pub blank: u32,
    /// More than `quorum_pct` of the roll voted.
    pub valid: bool,
    pub counts: Vec<CountData>,
    pub unfilled: u32,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct ElectionData {
    pub id: Uuid,
    pub title: String,
    pub position: PositionKindWire,
    #[oai(skip_serializing_if_is_none)]
    pub unit_id: Option<Uuid>,
    pub seats: u32,
    pub term_starts_on: NaiveDate,
    #[oai(skip_serializing_if_is_none)]
    pub term_ends_on: Option<NaiveDate>,
    pub nominations_close: DateTime<Utc>,
    pub voting_opens: DateTime<Utc>,
    pub voting_closes: DateTime<Utc>,
    pub rules: RulesData,
    #[oai(skip_serializing_if_is_none)]
    pub runoff_of: Option<Uuid>,
    pub state: ElectionState,
    #[oai(skip_serializing_if_is_none)]
    pub mode: Option<ModeWire>,
    /// Voters on the roll, once it froze.
    pub roll_size: u32,
    #[oai(skip_serializing_if_is_none)]
    pub roll_hash: Option<String>,
    /// The head of the election's hash-chained record.
    pub chain_head: String,
    #[oai(skip_serializing_if_is_none)]
    pub result: Option<ResultData>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ResponseWire {
    Pending,
    Accepted,
    Declined,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct CandidateData {
    pub id: Uuid,
    pub election_id: Uuid,
    pub resident_id: Uuid,
    /// Their roll entry, once the roll froze.
    #[oai(skip_serializing_if_is_none)]
    pub elector_id: Option<Uuid>,
    pub name: String,
    pub statement: String,
    pub by_committee: bool,
    pub seconds: u32,
    pub response: ResponseWire,
    /// On the ballot.
    pub standing: bool,
}

/// How a voter's vote reached the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum VotedWire {
    Phone,
    Paper,
    ProxyPhone,
    ProxyPaper,
}

/// A second attempt to vote, for the officers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ConflictWire {
    /// A phone ballot after a paper mark: refused.
    PhoneAfterPaper,
    /// A paper mark after a phone ballot: spoil that paper ballot.
    PaperAfterPhone,
}

/// A voter on the roll, as the officers (and the voter) see them: never how they voted.
#[derive(Debug, Clone, PartialEq, Object)]
pub struct ElectorData {
    pub id: Uuid,
    pub election_id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub resident_id: Option<Uuid>,
    pub name: String,
    /// Building, entrance and room.
    pub place: String,
    #[oai(skip_serializing_if_is_none)]
    pub voted: Option<VotedWire>,
    #[oai(skip_serializing_if_is_none)]
    pub voted_at: Option<DateTime<Utc>>,
    /// The voter they entrusted.
    #[oai(skip_serializing_if_is_none)]
    pub proxy_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub proxy_name: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub conflict: Option<ConflictWire>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct EntrustmentData {
    pub id: Uuid,
    pub election_id: Uuid,
    pub from_elector_id: Uuid,
    pub from_name: String,
    pub to_elector_id: Uuid,
    pub document: String,
    /// The proxy has voted with it.
    pub used: bool,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct PaperEntryData {
    pub id: Uuid,
    pub election_id: Uuid,
    pub sheet: String,
    pub officer_id: Uuid,
    pub marks: Vec<BallotMark>,
    pub write_ins: Vec<Uuid>,
    pub spoiled: bool,
}

change!(
    /// An election was called or moved on (`put`), or removed.
    ElectionChange(ElectionData)
);
change!(
    /// A candidate was nominated, seconded, answered or put on the ballot (`put`).
    CandidateChange(CandidateData)
);
change!(
    /// A roll entry the caller may see (their own; every one for election officers) was made
    /// or marked (`put`).
    ElectorChange(ElectorData)
);
change!(
    /// An entrustment the caller holds (or, for officers, any) was recorded or used (`put`).
    EntrustmentChange(EntrustmentData)
);
change!(
    /// An officer's entry of a paper ballot (officers only).
    PaperEntryChange(PaperEntryData)
);
