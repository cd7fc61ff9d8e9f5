//! # Elections: one person one vote, secret, verifiable, on phones and on paper
//!
//! "一人一票把咱選出來": building leaders, area leaders, branch presidents, the president and
//! the residents' representatives are elected by the residents of their unit. An election
//! fills one position (or several seats of it) over a unit for a term; it goes
//! nominating → voting (the roll frozen) → counting (voting closed) → done, and server time
//! decides each step.
//!
//! How the pieces fit:
//! - [`wire`]: the mutations phones push and the changes they pull (the contract);
//! - [`setup`]: calling and cancelling an election; nominating, seconding, answering;
//! - [`roll`]: freezing the roll (the electorate) when nominations close, with its hash;
//! - [`polls`]: phone ballots, paper marks on the officers' roll, entrustments, and the two
//!   officers' entry of each paper ballot;
//! - [`count`]: the close and the count; the shuffled ballots, the record and the winners'
//!   positions; [`record`]: the hash-chained record of each election's events;
//! - [`clock`]: the task that moves elections on when their windows pass (each mutation
//!   also does, inside its own transaction, so nothing waits for it);
//! - [`rules`], as plain functions: settings and their defaults, ballots, receipts, hashes,
//!   the tally;
//! - [`entity`]: its tables (the schema is in `migrations/`);
//! - [`export`]: what it holds about a resident, and what it lets go of at their deletion;
//! - [`http`]: REST reads (an election with its candidates, the published roll, the
//!   published record); [`verify`]: `linli election verify`, from the record alone.
//!
//! **Secrecy.** Participation (who voted, when, how: the elector row) and ballots (what:
//! the ballot row) are stored apart. A ballot has a random id, no voter, no time and no
//! version, and SQLite stores it `WITHOUT ROWID`; the stored result of a `ballot.cast` is the
//! voter's roll entry, never the choice; nothing about a ballot is logged or audited; the
//! record takes the ballots' hashes in at the count, in their published (random) order.
//!
//! Visibility: elections and candidates are the community's notice board. The roll's
//! entries are personal: a voter sees their own; the election officers see every entry,
//! entrustment and paper entry through `rules::desk`, an id only their scope holds; admins
//! see all. The published roll (names only) is read over REST by the unit's residents.

pub mod changes;
pub mod clock;
pub mod count;
pub mod entity;
pub mod export;
pub mod http;
pub mod polls;
pub mod record;
pub mod roll;
pub mod rules;
pub mod setup;
pub mod verify;
pub mod wire;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait};
use uuid::Uuid;

use crate::domain::permissions::{Actor, Role, Scope};
use crate::domain::territory::PositionKind;
use crate::features::{App, Change, Ctx, MutationCode, Outcome};
use crate::sync::feed::{Audience, Encode, FeedTable, Table};
use crate::sync::registry::{Handler, SyncApp};
use entity::{candidate, election, elector, entrustment, paper_entry};
use rules::State;
use wire::*;

/// Feed order within one version, after the territory's: an election before its
/// candidates and roll, an entry before the entrustments and paper entries that name it.
pub mod rank {
    pub const ELECTION: u8 = 20;
    pub const CANDIDATE: u8 = 21;
    pub const ELECTOR: u8 = 22;
    pub const ENTRUSTMENT: u8 = 23;
    pub const PAPER_ENTRY: u8 = 24;
}

/// The elections' synced tables.
pub fn tables<A: SyncApp<Change = Change>>() -> Vec<Box<dyn FeedTable<A>>> {
    vec![
        Box::new(Table::<election::Entity, A>::new(
            "election",
            rank::ELECTION,
            Audience::Public,
            Encode::Each(changes::election),
            |id| Change::Election(ElectionChange::gone(id)),
        )),
        Box::new(Table::<candidate::Entity, A>::new(
            "candidate",
            rank::CANDIDATE,
            Audience::Public,
            Encode::Each(changes::candidate),
            |id| Change::Candidate(CandidateChange::gone(id)),
        )),
        Box::new(Table::<elector::Entity, A>::new(
            "elector",
            rank::ELECTOR,
            Audience::Personal {
                owner: "resident_id",
                over: &["desk_id"],
            },
            Encode::Each(changes::elector),
            |id| Change::Elector(ElectorChange::gone(id)),
        )),
        Box::new(Table::<entrustment::Entity, A>::new(
            "entrustment",
            rank::ENTRUSTMENT,
            Audience::Personal {
                owner: "proxy_resident_id",
                over: &["desk_id"],
            },
            Encode::Each(changes::entrustment),
            |id| Change::Entrustment(EntrustmentChange::gone(id)),
        )),
        Box::new(Table::<paper_entry::Entity, A>::new(
            "paper_entry",
            rank::PAPER_ENTRY,
            Audience::Personal {
                owner: "officer_id",
                over: &["desk_id"],
            },
            Encode::Each(changes::paper_entry),
            |id| Change::PaperEntry(PaperEntryChange::gone(id)),
        )),
    ]
}

