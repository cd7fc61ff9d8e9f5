//! Meetings: convening one with its agenda and invitees, answers, check-in (quorum is
//! counted from the voting members checked in), closing, and the minutes with their
//! revisions. Applied inside the engine's transaction.
//!
//! Voting members by default are the holders today of the elected positions (the four
//! levels, the vice president, the residents' representatives) over the meeting's unit or
//! any unit inside it; for the community's joint meeting (聯席會議), all of them. The
//! convener adds residents, company liaisons and observers (or more members).

use std::collections::{BTreeMap, HashMap};

use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use super::entity::{meeting, meeting_invitation, minutes_revision, motion, topic};
use super::rules::{self, Answer, Level, Part, Reach};
use super::wire::*;
use super::{Reached, changes, convenes, level_of, name_of, not_found, refused, sees};
use crate::domain::FieldError;
use crate::domain::permissions::Actor;
use crate::domain::territory::PositionKind;
use crate::entity::resident;
use crate::features::territory::entity::{position, unit};
use crate::features::territory::{local_today, rules as territory_rules};
use crate::features::{Ctx, MutationCode, Outcome};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// The id of a resident's invitation to a meeting.
pub fn invitation_id(meeting: Uuid, resident: Uuid) -> Uuid {
    Uuid::new_v5(&meeting, resident.as_bytes())
}

/// The meeting `id` if the actor sees it (its unit's residents and holders, its invitees).
pub(crate) async fn visible_meeting(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<meeting::Model>> {
    let Some(m) = meeting::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|m| m.community_id == actor.community_id && m.deleted_at.is_none())
    else {
        return Ok(None);
    };
    if m.convener_id == actor.resident_id || sees(actor, &m.reach()) {
        return Ok(Some(m));
    }
    let invited = meeting_invitation::Entity::find_by_id(invitation_id(m.id, actor.resident_id))
        .one(conn)
        .await?
        .is_some();
    Ok(invited.then_some(m))
}

/// Whether the actor chairs the meeting: its convener, or an admin.
pub(crate) fn chairs(actor: &Actor, m: &meeting::Model) -> bool {
    m.convener_id == actor.resident_id || actor.is_admin_of(m.community_id)
}

/// The meeting `id` if the actor chairs it; else the outcome (`not_found` when they do not
/// see it, `forbidden` when they see it but do not chair it, saying `only` who may).
pub(crate) async fn chaired_meeting(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    only: &str,
) -> Result<std::result::Result<meeting::Model, Outcome>> {
    let Some(m) = visible_meeting(conn, actor, id).await? else {
        return Ok(Err(not_found("no such meeting")));
    };
    if !chairs(actor, &m) {
        return Ok(Err(refused(MutationCode::Forbidden, only, None)));
    }
    Ok(Ok(m))
}

pub(crate) fn is_open(m: &meeting::Model) -> bool {
    m.state == "scheduled"
}

/// The refusal for a write on a closed (or called off) meeting.
pub(crate) fn closed(m: &meeting::Model) -> Outcome {
    refused(
        MutationCode::MeetingClosed,
        "the meeting is closed",
        Some(changes::meeting(m)),
    )
}

