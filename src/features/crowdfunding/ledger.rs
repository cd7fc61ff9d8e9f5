//! The ledger: a pledge received, money spent, a mistake reversed. Each is a new entry at the
//! end of the campaign's chain ([`append`]): numbered, carrying the balance after it and the
//! hash of its content after the previous entry's, the campaign moving its totals and head
//! in the same transaction. Nothing is ever edited. The treasurer writes it, with one
//! exception: hours pledged to a campaign that links a volunteer series are received when
//! the pledger is marked present at one of its sessions ([`hours_served`]), recorded by
//! whoever marked the attendance.

use chrono::SecondsFormat;
use sea_orm::{ActiveModelTrait as _, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use super::campaigns::{items_column, items_of, live};
use super::entity::{campaign, ledger_entry, pledge};
use super::rules::{self, ItemCount, Kind, Status};
use super::wire::*;
use super::{campaign_change, entry_change, pledge_change};
use crate::domain::FieldError;
use crate::features::attachments::{self, OwnerKind, wire::PhotoData};
use crate::features::deliberation::{not_found, refused};
use crate::features::{Ctx, MutationCode, Outcome};
use crate::sync::write::bump_version;

type Result<T> = std::result::Result<T, DbErr>;

/// What a new entry says, before it is placed in the chain.
struct New<'a> {
    id: Uuid,
    kind: Kind,
    amount_fen: i64,
    items: Vec<ItemCount>,
    hours: i32,
    pledge_id: Option<Uuid>,
    donor: Option<String>,
    method: &'a str,
    reference: String,
    description: String,
    reverses: Option<(Uuid, Kind)>,
    overdraft_reason: Option<String>,
    photos: Vec<PhotoData>,
}

/// Hashes an entry's content: the campaign's chain link.
pub fn link_of(prev: &str, e: &ledger_entry::Model) -> String {
    let items = items_of(&e.items);
    let photos: Vec<String> = attachments::from_column(&e.photos)
        .into_iter()
        .map(|p| p.id.to_string())
        .collect();
    rules::link(prev, &content(e, &items, &photos))
}

/// An entry's hashed content, borrowing from it and from its parsed items and photos.
pub fn content<'a>(
    e: &'a ledger_entry::Model,
    items: &'a [ItemCount],
    photos: &'a [String],
) -> rules::Hashed<'a> {
    rules::Hashed {
        campaign_id: e.campaign_id,
        seq: e.seq,
        kind: &e.kind,
        amount_fen: e.amount_fen,
        items,
        hours: e.hours,
        donor: e.donor.as_deref(),
        method: &e.method,
        reference: &e.reference,
        description: &e.description,
        reverses: e.reverses,
        overdraft_reason: e.overdraft_reason.as_deref(),
        photos,
        balance_after_fen: e.balance_after_fen,
        recorded_at: &e.recorded_at,
    }
}