/// What the elections' roles see: an election officer (community-wide) sees the officers'
/// desk of their community.
pub fn sees_over(actor: &Actor) -> impl Iterator<Item = Uuid> + '_ {
    actor.grants.iter().filter_map(|g| match (g.role, g.scope) {
        (Role::Holds(PositionKind::ElectionOfficer), Scope::Community(c)) => Some(rules::desk(c)),
        _ => None,
    })
}

/// The live election `id` of the actor's community.
pub(crate) async fn live_election(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<election::Model>, DbErr> {
    Ok(election::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|e| e.community_id == actor.community_id && e.deleted_at.is_none()))
}

/// The election's state as stored.
pub(crate) fn state_of(e: &election::Model) -> State {
    State::parse(&e.state).unwrap_or(State::Cancelled)
}

/// The election's rules.
pub(crate) fn settings_of(e: &election::Model) -> rules::Settings {
    let u = |n: i32| u32::try_from(n).unwrap_or(0);
    rules::Settings {
        seats: u(e.seats),
        basis: rules::Basis::parse(&e.basis).unwrap_or(rules::Basis::Person),
        min_age: e.min_age,
        seconders: u(e.seconders),
        max_entrustments: u(e.max_entrustments),
        quorum_pct: u(e.quorum_pct),
        majority_pct: u(e.majority_pct),
        round: u(e.round),
    }
}

/// The rejection for a mutation on an election that is not there (or not the actor's).
pub(crate) fn no_election() -> Outcome {
    Outcome::rejected(MutationCode::NotFound, "no such election", None)
}

/// Moves `e` on to where `now` puts it (freezing the roll when nominations have closed,
/// closing the polls when voting has), inside the caller's write transaction, which holds
/// the community's lock. The version written, if it moved.
pub(crate) async fn bring_up_to(
    txn: &impl ConnectionTrait,
    e: &mut election::Model,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let mut version = None;
    if state_of(e) == State::Nominating && now >= e.nominations_close {
        let v = roll::freeze(txn, e, now).await?;
        tell_electors(txn, e, v, now, true).await?;
        version = Some(v);
    }
    if state_of(e) == State::Voting && now >= e.voting_closes {
        let v = count::close(txn, e).await?;
        tell_electors(txn, e, v, now, false).await?;
        version = Some(v);
    }
    Ok(version)
}

/// Tells the electors with an account that voting opens (the roll just froze) or closed.
async fn tell_electors(
    txn: &impl ConnectionTrait,
    e: &election::Model,
    version: i64,
    now: DateTime<Utc>,
    opening: bool,
) -> Result<(), DbErr> {
    use crate::features::notifications::{self, rules::Kind};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let who: Vec<Uuid> = entity::elector::Entity::find()
        .select_only()
        .column(entity::elector::Column::ResidentId)
        .filter(entity::elector::Column::ElectionId.eq(e.id))
        .filter(entity::elector::Column::DeletedAt.is_null())
        .filter(entity::elector::Column::ResidentId.is_not_null())
        .into_tuple::<Option<Uuid>>()
        .all(txn)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let opens = e
        .voting_opens
        .with_timezone(&notifications::ZONE)
        .format("%m月%d日 %H:%M");
    let (kind, what, title, body) = if opening {
        (
            Kind::ElectionOpened,
            "opened",
            format!("選舉投票：{}", e.title),
            format!("選民名單已確定，投票於{opens}開始，可在應用裡投票，或到投票站投紙質選票。"),
        )
    } else {
        (
            Kind::ElectionClosed,
            "closed",
            format!("投票結束：{}", e.title),
            "投票已結束，計票後公布結果。".to_owned(),
        )
    };
    notifications::notify(
        txn,
        e.community_id,
        version,
        now,
        &notifications::Notice {
            kind,
            subject: "election",
            subject_id: e.id,
            what: what.into(),
            title,
            body,
            urgent: false,
            cant_come: None,
        },
        &who,
    )
    .await?;
    Ok(())
}

handlers! {
    ElectionCreateMutation = "election.create" => setup::create;
    ElectionCancelMutation = "election.cancel" => setup::cancel;
    CandidateNominateMutation = "candidate.nominate" => setup::nominate;
    CandidateSecondMutation = "candidate.second" => setup::second;
    CandidateRespondMutation = "candidate.respond" => setup::respond;
    BallotCastMutation = "ballot.cast" => polls::cast;
    PaperMarkMutation = "paper.mark" => polls::mark;
    EntrustmentRecordMutation = "entrustment.record" => polls::entrust;
    PaperEnterMutation = "paper.enter" => polls::enter;
    ElectionCountMutation = "election.count" => count::count, changes_roles;
}
