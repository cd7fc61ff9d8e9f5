//! # Micro-crowdfunding (微愛眾籌), with a public ledger
//!
//! With little money and few staff, residents pool small gifts of money, goods and time
//! for shared needs: 40 flower pots and four benches for a compound's yard. The committee
//! over a unit starts a campaign ([`campaigns::create`]) with goals in money (integer fen,
//! never floating point), goods and volunteer hours, a deadline, and a treasurer it names;
//! opens it; residents pledge, named or anonymous ([`campaigns::pledge`]). Money changes hands
//! offline: the treasurer records each pledge as received (cash, a transfer's reference)
//! and each expense with its receipt's photo ([`ledger`]). The organiser closes it with a
//! report of what was done.
//!
//! **The ledger** is public and append-only: every received pledge (an anonymous one with no
//! name) and every expense, each with the balance after it, chained by hashes so that an
//! edited past entry shows ([`rules::link`], [`rules::verify`]); the campaign publishes the
//! head. A mistake is fixed by a reversing entry, never an edit. Received − spent = balance
//! is held as a property over random operations.
//!
//! **Who sees what.** Campaigns and ledgers are public in the community. A pledge is its
//! pledger's, and is seen by the campaign's treasurer (who must know who gave, even
//! anonymously: a key derived from their id, [`rules::person_key`]) and admins; nobody else.
//!
//! How the pieces fit: [`wire`] (the contract), [`campaigns`] (campaigns and pledges),
//! [`ledger`] (entries and the chain), [`rules`] (money, goods, states, the chain, as plain
//! functions), [`entity`], [`http`] (campaigns, a ledger with its check), [`export`].

pub mod campaigns;
pub mod entity;
pub mod export;
pub mod http;
pub mod ledger;
pub mod rules;
pub mod wire;

use sea_orm::{DatabaseTransaction, DbErr};
use uuid::Uuid;

use crate::domain::permissions::Actor;
use crate::features::attachments;
use crate::features::{App, Change, Ctx, Outcome};
use crate::sync::feed::{Audience, Encode, FeedTable, Table};
use crate::sync::registry::{Handler, SyncApp};
use crate::sync::wire::ChangeOp;
use campaigns::items_of;
use entity::{campaign, campaign_rating, ledger_entry, pledge};
use wire::*;

/// Feed order within one version, after the announcements': a campaign before its pledges
/// and entries.
pub mod rank {
    pub const CAMPAIGN: u8 = 52;
    pub const PLEDGE: u8 = 53;
    pub const ENTRY: u8 = 54;
    /// After talents' and notifications': a table added later keeps the ranks before it.
    pub const RATING: u8 = 59;
}

/// Crowdfunding's synced tables.
pub fn tables<A: SyncApp<Change = Change>>() -> Vec<Box<dyn FeedTable<A>>> {
    vec![
        Box::new(Table::<campaign::Entity, A>::new(
            "campaign",
            rank::CAMPAIGN,
            Audience::Public,
            Encode::Each(campaign_change),
            |id| Change::Campaign(CampaignChange::gone(id)),
        )),
        Box::new(Table::<pledge::Entity, A>::new(
            "pledge",
            rank::PLEDGE,
            Audience::Personal {
                owner: "resident_id",
                over: &["treasurer_key"],
            },
            Encode::Each(pledge_change),
            |id| Change::Pledge(PledgeChange::gone(id)),
        )),
        Box::new(Table::<ledger_entry::Entity, A>::new(
            "ledger_entry",
            rank::ENTRY,
            Audience::Public,
            Encode::Each(entry_change),
            |id| Change::LedgerEntry(LedgerEntryChange::gone(id)),
        )),
        Box::new(Table::<campaign_rating::Entity, A>::new(
            "campaign_rating",
            rank::RATING,
            Audience::Personal {
                owner: "resident_id",
                over: &[],
            },
            Encode::Each(rating_change),
            |id| Change::CampaignRating(CampaignRatingChange::gone(id)),
        )),
    ]
}

/// The key a treasurer's phone holds: pledges to their campaigns are seen over it.
pub fn sees_over(actor: &Actor) -> impl Iterator<Item = Uuid> + '_ {
    std::iter::once(rules::person_key(actor.resident_id))
}

/// Whether the actor sees a pledge (the same answer as the sync feed's).
pub fn sees_pledge(actor: &Actor, p: &pledge::Model) -> bool {
    p.community_id == actor.community_id
        && (p.resident_id == actor.resident_id
            || actor.is_admin_of(actor.community_id)
            || p.treasurer_key == rules::person_key(actor.resident_id))
}

