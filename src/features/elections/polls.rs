//! The polls: phone ballots, paper marks on the officers' roll, entrustments, and the entry
//! of paper ballots. Applied inside the engine's transaction, which holds the community's
//! write lock, so "first received" is the order the server decided them in.
//!
//! One voter, one vote: an elector row is marked voted by whichever comes first, their own
//! phone ballot, their proxy's, or an officer's paper mark; the next attempt is refused
//! `already_voted`, and a paper mark or phone ballot that lost is shown to the officers as a
//! conflict (a paper ballot to spoil), never counted.
//!
//! A phone ballot writes two rows that share nothing: the voter's roll entry (voted, when,
//! how) and the ballot (a random id, the choices, the receipt). Its result is the roll entry.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::entity::{ballot, candidate, election, elector, entrustment, paper_entry};
use super::rules::{self, Ballot, BallotError, Conflict, Mark, Mode, State, Voted};
use super::wire::*;
use super::{bring_up_to, changes, live_election, no_election, roll, settings_of, state_of};
use crate::domain::FieldError;
use crate::domain::permissions::{Action, Target};
use crate::features::territory::{authorize, created_already};
use crate::features::{Ctx, MutationCode, Outcome};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// A paper ballot as an officer entered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entered {
    pub ballot: Ballot,
    pub spoiled: bool,
}

/// A ballot from its wire form; a candidate marked twice is refused.
fn ballot_of(marks: &[BallotMark], write_ins: &[Uuid]) -> std::result::Result<Ballot, FieldError> {
    let mut b = Ballot::default();
    for m in marks {
        let mark = match m.mark {
            MarkWire::For => Mark::For,
            MarkWire::Against => Mark::Against,
        };
        if b.marks.insert(m.candidate_id, mark).is_some() {
            return Err(FieldError::new(
                "marks",
                "marks each candidate at most once",
            ));
        }
    }
    b.write_ins = write_ins.iter().copied().collect::<BTreeSet<_>>();
    if b.write_ins.len() != write_ins.len() {
        return Err(FieldError::new(
            "write_ins",
            "names each voter at most once",
        ));
    }
    Ok(b)
}

/// The candidates standing in `e`.
pub(super) async fn standing(
    conn: &impl ConnectionTrait,
    e: &election::Model,
) -> Result<Vec<candidate::Model>> {
    candidate::Entity::find()
        .filter(candidate::Column::ElectionId.eq(e.id))
        .filter(candidate::Column::Standing.eq(true))
        .filter(candidate::Column::DeletedAt.is_null())
        .all(conn)
        .await
}

/// Checks a ballot's contents against `e`'s candidates, seats and roll.
async fn check(
    conn: &impl ConnectionTrait,
    e: &election::Model,
    b: &Ballot,
) -> Result<std::result::Result<(), Outcome>> {
    let standing: BTreeMap<Uuid, Uuid> = standing(conn, e)
        .await?
        .into_iter()
        .filter_map(|c| Some((c.id, c.elector_id?)))
        .collect();
    let written: HashSet<Uuid> = if b.write_ins.is_empty() {
        HashSet::new()
    } else {
        elector::Entity::find()
            .filter(elector::Column::ElectionId.eq(e.id))
            .filter(elector::Column::Id.is_in(b.write_ins.iter().copied()))
            .all(conn)
            .await?
            .into_iter()
            .map(|x| x.id)
            .collect()
    };
    let mode = e
        .mode
        .as_deref()
        .and_then(Mode::parse)
        .unwrap_or(Mode::Contested);
    let seats = settings_of(e).seats;
    Ok(
        rules::check_ballot(b, mode, seats, &standing, |w| written.contains(&w)).map_err(|err| {
            match err {
                BallotError::NotStanding(c) => Outcome::rejected(
                    MutationCode::NotStanding,
                    format!("{c} is not standing in this election"),
                    None,
                ),
                BallotError::TooManyChoices { seats } => Outcome::rejected(
                    MutationCode::TooManyChoices,
                    format!("vote for at most {seats}"),
                    None,
                ),
                BallotError::NotOnRoll(w) => Outcome::rejected(
                    MutationCode::NotOnRoll,
                    format!("{w} is not on this election's roll, so cannot be written in"),
                    None,
                ),
                BallotError::Invalid(why) => Outcome::invalid(FieldError::new("marks", why)),
            }
        }),
    )
}

