//! Motions and their open, recorded votes; closing a vote into a decision. Applied inside
//! the engine's transaction.
//!
//! A vote counts if the server receives it while the motion is open: the community's write
//! lock orders it before or after the chair's close, and [`rules::replay`] is the model of
//! the outcome (the model test replays the server's arrival order through it). Votes are
//! recorded by name on the motion row (representatives vote in the open), so one row
//! carries the whole count to every phone.

use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use super::entity::{decision, meeting, meeting_invitation, motion, topic};
use super::meetings::{chairs, closed, invitation_id, is_open, visible_meeting};
use super::rules::{self, Choice, DecisionState, DocumentKind, Part, Rule, TopicState};
use super::wire::*;
use super::{changes, not_found, refused};
use crate::domain::FieldError;
use crate::features::territory::local_today;
use crate::features::{Ctx, MutationCode, Outcome};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// A motion's recorded votes by member.
pub fn votes_of(m: &motion::Model) -> BTreeMap<Uuid, VoteData> {
    serde_json::from_str(&m.votes).unwrap_or_default()
}

fn choices(votes: &BTreeMap<Uuid, VoteData>) -> BTreeMap<Uuid, Choice> {
    votes
        .iter()
        .map(|(k, v)| (*k, Choice::from(v.choice)))
        .collect()
}

/// The id of the decision a passed motion makes.
pub fn decision_id(motion: Uuid) -> Uuid {
    Uuid::new_v5(&motion, b"linli-deliberation/decision")
}

async fn save(conn: &impl ConnectionTrait, m: &motion::Model) -> Result<()> {
    motion::Entity::update(m.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(())
}

/// The motion `id` and its meeting, if the actor sees them.
async fn visible_motion(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    id: Uuid,
) -> Result<Option<(motion::Model, meeting::Model)>> {
    let Some(mo) = motion::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|m| m.community_id == ctx.actor.community_id && m.deleted_at.is_none())
    else {
        return Ok(None);
    };
    Ok(visible_meeting(conn, ctx.actor, mo.meeting_id)
        .await?
        .map(|me| (mo, me)))
}

/// A decision in force of the actor's community.
async fn in_force(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    id: Uuid,
) -> Result<std::result::Result<decision::Model, Outcome>> {
    let Some(d) = decision::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|d| d.community_id == ctx.actor.community_id && d.deleted_at.is_none())
    else {
        return Ok(Err(not_found("no such decision")));
    };
    if d.state != DecisionState::InForce.as_str() {
        return Ok(Err(refused(
            MutationCode::NotInForce,
            "that decision was amended or repealed already",
            Some(changes::decision(&d)),
        )));
    }
    Ok(Ok(d))
}

pub async fn propose(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MotionProposeArgs,
) -> Result<Outcome> {
    if let Some(existing) = motion::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(crate::features::territory::created_already(
            existing.community_id,
            ctx.actor,
            changes::motion(&existing),
        ));
    }
    let (title, text) = match (rules::title(&a.title), rules::text(&a.text)) {
        (Ok(t), Ok(x)) => (t, x),
        (Err(e), _) | (_, Err(e)) => return Ok(Outcome::invalid(e)),
    };
    let Some(m) = visible_meeting(conn, ctx.actor, a.meeting_id).await? else {
        return Ok(not_found("no such meeting"));
    };
    if !is_open(&m) {
        return Ok(closed(&m));
    }
    if !chairs(ctx.actor, &m) {
        let me = meeting_invitation::Entity::find_by_id(invitation_id(m.id, ctx.actor.resident_id))
            .one(conn)
            .await?;
        match me {
            Some(i) if i.part == Part::Member.as_str() && i.checked_in_at.is_some() => {}
            Some(i) if i.part == Part::Member.as_str() => {
                return Ok(refused(
                    MutationCode::NotCheckedIn,
                    "check in at the meeting first",
                    None,
                ));
            }
            _ => {
                return Ok(refused(
                    MutationCode::NotVotingMember,
                    "only the chair and the voting members put motions",
                    None,
                ));
            }
        }
    }
    let agenda: Vec<Uuid> = serde_json::from_str(&m.agenda).unwrap_or_default();
    if a.topic_id.is_some_and(|t| !agenda.contains(&t)) {
        return Ok(Outcome::invalid(FieldError::new(
            "topic_id",
            "not on this meeting's agenda",
        )));
    }
    if a.amends.is_some() && a.repeals.is_some() {
        return Ok(Outcome::invalid(FieldError::new(
            "repeals",
            "a motion amends or repeals, not both",
        )));
    }
    for target in [a.amends, a.repeals].into_iter().flatten() {
        if let Err(o) = in_force(conn, ctx, target).await? {
            return Ok(o);
        }
    }
    let rule = match (a.document, a.rule) {
        (Some(_), Some(RuleWire::Majority)) => {
            return Ok(Outcome::invalid(FieldError::new(
                "rule",
                "the charter and the meeting rules change only by two thirds",
            )));
        }
        (Some(_), _) => Rule::TwoThirds,
        (None, r) => r.map(Rule::from).unwrap_or(Rule::Majority),
    };
    let version = bump_version(conn, m.community_id).await?;
    let row = motion::Model {
        id: a.id,
        community_id: m.community_id,
        meeting_id: m.id,
        topic_id: a.topic_id,
        title,
        text,
        rule: rule.as_str().to_owned(),
        amends: a.amends,
        repeals: a.repeals,
        document_kind: a
            .document
            .map(|d| DocumentKind::from(d).as_str().to_owned()),
        effective_on: a.effective_on,
        review_on: a.review_on,
        proposed_by: ctx.actor.resident_id,
        state: "open".into(),
        votes: "{}".into(),
        agree: 0,
        against: 0,
        abstain: 0,
        absent: m.members,
        present: m.present,
        passed: false,
        decision_id: None,
        room_id: m.room_id,
        bench_id: m.bench_id,
        area_bench_id: m.area_bench_id,
        compound_bench_id: m.compound_bench_id,
        desk_id: m.desk_id,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    motion::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    Ok(Outcome::applied(Some(changes::motion(&row)), Some(version)))
}

