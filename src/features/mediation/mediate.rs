//! The mediation's mutations, and [`publish`], which writes the record and each reader's
//! copy in the mutation's transaction.

use std::collections::BTreeSet;

use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, Set,
};
use uuid::Uuid;

use super::copy_id;
use super::entity::{mediation, mediation_copy};
use super::wire::*;
use crate::domain::FieldError;
use crate::domain::permissions::{Action, Actor, PositionKind, Target};
use crate::features::cases::departments::resident_name;
use crate::features::cases::entity::case_file;
use crate::features::cases::handling::save;
use crate::features::cases::rules::{self as case_rules, Category, State};
use crate::features::cases::wire::AssigneeKind;
use crate::features::deliberation::name_of;
use crate::features::territory::entity::position;
use crate::features::territory::{authorize, local_today, rules::term_covers};
use crate::features::{Change, Ctx, MutationCode, Outcome};
use crate::sync::wire::ChangeOp;
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

fn not_found() -> Outcome {
    Outcome::rejected(MutationCode::NotFound, "no such mediation", None)
}

/// Residents holding `kind` today, community-wide or anywhere.
async fn holders(
    conn: &impl ConnectionTrait,
    community: Uuid,
    kind: PositionKind,
    today: chrono::NaiveDate,
) -> Result<Vec<position::Model>> {
    Ok(position::Entity::find()
        .filter(position::Column::CommunityId.eq(community))
        .filter(position::Column::Kind.eq(kind.as_str()))
        .filter(position::Column::DeletedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .filter(|p| term_covers(p.starts_on, p.ends_on, today))
        .collect())
}

/// Writes the record and one copy per reader (its parties who are residents, its
/// mediators, the president today), withdrawing the copies of readers no longer entitled;
/// the change of the actor's own copy, if they have one.
pub async fn publish(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    data: &MediationData,
    version: i64,
) -> Result<Option<Change>> {
    let community = ctx.actor.community_id;
    let mut readers: BTreeSet<Uuid> = data
        .parties
        .iter()
        .filter_map(|p| p.resident_id)
        .chain(data.mediators.iter().map(|m| m.resident_id))
        .collect();
    for p in holders(
        conn,
        community,
        PositionKind::President,
        local_today(ctx.now),
    )
    .await?
    {
        readers.insert(p.resident_id);
    }
    let body = serde_json::to_string(data).unwrap_or_default();
    let closed = data.outcome != MediationOutcome::Open;
    let record = mediation::Model {
        id: data.case_id,
        community_id: community,
        outcome: data.outcome.as_str().to_owned(),
        body: body.clone(),
        readers: serde_json::to_string(&readers).unwrap_or_default(),
        created_at: data.opened_at,
        closed_at: closed.then_some(ctx.now),
    };
    match mediation::Entity::find_by_id(data.case_id)
        .one(conn)
        .await?
    {
        Some(old) => {
            let mut m = record.into_active_model().reset_all();
            m.closed_at = Set(old.closed_at.or(closed.then_some(ctx.now)));
            m.update(conn).await?;
        }
        None => {
            mediation::Entity::insert(record.into_active_model())
                .exec_without_returning(conn)
                .await?;
        }
    }
    let existing = mediation_copy::Entity::find()
        .filter(mediation_copy::Column::CaseId.eq(data.case_id))
        .all(conn)
        .await?;
    let mut mine = None;
    for reader in &readers {
        let copy = mediation_copy::Model {
            id: copy_id(data.case_id, *reader),
            community_id: community,
            case_id: data.case_id,
            reader_id: *reader,
            body: body.clone(),
            version,
            created_at: ctx.now,
            deleted_at: None,
        };
        if *reader == ctx.actor.resident_id {
            mine = Some(change(&copy));
        }
        if let Some(old) = existing.iter().find(|c| c.id == copy.id) {
            let mut m = copy.into_active_model().reset_all();
            m.created_at = Set(old.created_at);
            m.update(conn).await?;
        } else {
            mediation_copy::Entity::insert(copy.into_active_model())
                .exec_without_returning(conn)
                .await?;
        }
    }
    for gone in existing
        .into_iter()
        .filter(|c| !readers.contains(&c.reader_id) && c.deleted_at.is_none())
    {
        let mut m = gone.into_active_model();
        m.deleted_at = Set(Some(ctx.now));
        m.version = Set(version);
        m.update(conn).await?;
    }
    Ok(mine)
}

/// `mediation.open`.
pub async fn open(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MediationOpenArgs,
) -> Result<Outcome> {
    let community = ctx.actor.community_id;
    let Some(mut case) = case_file::Entity::find_by_id(a.case_id)
        .one(conn)
        .await?
        .filter(|c| crate::features::cases::sees(ctx.actor, c))
    else {
        return Ok(Outcome::rejected(
            MutationCode::NotFound,
            "no such case",
            None,
        ));
    };
    if case.category != Category::Dispute.as_str() {
        return Ok(Outcome::rejected(
            MutationCode::NotADispute,
            "only a dispute case is mediated",
            None,
        ));
    }
    if let Err(o) = authorize(
        ctx.actor,
        Action::HandleCases,
        Target::Community { id: community },
    ) {
        return Ok(*o);
    }
    if mediation::Entity::find_by_id(case.id)
        .one(conn)
        .await?
        .is_some()
    {
        return Ok(Outcome::rejected(
            MutationCode::CaseState,
            "this dispute's mediation is open already",
            None,
        ));
    }
    let state = State::parse(&case.state).unwrap_or(State::Reported);
    if !state.open() {
        return Ok(Outcome::rejected(
            if state == State::Merged {
                MutationCode::CaseMerged
            } else {
                MutationCode::CaseState
            },
            format!("the case is {}: it cannot be mediated now", case.state),
            None,
        ));
    }
    let mut parties = Vec::new();
    for p in &a.parties {
        let party = match (p.resident_id, p.name.as_deref().map(str::trim)) {
            (Some(r), _) => match resident_name(conn, community, r).await? {
                Some(name) => MediationParty {
                    resident_id: Some(r),
                    name,
                    confirmed_at: None,
                    confirmed_by: None,
                },
                None => {
                    return Ok(Outcome::rejected(
                        MutationCode::OwnerOutsideCommunity,
                        "a party named by id must be a resident of this community",
                        None,
                    ));
                }
            },
            (None, Some(name)) if !name.is_empty() => MediationParty {
                resident_id: None,
                name: name.to_owned(),
                confirmed_at: None,
                confirmed_by: None,
            },
            _ => {
                return Ok(Outcome::invalid(FieldError::new(
                    "parties",
                    "each party is a resident (resident_id) or a name",
                )));
            }
        };
        parties.push(party);
    }
    let mediators_today = holders(
        conn,
        community,
        PositionKind::Mediator,
        local_today(ctx.now),
    )
    .await?;
    let mut mediators = Vec::new();
    for m in &a.mediators {
        let Some(p) = mediators_today.iter().find(|p| p.resident_id == *m) else {
            return Ok(Outcome::rejected(
                MutationCode::NotAMediator,
                "each mediator must hold the mediator position today",
                None,
            ));
        };
        if !mediators
            .iter()
            .any(|x: &MediationMediator| x.resident_id == *m)
        {
            let name = resident_name(conn, community, *m)
                .await?
                .unwrap_or_else(|| p.holder_name.clone());
            mediators.push(MediationMediator {
                resident_id: *m,
                name,
            });
        }
    }
    // The case goes to the first mediator.
    let first = &mediators[0];
    case.state = State::Assigned.as_str().to_owned();
    case.assignee_kind = Some(AssigneeKind::Resident.as_str().to_owned());
    case.assignee_id = Some(first.resident_id);
    case.assignee_name = first.name.clone();
    case.assignee_key = Some(case_rules::person(first.resident_id));
    let description = case.description.clone();
    save(
        conn,
        ctx,
        case,
        "assigned",
        Some(format!("調解員 {}", first.name)),
    )
    .await?;
    let data = MediationData {
        case_id: a.case_id,
        description,
        parties,
        mediators,
        sessions: Vec::new(),
        agreement: None,
        follow_ups: Vec::new(),
        outcome: MediationOutcome::Open,
        opened_at: ctx.now,
    };
    let version = bump_version(conn, community).await?;
    let mine = publish(conn, ctx, &data, version).await?;
    Ok(Outcome::applied(mine, Some(version)))
}

/// The mediation of `case` as its reader `actor` may act on it: the data, and whether the
/// actor mediates it.
async fn load(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    case: Uuid,
) -> Result<Option<(MediationData, bool)>> {
    let Some(m) = mediation::Entity::find_by_id(case)
        .one(conn)
        .await?
        .filter(|m| m.community_id == actor.community_id)
    else {
        return Ok(None);
    };
    let readers: Vec<Uuid> = serde_json::from_str(&m.readers).unwrap_or_default();
    if !readers.contains(&actor.resident_id) {
        return Ok(None);
    }
    let Ok(data) = serde_json::from_str::<MediationData>(&m.body) else {
        return Ok(None);
    };
    let mediates = data
        .mediators
        .iter()
        .any(|x| x.resident_id == actor.resident_id);
    Ok(Some((data, mediates)))
}

fn forbidden() -> Outcome {
    Outcome::rejected(
        MutationCode::Forbidden,
        "only the mediation's mediators do this",
        None,
    )
}

fn closed() -> Outcome {
    Outcome::rejected(
        MutationCode::MediationClosed,
        "the mediation is closed: only follow-ups are recorded now",
        None,
    )
}

/// Loads the mediation for one of its mediators while it is open.
async fn for_mediator(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    case: Uuid,
    while_open: bool,
) -> Result<std::result::Result<MediationData, Outcome>> {
    Ok(match load(conn, ctx.actor, case).await? {
        None => Err(not_found()),
        Some((_, false)) => Err(forbidden()),
        Some((d, true)) if while_open && d.outcome != MediationOutcome::Open => Err(closed()),
        Some((d, true)) => Ok(d),
    })
}

async fn write(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    data: &MediationData,
) -> Result<Outcome> {
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let mine = publish(conn, ctx, data, version).await?;
    Ok(Outcome::applied(mine, Some(version)))
}

/// `mediation.session`.
pub async fn session(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MediationSessionArgs,
) -> Result<Outcome> {
    let mut d = match for_mediator(conn, ctx, a.case_id, true).await? {
        Ok(d) => d,
        Err(o) => return Ok(o),
    };
    d.sessions.push(MediationSession {
        at: a.at,
        place: a.place.trim().to_owned(),
        notes: a.notes.as_deref().unwrap_or("").trim().to_owned(),
        by: name_of(conn, ctx.actor).await?,
    });
    d.sessions.sort_by_key(|s| s.at);
    write(conn, ctx, &d).await
}

/// `mediation.agree`: a new agreement, which every party confirms again.
pub async fn agree(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MediationTextArgs,
) -> Result<Outcome> {
    let mut d = match for_mediator(conn, ctx, a.case_id, true).await? {
        Ok(d) => d,
        Err(o) => return Ok(o),
    };
    d.agreement = Some(MediationNote {
        at: ctx.now,
        by: name_of(conn, ctx.actor).await?,
        text: a.text.trim().to_owned(),
    });
    for p in &mut d.parties {
        p.confirmed_at = None;
        p.confirmed_by = None;
    }
    write(conn, ctx, &d).await
}

/// `mediation.confirm`.
pub async fn confirm(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MediationConfirmArgs,
) -> Result<Outcome> {
    let Some((mut d, mediates)) = load(conn, ctx.actor, a.case_id).await? else {
        return Ok(not_found());
    };
    if d.outcome != MediationOutcome::Open {
        return Ok(closed());
    }
    if d.agreement.is_none() {
        return Ok(Outcome::rejected(
            MutationCode::NoAgreement,
            "there is no agreement to confirm yet",
            None,
        ));
    }
    let me = ctx.actor.resident_id;
    let (index, how) = match a.party {
        None => match d.parties.iter().position(|p| p.resident_id == Some(me)) {
            Some(i) => (i, "app"),
            None => return Ok(forbidden()),
        },
        Some(i) if mediates => match usize::try_from(i).ok().filter(|i| *i < d.parties.len()) {
            Some(i) => (i, "paper"),
            None => {
                return Ok(Outcome::invalid(FieldError::new("party", "no such party")));
            }
        },
        Some(_) => return Ok(forbidden()),
    };
    d.parties[index].confirmed_at = Some(ctx.now);
    d.parties[index].confirmed_by = Some(how.to_owned());
    write(conn, ctx, &d).await
}

/// `mediation.follow_up`: also after the close, on how the agreement is kept.
pub async fn follow_up(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MediationTextArgs,
) -> Result<Outcome> {
    let mut d = match for_mediator(conn, ctx, a.case_id, false).await? {
        Ok(d) => d,
        Err(o) => return Ok(o),
    };
    d.follow_ups.push(MediationNote {
        at: ctx.now,
        by: name_of(conn, ctx.actor).await?,
        text: a.text.trim().to_owned(),
    });
    write(conn, ctx, &d).await
}

/// `mediation.close`: the dispute case is resolved with the outcome alone.
pub async fn close(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &MediationCloseArgs,
) -> Result<Outcome> {
    let mut d = match for_mediator(conn, ctx, a.case_id, true).await? {
        Ok(d) => d,
        Err(o) => return Ok(o),
    };
    let sentence = match a.outcome {
        MediationOutcome::Open => {
            return Ok(Outcome::invalid(FieldError::new(
                "outcome",
                "close as agreed, failed or withdrawn",
            )));
        }
        MediationOutcome::Agreed => {
            if d.agreement.is_none() || d.parties.iter().any(|p| p.confirmed_at.is_none()) {
                let missing: Vec<&str> = d
                    .parties
                    .iter()
                    .filter(|p| p.confirmed_at.is_none())
                    .map(|p| p.name.as_str())
                    .collect();
                return Ok(Outcome::rejected(
                    MutationCode::NotConfirmed,
                    if d.agreement.is_none() {
                        "there is no agreement yet".to_owned()
                    } else {
                        format!(
                            "not every party confirmed the agreement: {}",
                            missing.join("、")
                        )
                    },
                    None,
                ));
            }
            "調解成功，雙方達成協議"
        }
        MediationOutcome::Failed => "調解不成",
        MediationOutcome::Withdrawn => "當事人撤回調解",
    };
    d.outcome = a.outcome;
    if let Some(mut case) = case_file::Entity::find_by_id(d.case_id).one(conn).await?
        && State::parse(&case.state).is_some_and(State::open)
    {
        case.state = State::Resolved.as_str().to_owned();
        case.resolved_at = Some(ctx.now);
        save(conn, ctx, case, "resolved", Some(sentence.to_owned())).await?;
    }
    write(conn, ctx, &d).await
}

pub fn change(c: &mediation_copy::Model) -> Change {
    let data = serde_json::from_str::<MediationData>(&c.body)
        .ok()
        .filter(|_| c.deleted_at.is_none())
        .map(|mediation| MediationCopyData {
            id: c.id,
            mediation,
        });
    Change::Mediation(MediationChange {
        id: c.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}