/// Saves an elector row at a new version.
async fn save_elector(conn: &impl ConnectionTrait, x: &mut elector::Model) -> Result<i64> {
    x.version = bump_version(conn, x.community_id).await?;
    elector::Entity::update(x.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(x.version)
}

/// Marks `voter` as having voted `how` now (through `trust`, which is then used, when a
/// proxy voted); returns the version written.
async fn mark_voted(
    conn: &impl ConnectionTrait,
    voter: &mut elector::Model,
    how: Voted,
    trust: Option<&mut entrustment::Model>,
    ctx: &Ctx<'_>,
) -> Result<i64> {
    voter.voted = Some(how.as_str().to_owned());
    voter.voted_at = Some(ctx.now);
    let version = save_elector(conn, voter).await?;
    if let Some(t) = trust {
        t.used = true;
        t.version = version;
        entrustment::Entity::update(t.clone().into_active_model().reset_all())
            .exec(conn)
            .await?;
    }
    Ok(version)
}

fn refuse_closed(e: &election::Model, moved: Option<i64>) -> Outcome {
    let (code, message) = match state_of(e) {
        State::Nominating => (MutationCode::VotingNotOpen, "voting has not opened"),
        State::Voting => (MutationCode::VotingNotOpen, "voting has not opened"),
        State::Counting | State::Done => (MutationCode::VotingClosed, "voting has closed"),
        State::Failed => (
            MutationCode::VotingClosed,
            "nobody stands in this election: there is no vote",
        ),
        State::Cancelled => (MutationCode::VotingClosed, "this election was called off"),
    };
    let mut o = Outcome::rejected(code, message, Some(changes::election(e)));
    o.version = moved;
    o
}

pub async fn cast(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &BallotCastArgs,
) -> Result<Outcome> {
    let Some(mut e) = live_election(conn, ctx.actor, a.election_id).await? else {
        return Ok(no_election());
    };
    let moved = bring_up_to(conn, &mut e, ctx.now).await?;
    if !(state_of(&e) == State::Voting && ctx.now >= e.voting_opens) {
        return Ok(refuse_closed(&e, moved));
    }
    let Some(mine) = roll::entry_of(conn, e.id, ctx.actor.resident_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotOnRoll,
            "you are not on this election's roll",
            None,
        ));
    };
    // Whose vote this is: one's own, or an entruster's.
    let (mut voter, mut trust) = match a.on_behalf_of {
        None => (mine, None),
        Some(from) => {
            let trust = entrustment::Entity::find()
                .filter(entrustment::Column::FromElectorId.eq(from))
                .filter(entrustment::Column::ToElectorId.eq(mine.id))
                .filter(entrustment::Column::DeletedAt.is_null())
                .one(conn)
                .await?;
            let voter = match &trust {
                Some(_) => roll::entry(conn, &e, from).await?,
                None => None,
            };
            let (Some(trust), Some(voter)) = (trust, voter) else {
                return Ok(Outcome::rejected(
                    MutationCode::NotEntrusted,
                    "no entrustment of that voter to you is recorded",
                    None,
                ));
            };
            (voter, Some(trust))
        }
    };
    let shown = |voter: &elector::Model, trust: &Option<entrustment::Model>| match trust {
        Some(t) => changes::entrustment(t),
        None => changes::elector(voter),
    };
    if let Some(voted) = voter.voted.as_deref().and_then(Voted::parse) {
        let mut version = moved;
        if voted.on_paper() && voter.conflict.is_none() {
            voter.conflict = Some(Conflict::PhoneAfterPaper.as_str().to_owned());
            version = Some(save_elector(conn, &mut voter).await?);
        }
        let mut o = Outcome::rejected(
            MutationCode::AlreadyVoted,
            "this vote was already cast; the first one stands",
            Some(shown(&voter, &trust)),
        );
        o.version = version;
        return Ok(o);
    }
    let b = match ballot_of(&a.marks, &a.write_ins) {
        Ok(b) => b,
        Err(err) => return Ok(Outcome::invalid(err)),
    };
    let nonce = match rules::nonce(&a.nonce) {
        Ok(n) => n,
        Err(err) => return Ok(Outcome::invalid(err)),
    };
    if let Err(o) = check(conn, &e, &b).await? {
        return Ok(o);
    }
    let receipt = rules::receipt(e.id, &b, nonce);
    let taken = ballot::Entity::find()
        .filter(ballot::Column::ElectionId.eq(e.id))
        .filter(ballot::Column::Receipt.eq(receipt.as_str()))
        .count(conn)
        .await?;
    if taken > 0 {
        return Ok(Outcome::rejected(
            MutationCode::Conflict,
            "this nonce was used with the same choices: draw a new one",
            None,
        ));
    }
    ballot::Entity::insert(
        ballot::Model {
            id: Uuid::new_v4(),
            election_id: e.id,
            source: "phone".into(),
            receipt: Some(receipt),
            nonce: Some(nonce.to_owned()),
            sheet: None,
            choices: serde_json::to_string(&b).unwrap_or_default(),
        }
        .into_active_model(),
    )
    .exec_without_returning(conn)
    .await?;
    let how = if trust.is_some() {
        Voted::ProxyPhone
    } else {
        Voted::Phone
    };
    let version = mark_voted(conn, &mut voter, how, trust.as_mut(), ctx).await?;
    Ok(Outcome::applied(Some(shown(&voter, &trust)), Some(version)))
}

