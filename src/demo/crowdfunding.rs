//! The demo's micro-crowdfunding (微愛眾籌), in 利民小區 (Limin compound).
//!
//! The compound's branch president starts a campaign for 40 flower pots and four benches
//! in the yard (2,000 yuan, the pots, 20 volunteer hours), names a resident treasurer and
//! opens it. Residents pledge money (one anonymously), pots and hours; the treasurer
//! receives most of it, buys the benches, records the delivery twice by mistake and
//! reverses it. Everything goes through the same mutations a phone pushes.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{COMPOUNDS, DemoPhone, applied};
use crate::entity::{community, resident};
use crate::features::territory::entity::{position, residency};
use crate::http::AppState;

/// A pledge: (giver, fen, pots, hours, anonymous, received as).
type Gift = (usize, i64, u32, i32, bool, Option<&'static str>);

pub async fn build(state: &AppState, village: &community::Model) -> anyhow::Result<String> {
    let db = &state.db;
    let compound = super::limin(state, village).await?;
    let organiser = position::Entity::find()
        .filter(position::Column::UnitId.eq(compound.id))
        .filter(position::Column::Kind.eq("branch_president"))
        .filter(position::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("{} has no branch president", COMPOUNDS[0]))?
        .resident_id;
    // Its residents with an account first, then any of the community's (a small demo may
    // have few in the compound).
    let mut residents: Vec<Uuid> = residency::Entity::find()
        .filter(residency::Column::CompoundId.eq(compound.id))
        .filter(residency::Column::Status.eq("verified"))
        .filter(residency::Column::MovedOut.is_null())
        .filter(residency::Column::DeletedAt.is_null())
        .order_by_asc(residency::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| r.resident_id)
        .collect();
    residents.extend(
        resident::Entity::find()
            .filter(resident::Column::CommunityId.eq(village.id))
            .filter(resident::Column::DeletedAt.is_null())
            .order_by_asc(resident::Column::Phone)
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.id),
    );
    let mut seen = std::collections::HashSet::from([organiser]);
    residents.retain(|r| seen.insert(*r));
    anyhow::ensure!(
        residents.len() >= 5,
        "the demo's campaign needs five residents with an account"
    );
    let (treasurer, givers) = (residents[0], &residents[1..]);

    let campaign = Uuid::now_v7();
    let mut org = DemoPhone::new(organiser);
    let out = org
        .push(state, "campaign.create", json!({"id": campaign, "unit_id": compound.id,
            "title": "利民小區花盆和長椅", "purpose": "給小區院子添40個花盆和4張長椅，讓老人有地方坐、有花看。",
            "treasurer_id": treasurer, "goal_fen": 200_000, "goal_items": [{"item": "花盆", "quantity": 40}],
            "goal_hours": 20, "deadline": (Utc::now() + Duration::days(30)).to_rfc3339()}))
        .await?;
    applied(&out, "campaign")?;
    let out = org
        .push(state, "campaign.open", json!({"campaign_id": campaign}))
        .await?;
    applied(&out, "campaign's opening")?;

    let plan: [Gift; 6] = [
        (0, 50_000, 0, 0, false, Some("transfer")),
        (1, 100_000, 0, 0, true, Some("cash")),
        (2, 0, 20, 4, false, Some("goods")),
        (3, 20_000, 0, 0, false, Some("cash")),
        (0, 0, 10, 0, false, None),
        (2 % givers.len(), 0, 0, 8, false, None),
    ];
    let mut books = DemoPhone::new(treasurer);
    let mut entries = 0;
    for (g, fen, pots, hours, anonymous, received) in plan {
        let id = Uuid::now_v7();
        let items: Vec<Value> = (pots > 0)
            .then(|| json!({"item": "花盆", "quantity": pots}))
            .into_iter()
            .collect();
        let out = DemoPhone::new(givers[g % givers.len()])
            .push(
                state,
                "pledge.make",
                json!({"id": id, "campaign_id": campaign,
                "amount_fen": fen, "items": items, "hours": hours, "anonymous": anonymous}),
            )
            .await?;
        applied(&out, "pledge")?;
        if let Some(method) = received {
            let entry = Uuid::now_v7();
            let args = json!({"id": entry, "pledge_id": id, "method": method,
                "reference": if method == "transfer" { "微信轉賬 尾號0427" } else { "" }});
            let out = books.push(state, "ledger.receive", args).await?;
            applied(&out, "receipt")?;
            entries += 1;
        }
    }
    let out = books
        .push(state, "ledger.expense", json!({"id": Uuid::now_v7(), "campaign_id": campaign,
            "amount_fen": 120_000, "description": "4張戶外長椅", "reference": "發票 No.20261203-17"}))
        .await?;
    applied(&out, "expense")?;
    entries += 1;
    let mistake = Uuid::now_v7();
    let out = books
        .push(
            state,
            "ledger.expense",
            json!({"id": mistake, "campaign_id": campaign,
            "amount_fen": 12_000, "description": "運費（重複記賬）"}),
        )
        .await?;
    applied(&out, "expense")?;
    let out = books
        .push(
            state,
            "ledger.reverse",
            json!({"id": Uuid::now_v7(), "entry_id": mistake,
            "reason": "運費已含在長椅發票內，重複記了"}),
        )
        .await?;
    applied(&out, "reversal")?;
    entries += 2;
    Ok(format!(
        "a campaign for 40 flower pots and 4 benches in {}: 6 pledges (one anonymous), {entries} ledger entries with an expense and a reversal",
        COMPOUNDS[0]
    ))
}