async fn save_meeting(conn: &impl ConnectionTrait, m: &meeting::Model) -> Result<()> {
    meeting::Entity::update(m.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(())
}

async fn save_invitation(conn: &impl ConnectionTrait, i: &meeting_invitation::Model) -> Result<()> {
    meeting_invitation::Entity::update(i.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(())
}

/// The holders today of elected positions over `lvl`'s unit or any unit inside it (all of
/// them for the community), with their names: a meeting's default voting members.
async fn default_members(
    conn: &impl ConnectionTrait,
    community: Uuid,
    lvl: &Level,
    today: chrono::NaiveDate,
) -> Result<BTreeMap<Uuid, String>> {
    let parents: HashMap<Uuid, Option<Uuid>> = unit::Entity::find()
        .filter(unit::Column::CommunityId.eq(community))
        .filter(unit::Column::DeletedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.parent_id))
        .collect();
    let inside = |mut u: Option<Uuid>| -> bool {
        let Some(root) = lvl.unit else { return true };
        while let Some(id) = u {
            if id == root {
                return true;
            }
            u = parents.get(&id).copied().flatten();
        }
        false
    };
    Ok(position::Entity::find()
        .filter(position::Column::CommunityId.eq(community))
        .filter(position::Column::DeletedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .filter(|p| PositionKind::parse(&p.kind).is_some_and(PositionKind::elected))
        .filter(|p| territory_rules::term_covers(p.starts_on, p.ends_on, today))
        .filter(|p| (p.unit_id.is_none() && lvl.unit.is_none()) || inside(p.unit_id))
        .map(|p| (p.resident_id, p.holder_name))
        .collect())
}

pub async fn convene(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MeetingConveneArgs,
) -> Result<Outcome> {
    if let Some(existing) = meeting::Entity::find_by_id(a.id).one(conn).await? {
        return Ok(crate::features::territory::created_already(
            existing.community_id,
            ctx.actor,
            changes::meeting(&existing),
        ));
    }
    let (title, place) = match (rules::title(&a.title), rules::short("place", &a.place)) {
        (Ok(t), Ok(p)) => (t, p),
        (Err(e), _) | (_, Err(e)) => return Ok(Outcome::invalid(e)),
    };
    if a.ends_at <= a.starts_at {
        return Ok(Outcome::invalid(FieldError::new(
            "ends_at",
            "must be after starts_at",
        )));
    }
    let Some((lvl, _)) = level_of(conn, ctx.actor, a.unit_id).await? else {
        return Ok(not_found("no such building, area or compound"));
    };
    if let Err(o) = convenes(conn, ctx, lvl).await? {
        return Ok(*o);
    }
    // The agenda: live topics of the unit or of units inside it.
    let topics = topic::Entity::find()
        .filter(topic::Column::Id.is_in(a.agenda.iter().copied()))
        .filter(topic::Column::CommunityId.eq(ctx.actor.community_id))
        .filter(topic::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    for id in &a.agenda {
        let fits = topics.iter().find(|t| t.id == *id).is_some_and(|t| {
            lvl.unit
                .is_none_or(|u| [t.unit_id, t.area_id, t.compound_id].contains(&Some(u)))
        });
        if !fits {
            return Ok(Outcome::invalid(FieldError::new(
                "agenda",
                format!("topic {id} is not a topic of this unit"),
            )));
        }
    }
    let today = local_today(a.starts_at);
    let mut invitees: BTreeMap<Uuid, (String, Part)> =
        default_members(conn, ctx.actor.community_id, &lvl, today)
            .await?
            .into_iter()
            .map(|(r, name)| (r, (name, Part::Member)))
            .collect();
    let extra: Vec<Uuid> = a.invite.iter().map(|i| i.resident_id).collect();
    let names: HashMap<Uuid, String> = resident::Entity::find()
        .filter(resident::Column::Id.is_in(extra.iter().copied().chain([ctx.actor.resident_id])))
        .filter(resident::Column::CommunityId.eq(ctx.actor.community_id))
        .filter(resident::Column::DeletedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.display_name))
        .collect();
    for i in &a.invite {
        let Some(name) = names.get(&i.resident_id) else {
            return Ok(Outcome::invalid(FieldError::new(
                "invite",
                format!("{} is not a resident of this community", i.resident_id),
            )));
        };
        invitees.insert(i.resident_id, (name.clone(), i.part.into()));
    }
    let convener_name = names
        .get(&ctx.actor.resident_id)
        .cloned()
        .unwrap_or_default();
    invitees
        .entry(ctx.actor.resident_id)
        .or_insert_with(|| (convener_name.clone(), Part::Observer));
    let (_, unit_quorum) = super::topics::rules_for(conn, ctx.actor.community_id, &lvl).await?;
    let quorum = a.quorum.map(rules::Quorum::from).unwrap_or(unit_quorum);
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let reach = Reach::of(ctx.actor.community_id, lvl);
    let members = invitees
        .values()
        .filter(|(_, p)| *p == Part::Member)
        .count();
    let row = meeting::Model {
        id: a.id,
        community_id: ctx.actor.community_id,
        unit_id: lvl.unit,
        area_id: lvl.area,
        compound_id: lvl.compound,
        room_id: reach.room_id,
        bench_id: reach.bench_id,
        area_bench_id: reach.area_bench_id,
        compound_bench_id: reach.compound_bench_id,
        desk_id: reach.desk_id,
        title,
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        place,
        convener_id: ctx.actor.resident_id,
        convener_name,
        quorum: quorum.as_str().to_owned(),
        agenda: serde_json::to_string(&a.agenda).unwrap_or_else(|_| "[]".into()),
        state: "scheduled".into(),
        members: i32::try_from(members).unwrap_or(i32::MAX),
        present: 0,
        minutes: String::new(),
        minutes_rev: 0,
        minutes_approved_rev: 0,
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    meeting::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    let told: Vec<Uuid> = invitees
        .keys()
        .copied()
        .filter(|r| *r != ctx.actor.resident_id)
        .collect();
    tell_invited(conn, &row, &told, ctx).await?;
    let rows: Vec<meeting_invitation::ActiveModel> = invitees
        .into_iter()
        .map(|(resident, (name, part))| {
            invitation(&row, resident, name, part, ctx).into_active_model()
        })
        .collect();
    for chunk in rows.chunks(200) {
        meeting_invitation::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await?;
    }
    Ok(
        Outcome::applied(Some(changes::meeting(&row)), Some(version)).audited(
            "meeting.convene",
            Some(row.id),
            row.title.clone(),
        ),
    )
}

/// Tells residents they are invited to a meeting (at the meeting's version).
async fn tell_invited(
    conn: &impl ConnectionTrait,
    m: &meeting::Model,
    who: &[Uuid],
    ctx: &Ctx<'_>,
) -> Result<()> {
    use crate::features::notifications::{self, rules as notes};
    let (title, body) = notes::meeting_called(&m.title, m.starts_at, &m.place);
    notifications::notify(
        conn,
        m.community_id,
        m.version,
        ctx.now,
        &notifications::Notice {
            kind: notes::Kind::MeetingCalled,
            subject: "meeting",
            subject_id: m.id,
            what: "called".into(),
            title,
            body,
            urgent: false,
            cant_come: None,
        },
        who,
    )
    .await?;
    Ok(())
}

fn invitation(
    m: &meeting::Model,
    resident: Uuid,
    name: String,
    part: Part,
    ctx: &Ctx<'_>,
) -> meeting_invitation::Model {
    meeting_invitation::Model {
        id: invitation_id(m.id, resident),
        community_id: m.community_id,
        meeting_id: m.id,
        resident_id: resident,
        name,
        part: part.as_str().to_owned(),
        answer: Answer::Pending.as_str().to_owned(),
        checked_in_at: None,
        checked_in_by: None,
        title: m.title.clone(),
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        place: m.place.clone(),
        state: m.state.clone(),
        room_id: m.room_id,
        bench_id: m.bench_id,
        area_bench_id: m.area_bench_id,
        compound_bench_id: m.compound_bench_id,
        desk_id: m.desk_id,
        version: m.version,
        created_at: ctx.now,
        deleted_at: None,
    }
}

pub async fn invite(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MeetingInviteArgs,
) -> Result<Outcome> {
    let mut m = match chaired_meeting(
        conn,
        ctx.actor,
        a.meeting_id,
        "only the meeting's convener invites",
    )
    .await?
    {
        Ok(m) => m,
        Err(o) => return Ok(o),
    };
    if !is_open(&m) {
        return Ok(closed(&m));
    }
    let Some(who) = resident::Entity::find_by_id(a.resident_id)
        .one(conn)
        .await?
        .filter(|r| r.community_id == m.community_id && r.deleted_at.is_none())
    else {
        return Ok(not_found("no such resident"));
    };
    let part = Part::from(a.part);
    let id = invitation_id(m.id, who.id);
    let version = bump_version(conn, m.community_id).await?;
    let old = meeting_invitation::Entity::find_by_id(id).one(conn).await?;
    let was_member = old.as_ref().is_some_and(|i| i.part == "member");
    let present = old.as_ref().is_some_and(|i| i.checked_in_at.is_some());
    m.version = version;
    if old.is_none() {
        tell_invited(conn, &m, &[who.id], ctx).await?;
    }
    let mut row = old.unwrap_or_else(|| invitation(&m, who.id, who.display_name, part, ctx));
    row.part = part.as_str().to_owned();
    row.version = version;
    meeting_invitation::Entity::delete_by_id(id)
        .exec(conn)
        .await?;
    meeting_invitation::Entity::insert(row.clone().into_active_model())
        .exec(conn)
        .await?;
    let now_member = part == Part::Member;
    if was_member != now_member {
        let d = if now_member { 1 } else { -1 };
        m.members += d;
        if present {
            m.present += d;
        }
    }
    save_meeting(conn, &m).await?;
    Ok(Outcome::applied(
        Some(changes::invitation(&row)),
        Some(version),
    ))
}

/// The actor's invitation to `m`.
async fn own_invitation(
    conn: &impl ConnectionTrait,
    m: &meeting::Model,
    resident: Uuid,
) -> Result<Option<meeting_invitation::Model>> {
    meeting_invitation::Entity::find_by_id(invitation_id(m.id, resident))
        .one(conn)
        .await
}

pub async fn answer(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MeetingAnswerArgs,
) -> Result<Outcome> {
    let Some(m) = visible_meeting(conn, ctx.actor, a.meeting_id).await? else {
        return Ok(not_found("no such meeting"));
    };
    let Some(mut i) = own_invitation(conn, &m, ctx.actor.resident_id).await? else {
        return Ok(refused(
            MutationCode::NotInvited,
            "you are not invited to this meeting",
            None,
        ));
    };
    if !is_open(&m) {
        return Ok(closed(&m));
    }
    let answer = if a.attending {
        Answer::Attending
    } else {
        Answer::NotAttending
    };
    if i.answer == answer.as_str() {
        return Ok(Outcome::applied(Some(changes::invitation(&i)), None));
    }
    i.answer = answer.as_str().to_owned();
    i.version = bump_version(conn, m.community_id).await?;
    save_invitation(conn, &i).await?;
    Ok(Outcome::applied(
        Some(changes::invitation(&i)),
        Some(i.version),
    ))
}

pub async fn check_in(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MeetingCheckInArgs,
) -> Result<Outcome> {
    let Some(mut m) = visible_meeting(conn, ctx.actor, a.meeting_id).await? else {
        return Ok(not_found("no such meeting"));
    };
    let who = a.resident_id.unwrap_or(ctx.actor.resident_id);
    if who != ctx.actor.resident_id && !chairs(ctx.actor, &m) {
        return Ok(refused(
            MutationCode::Forbidden,
            "only the convener checks others in",
            None,
        ));
    }
    let Some(mut i) = own_invitation(conn, &m, who).await? else {
        return Ok(refused(
            MutationCode::NotInvited,
            "not invited to this meeting",
            None,
        ));
    };
    if !is_open(&m) {
        return Ok(closed(&m));
    }
    if i.checked_in_at.is_some() {
        return Ok(Outcome::applied(Some(changes::invitation(&i)), None));
    }
    let version = bump_version(conn, m.community_id).await?;
    i.checked_in_at = Some(ctx.now);
    i.checked_in_by = Some(ctx.actor.resident_id);
    i.answer = Answer::Attending.as_str().to_owned();
    i.version = version;
    save_invitation(conn, &i).await?;
    if i.part == Part::Member.as_str() {
        m.present += 1;
        m.version = version;
        save_meeting(conn, &m).await?;
    }
    Ok(Outcome::applied(Some(changes::meeting(&m)), Some(version)))
}

pub async fn close(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MeetingCloseArgs,
) -> Result<Outcome> {
    let mut m = match chaired_meeting(
        conn,
        ctx.actor,
        a.meeting_id,
        "only the meeting's convener closes it",
    )
    .await?
    {
        Ok(m) => m,
        Err(o) => return Ok(o),
    };
    if !is_open(&m) {
        return Ok(Outcome::applied(Some(changes::meeting(&m)), None));
    }
    let version = bump_version(conn, m.community_id).await?;
    let open = motion::Entity::find()
        .filter(motion::Column::MeetingId.eq(m.id))
        .filter(motion::Column::State.eq("open"))
        .filter(motion::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    for mo in open {
        super::motions::close_motion(conn, ctx, &m, mo, version).await?;
    }
    m.state = if a.cancelled == Some(true) {
        "cancelled"
    } else {
        "closed"
    }
    .into();
    m.version = version;
    save_meeting(conn, &m).await?;
    // The invitations carry the meeting's state to invitees from outside the unit.
    let invitations = meeting_invitation::Entity::find()
        .filter(meeting_invitation::Column::MeetingId.eq(m.id))
        .all(conn)
        .await?;
    for mut i in invitations {
        i.state = m.state.clone();
        i.version = version;
        save_invitation(conn, &i).await?;
    }
    Ok(Outcome::applied(Some(changes::meeting(&m)), Some(version)))
}

pub async fn write_minutes(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MinutesWriteArgs,
) -> Result<Outcome> {
    let text = match rules::minutes(&a.text) {
        Ok(t) => t,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let mut m = match chaired_meeting(
        conn,
        ctx.actor,
        a.meeting_id,
        "only the meeting's convener writes its minutes",
    )
    .await?
    {
        Ok(m) => m,
        Err(o) => return Ok(o),
    };
    if m.state == "cancelled" {
        return Ok(closed(&m));
    }
    if m.minutes == text {
        return Ok(Outcome::applied(Some(changes::meeting(&m)), None));
    }
    m.minutes_rev += 1;
    m.minutes = text.clone();
    m.version = bump_version(conn, m.community_id).await?;
    minutes_revision::Entity::insert(
        minutes_revision::Model {
            id: Uuid::now_v7(),
            meeting_id: m.id,
            rev: m.minutes_rev,
            text,
            by_id: ctx.actor.resident_id,
            by_name: name_of(conn, ctx.actor).await?,
            at: ctx.now,
        }
        .into_active_model(),
    )
    .exec(conn)
    .await?;
    save_meeting(conn, &m).await?;
    Ok(Outcome::applied(
        Some(changes::meeting(&m)),
        Some(m.version),
    ))
}

pub async fn approve_minutes(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MinutesApproveArgs,
) -> Result<Outcome> {
    let mut m = match chaired_meeting(
        conn,
        ctx.actor,
        a.meeting_id,
        "only the chair approves the minutes",
    )
    .await?
    {
        Ok(m) => m,
        Err(o) => return Ok(o),
    };
    if i64::from(a.revision) != i64::from(m.minutes_rev) || m.minutes_rev == 0 {
        return Ok(refused(
            MutationCode::MinutesChanged,
            format!(
                "the minutes are at revision {}: read them again before approving",
                m.minutes_rev
            ),
            Some(changes::meeting(&m)),
        ));
    }
    if m.minutes_approved_rev == m.minutes_rev {
        return Ok(Outcome::applied(Some(changes::meeting(&m)), None));
    }
    m.minutes_approved_rev = m.minutes_rev;
    m.version = bump_version(conn, m.community_id).await?;
    save_meeting(conn, &m).await?;
    Ok(Outcome::applied(
        Some(changes::meeting(&m)),
        Some(m.version),
    ))
}

/// The meetings the resident is invited to, for their calendar feed: each invitation not
/// declined, as a `VEVENT` (a called-off meeting stays, `CANCELLED`, so calendar apps drop
/// it rather than keep a stale one).
pub async fn calendar_events(
    conn: &impl ConnectionTrait,
    resident: Uuid,
) -> Result<Vec<icalendar::Event>> {
    use icalendar::{Component, EventLike, EventStatus};
    Ok(meeting_invitation::Entity::find()
        .filter(meeting_invitation::Column::ResidentId.eq(resident))
        .filter(meeting_invitation::Column::DeletedAt.is_null())
        .filter(meeting_invitation::Column::Answer.ne(Answer::NotAttending.as_str()))
        .all(conn)
        .await?
        .into_iter()
        .map(|i| {
            let mut e = icalendar::Event::new();
            e.uid(&format!("meeting-{}@linli", i.meeting_id))
                .timestamp(i.created_at)
                .summary(&i.title)
                .starts(i.starts_at)
                .ends(i.ends_at)
                .location(&i.place);
            if i.state == "cancelled" {
                e.status(EventStatus::Cancelled);
            }
            e.done()
        })
        .collect())
}