fn keep_polls(ctx: &Ctx<'_>) -> crate::features::Decision<()> {
    authorize(
        ctx.actor,
        Action::KeepPolls,
        Target::Community {
            id: ctx.actor.community_id,
        },
    )
}

pub async fn mark(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &PaperMarkArgs,
) -> Result<Outcome> {
    if let Err(o) = keep_polls(ctx) {
        return Ok(*o);
    }
    let Some(mut e) = live_election(conn, ctx.actor, a.election_id).await? else {
        return Ok(no_election());
    };
    let moved = bring_up_to(conn, &mut e, ctx.now).await?;
    // The paper roll is kept until the count: an officer back from the mobile ballot box
    // may sync after the close.
    let open = match state_of(&e) {
        State::Voting => ctx.now >= e.voting_opens,
        State::Counting => true,
        _ => false,
    };
    if !open {
        return Ok(refuse_closed(&e, moved));
    }
    let Some(mut voter) = roll::entry(conn, &e, a.elector_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotOnRoll,
            "not on this election's roll",
            None,
        ));
    };
    let by_proxy = a.by_proxy.unwrap_or(false);
    let mut trust = None;
    if by_proxy {
        trust = entrustment::Entity::find()
            .filter(entrustment::Column::FromElectorId.eq(voter.id))
            .filter(entrustment::Column::DeletedAt.is_null())
            .one(conn)
            .await?;
        if trust.is_none() {
            return Ok(Outcome::rejected(
                MutationCode::NotEntrusted,
                "no entrustment from this voter is recorded",
                Some(changes::elector(&voter)),
            ));
        }
    }
    if let Some(voted) = voter.voted.as_deref().and_then(Voted::parse) {
        if voted.on_paper() {
            // Another officer's phone marked the same paper vote: one fact, kept once.
            return Ok(Outcome::applied(Some(changes::elector(&voter)), moved));
        }
        let mut version = moved;
        if voter.conflict.is_none() {
            voter.conflict = Some(Conflict::PaperAfterPhone.as_str().to_owned());
            version = Some(save_elector(conn, &mut voter).await?);
        }
        let mut o = Outcome::rejected(
            MutationCode::AlreadyVoted,
            "this voter had already voted on a phone: spoil the paper ballot",
            Some(changes::elector(&voter)),
        );
        o.version = version;
        return Ok(o);
    }
    let how = if by_proxy {
        Voted::ProxyPaper
    } else {
        Voted::Paper
    };
    let version = mark_voted(conn, &mut voter, how, trust.as_mut(), ctx).await?;
    Ok(Outcome::applied(
        Some(changes::elector(&voter)),
        Some(version),
    ))
}

