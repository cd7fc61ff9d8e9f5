//! The close and the count.
//!
//! At `voting_closes` (server time) the polls close: phone ballots are refused from then on,
//! the number who voted is fixed into the record, and the officers enter the paper ballots.
//! `election.count` then counts, in one transaction: every paper sheet's agreed entry
//! becomes a ballot; the ballots, in their random published order, go into the record with
//! their hashes; [`rules::tally`] gives the result, which is published at once (當場公布)
//! with the record's head; and the winners hold the position from the term's start, earlier
//! holders' terms ending the day before.

use std::collections::{BTreeMap, HashMap};

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entity::{ballot, election, elector, paper_entry};
use super::polls::Entered;
use super::rules::{self, Choice, State, Voted};
use super::wire::*;
use super::{
    bring_up_to, changes, live_election, no_election, record, roll, settings_of, state_of,
};
use crate::domain::permissions::{Action, Target};
use crate::domain::territory::PositionKind;
use crate::features::territory::authorize;
use crate::features::territory::entity::position;
use crate::features::{Ctx, MutationCode, Outcome};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// Closes the polls of `e` (in `voting`), inside the caller's write transaction. Returns
/// the version written.
pub async fn close(txn: &impl ConnectionTrait, e: &mut election::Model) -> Result<i64> {
    let roll = roll::entries(txn, e.id).await?;
    let mut how: BTreeMap<&'static str, u32> = BTreeMap::new();
    for x in &roll {
        if let Some(v) = x.voted.as_deref().and_then(Voted::parse) {
            *how.entry(v.as_str()).or_default() += 1;
        }
    }
    let voted: u32 = how.values().sum();
    e.voted = i32::try_from(voted).unwrap_or(i32::MAX);
    e.state = State::Counting.as_str().to_owned();
    record::append(
        txn,
        e,
        "closed",
        &serde_json::json!({"roll_size": e.roll_size, "voted": voted, "how": how}),
    )
    .await?;
    e.version = bump_version(txn, e.community_id).await?;
    election::Entity::update(e.clone().into_active_model().reset_all())
        .exec(txn)
        .await?;
    Ok(e.version)
}

/// The sheets' agreed readings: for each sheet, the reading two officers entered alike.
/// `Err` names the sheets still waiting for a second (or third) entry.
pub fn agreed(
    entries: &[paper_entry::Model],
) -> std::result::Result<Vec<(String, Entered)>, Vec<String>> {
    let mut by_sheet: BTreeMap<&str, Vec<&paper_entry::Model>> = BTreeMap::new();
    for p in entries {
        by_sheet.entry(&p.sheet).or_default().push(p);
    }
    let mut agreed = Vec::new();
    let mut pending = Vec::new();
    for (sheet, es) in by_sheet {
        let found = es.iter().enumerate().find_map(|(i, a)| {
            es[i + 1..]
                .iter()
                .find(|b| b.officer_id != a.officer_id && b.choices == a.choices)
                .map(|_| a)
        });
        match found.and_then(|p| serde_json::from_str::<Entered>(&p.choices).ok()) {
            Some(entered) => agreed.push((sheet.to_owned(), entered)),
            None => pending.push(sheet.to_owned()),
        }
    }
    if pending.is_empty() {
        Ok(agreed)
    } else {
        Err(pending)
    }
}

