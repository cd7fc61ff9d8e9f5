//! The closed loop's mutations. Each loads the case, asks [`rules::next`] whether the actor
//! may take the step from where the case stands, and saves the case with the step on its
//! timeline ([`save`]), which also carries the step to the cases merged into it, so their
//! reporters follow it.

use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, Set,
};
use uuid::Uuid;

use crate::features::notifications::{self, rules as notes};

use super::departments::{resident_name, tiers_of};
use super::entity::{case_file, department};
use super::rules::{self, Category, Refusal, Source, State, Step, Tier, Where, Who};
use super::sees;
use super::wire::*;
use crate::domain::permissions::{self, Action, Actor, PositionKind, Role, Scope, Target, Verdict};
use crate::domain::territory::Place;
use crate::features::attachments::{self, OwnerKind};
use crate::features::deliberation::{level_of, name_of};
use crate::features::grid;
use crate::features::schedule::entity::volunteer_group;
use crate::features::territory::{authorize, place_of_building};
use crate::features::{Change, Ctx, MutationCode, Outcome};
use crate::sync::wire::ChangeOp;
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

fn refused(code: MutationCode, why: impl Into<String>, c: Option<&case_file::Model>) -> Outcome {
    Outcome::rejected(code, why.into(), c.map(change))
}

fn not_found() -> Outcome {
    Outcome::rejected(MutationCode::NotFound, "no such case", None)
}

/// The outcome for a step the rules refuse.
fn refusal(r: Refusal, c: &case_file::Model) -> Outcome {
    match r {
        Refusal::Merged => refused(
            MutationCode::CaseMerged,
            "this case was merged into another: follow that one",
            Some(c),
        ),
        Refusal::Closed => refused(
            MutationCode::CaseClosed,
            format!("this case is {}: it is final", c.state),
            Some(c),
        ),
        Refusal::NotYours => refused(
            MutationCode::Forbidden,
            "this step is not yours to take on this case",
            Some(c),
        ),
        Refusal::NotNow => refused(
            MutationCode::CaseState,
            format!("the case is {}: this step is not possible now", c.state),
            Some(c),
        ),
    }
}

/// A case the actor sees, for a mutation.
async fn load(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<std::result::Result<case_file::Model, Outcome>> {
    Ok(case_file::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|c| sees(actor, c))
        .ok_or_else(not_found))
}

/// Where a case is, for the permission rule: its place; a dispute, or a case with no
/// place, is the community's (the president's).
fn target_of(c: &case_file::Model) -> Target {
    let place = Place {
        household: None,
        building: c.building_id,
        area: c.area_id,
        compound: c.compound_id,
        cell: c.cell_id,
    };
    if c.category == Category::Dispute.as_str() || place == Place::default() {
        Target::Community { id: c.community_id }
    } else {
        Target::Place {
            community_id: c.community_id,
            place,
        }
    }
}

/// Who the actor is to the case.
pub async fn who(conn: &impl ConnectionTrait, actor: &Actor, c: &case_file::Model) -> Result<Who> {
    let assignee = match (
        c.assignee_kind.as_deref().and_then(AssigneeKind::parse),
        c.assignee_id,
    ) {
        (Some(AssigneeKind::Resident), Some(id)) => id == actor.resident_id,
        (Some(AssigneeKind::Group), Some(g)) => actor.holds(Role::Leader, Scope::Group(g)),
        (Some(AssigneeKind::Department), Some(d)) => department::Entity::find_by_id(d)
            .one(conn)
            .await?
            .is_some_and(|d| d.liaison_id == actor.resident_id),
        _ => false,
    };
    Ok(Who {
        reporter: c.reporter_id == actor.resident_id,
        handler: permissions::decide(actor, Action::HandleCases, target_of(c)) == Verdict::Allowed,
        assignee,
    })
}