/// Appends `new` to `c`'s ledger and moves the campaign's totals and head; saves both.
async fn append(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    mut c: campaign::Model,
    new: New<'_>,
    version: i64,
) -> Result<(campaign::Model, ledger_entry::Model)> {
    let change = rules::delta(new.kind, new.amount_fen, new.reverses.map(|(_, k)| k));
    let mut entry = ledger_entry::Model {
        id: new.id,
        community_id: c.community_id,
        campaign_id: c.id,
        seq: c.ledger_length + 1,
        kind: new.kind.as_str().to_owned(),
        amount_fen: new.amount_fen,
        items: items_column(&new.items),
        hours: new.hours,
        pledge_id: new.pledge_id,
        donor: new.donor,
        method: new.method.to_owned(),
        reference: new.reference,
        description: new.description,
        reverses: new.reverses.map(|(id, _)| id),
        reversed_by: None,
        overdraft_reason: new.overdraft_reason,
        balance_after_fen: c.balance_fen + change,
        recorded_at: ctx.now.to_rfc3339_opts(SecondsFormat::Secs, true),
        recorded_by: ctx.actor.resident_id,
        prev_hash: c.ledger_head.clone(),
        hash: String::new(),
        photos: attachments::to_column(&new.photos),
        version,
        created_at: ctx.now,
        deleted_at: None,
    };
    entry.hash = link_of(&c.ledger_head, &entry);
    ledger_entry::Entity::insert(entry.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    // The totals: money received and spent as the entry (or the one it reverses) moves it.
    let mut received_items = items_of(&c.received_items);
    match (new.kind, new.reverses.map(|(_, k)| k)) {
        (Kind::Receipt, _) => {
            c.received_fen += new.amount_fen;
            rules::add_items(&mut received_items, &new.items, 1);
        }
        (Kind::Expense, _) => c.spent_fen += new.amount_fen,
        (Kind::Reversal, Some(Kind::Receipt)) => {
            c.received_fen -= new.amount_fen;
            rules::add_items(&mut received_items, &new.items, -1);
        }
        (Kind::Reversal, Some(Kind::Expense)) => c.spent_fen -= new.amount_fen,
        (Kind::Reversal, _) => {}
    }
    c.received_items = items_column(&received_items);
    c.balance_fen = entry.balance_after_fen;
    c.ledger_length = entry.seq;
    c.ledger_head = entry.hash.clone();
    if Status::parse(&c.status).is_some_and(Status::takes_pledges) {
        c.status = rules::running_status(c.goal_fen, c.received_fen)
            .as_str()
            .to_owned();
    }
    c.version = version;
    let c = c.into_active_model().reset_all().update(conn).await?;
    Ok((c, entry))
}

/// Refuses anyone but the campaign's treasurer, and a draft's books.
fn keeps_books(ctx: &Ctx<'_>, c: &campaign::Model) -> Option<Outcome> {
    if c.treasurer_id != ctx.actor.resident_id {
        return Some(refused(
            MutationCode::Forbidden,
            "only the campaign's treasurer writes its ledger",
            Some(campaign_change(c)),
        ));
    }
    if !Status::parse(&c.status).is_some_and(Status::keeps_books) {
        return Some(refused(
            MutationCode::CampaignState,
            "the campaign is a draft: open it first",
            Some(campaign_change(c)),
        ));
    }
    None
}

/// An entry sent again by the treasurer's phone (its answer was lost): applied once.
async fn sent_again(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    id: Uuid,
) -> Result<Option<Outcome>> {
    Ok(ledger_entry::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|e| {
            if e.community_id == ctx.actor.community_id && e.recorded_by == ctx.actor.resident_id {
                Outcome::applied(Some(entry_change(&e)), None)
            } else {
                Outcome::rejected(MutationCode::Conflict, "this id is already in use", None)
            }
        }))
}