pub async fn entrust(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &EntrustmentRecordArgs,
) -> Result<Outcome> {
    if let Err(o) = keep_polls(ctx) {
        return Ok(*o);
    }
    if let Some(existing) = entrustment::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(created_already(
            existing.community_id,
            ctx.actor,
            changes::entrustment(&existing),
        ));
    }
    let Some(mut e) = live_election(conn, ctx.actor, a.election_id).await? else {
        return Ok(no_election());
    };
    let moved = bring_up_to(conn, &mut e, ctx.now).await?;
    if state_of(&e) != State::Voting {
        let mut o = refuse_closed(&e, moved);
        if state_of(&e) == State::Nominating {
            o.message = Some("the roll freezes when nominations close; entrust after that".into());
        }
        return Ok(o);
    }
    let document = match rules::document(&a.document) {
        Ok(d) => d,
        Err(err) => return Ok(Outcome::invalid(err)),
    };
    if a.from_elector_id == a.to_elector_id {
        return Ok(Outcome::invalid(FieldError::new(
            "to_elector_id",
            "a voter entrusts another voter",
        )));
    }
    let (Some(mut from), Some(to)) = (
        roll::entry(conn, &e, a.from_elector_id).await?,
        roll::entry(conn, &e, a.to_elector_id).await?,
    ) else {
        return Ok(Outcome::rejected(
            MutationCode::NotOnRoll,
            "both voters must be on this election's roll",
            None,
        ));
    };
    if from.voted.is_some() {
        return Ok(Outcome::rejected(
            MutationCode::AlreadyVoted,
            "this voter has already voted",
            Some(changes::elector(&from)),
        ));
    }
    if from.proxy_id.is_some() {
        return Ok(Outcome::rejected(
            MutationCode::AlreadyEntrusted,
            "this voter has already entrusted someone",
            Some(changes::elector(&from)),
        ));
    }
    if to.proxy_id.is_some() {
        return Ok(Outcome::invalid(FieldError::new(
            "to_elector_id",
            "a voter who entrusted their own vote cannot hold others'",
        )));
    }
    let held = entrustment::Entity::find()
        .filter(entrustment::Column::ToElectorId.eq(to.id))
        .filter(entrustment::Column::DeletedAt.is_null())
        .count(conn)
        .await?;
    let holds = entrustment::Entity::find()
        .filter(entrustment::Column::ToElectorId.eq(from.id))
        .filter(entrustment::Column::DeletedAt.is_null())
        .count(conn)
        .await?;
    if holds > 0 {
        return Ok(Outcome::invalid(FieldError::new(
            "from_elector_id",
            "this voter holds others' entrustments, so is not away",
        )));
    }
    let max = u64::from(settings_of(&e).max_entrustments);
    if held >= max {
        return Ok(Outcome::rejected(
            MutationCode::EntrustmentsFull,
            format!("{} already holds {max} entrustments", to.name),
            None,
        ));
    }
    from.proxy_id = Some(to.id);
    from.proxy_name = Some(to.name.clone());
    let version = save_elector(conn, &mut from).await?;
    let row = entrustment::Model {
        id: a.id,
        community_id: e.community_id,
        election_id: e.id,
        from_elector_id: from.id,
        from_name: from.name.clone(),
        to_elector_id: to.id,
        proxy_resident_id: to.resident_id,
        document,
        recorded_by: ctx.actor.resident_id,
        used: false,
        desk_id: rules::desk(e.community_id),
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    entrustment::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    Ok(
        Outcome::applied(Some(changes::entrustment(&row)), Some(version)).audited(
            "entrustment.record",
            Some(row.id),
            format!("{} → {}", from.id, to.id),
        ),
    )
}