/// Saves the case with `step` on its timeline at a new version, and carries the step to
/// the cases merged into it.
pub(crate) async fn save(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    mut c: case_file::Model,
    step: &str,
    text: Option<String>,
) -> Result<Outcome> {
    let version = bump_version(conn, c.community_id).await?;
    let by = name_of(conn, ctx.actor).await?;
    let s = TimelineStep {
        at: ctx.now,
        step: step.to_owned(),
        by,
        text,
        state: State::parse(&c.state).unwrap_or(State::Reported),
    };
    c = append(c, &s, version);
    let c = c.into_active_model().reset_all().update(conn).await?;
    carry(conn, &c, &s, version).await?;
    // The reporter hears of each step someone else took (not of handlers' own notes).
    if let Some(words) = notes::case_news(step)
        && c.reporter_id != ctx.actor.resident_id
    {
        notifications::notify(
            conn,
            c.community_id,
            version,
            ctx.now,
            &notifications::Notice {
                kind: notes::Kind::CaseStatus,
                subject: "case",
                subject_id: c.id,
                what: format!("{step}-{version}"),
                title: "您反映的事項有新進展".into(),
                body: words.into(),
                urgent: false,
                cant_come: None,
            },
            &[c.reporter_id],
        )
        .await?;
    }
    Ok(Outcome::applied(Some(change(&c)), Some(version)))
}

fn append(mut c: case_file::Model, s: &TimelineStep, version: i64) -> case_file::Model {
    let mut timeline: Vec<TimelineStep> = serde_json::from_str(&c.timeline).unwrap_or_default();
    timeline.push(s.clone());
    c.timeline = serde_json::to_string(&timeline).unwrap_or_else(|_| "[]".into());
    c.version = version;
    c
}

/// The survivor's step, on each case merged into it.
pub(crate) async fn carry(
    conn: &impl ConnectionTrait,
    survivor: &case_file::Model,
    s: &TimelineStep,
    version: i64,
) -> Result<()> {
    let followers = case_file::Entity::find()
        .filter(case_file::Column::MergedInto.eq(survivor.id))
        .all(conn)
        .await?;
    for f in followers {
        let mut f = append(f, s, version);
        f.survivor_state = Some(survivor.state.clone());
        f.into_active_model().reset_all().update(conn).await?;
    }
    Ok(())
}

