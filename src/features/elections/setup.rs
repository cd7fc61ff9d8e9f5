//! Calling and cancelling elections; nominating, seconding, and answering a nomination.
//! Applied inside the engine's transaction.
//!
//! Nominations are open until `nominations_close` (server time): any mutation that arrives
//! later first freezes the roll ([`super::bring_up_to`]) and is then refused
//! `nominations_closed`. A voter's nomination stands with `seconders` other voters'
//! seconds; the committee's without. Only a resident who could vote in the unit can be
//! nominated (the Organic Law's right to stand), and only voters nominate and second.

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use super::entity::{candidate, election, seconding};
use super::rules::{self, Basis, Choice, Settings, State};
use super::wire::*;
use super::{bring_up_to, changes, live_election, no_election, record, roll, state_of};
use crate::domain::FieldError;
use crate::domain::permissions::{Action, Target};
use crate::domain::territory::{Place, PositionKind, UnitKind};
use crate::entity::resident;
use crate::features::territory::positions::held_over;
use crate::features::territory::{authorize, created_already, live_unit};
use crate::features::{Ctx, MutationCode, Outcome};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

fn community(ctx: &Ctx<'_>) -> Target {
    Target::Community {
        id: ctx.actor.community_id,
    }
}

pub async fn create(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &ElectionCreateArgs,
) -> Result<Outcome> {
    if let Err(o) = authorize(ctx.actor, Action::RunElections, community(ctx)) {
        return Ok(*o);
    }
    if let Some(existing) = election::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(created_already(
            existing.community_id,
            ctx.actor,
            changes::election(&existing),
        ));
    }
    let title = match rules::title(&a.title) {
        Ok(t) => t,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let kind = PositionKind::from(a.position);
    if !kind.elected() {
        return Ok(Outcome::invalid(FieldError::new(
            "position",
            "this position is appointed, not elected",
        )));
    }
    if let Err(o) = held_over(conn, ctx, kind, a.unit_id).await? {
        return Ok(*o);
    }
    if !(a.nominations_close <= a.voting_opens && a.voting_opens < a.voting_closes) {
        return Ok(Outcome::invalid(FieldError::new(
            "voting_opens",
            "nominations must close by the time voting opens, and voting must open before it closes",
        )));
    }
    if a.voting_closes <= ctx.now {
        return Ok(Outcome::invalid(FieldError::new(
            "voting_closes",
            "must be in the future",
        )));
    }
    if a.voting_closes - a.voting_opens > Duration::days(31) {
        return Ok(Outcome::invalid(FieldError::new(
            "voting_closes",
            "voting may last at most 31 days",
        )));
    }
    if a.term_ends_on.is_some_and(|end| end < a.term_starts_on) {
        return Ok(Outcome::invalid(FieldError::new(
            "term_ends_on",
            "must not be before term_starts_on",
        )));
    }

    // A second round: its candidates are the first round's runoff, for its unfilled seats.
    let mut runoff: Vec<(Uuid, String)> = Vec::new();
    let mut seats = a.seats.unwrap_or(1);
    if let Some(first_id) = a.runoff_of {
        let Some(first) = live_election(conn, ctx.actor, first_id).await? else {
            return Ok(no_election());
        };
        let tally = first
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str::<rules::Counted>(r).ok())
            .map(|c| c.tally);
        let Some(tally) = tally.filter(|t| state_of(&first) == State::Done && !t.runoff.is_empty())
        else {
            return Ok(Outcome::rejected(
                MutationCode::NoRunoff,
                "that election was not counted, or left no seat to a second round",
                None,
            ));
        };
        if first.position_kind != kind.as_str() || first.unit_id != a.unit_id {
            return Ok(Outcome::invalid(FieldError::new(
                "runoff_of",
                "a second round is for the same position over the same unit",
            )));
        }
        seats = tally.unfilled;
        for choice in tally.runoff {
            let resident = match choice {
                Choice::Candidate(c) => candidate::Entity::find_by_id(c)
                    .one(conn)
                    .await?
                    .map(|c| c.resident_id),
                Choice::WriteIn(x) => roll::entry(conn, &first, x)
                    .await?
                    .and_then(|x| x.resident_id),
            };
            let Some(resident) = resident else { continue };
            if let Some(r) = resident::Entity::find_by_id(resident).one(conn).await?
                && r.deleted_at.is_none()
            {
                runoff.push((r.id, r.display_name));
            }
        }
    }
    let round = if a.runoff_of.is_some() { 2 } else { 1 };
    let mut settings = Settings::defaults(seats, round);
    if let Some(b) = a.basis {
        settings.basis = match b {
            BasisWire::Person => Basis::Person,
            BasisWire::Household => Basis::Household,
        };
    }
    settings.min_age = a.min_age.unwrap_or(settings.min_age);
    settings.seconders = a.seconders.unwrap_or(settings.seconders);
    settings.max_entrustments = a.max_entrustments.unwrap_or(settings.max_entrustments);
    settings.quorum_pct = a.quorum_pct.unwrap_or(settings.quorum_pct);
    settings.majority_pct = a.majority_pct.unwrap_or(settings.majority_pct);
    if let Err(e) = settings.check() {
        return Ok(Outcome::invalid(e));
    }
    let i = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let mut row = election::Model {
        id: a.id,
        community_id: ctx.actor.community_id,
        title,
        position_kind: kind.as_str().to_owned(),
        unit_id: a.unit_id,
        seats: i(settings.seats),
        term_starts_on: a.term_starts_on,
        term_ends_on: a.term_ends_on,
        nominations_close: a.nominations_close,
        voting_opens: a.voting_opens,
        voting_closes: a.voting_closes,
        basis: settings.basis.as_str().to_owned(),
        min_age: settings.min_age,
        seconders: i(settings.seconders),
        max_entrustments: i(settings.max_entrustments),
        quorum_pct: i(settings.quorum_pct),
        majority_pct: i(settings.majority_pct),
        round: i(round),
        runoff_of: a.runoff_of,
        state: State::Nominating.as_str().to_owned(),
        mode: None,
        roll_size: 0,
        roll_hash: None,
        voted: 0,
        chain_head: rules::GENESIS.to_owned(),
        result: None,
        called_by: ctx.actor.resident_id,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    let called = serde_json::json!({
            "election_id": row.id,
            "title": row.title,
            "position": row.position_kind,
            "unit_id": row.unit_id,
            "term_starts_on": row.term_starts_on,
            "term_ends_on": row.term_ends_on,
            "nominations_close": row.nominations_close,
            "voting_opens": row.voting_opens,
            "voting_closes": row.voting_closes,
            "rules": settings,
            "runoff_of": row.runoff_of,
    });
    election::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    record::append(conn, &mut row, "called", &called).await?;
    election::Entity::update(row.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    for (resident, name) in runoff {
        candidate::Entity::insert(
            candidate::Model {
                id: Uuid::now_v7(),
                community_id: row.community_id,
                election_id: row.id,
                resident_id: resident,
                elector_id: None,
                name,
                statement: String::new(),
                by_committee: true,
                nominated_by: ctx.actor.resident_id,
                seconds: 0,
                response: "accepted".into(),
                standing: false,
                version,
                created_at: ctx.now,
                deleted_at: None,
            }
            .into_active_model(),
        )
        .exec(conn)
        .await?;
    }
    Ok(
        Outcome::applied(Some(changes::election(&row)), Some(version)).audited(
            "election.create",
            Some(row.id),
            format!("{} {}", kind.as_str(), row.title),
        ),
    )
}

pub async fn cancel(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &ElectionRef,
) -> Result<Outcome> {
    if let Err(o) = authorize(ctx.actor, Action::RunElections, community(ctx)) {
        return Ok(*o);
    }
    let Some(mut e) = live_election(conn, ctx.actor, a.id).await? else {
        return Ok(no_election());
    };
    match state_of(&e) {
        State::Cancelled => return Ok(Outcome::applied(Some(changes::election(&e)), None)),
        State::Done => {
            return Ok(Outcome::rejected(
                MutationCode::AlreadyCounted,
                "the votes are counted: the result stands",
                Some(changes::election(&e)),
            ));
        }
        _ => {}
    }
    e.state = State::Cancelled.as_str().to_owned();
    record::append(conn, &mut e, "cancelled", &serde_json::json!({})).await?;
    e.version = bump_version(conn, e.community_id).await?;
    election::Entity::update(e.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(
        Outcome::applied(Some(changes::election(&e)), Some(e.version)).audited(
            "election.cancel",
            Some(e.id),
            e.title.clone(),
        ),
    )
}

/// The election `id`, brought up to now, if nominations are still open; else the outcome.
async fn open_for_nominations(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    id: Uuid,
) -> Result<std::result::Result<election::Model, Outcome>> {
    let Some(mut e) = live_election(conn, ctx.actor, id).await? else {
        return Ok(Err(no_election()));
    };
    let moved = bring_up_to(conn, &mut e, ctx.now).await?;
    if state_of(&e) != State::Nominating {
        let mut o = Outcome::rejected(
            MutationCode::NominationsClosed,
            "nominations have closed",
            Some(changes::election(&e)),
        );
        o.version = moved;
        return Ok(Err(o));
    }
    Ok(Ok(e))
}

/// Where the election's unit is, for the permission rule.
async fn target_of(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    e: &election::Model,
) -> Result<Target> {
    let Some(unit) = e.unit_id else {
        return Ok(community(ctx));
    };
    let mut place = Place::default();
    let mut next = Some(unit);
    while let Some(id) = next {
        let Some(u) = live_unit(conn, ctx.actor, id).await? else {
            break;
        };
        match UnitKind::parse(&u.kind) {
            Some(UnitKind::Building) => place.building = Some(u.id),
            Some(UnitKind::Area) => place.area = Some(u.id),
            Some(UnitKind::Compound) => place.compound = Some(u.id),
            _ => {}
        }
        next = u.parent_id;
    }
    Ok(Target::Place {
        community_id: ctx.actor.community_id,
        place,
    })
}

pub async fn nominate(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CandidateNominateArgs,
) -> Result<Outcome> {
    if let Some(existing) = candidate::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(created_already(
            existing.community_id,
            ctx.actor,
            changes::candidate(&existing),
        ));
    }
    let e = match open_for_nominations(conn, ctx, a.election_id).await? {
        Ok(e) => e,
        Err(o) => return Ok(o),
    };
    let by_committee = a.by_committee.unwrap_or(false);
    if by_committee {
        let target = target_of(conn, ctx, &e).await?;
        if let Err(o) = authorize(ctx.actor, Action::NominateForCommittee, target) {
            return Ok(*o);
        }
    } else if roll::voter_residency(conn, &e, ctx.actor.resident_id, ctx.now)
        .await?
        .is_none()
    {
        return Ok(Outcome::rejected(
            MutationCode::NotOnRoll,
            "only voters of this election's unit nominate",
            None,
        ));
    }
    let Some(nominee) = roll::voter_residency(conn, &e, a.resident_id, ctx.now).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotEligible,
            "the nominee cannot vote in this election's unit, so cannot stand",
            None,
        ));
    };
    if let Some(taken) = candidate::Entity::find()
        .filter(candidate::Column::ElectionId.eq(e.id))
        .filter(candidate::Column::ResidentId.eq(a.resident_id))
        .one(conn)
        .await?
    {
        return Ok(Outcome::rejected(
            MutationCode::AlreadyNominated,
            "already nominated in this election",
            Some(changes::candidate(&taken)),
        ));
    }
    let version = bump_version(conn, e.community_id).await?;
    let row = candidate::Model {
        id: a.id,
        community_id: e.community_id,
        election_id: e.id,
        resident_id: a.resident_id,
        elector_id: None,
        name: nominee.name,
        statement: String::new(),
        by_committee,
        nominated_by: ctx.actor.resident_id,
        seconds: 0,
        response: "pending".into(),
        standing: false,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    candidate::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(
        Some(changes::candidate(&row)),
        Some(version),
    ))
}