/// `ledger.receive`: the treasurer records a pledge as received.
pub async fn receive(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &LedgerReceiveArgs,
) -> Result<Outcome> {
    if let Some(again) = sent_again(conn, ctx, a.id).await? {
        return Ok(again);
    }
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let Some(p) = pledge::Entity::find_by_id(a.pledge_id)
        .one(conn)
        .await?
        .filter(|p| p.community_id == ctx.actor.community_id && p.deleted_at.is_none())
    else {
        return Ok(not_found("no such pledge"));
    };
    let Some(c) = live(conn, ctx, p.campaign_id).await? else {
        return Ok(not_found("no such campaign"));
    };
    if let Some(refusal) = keeps_books(ctx, &c) {
        return Ok(refusal);
    }
    match p.status.as_str() {
        "received" => {
            return Ok(refused(
                MutationCode::AlreadyReceived,
                "this pledge is already in the ledger",
                Some(pledge_change(&p)),
            ));
        }
        "withdrawn" => {
            return Ok(refused(
                MutationCode::PledgeWithdrawn,
                "the resident withdrew this pledge",
                Some(pledge_change(&p)),
            ));
        }
        _ => {}
    }
    let pledged_items = items_of(&p.items);
    let checked = (|| {
        let amount = rules::fen("amount_fen", a.amount_fen.unwrap_or(p.amount_fen))?;
        let items = match &a.items {
            Some(i) => rules::items("items", i)?,
            None => pledged_items.clone(),
        };
        let hours = a.hours.unwrap_or(p.hours);
        if !(0..=rules::MAX_HOURS).contains(&hours) {
            return Err(FieldError::new("hours", "0 to 1,000 hours"));
        }
        let reference = rules::line("reference", a.reference.as_deref().unwrap_or(""), 0)?;
        Ok((amount, items, hours, reference))
    })();
    let (amount, items, hours, reference) = match checked {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let new = New {
        id: a.id,
        kind: Kind::Receipt,
        amount_fen: amount,
        items,
        hours,
        pledge_id: Some(p.id),
        donor: (!p.anonymous).then(|| p.name.clone()),
        method: a.method.as_str(),
        reference,
        description: String::new(),
        reverses: None,
        overdraft_reason: None,
        photos: Vec::new(),
    };
    let (_, entry) = append(conn, ctx, c, new, version).await?;
    let mut m = p;
    m.status = "received".into();
    m.entry_id = Some(entry.id);
    m.version = version;
    m.into_active_model().reset_all().update(conn).await?;
    Ok(Outcome::applied(Some(entry_change(&entry)), Some(version)))
}

/// `ledger.expense`: the treasurer records money spent, with the receipt's photo.
pub async fn expense(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &LedgerExpenseArgs,
) -> Result<Outcome> {
    if let Some(again) = sent_again(conn, ctx, a.id).await? {
        return Ok(again);
    }
    let checked = (|| {
        let amount = rules::fen("amount_fen", a.amount_fen)?;
        if amount == 0 {
            return Err(FieldError::new(
                "amount_fen",
                "an expense is at least 1 fen",
            ));
        }
        let description = rules::line("description", &a.description, 1)?;
        let reference = rules::line("reference", a.reference.as_deref().unwrap_or(""), 0)?;
        let reason = a
            .overdraft_reason
            .as_deref()
            .map(|r| rules::line("overdraft_reason", r, 1))
            .transpose()?;
        Ok((amount, description, reference, reason))
    })();
    let (amount, description, reference, reason) = match checked {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let Some(c) = live(conn, ctx, a.campaign_id).await? else {
        return Ok(not_found("no such campaign"));
    };
    if let Some(refusal) = keeps_books(ctx, &c) {
        return Ok(refusal);
    }
    if rules::overdraws(c.balance_fen, amount) && reason.is_none() {
        return Ok(refused(
            MutationCode::Overdraft,
            format!(
                "the balance is {:.2} yuan: spending {:.2} needs an overdraft reason (who advanced the money)",
                c.balance_fen as f64 / 100.0,
                amount as f64 / 100.0
            ),
            Some(campaign_change(&c)),
        ));
    }
    let photos =
        match attachments::declare(conn, ctx, OwnerKind::LedgerEntry, a.id, &a.photos).await? {
            Ok(p) => p,
            Err(refusal) => return Ok(refusal),
        };
    let new = New {
        id: a.id,
        kind: Kind::Expense,
        amount_fen: amount,
        items: Vec::new(),
        hours: 0,
        pledge_id: None,
        donor: None,
        method: "paid",
        reference,
        description,
        reverses: None,
        overdraft_reason: reason.filter(|_| rules::overdraws(c.balance_fen, amount)),
        photos,
    };
    let (_, entry) = append(conn, ctx, c, new, version).await?;
    Ok(Outcome::applied(Some(entry_change(&entry)), Some(version)))
}

/// `ledger.reverse`: the treasurer undoes an entry by a new one.
pub async fn reverse(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    a: &LedgerReverseArgs,
) -> Result<Outcome> {
    if let Some(again) = sent_again(conn, ctx, a.id).await? {
        return Ok(again);
    }
    let reason = match rules::line("reason", &a.reason, 1) {
        Ok(r) => r,
        Err(e) => return Ok(Outcome::invalid(e)),
    };
    let version = bump_version(conn, ctx.actor.community_id).await?;
    let Some(target) = ledger_entry::Entity::find_by_id(a.entry_id)
        .one(conn)
        .await?
        .filter(|e| e.community_id == ctx.actor.community_id)
    else {
        return Ok(not_found("no such ledger entry"));
    };
    let Some(c) = live(conn, ctx, target.campaign_id).await? else {
        return Ok(not_found("no such campaign"));
    };
    if let Some(refusal) = keeps_books(ctx, &c) {
        return Ok(refusal);
    }
    let kind = Kind::parse(&target.kind).unwrap_or(Kind::Reversal);
    if kind == Kind::Reversal || target.reversed_by.is_some() {
        return Ok(refused(
            MutationCode::AlreadyReversed,
            if kind == Kind::Reversal {
                "a reversal is not reversed: record the entry again"
            } else {
                "this entry is already reversed"
            },
            Some(entry_change(&target)),
        ));
    }
    let new = New {
        id: a.id,
        kind: Kind::Reversal,
        amount_fen: target.amount_fen,
        items: items_of(&target.items),
        hours: target.hours,
        pledge_id: target.pledge_id,
        donor: target.donor.clone(),
        method: "reversal",
        reference: format!("#{}", target.seq),
        description: reason,
        reverses: Some((target.id, kind)),
        overdraft_reason: None,
        photos: Vec::new(),
    };
    let (_, entry) = append(conn, ctx, c, new, version).await?;
    // The reversed entry says so (its content, and so its hash, unchanged); a reversed
    // receipt's pledge is pledged again, to be received right.
    let mut t = target;
    t.reversed_by = Some(entry.id);
    t.version = version;
    t.into_active_model().reset_all().update(conn).await?;
    if kind == Kind::Receipt
        && let Some(pid) = entry.pledge_id
        && let Some(mut p) = pledge::Entity::find_by_id(pid).one(conn).await?
    {
        p.status = "pledged".into();
        p.entry_id = None;
        p.version = version;
        p.into_active_model().reset_all().update(conn).await?;
    }
    Ok(Outcome::applied(Some(entry_change(&entry)), Some(version)))
}

/// A ledger entry's photos changed (one settled): re-read them onto its row, at `version`.
/// The hash is of the photos' ids, which do not change.
pub async fn photos_changed(conn: &impl ConnectionTrait, id: Uuid, version: i64) -> Result<()> {
    let photos = attachments::photos_of(conn, OwnerKind::LedgerEntry, id).await?;
    if let Some(e) = ledger_entry::Entity::find_by_id(id).one(conn).await? {
        let mut m = e.into_active_model();
        m.photos = sea_orm::Set(attachments::to_column(&photos));
        m.version = sea_orm::Set(version);
        m.update(conn).await?;
    }
    Ok(())
}

/// A volunteer marked present at a session of a series some campaigns link: each of their
/// pledges of hours alone (no money, no goods) to those campaigns, still pledged, is received
/// in the ledger as the hours given, recorded by whoever marked the attendance (in the same
/// transaction, at `version`). A pledge that also gives money or goods stays for the
/// treasurer. Returns how many were received.
pub(crate) async fn hours_served(
    conn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    series: Uuid,
    volunteer: Uuid,
    session: &str,
    version: i64,
) -> Result<usize> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let linked: Vec<campaign::Model> = campaign::Entity::find()
        .filter(campaign::Column::SeriesId.eq(series))
        .filter(campaign::Column::DeletedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .filter(|c| Status::parse(&c.status).is_some_and(Status::keeps_books))
        .collect();
    let mut received = 0;
    for c in linked {
        let owed = pledge::Entity::find()
            .filter(pledge::Column::CampaignId.eq(c.id))
            .filter(pledge::Column::ResidentId.eq(volunteer))
            .filter(pledge::Column::Status.eq("pledged"))
            .filter(pledge::Column::DeletedAt.is_null())
            .all(conn)
            .await?
            .into_iter()
            .filter(|p| p.hours > 0 && p.amount_fen == 0 && items_of(&p.items).is_empty());
        let mut c = c;
        for p in owed {
            let new = New {
                id: Uuid::new_v5(&p.id, b"linli-crowdfunding/attendance"),
                kind: Kind::Receipt,
                amount_fen: 0,
                items: Vec::new(),
                hours: p.hours,
                pledge_id: Some(p.id),
                donor: (!p.anonymous).then(|| p.name.clone()),
                method: "time",
                reference: rules::clip_line(session),
                description: String::new(),
                reverses: None,
                overdraft_reason: None,
                photos: Vec::new(),
            };
            let (after, entry) = append(conn, ctx, c, new, version).await?;
            c = after;
            let mut m = p;
            m.status = "received".into();
            m.entry_id = Some(entry.id);
            m.version = version;
            m.into_active_model().reset_all().update(conn).await?;
            received += 1;
        }
    }
    Ok(received)
}