/// `case.report`.
pub async fn report(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CaseReportArgs,
) -> Result<Outcome> {
    let community = ctx.actor.community_id;
    if let Some(c) = case_file::Entity::find_by_id(a.id).one(conn).await? {
        let mine = c.community_id == community
            && (c.reporter_id == ctx.actor.resident_id
                || c.intake_by == Some(ctx.actor.resident_id));
        return Ok(if mine {
            Outcome::applied(Some(change(&c)), None)
        } else {
            refused(
                MutationCode::Conflict,
                "this id is taken: make a new one",
                None,
            )
        });
    }
    // Who reports it, and who took it.
    let me = ctx.actor.resident_id;
    let (reporter, intake) = match a.on_behalf_of.filter(|r| *r != me) {
        None => (me, None),
        Some(r) => {
            if let Err(o) = authorize(
                ctx.actor,
                Action::TakeIntake,
                Target::Community { id: community },
            ) {
                return Ok(*o);
            }
            (r, Some(me))
        }
    };
    let Some(reporter_name) = resident_name(conn, community, reporter).await? else {
        return Ok(refused(
            MutationCode::OwnerOutsideCommunity,
            "the resident reported for must be a resident of this community",
            None,
        ));
    };
    // Where, from the log entry it follows up, or the unit named.
    let mut place = Place::default();
    let mut source = match intake {
        Some(_)
            if ctx
                .actor
                .grants
                .iter()
                .any(|g| g.role == Role::Holds(PositionKind::HelpTeam)) =>
        {
            Source::HelpTeam
        }
        _ => Source::App,
    };
    let mut description = a.description.as_deref().unwrap_or("").trim().to_owned();
    let mut text_place = a.place.as_deref().unwrap_or("").trim().to_owned();
    let mut entry = None;
    if let Some(e) = a.log_entry_id {
        let Some(e) = grid::entity::Entity::find_by_id(e)
            .one(conn)
            .await?
            .filter(|e| e.community_id == community && e.deleted_at.is_none())
            .filter(|e| e.worker_id == me)
        else {
            return Ok(refused(
                MutationCode::NotFound,
                "no such log entry of yours",
                None,
            ));
        };
        if let Some(existing) = e.case_id {
            return Ok(Outcome::rejected(
                MutationCode::CaseOpened,
                format!("case {existing} was opened from this entry already"),
                Some(grid::logs::change(&e)),
            ));
        }
        if e.status != grid::rules::Status::FollowUp.as_str() {
            return Ok(Outcome::invalid(crate::domain::FieldError::new(
                "log_entry_id",
                "the entry was closed on the spot: mark it for follow-up first",
            )));
        }
        place = match e.building_id {
            Some(b) => place_of_building(conn, ctx.actor, b)
                .await?
                .map(|(_, p)| p)
                .unwrap_or_default(),
            None => Place::default(),
        };
        place.cell = Some(e.cell_id);
        place.household = None;
        if text_place.is_empty() {
            text_place = [e.staircase.as_str(), e.place.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
        }
        if description.is_empty() {
            description = e.found.clone();
        }
        source = Source::GridLog;
        entry = Some(e);
    } else if let Some(unit) = a.unit_id {
        let Some((_, Target::Place { place: p, .. })) =
            level_of(conn, ctx.actor, Some(unit)).await?
        else {
            return Ok(refused(
                MutationCode::NotFound,
                "no such building, area or compound",
                None,
            ));
        };
        place = p;
    }
    if description.is_empty() {
        return Ok(Outcome::invalid(crate::domain::FieldError::new(
            "description",
            "say what is wrong",
        )));
    }
    let dispute = a.category == Category::Dispute;
    let tier = a.tier.unwrap_or(Tier::Yellow);
    let tiers = tiers_of(conn, community).await?;
    let photos = match attachments::declare(conn, ctx, OwnerKind::Case, a.id, &a.photos).await? {
        Ok(p) => p,
        Err(o) => return Ok(o),
    };
    let version = bump_version(conn, community).await?;
    let bench = |u: Option<Uuid>| u.filter(|_| !dispute).map(rules::bench);
    let by = name_of(conn, ctx.actor).await?;
    let timeline = vec![TimelineStep {
        at: ctx.now,
        step: "reported".into(),
        by: by.clone(),
        text: None,
        state: State::Reported,
    }];
    let row = case_file::Model {
        id: a.id,
        community_id: community,
        source: source.as_str().to_owned(),
        category: a.category.as_str().to_owned(),
        confidential: dispute,
        tier: tier.as_str().to_owned(),
        description,
        building_id: place.building,
        area_id: place.area,
        compound_id: place.compound,
        cell_id: place.cell,
        place: text_place,
        reporter_id: reporter,
        reporter_name,
        intake_by: intake,
        intake_name: if intake.is_some() { by } else { String::new() },
        log_entry_id: entry.as_ref().map(|e| e.id),
        reception_id: None,
        state: State::Reported.as_str().to_owned(),
        refusal: None,
        assignee_kind: None,
        assignee_id: None,
        assignee_name: String::new(),
        due_at: rules::due(ctx.now, tier, tiers),
        escalated_at: None,
        resolved_at: None,
        confirmed_at: None,
        rating: None,
        reopen_count: 0,
        merged_into: None,
        survivor_state: None,
        timeline: serde_json::to_string(&timeline).unwrap_or_else(|_| "[]".into()),
        photos: attachments::to_column(&photos),
        cell_key: bench(place.cell),
        building_key: bench(place.building),
        area_key: bench(place.area),
        compound_key: bench(place.compound),
        office_key: Some(if dispute {
            rules::chair(community)
        } else {
            rules::office(community)
        }),
        assignee_key: None,
        intake_key: intake.map(rules::person),
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    case_file::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    if let Some(e) = entry {
        let mut m = e.into_active_model();
        m.case_id = Set(Some(row.id));
        m.version = Set(version);
        m.update(conn).await?;
    }
    Ok(Outcome::applied(Some(change(&row)), Some(version)))
}

/// Loads the case and checks the step; the case and the state it moves to.
async fn step(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    id: Uuid,
    step: Step,
) -> Result<std::result::Result<(case_file::Model, State), Outcome>> {
    let c = match load(conn, ctx.actor, id).await? {
        Ok(c) => c,
        Err(o) => return Ok(Err(o)),
    };
    let state = State::parse(&c.state).unwrap_or(State::Reported);
    let who = who(conn, ctx.actor, &c).await?;
    Ok(match rules::next(state, step, who) {
        Ok(next) => Ok((c, next)),
        Err(r) => Err(refusal(r, &c)),
    })
}

macro_rules! step_or_return {
    ($e:expr) => {
        match $e.await? {
            Ok(v) => v,
            Err(o) => return Ok(o),
        }
    };
}

/// `case.accept`.
pub async fn accept(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CaseAcceptArgs,
) -> Result<Outcome> {
    let (mut c, next) = step_or_return!(step(conn, ctx, a.id, Step::Accept));
    if let Some(tier) = a.tier {
        c.tier = tier.as_str().to_owned();
        c.due_at = rules::due(c.created_at, tier, tiers_of(conn, c.community_id).await?);
    }
    c.state = next.as_str().to_owned();
    save(conn, ctx, c, "accepted", None).await
}

/// `case.refuse`.
pub async fn refuse(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CaseTextArgs,
) -> Result<Outcome> {
    let (mut c, next) = step_or_return!(step(conn, ctx, a.id, Step::Refuse));
    c.state = next.as_str().to_owned();
    c.refusal = Some(a.text.trim().to_owned());
    save(conn, ctx, c, "refused", Some(a.text.trim().to_owned())).await
}

/// `case.assign`.
pub async fn assign(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CaseAssignArgs,
) -> Result<Outcome> {
    let (mut c, next) = step_or_return!(step(conn, ctx, a.id, Step::Assign));
    let community = c.community_id;
    let outside = || {
        Ok(refused(
            MutationCode::OwnerOutsideCommunity,
            "a case goes to a resident, a volunteer group or a department of this community",
            None,
        ))
    };
    let (name, key) = match a.kind {
        AssigneeKind::Resident => match resident_name(conn, community, a.to).await? {
            Some(n) => (n, rules::person(a.to)),
            None => return outside(),
        },
        AssigneeKind::Group => match volunteer_group::Entity::find_by_id(a.to)
            .one(conn)
            .await?
            .filter(|g| g.community_id == community && g.deleted_at.is_none())
        {
            Some(g) => (g.name, rules::group(g.id)),
            None => return outside(),
        },
        AssigneeKind::Department => match department::Entity::find_by_id(a.to)
            .one(conn)
            .await?
            .filter(|d| d.community_id == community && d.deleted_at.is_none())
        {
            Some(d) => (d.name, rules::person(d.liaison_id)),
            None => return outside(),
        },
    };
    c.state = next.as_str().to_owned();
    c.assignee_kind = Some(a.kind.as_str().to_owned());
    c.assignee_id = Some(a.to);
    c.assignee_name = name.clone();
    c.assignee_key = Some(key);
    save(conn, ctx, c, "assigned", Some(name)).await
}

/// `case.start`.
pub async fn start(conn: &impl ConnectionTrait, ctx: &Ctx<'_>, a: &CaseRef) -> Result<Outcome> {
    let (mut c, next) = step_or_return!(step(conn, ctx, a.id, Step::Start));
    c.state = next.as_str().to_owned();
    save(conn, ctx, c, "started", None).await
}

/// `case.resolve`.
pub async fn resolve(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CaseTextArgs,
) -> Result<Outcome> {
    let (mut c, next) = step_or_return!(step(conn, ctx, a.id, Step::Resolve));
    c.state = next.as_str().to_owned();
    c.resolved_at = Some(ctx.now);
    save(conn, ctx, c, "resolved", Some(a.text.trim().to_owned())).await
}

/// `case.confirm`.
pub async fn confirm(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CaseConfirmArgs,
) -> Result<Outcome> {
    let (mut c, next) = step_or_return!(step(conn, ctx, a.id, Step::Confirm));
    c.state = next.as_str().to_owned();
    c.confirmed_at = Some(ctx.now);
    c.rating = Some(i32::from(a.rating));
    let text = format!(
        "{}★{}",
        a.rating,
        a.comment
            .as_deref()
            .map(|t| format!(" {}", t.trim()))
            .unwrap_or_default()
    );
    save(conn, ctx, c, "confirmed", Some(text)).await
}

/// `case.reopen`.
pub async fn reopen(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CaseTextArgs,
) -> Result<Outcome> {
    let (mut c, next) = step_or_return!(step(conn, ctx, a.id, Step::Reopen));
    c.state = next.as_str().to_owned();
    c.reopen_count += 1;
    c.resolved_at = None;
    // A new chance to handle it in its tier's time, escalated again if that passes too.
    if let Some(tier) = Tier::parse(&c.tier) {
        c.due_at = rules::due(ctx.now, tier, tiers_of(conn, c.community_id).await?);
    }
    c.escalated_at = None;
    save(conn, ctx, c, "reopened", Some(a.text.trim().to_owned())).await
}

/// `case.merge`: the duplicate follows the survivor; so do the cases merged into it.
pub async fn merge(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CaseMergeArgs,
) -> Result<Outcome> {
    let (mut c, next) = step_or_return!(step(conn, ctx, a.id, Step::Merge));
    let Some(survivor) = case_file::Entity::find_by_id(a.into)
        .one(conn)
        .await?
        .filter(|s| s.id != c.id && sees(ctx.actor, s))
    else {
        return Ok(refused(
            MutationCode::NotFound,
            "no such case to merge into",
            Some(&c),
        ));
    };
    // A dispute's story is its parties' and mediators': it is mediated, never merged, and
    // nothing is merged into it.
    if c.confidential || survivor.confidential {
        return Ok(refused(
            MutationCode::CaseState,
            "disputes are mediated, not merged",
            Some(&c),
        ));
    }
    match State::parse(&survivor.state) {
        Some(State::Merged) => {
            return Ok(refused(
                MutationCode::CaseMerged,
                "that case was merged itself: merge into the one it follows",
                Some(&c),
            ));
        }
        Some(s) if !s.open() && s != State::Resolved => {
            return Ok(refused(
                MutationCode::CaseClosed,
                "that case is final: a duplicate goes into an open case",
                Some(&c),
            ));
        }
        _ => {}
    }
    c.state = next.as_str().to_owned();
    c.merged_into = Some(survivor.id);
    c.survivor_state = Some(survivor.state.clone());
    // The duplicate's reporter follows the survivor's whole story from here.
    let mut timeline: Vec<TimelineStep> = serde_json::from_str(&c.timeline).unwrap_or_default();
    let theirs: Vec<TimelineStep> = serde_json::from_str(&survivor.timeline).unwrap_or_default();
    timeline.extend(theirs);
    c.timeline = serde_json::to_string(&timeline).unwrap_or_else(|_| "[]".into());
    // Whoever followed the duplicate follows the survivor.
    let version = bump_version(conn, c.community_id).await?;
    case_file::Entity::update_many()
        .col_expr(case_file::Column::MergedInto, Some(survivor.id).into())
        .col_expr(
            case_file::Column::SurvivorState,
            Some(survivor.state.clone()).into(),
        )
        .col_expr(case_file::Column::Version, version.into())
        .filter(case_file::Column::MergedInto.eq(c.id))
        .exec(conn)
        .await?;
    let out = save(conn, ctx, c, "merged", Some(survivor.id.to_string())).await?;
    Ok(out)
}

/// `case.note`: whoever sees the case adds to its timeline.
pub async fn note(conn: &impl ConnectionTrait, ctx: &Ctx<'_>, a: &CaseNoteArgs) -> Result<Outcome> {
    let c = match load(conn, ctx.actor, a.id).await? {
        Ok(c) => c,
        Err(o) => return Ok(o),
    };
    if c.state == State::Merged.as_str() {
        return Ok(refusal(Refusal::Merged, &c));
    }
    let mut c = c;
    if !a.photos.is_empty() {
        let photos = match attachments::declare(conn, ctx, OwnerKind::Case, c.id, &a.photos).await?
        {
            Ok(p) => p,
            Err(o) => return Ok(o),
        };
        c.photos = attachments::to_column(&photos);
    }
    save(conn, ctx, c, "note", Some(a.text.trim().to_owned())).await
}

/// `case.reply`: a department's reply, by its liaison, whoever took the request, or a
/// handler.
pub async fn reply(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &CaseTextArgs,
) -> Result<Outcome> {
    let c = match load(conn, ctx.actor, a.id).await? {
        Ok(c) => c,
        Err(o) => return Ok(o),
    };
    if c.state == State::Merged.as_str() {
        return Ok(refusal(Refusal::Merged, &c));
    }
    let w = who(conn, ctx.actor, &c).await?;
    let took_it = c.intake_by == Some(ctx.actor.resident_id);
    let dept = c.assignee_kind.as_deref() == Some(AssigneeKind::Department.as_str());
    if !(w.handler || took_it || (w.assignee && dept)) {
        return Ok(refusal(Refusal::NotYours, &c));
    }
    let from = if dept {
        format!("{}：", c.assignee_name)
    } else {
        String::new()
    };
    save(
        conn,
        ctx,
        c,
        "reply",
        Some(format!("{from}{}", a.text.trim())),
    )
    .await
}

/// A case's photos changed (one settled): re-read them onto its row, at `version`.
pub async fn photos_changed(conn: &impl ConnectionTrait, id: Uuid, version: i64) -> Result<()> {
    let photos = attachments::photos_of(conn, OwnerKind::Case, id).await?;
    if let Some(c) = case_file::Entity::find_by_id(id).one(conn).await? {
        let mut m = c.into_active_model();
        m.photos = Set(attachments::to_column(&photos));
        m.version = Set(version);
        m.update(conn).await?;
    }
    Ok(())
}

/// Where a case is, for escalation.
pub fn where_of(c: &case_file::Model) -> Where {
    Where {
        building: c.building_id,
        area: c.area_id,
        compound: c.compound_id,
        cell: c.cell_id,
    }
}

pub fn change(c: &case_file::Model) -> Change {
    let data = (|| {
        Some(CaseData {
            id: c.id,
            source: Source::parse(&c.source)?,
            category: Category::parse(&c.category)?,
            tier: Tier::parse(&c.tier)?,
            description: c.description.clone(),
            building_id: c.building_id,
            area_id: c.area_id,
            compound_id: c.compound_id,
            cell_id: c.cell_id,
            place: c.place.clone(),
            reporter_id: c.reporter_id,
            reporter_name: c.reporter_name.clone(),
            intake_name: c.intake_name.clone(),
            log_entry_id: c.log_entry_id,
            state: State::parse(&c.state)?,
            refusal: c.refusal.clone(),
            assignee_kind: c.assignee_kind.as_deref().and_then(AssigneeKind::parse),
            assignee_id: c.assignee_id,
            assignee_name: c.assignee_name.clone(),
            due_at: c.due_at,
            escalated_at: c.escalated_at,
            resolved_at: c.resolved_at,
            rating: c.rating.and_then(|r| u8::try_from(r).ok()),
            reopen_count: u32::try_from(c.reopen_count).unwrap_or(0),
            merged_into: c.merged_into,
            survivor_state: c.survivor_state.as_deref().and_then(State::parse),
            timeline: serde_json::from_str(&c.timeline).unwrap_or_default(),
            photos: attachments::from_column(&c.photos),
            created_at: c.created_at,
        })
    })()
    .filter(|_| c.deleted_at.is_none());
    Change::Case(CaseChange {
        id: c.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}

/// What a reception day's intake knows of the case it opens.
pub(crate) struct Intake {
    pub id: Uuid,
    pub category: Category,
    pub description: String,
    /// The resident it is for, or (a walk-in who is not one) the staff who took it.
    pub reporter: Uuid,
    pub reporter_name: String,
    pub reception: Uuid,
}

/// Opens a case from a reception day's conversation, assigned at once to the department
/// the resident spoke to; the staff who took it follow it too.
pub(crate) async fn open_from_reception(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    i: Intake,
    dept: &department::Model,
) -> Result<case_file::Model> {
    let community = ctx.actor.community_id;
    let tiers = tiers_of(conn, community).await?;
    let version = bump_version(conn, community).await?;
    let by = name_of(conn, ctx.actor).await?;
    let step = |step: &str, state, text: Option<String>| TimelineStep {
        at: ctx.now,
        step: step.into(),
        by: by.clone(),
        text,
        state,
    };
    let timeline = vec![
        step("reported", State::Reported, None),
        step("assigned", State::Assigned, Some(dept.name.clone())),
    ];
    let dispute = i.category == Category::Dispute;
    let row = case_file::Model {
        id: i.id,
        community_id: community,
        source: Source::Reception.as_str().to_owned(),
        category: i.category.as_str().to_owned(),
        confidential: dispute,
        tier: Tier::Yellow.as_str().to_owned(),
        description: i.description,
        building_id: None,
        area_id: None,
        compound_id: None,
        cell_id: None,
        place: String::new(),
        reporter_id: i.reporter,
        reporter_name: i.reporter_name,
        intake_by: Some(ctx.actor.resident_id),
        intake_name: by.clone(),
        log_entry_id: None,
        reception_id: Some(i.reception),
        state: State::Assigned.as_str().to_owned(),
        refusal: None,
        assignee_kind: Some(AssigneeKind::Department.as_str().to_owned()),
        assignee_id: Some(dept.id),
        assignee_name: dept.name.clone(),
        due_at: rules::due(ctx.now, Tier::Yellow, tiers),
        escalated_at: None,
        resolved_at: None,
        confirmed_at: None,
        rating: None,
        reopen_count: 0,
        merged_into: None,
        survivor_state: None,
        timeline: serde_json::to_string(&timeline).unwrap_or_else(|_| "[]".into()),
        photos: "[]".into(),
        cell_key: None,
        building_key: None,
        area_key: None,
        compound_key: None,
        office_key: Some(if dispute {
            rules::chair(community)
        } else {
            rules::office(community)
        }),
        assignee_key: Some(rules::person(dept.liaison_id)),
        intake_key: Some(rules::person(ctx.actor.resident_id)),
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    case_file::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(row)
}