pub async fn enter(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &PaperEnterArgs,
) -> Result<Outcome> {
    if let Err(o) = keep_polls(ctx) {
        return Ok(*o);
    }
    if let Some(existing) = paper_entry::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(created_already(
            existing.community_id,
            ctx.actor,
            changes::paper_entry(&existing),
        ));
    }
    let Some(mut e) = live_election(conn, ctx.actor, a.election_id).await? else {
        return Ok(no_election());
    };
    let moved = bring_up_to(conn, &mut e, ctx.now).await?;
    match state_of(&e) {
        State::Counting => {}
        State::Nominating | State::Voting => {
            let mut o = Outcome::rejected(
                MutationCode::VotingNotClosed,
                "paper ballots are entered after the close",
                Some(changes::election(&e)),
            );
            o.version = moved;
            return Ok(o);
        }
        State::Done => {
            return Ok(Outcome::rejected(
                MutationCode::AlreadyCounted,
                "the votes are counted",
                Some(changes::election(&e)),
            ));
        }
        State::Failed | State::Cancelled => return Ok(refuse_closed(&e, moved)),
    }
    let sheet = match rules::sheet(&a.sheet) {
        Ok(s) => s,
        Err(err) => return Ok(Outcome::invalid(err)),
    };
    let b = match ballot_of(&a.marks, &a.write_ins) {
        Ok(b) => b,
        Err(err) => return Ok(Outcome::invalid(err)),
    };
    let spoiled = a.spoiled.unwrap_or(false);
    if !spoiled && let Err(o) = check(conn, &e, &b).await? {
        return Ok(o);
    }
    let entered = Entered { ballot: b, spoiled };
    let choices = serde_json::to_string(&entered).unwrap_or_default();
    let others = paper_entry::Entity::find()
        .filter(paper_entry::Column::ElectionId.eq(e.id))
        .filter(paper_entry::Column::Sheet.eq(sheet.as_str()))
        .filter(paper_entry::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let version = bump_version(conn, e.community_id).await?;
    let row = match others
        .iter()
        .find(|p| p.officer_id == ctx.actor.resident_id)
    {
        Some(mine) if mine.choices == choices => {
            return Ok(Outcome::rejected(
                MutationCode::AlreadyEntered,
                "you entered this sheet already; another officer enters it too",
                Some(changes::paper_entry(mine)),
            ));
        }
        // The officer corrects their own entry.
        Some(mine) => {
            let mut row = mine.clone();
            row.choices = choices.clone();
            row.version = version;
            paper_entry::Entity::update(row.clone().into_active_model().reset_all())
                .exec(conn)
                .await?;
            row
        }
        None => {
            let row = paper_entry::Model {
                id: a.id,
                community_id: e.community_id,
                election_id: e.id,
                sheet,
                officer_id: ctx.actor.resident_id,
                choices: choices.clone(),
                desk_id: rules::desk(e.community_id),
                version,
                created_at: ctx.now,
                deleted_at: None,
            };
            paper_entry::Entity::insert(row.clone().into_active_model())
                .exec(conn)
                .await?;
            row
        }
    };
    let mut o = Outcome::applied(Some(changes::paper_entry(&row)), Some(version)).audited(
        "paper.enter",
        Some(row.id),
        row.sheet.clone(),
    );
    if others
        .iter()
        .any(|p| p.officer_id != ctx.actor.resident_id && p.choices != choices)
    {
        o.code = Some(MutationCode::EntriesDiffer);
        o.message =
            Some("another officer read this sheet differently: a third officer enters it".into());
    }
    Ok(o)
}