/// A live candidate of the actor's community.
async fn live_candidate(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    id: Uuid,
) -> Result<Option<candidate::Model>> {
    Ok(candidate::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|c| c.community_id == ctx.actor.community_id && c.deleted_at.is_none()))
}

pub async fn second(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CandidateRef,
) -> Result<Outcome> {
    let Some(mut c) = live_candidate(conn, ctx, a.candidate_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such candidate",
            None,
        ));
    };
    if let Err(o) = open_for_nominations(conn, ctx, c.election_id).await? {
        return Ok(o);
    }
    let me = ctx.actor.resident_id;
    if me == c.resident_id || me == c.nominated_by {
        return Ok(Outcome::invalid(FieldError::new(
            "candidate_id",
            "seconders are voters other than the nominee and the nominator",
        )));
    }
    let Some(e) = live_election(conn, ctx.actor, c.election_id).await? else {
        return Ok(no_election());
    };
    if roll::voter_residency(conn, &e, me, ctx.now)
        .await?
        .is_none()
    {
        return Ok(Outcome::rejected(
            MutationCode::NotOnRoll,
            "only voters of this election's unit second a nomination",
            None,
        ));
    }
    let already = seconding::Entity::find_by_id((c.id, me)).one(conn).await?;
    if already.is_some() {
        return Ok(Outcome::applied(Some(changes::candidate(&c)), None));
    }
    seconding::Entity::insert(
        seconding::Model {
            candidate_id: c.id,
            resident_id: me,
            created_at: ctx.now,
        }
        .into_active_model(),
    )
    .exec(conn)
    .await?;
    let seconds = seconding::Entity::find()
        .filter(seconding::Column::CandidateId.eq(c.id))
        .count(conn)
        .await?;
    c.seconds = i32::try_from(seconds).unwrap_or(i32::MAX);
    c.version = bump_version(conn, c.community_id).await?;
    candidate::Entity::update(c.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(
        Some(changes::candidate(&c)),
        Some(c.version),
    ))
}

pub async fn respond(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CandidateRespondArgs,
) -> Result<Outcome> {
    let Some(mut c) = live_candidate(conn, ctx, a.candidate_id).await? else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such candidate",
            None,
        ));
    };
    if c.resident_id != ctx.actor.resident_id
        && let Err(o) = authorize(ctx.actor, Action::KeepPolls, community(ctx))
    {
        return Ok(*o);
    }
    if let Err(o) = open_for_nominations(conn, ctx, c.election_id).await? {
        return Ok(o);
    }
    let statement = match a.statement.as_deref().map(rules::statement).transpose() {
        Ok(s) => s,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    c.response = if a.accept { "accepted" } else { "declined" }.to_owned();
    if let Some(s) = statement {
        c.statement = s;
    }
    c.version = bump_version(conn, c.community_id).await?;
    candidate::Entity::update(c.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(
        Some(changes::candidate(&c)),
        Some(c.version),
    ))
}