pub async fn edit(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MotionEditArgs,
) -> Result<Outcome> {
    let text = match rules::text(&a.text) {
        Ok(t) => t,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let Some((mut mo, m)) = visible_motion(conn, ctx, a.motion_id).await? else {
        return Ok(not_found("no such motion"));
    };
    if !chairs(ctx.actor, &m) {
        return Ok(refused(
            MutationCode::Forbidden,
            "only the chair changes a motion's text",
            None,
        ));
    }
    if mo.state != "open" {
        return Ok(refused(
            MutationCode::DecisionFinal,
            "the vote is closed: a decision changes only by a later decision that amends it",
            Some(changes::motion(&mo)),
        ));
    }
    if !votes_of(&mo).is_empty() {
        return Ok(refused(
            MutationCode::VotingStarted,
            "members have voted on this text: put a new motion instead",
            Some(changes::motion(&mo)),
        ));
    }
    mo.text = text;
    mo.version = bump_version(conn, mo.community_id).await?;
    save(conn, &mo).await?;
    Ok(Outcome::applied(
        Some(changes::motion(&mo)),
        Some(mo.version),
    ))
}

/// Why a member may not vote on `mo` now, if they may not: the motion closed, not a voting
/// member, not checked in, no quorum.
async fn may_vote(
    conn: &impl ConnectionTrait,
    mo: &motion::Model,
    m: &meeting::Model,
    member: Uuid,
) -> Result<std::result::Result<String, Outcome>> {
    if mo.state != "open" || !is_open(m) {
        return Ok(Err(refused(
            MutationCode::MotionClosed,
            "the vote on this motion is closed",
            Some(changes::motion(mo)),
        )));
    }
    let Some(i) = meeting_invitation::Entity::find_by_id(invitation_id(m.id, member))
        .one(conn)
        .await?
        .filter(|i| i.part == Part::Member.as_str())
    else {
        return Ok(Err(refused(
            MutationCode::NotVotingMember,
            "not a voting member of this meeting",
            Some(changes::motion(mo)),
        )));
    };
    if i.checked_in_at.is_none() {
        return Ok(Err(refused(
            MutationCode::NotCheckedIn,
            "check in at the meeting before voting",
            Some(changes::motion(mo)),
        )));
    }
    Ok(Ok(i.name))
}

/// The refusal when the meeting is not quorate, stating the count.
fn quorum_refusal(mo: &motion::Model, m: &meeting::Model) -> Option<Outcome> {
    let quorum = rules::Quorum::parse(&m.quorum).unwrap_or(rules::Quorum::Half);
    let (present, members) = (
        u32::try_from(m.present).unwrap_or(0),
        u32::try_from(m.members).unwrap_or(0),
    );
    (!rules::quorate(quorum, present, members)).then(|| {
        refused(
            MutationCode::NoQuorum,
            format!(
                "no quorum: {present} of {members} voting members present, {} needed",
                rules::quorum_of(quorum, members)
            ),
            Some(changes::motion(mo)),
        )
    })
}

fn record(mo: &mut motion::Model, votes: &BTreeMap<Uuid, VoteData>, m: &meeting::Model) {
    let counts = rules::count(&choices(votes), u32::try_from(m.members).unwrap_or(0));
    mo.votes = serde_json::to_string(votes).unwrap_or_else(|_| "{}".into());
    mo.agree = i32::try_from(counts.agree).unwrap_or(0);
    mo.against = i32::try_from(counts.against).unwrap_or(0);
    mo.abstain = i32::try_from(counts.abstain).unwrap_or(0);
    mo.absent = i32::try_from(counts.absent).unwrap_or(0);
    mo.present = m.present;
}

pub async fn vote(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MotionVoteArgs,
) -> Result<Outcome> {
    let Some((mut mo, m)) = visible_motion(conn, ctx, a.motion_id).await? else {
        return Ok(not_found("no such motion"));
    };
    let name = match may_vote(conn, &mo, &m, ctx.actor.resident_id).await? {
        Ok(n) => n,
        Err(o) => return Ok(o),
    };
    let mut votes = votes_of(&mo);
    if votes.contains_key(&ctx.actor.resident_id) {
        return Ok(refused(
            MutationCode::AlreadyVoted,
            "you have voted on this motion; the first vote stands",
            Some(changes::motion(&mo)),
        ));
    }
    if let Some(o) = quorum_refusal(&mo, &m) {
        return Ok(o);
    }
    votes.insert(
        ctx.actor.resident_id,
        VoteData {
            resident_id: ctx.actor.resident_id,
            name,
            choice: a.choice,
            by_hand: false,
        },
    );
    record(&mut mo, &votes, &m);
    mo.version = bump_version(conn, mo.community_id).await?;
    save(conn, &mo).await?;
    Ok(Outcome::applied(
        Some(changes::motion(&mo)),
        Some(mo.version),
    ))
}

pub async fn hands(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MotionHandsArgs,
) -> Result<Outcome> {
    let Some((mut mo, m)) = visible_motion(conn, ctx, a.motion_id).await? else {
        return Ok(not_found("no such motion"));
    };
    if !chairs(ctx.actor, &m) {
        return Ok(refused(
            MutationCode::Forbidden,
            "only the chair records a show of hands",
            None,
        ));
    }
    let mut votes = votes_of(&mo);
    let mut named = Vec::new();
    for h in &a.votes {
        match may_vote(conn, &mo, &m, h.resident_id).await? {
            Ok(name) => named.push((h, name)),
            Err(o) if o.code == Some(MutationCode::MotionClosed) => return Ok(o),
            Err(o) => {
                return Ok(Outcome::invalid(FieldError::new(
                    "votes",
                    format!("{}: {}", h.resident_id, o.message.unwrap_or_default()),
                )));
            }
        }
    }
    if let Some(o) = quorum_refusal(&mo, &m) {
        return Ok(o);
    }
    let mut kept = 0;
    for (h, name) in named {
        if votes.contains_key(&h.resident_id) {
            kept += 1;
            continue;
        }
        votes.insert(
            h.resident_id,
            VoteData {
                resident_id: h.resident_id,
                name,
                choice: h.choice,
                by_hand: true,
            },
        );
    }
    record(&mut mo, &votes, &m);
    mo.version = bump_version(conn, mo.community_id).await?;
    save(conn, &mo).await?;
    let mut o = Outcome::applied(Some(changes::motion(&mo)), Some(mo.version));
    if kept > 0 {
        o.message = Some(format!(
            "{kept} member(s) had voted on their phones: their first votes stand"
        ));
    }
    Ok(o)
}

pub async fn close(conn: &impl ConnectionTrait, ctx: &Ctx<'_>, a: &MotionRef) -> Result<Outcome> {
    let Some((mo, m)) = visible_motion(conn, ctx, a.motion_id).await? else {
        return Ok(not_found("no such motion"));
    };
    if !chairs(ctx.actor, &m) {
        return Ok(refused(
            MutationCode::Forbidden,
            "only the chair closes the vote",
            None,
        ));
    }
    if mo.state != "open" {
        return Ok(Outcome::applied(Some(changes::motion(&mo)), None));
    }
    let version = bump_version(conn, mo.community_id).await?;
    let mo = close_motion(conn, ctx, &m, mo, version).await?;
    Ok(Outcome::applied(Some(changes::motion(&mo)), Some(version)))
}

/// Closes the vote on `mo` at `version`: counts it against the voting members present, and
/// if it passed, enters its decision in the register (amending or repealing the decision it
/// names, superseding the document's version in force) and marks its topic decided.
pub(crate) async fn close_motion(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    m: &meeting::Model,
    mut mo: motion::Model,
    version: i64,
) -> Result<motion::Model> {
    let votes = choices(&votes_of(&mo));
    let counts = rules::count(&votes, u32::try_from(m.members).unwrap_or(0));
    let present = u32::try_from(m.present).unwrap_or(0);
    let rule = Rule::parse(&mo.rule).unwrap_or(Rule::Majority);
    let quorum = rules::Quorum::parse(&m.quorum).unwrap_or(rules::Quorum::Half);
    let members = u32::try_from(m.members).unwrap_or(0);
    mo.state = "closed".into();
    mo.absent = i32::try_from(counts.absent).unwrap_or(0);
    mo.present = m.present;
    mo.passed =
        rules::quorate(quorum, present, members) && rules::passes(rule, counts.agree, present);
    mo.version = version;
    if mo.passed {
        let id = decision_id(mo.id);
        let kind = mo.document_kind.clone();
        let document_version = match &kind {
            Some(k) => {
                let earlier = decision::Entity::find()
                    .filter(decision::Column::CommunityId.eq(m.community_id))
                    .filter(decision::Column::DocumentKind.eq(k.as_str()))
                    .count(conn)
                    .await?;
                Some(i32::try_from(earlier + 1).unwrap_or(i32::MAX))
            }
            None => None,
        };
        // What this decision supersedes: the decision it amends or repeals, and the
        // document's version in force.
        let mut superseded: Vec<(Uuid, DecisionState)> = Vec::new();
        if let Some(x) = mo.amends {
            superseded.push((x, DecisionState::Amended));
        }
        if let Some(x) = mo.repeals {
            superseded.push((x, DecisionState::Repealed));
        }
        if let Some(k) = &kind {
            let current = decision::Entity::find()
                .filter(decision::Column::CommunityId.eq(m.community_id))
                .filter(decision::Column::DocumentKind.eq(k.as_str()))
                .filter(decision::Column::State.eq(DecisionState::InForce.as_str()))
                .all(conn)
                .await?;
            superseded.extend(current.into_iter().map(|d| (d.id, DecisionState::Amended)));
        }
        for (old, state) in superseded {
            if let Some(mut d) = decision::Entity::find_by_id(old)
                .one(conn)
                .await?
                .filter(|d| d.state == DecisionState::InForce.as_str())
            {
                d.state = state.as_str().to_owned();
                d.superseded_by = Some(id);
                d.version = version;
                decision::Entity::update(d.into_active_model().reset_all())
                    .exec(conn)
                    .await?;
            }
        }
        let row = decision::Model {
            id,
            community_id: m.community_id,
            unit_id: m.unit_id,
            area_id: m.area_id,
            compound_id: m.compound_id,
            room_id: m.room_id,
            bench_id: m.bench_id,
            area_bench_id: m.area_bench_id,
            compound_bench_id: m.compound_bench_id,
            desk_id: m.desk_id,
            meeting_id: m.id,
            motion_id: mo.id,
            topic_id: mo.topic_id,
            convener_id: m.convener_id,
            title: mo.title.clone(),
            text: mo.text.clone(),
            agree: mo.agree,
            against: mo.against,
            abstain: mo.abstain,
            absent: mo.absent,
            effective_on: mo.effective_on.unwrap_or_else(|| local_today(m.starts_at)),
            review_on: mo.review_on,
            state: DecisionState::InForce.as_str().to_owned(),
            amends: mo.amends,
            repeals: mo.repeals,
            superseded_by: None,
            document_kind: kind,
            document_version,
            done: false,
            report: None,
            reported_at: None,
            satisfied: 0,
            partly: 0,
            not_satisfied: 0,
            version,
            created_at: ctx.now,
            deleted_at: None,
        };
        decision::Entity::insert(row.into_active_model())
            .exec(conn)
            .await?;
        mo.decision_id = Some(id);
        if let Some(t) = mo.topic_id
            && let Some(mut t) = topic::Entity::find_by_id(t).one(conn).await?
        {
            t.state = TopicState::Decided.as_str().to_owned();
            t.decision_id = Some(id);
            let mut history: Vec<TopicStep> = serde_json::from_str(&t.history).unwrap_or_default();
            history.push(TopicStep {
                step: "decided".into(),
                unit_id: t.unit_id,
                by: Some(ctx.actor.resident_id),
                at: ctx.now,
            });
            t.history = serde_json::to_string(&history).unwrap_or_else(|_| "[]".into());
            t.version = version;
            topic::Entity::update(t.into_active_model().reset_all())
                .exec(conn)
                .await?;
        }
    }
    save(conn, &mo).await?;
    Ok(mo)
}
