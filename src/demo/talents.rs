//! The demo's talents (眾人獻藝): residents offer what they can do, some to every
//! neighbour and most only to the committee and group leaders (the default); the branch
//! president of 利民小區 invites the retired teacher to lead the Spring Festival couplets,
//! and she accepts; an invitation to the erhu player waits for an answer. Everything goes
//! through the same mutations a phone pushes.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use super::{COMPOUNDS, DemoPhone, applied};
use crate::entity::{community, resident};
use crate::features::territory::entity::position;
use crate::http::AppState;

/// An offer: (skills, tags, free times, note, to every resident).
type Offer = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
    bool,
);

const OFFERS: [Offer; 6] = [
    (
        &["calligraphy", "teaching"],
        &["春聯"],
        &["weekday_mornings", "weekend_mornings"],
        "退休語文教師，寫了四十年毛筆字，願意教孩子和老人寫字。",
        true,
    ),
    (
        &["instrument", "singing"],
        &["二胡"],
        &["weekend_afternoons"],
        "礦上文工團退下來的，拉二胡，可以給合唱團伴奏。",
        false,
    ),
    (
        &["repairing", "electrics"],
        &["修電動車"],
        &["weekday_evenings", "weekend_mornings"],
        "老電工，家裡跳閘、水管漏水都能看看。",
        true,
    ),
    (
        &["law"],
        &["調解"],
        &["weekend_mornings"],
        "退休法官，週六法律角可以坐班。",
        false,
    ),
    (
        &["nursing", "medicine"],
        &["量血壓"],
        &["weekday_afternoons"],
        "礦醫院退休護士，可以給老人量血壓、講用藥。",
        false,
    ),
    (
        &["computers"],
        &["教用手機"],
        &["weekday_evenings"],
        "大學生，假期在家，教老人用手機掛號、視頻。",
        true,
    ),
];

pub async fn build(state: &AppState, village: &community::Model) -> anyhow::Result<String> {
    let db = &state.db;
    let compound = super::limin(state, village).await?;
    let scout = position::Entity::find()
        .filter(position::Column::UnitId.eq(compound.id))
        .filter(position::Column::Kind.eq("branch_president"))
        .filter(position::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("{} has no branch president", COMPOUNDS[0]))?
        .resident_id;
    // Residents with an account, from the far end of the list (the campaign's givers are
    // at the near end).
    let people: Vec<Uuid> = resident::Entity::find()
        .filter(resident::Column::CommunityId.eq(village.id))
        .filter(resident::Column::DeletedAt.is_null())
        .filter(resident::Column::Id.ne(scout))
        .order_by_desc(resident::Column::Phone)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .take(OFFERS.len())
        .collect();
    anyhow::ensure!(
        people.len() == OFFERS.len(),
        "the demo's talents need {} residents with an account",
        OFFERS.len()
    );
    let mut public = 0;
    for (who, (skills, tags, free, note, everyone)) in people.iter().zip(OFFERS) {
        let out = DemoPhone::new(*who)
            .push(
                state,
                "talent.offer",
                json!({"skills": skills, "tags": tags, "free": free, "note": note,
                    "visibility": if everyone { "residents" } else { "holders" }}),
            )
            .await?;
        applied(&out, "talent")?;
        public += usize::from(everyone);
    }
    let mut president = DemoPhone::new(scout);
    let couplets = Uuid::now_v7();
    let out = president
        .push(
            state,
            "talent.invite",
            json!({"id": couplets, "resident_id": people[0],
            "role": "lead", "skill": "calligraphy", "activity": "春節寫春聯送鄰居",
            "starts_at": (Utc::now() + Duration::days(40)).to_rfc3339(),
            "message": "臘月二十三上午在活動中心給大家寫春聯，請您帶著書畫社的老人們一起寫。"}),
        )
        .await?;
    applied(&out, "invitation")?;
    let out = DemoPhone::new(people[0])
        .push(
            state,
            "talent.answer",
            json!({"invitation_id": couplets, "accept": true, "reply": "好的，我帶筆墨紙硯去。"}),
        )
        .await?;
    applied(&out, "answer")?;
    let out = president
        .push(
            state,
            "talent.invite",
            json!({"id": Uuid::now_v7(), "resident_id": people[1],
            "role": "help", "skill": "二胡", "activity": "重陽節敬老晚會伴奏",
            "starts_at": (Utc::now() + Duration::days(20)).to_rfc3339()}),
        )
        .await?;
    applied(&out, "invitation")?;
    Ok(format!(
        "{} residents offer talents ({public} to every neighbour, the rest to the committee); 2 invitations from {}'s branch president, one accepted",
        OFFERS.len(),
        COMPOUNDS[0]
    ))
}