pub fn campaign_change(c: &campaign::Model) -> Change {
    let data = rules::Status::parse(&c.status)
        .filter(|_| c.deleted_at.is_none())
        .map(|status| CampaignData {
            id: c.id,
            unit_id: c.unit_id,
            title: c.title.clone(),
            purpose: c.purpose.clone(),
            organiser_id: c.organiser_id,
            organiser_name: c.organiser_name.clone(),
            treasurer_id: c.treasurer_id,
            treasurer_name: c.treasurer_name.clone(),
            goal_fen: c.goal_fen,
            goal_items: items_of(&c.goal_items),
            goal_hours: c.goal_hours,
            series_id: c.series_id,
            deadline: c.deadline,
            status,
            pledged_fen: c.pledged_fen,
            pledged_hours: c.pledged_hours,
            pledges: c.pledges,
            received_fen: c.received_fen,
            received_items: items_of(&c.received_items),
            spent_fen: c.spent_fen,
            balance_fen: c.balance_fen,
            ledger_length: c.ledger_length,
            ledger_head: c.ledger_head.clone(),
            report: c.report.clone(),
            photos: attachments::from_column(&c.photos),
            rating_count: c.rating_count,
            rating_sum: c.rating_sum,
            created_at: c.created_at,
        });
    Change::Campaign(CampaignChange {
        id: c.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}

pub fn rating_change(r: &campaign_rating::Model) -> Change {
    let data = r.deleted_at.is_none().then(|| CampaignRatingData {
        id: r.id,
        campaign_id: r.campaign_id,
        stars: r.stars,
        comment: r.comment.clone(),
        rated_at: r.created_at,
    });
    Change::CampaignRating(CampaignRatingChange {
        id: r.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}

pub fn pledge_change(p: &pledge::Model) -> Change {
    let data = p.deleted_at.is_none().then(|| PledgeData {
        id: p.id,
        campaign_id: p.campaign_id,
        resident_id: p.resident_id,
        name: p.name.clone(),
        anonymous: p.anonymous,
        amount_fen: p.amount_fen,
        items: items_of(&p.items),
        hours: p.hours,
        status: p.status.clone(),
        entry_id: p.entry_id,
        pledged_at: p.created_at,
    });
    Change::Pledge(PledgeChange {
        id: p.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}

pub fn entry_change(e: &ledger_entry::Model) -> Change {
    let data = rules::Kind::parse(&e.kind)
        .filter(|_| e.deleted_at.is_none())
        .map(|kind| LedgerEntryData {
            id: e.id,
            campaign_id: e.campaign_id,
            seq: e.seq,
            kind,
            amount_fen: e.amount_fen,
            items: items_of(&e.items),
            hours: e.hours,
            donor: e.donor.clone(),
            method: e.method.clone(),
            reference: e.reference.clone(),
            description: e.description.clone(),
            reverses: e.reverses,
            reversed_by: e.reversed_by,
            overdraft_reason: e.overdraft_reason.clone(),
            balance_after_fen: e.balance_after_fen,
            recorded: e.recorded_at.clone(),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
            photos: attachments::from_column(&e.photos),
        });
    Change::LedgerEntry(LedgerEntryChange {
        id: e.id,
        op: ChangeOp::of(data.is_none()),
        data,
    })
}

/// A campaign's photos changed (one settled): re-read them onto its row, at `version`.
pub async fn photos_changed(
    conn: &impl sea_orm::ConnectionTrait,
    id: Uuid,
    version: i64,
) -> Result<(), DbErr> {
    use sea_orm::{ActiveModelTrait as _, EntityTrait, IntoActiveModel, Set};
    let photos = attachments::photos_of(conn, attachments::OwnerKind::Campaign, id).await?;
    if let Some(c) = campaign::Entity::find_by_id(id).one(conn).await? {
        let mut m = c.into_active_model();
        m.photos = Set(attachments::to_column(&photos));
        m.version = Set(version);
        m.update(conn).await?;
    }
    Ok(())
}

handlers! {
    CampaignRateMutation = "campaign.rate" => campaigns::rate;
    CampaignCreateMutation = "campaign.create" => campaigns::create;
    CampaignOpenMutation = "campaign.open" => campaigns::open;
    CampaignCloseMutation = "campaign.close" => campaigns::close;
    CampaignCancelMutation = "campaign.cancel" => campaigns::cancel;
    PledgeMakeMutation = "pledge.make" => campaigns::pledge;
    PledgeWithdrawMutation = "pledge.withdraw" => campaigns::withdraw;
    LedgerReceiveMutation = "ledger.receive" => ledger::receive;
    LedgerExpenseMutation = "ledger.expense" => ledger::expense;
    LedgerReverseMutation = "ledger.reverse" => ledger::reverse;
}