pub async fn count(conn: &impl ConnectionTrait, ctx: &Ctx<'_>, a: &ElectionRef) -> Result<Outcome> {
    if let Err(o) = authorize(
        ctx.actor,
        Action::KeepPolls,
        Target::Community {
            id: ctx.actor.community_id,
        },
    ) {
        return Ok(*o);
    }
    let Some(mut e) = live_election(conn, ctx.actor, a.id).await? else {
        return Ok(no_election());
    };
    let moved = bring_up_to(conn, &mut e, ctx.now).await?;
    let refused = |code, message: &str, e: &election::Model| {
        let mut o = Outcome::rejected(code, message, Some(changes::election(e)));
        o.version = moved;
        o
    };
    match state_of(&e) {
        State::Counting => {}
        State::Nominating | State::Voting => {
            return Ok(refused(
                MutationCode::VotingNotClosed,
                "voting has not closed",
                &e,
            ));
        }
        State::Done => {
            return Ok(refused(MutationCode::AlreadyCounted, "already counted", &e));
        }
        State::Failed | State::Cancelled => {
            return Ok(refused(
                MutationCode::VotingClosed,
                "there is no vote to count",
                &e,
            ));
        }
    }
    let entries = paper_entry::Entity::find()
        .filter(paper_entry::Column::ElectionId.eq(e.id))
        .filter(paper_entry::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let sheets = match agreed(&entries) {
        Ok(s) => s,
        Err(pending) => {
            return Ok(refused(
                MutationCode::EntriesPending,
                &format!(
                    "{} sheet(s) still need a second officer's matching entry: {}",
                    pending.len(),
                    pending
                        .iter()
                        .take(10)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                &e,
            ));
        }
    };
    let roll = roll::entries(conn, e.id).await?;
    let paper_marks = roll
        .iter()
        .filter(|x| {
            x.voted
                .as_deref()
                .and_then(Voted::parse)
                .is_some_and(Voted::on_paper)
        })
        .count();
    let counted_sheets = sheets.iter().filter(|(_, s)| !s.spoiled).count();
    if counted_sheets > paper_marks {
        return Ok(refused(
            MutationCode::TooManyPaperBallots,
            &format!(
                "{counted_sheets} paper ballots but {paper_marks} voters marked as voting on paper: spoil the extra ballots (see the roll's conflicts) before counting"
            ),
            &e,
        ));
    }
    for (sheet, s) in sheets.into_iter().filter(|(_, s)| !s.spoiled) {
        ballot::Entity::insert(
            ballot::Model {
                id: Uuid::new_v4(),
                election_id: e.id,
                source: "paper".into(),
                receipt: None,
                nonce: None,
                sheet: Some(sheet),
                choices: serde_json::to_string(&s.ballot).unwrap_or_default(),
            }
            .into_active_model(),
        )
        .exec_without_returning(conn)
        .await?;
    }
    let published = published(conn, e.id).await?;
    let candidates = super::polls::standing(conn, &e).await?;
    let standing: Vec<Uuid> = candidates.iter().map(|c| c.id).collect();
    let voted = u32::try_from(roll.iter().filter(|x| x.voted.is_some()).count()).unwrap_or(0);
    let roll_size = u32::try_from(roll.len()).unwrap_or(0);
    let ballots: Vec<rules::Ballot> = published.iter().map(|p| p.ballot.clone()).collect();
    let tally = rules::tally(&settings_of(&e), &standing, roll_size, voted, &ballots);
    let mut names: BTreeMap<Uuid, String> =
        candidates.iter().map(|c| (c.id, c.name.clone())).collect();
    let roll_by_id: HashMap<Uuid, &elector::Model> = roll.iter().map(|x| (x.id, x)).collect();
    for c in &tally.counts {
        if let Choice::WriteIn(w) = c.choice
            && let Some(x) = roll_by_id.get(&w)
        {
            names.insert(w, x.name.clone());
        }
    }
    record::append_many(
        conn,
        &mut e,
        published
            .iter()
            .map(|p| ("ballot", serde_json::json!({"hash": p.hash()}).to_string())),
    )
    .await?;
    record::append(
        conn,
        &mut e,
        "tally",
        &serde_json::to_value(&tally).unwrap_or_default(),
    )
    .await?;
    let version = bump_version(conn, e.community_id).await?;
    // The winners take office.
    let kind = PositionKind::parse(&e.position_kind);
    if let Some(kind) = kind.filter(|_| !tally.elected.is_empty()) {
        end_earlier(conn, &e, kind, version, ctx.now).await?;
    }
    for choice in &tally.elected {
        let holder = match choice {
            Choice::Candidate(c) => candidates
                .iter()
                .find(|x| x.id == *c)
                .map(|x| (x.resident_id, x.name.clone())),
            Choice::WriteIn(w) => roll_by_id
                .get(w)
                .and_then(|x| Some((x.resident_id?, x.name.clone()))),
        };
        if let (Some((resident, name)), Some(kind)) = (holder, kind) {
            take_office(conn, &e, kind, resident, name, version, ctx.now).await?;
        }
    }
    e.voted = i32::try_from(voted).unwrap_or(i32::MAX);
    e.result = serde_json::to_string(&rules::Counted { tally, names }).ok();
    e.state = State::Done.as_str().to_owned();
    e.version = version;
    election::Entity::update(e.clone().into_active_model().reset_all())
        .exec(conn)
        .await?;
    Ok(
        Outcome::applied(Some(changes::election(&e)), Some(version)).audited(
            "election.count",
            Some(e.id),
            e.chain_head.clone(),
        ),
    )
}

/// The ballots of `e` as published: in the order of their random ids.
pub async fn published(
    conn: &impl ConnectionTrait,
    election: Uuid,
) -> Result<Vec<rules::Published>> {
    Ok(ballot::Entity::find()
        .filter(ballot::Column::ElectionId.eq(election))
        .order_by_asc(ballot::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|b| {
            Some(rules::Published {
                source: b.source,
                receipt: b.receipt,
                nonce: b.nonce,
                sheet: b.sheet,
                ballot: serde_json::from_str(&b.choices).ok()?,
            })
        })
        .collect())
}

/// The holdings of the elected position over the election's unit that run into the new
/// term end the day before it (one that had not begun is withdrawn): the new seats replace
/// the old, all of them.
async fn end_earlier(
    conn: &impl ConnectionTrait,
    e: &election::Model,
    kind: PositionKind,
    version: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let start = e.term_starts_on;
    let mut earlier = position::Entity::find()
        .filter(position::Column::CommunityId.eq(e.community_id))
        .filter(position::Column::Kind.eq(kind.as_str()))
        .filter(position::Column::DeletedAt.is_null());
    earlier = match e.unit_id {
        Some(u) => earlier.filter(position::Column::UnitId.eq(u)),
        None => earlier.filter(position::Column::UnitId.is_null()),
    };
    for mut p in earlier.all(conn).await? {
        if p.ends_on.is_some_and(|end| end < start) {
            continue;
        }
        if p.starts_on < start {
            p.ends_on = Some(start - Duration::days(1));
        } else {
            p.deleted_at = Some(now);
        }
        p.version = version;
        position::Entity::update(p.into_active_model().reset_all())
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// A winner holds the position from the term's start.
async fn take_office(
    conn: &impl ConnectionTrait,
    e: &election::Model,
    kind: PositionKind,
    resident: Uuid,
    name: String,
    version: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let start = e.term_starts_on;
    position::Entity::insert(
        position::Model {
            id: Uuid::now_v7(),
            community_id: e.community_id,
            kind: kind.as_str().to_owned(),
            unit_id: e.unit_id,
            resident_id: resident,
            holder_name: name,
            starts_on: start,
            ends_on: e.term_ends_on,
            appointed_by: None,
            decision: format!("選舉：{}", e.title).chars().take(200).collect(),
            show_phone: false,
            version,
            created_at: now,
            deleted_at: None,
        }
        .into_active_model(),
    )
    .exec(conn)
    .await?;
    Ok(())
}
