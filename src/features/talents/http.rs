//! Reads of talents: the search position holders and group leaders use to find someone to
//! lead or help an activity (residents see the offers opted in to them, and their own), and
//! a resident's invitations.

use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entity::{talent, talent_invitation};
use super::rules::{self, FreeTime, Skill, Visibility};
use super::wire::{TalentData, TalentInvitationData};
use super::{invitation_change, talent_data};
use crate::auth::bearer::BearerAuth;
use crate::features::Change;
use crate::web::Core;
use crate::web::error::ApiResult;
use crate::web::error::answers::*;

#[derive(Tags)]
pub enum TalentsTags {
    /// Talents (眾人獻藝): residents' offers of skills, and invitations to lead or help.
    Talents,
}

pub struct TalentsApi;

/// One page of a talent search.
#[derive(Debug, Object)]
pub struct TalentPage {
    pub talents: Vec<TalentData>,
    /// The `offset` of the next page, when there is one.
    #[oai(skip_serializing_if_is_none)]
    #[oai(validator(minimum(value = "0")))]
    pub next_offset: Option<u64>,
}

#[OpenApi(prefix_path = "/api/v1", tag = "TalentsTags::Talents")]
impl TalentsApi {
    /// Search residents' talents
    ///
    /// Offers the caller sees (position holders and group leaders: all of the community's;
    /// other residents: those opted in to them, and their own), matching every criterion
    /// given: a fixed `skill`, a free `tag`, a time the resident is `free`. By name; at
    /// most `limit` (50 by default, at most 200) from `offset`.
    #[oai(path = "/talents", method = "get", operation_id = "searchTalents")]
    #[allow(clippy::too_many_arguments)] // one per query parameter, as the document lists them
    async fn search(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        skill: Query<Option<Skill>>,
        tag: Query<Option<String>>,
        free: Query<Option<FreeTime>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u64>>,
        #[oai(validator(maximum(value = "1000000")))] offset: Query<Option<u64>>,
    ) -> ApiResult<Json<TalentPage>, { SIGNED_IN | PARAMS }> {
        let actor = state.actor(&auth.0).await?;
        let mut q = talent::Entity::find()
            .filter(talent::Column::CommunityId.eq(actor.community_id))
            .filter(talent::Column::DeletedAt.is_null());
        if !rules::is_scout(&actor) {
            q = q.filter(
                Condition::any()
                    .add(talent::Column::Visibility.eq(Visibility::Residents.as_str()))
                    .add(talent::Column::ResidentId.eq(actor.resident_id)),
            );
        }
        if let Some(s) = skill.0 {
            q = q.filter(talent::Column::Skills.like(rules::pattern(s.as_str())));
        }
        if let Some(t) = tag.0.as_deref().map(|t| t.trim().to_ascii_lowercase()) {
            // A tag never holds `|`; `%` and `_` in one would only widen the LIKE, and
            // [`rules::matches`] below keeps exactly the tag.
            q = q.filter(talent::Column::Tags.like(rules::pattern(&t)));
        }
        if let Some(f) = free.0 {
            q = q.filter(talent::Column::Availability.like(rules::pattern(f.as_str())));
        }
        let limit = limit.0.unwrap_or(50);
        let offset = offset.0.unwrap_or(0);
        let rows = q
            .order_by_asc(talent::Column::Name)
            .order_by_asc(talent::Column::Id)
            .offset(offset)
            .limit(limit + 1)
            .all(&state.db)
            .await?;
        let more = rows.len() as u64 > limit;
        let talents: Vec<TalentData> = rows
            .iter()
            .take(limit as usize)
            .filter(|t| super::sees(&actor, t))
            .filter_map(talent_data)
            .filter(|d| {
                tag.0
                    .as_deref()
                    .is_none_or(|t| d.tags.iter().any(|x| x == &t.trim().to_ascii_lowercase()))
            })
            .collect();
        Ok(Json(TalentPage {
            talents,
            next_offset: more.then_some(offset + limit),
        }))
    }

    /// My invitations
    ///
    /// Invitations to the caller to lead or help an activity, and those they sent; the
    /// newest first.
    #[oai(
        path = "/talents/invitations",
        method = "get",
        operation_id = "listTalentInvitations"
    )]
    async fn invitations(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
    ) -> ApiResult<Json<Vec<TalentInvitationData>>, { SIGNED_IN }> {
        let actor = state.actor(&auth.0).await?;
        Ok(Json(
            talent_invitation::Entity::find()
                .filter(talent_invitation::Column::CommunityId.eq(actor.community_id))
                .filter(
                    Condition::any()
                        .add(talent_invitation::Column::ResidentId.eq(actor.resident_id))
                        .add(talent_invitation::Column::InviterId.eq(actor.resident_id)),
                )
                .filter(talent_invitation::Column::DeletedAt.is_null())
                .order_by_desc(talent_invitation::Column::CreatedAt)
                .all(&state.db)
                .await?
                .iter()
                .filter(|i| super::sees_invitation(&actor, i))
                .filter_map(|i| match invitation_change(i) {
                    Change::TalentInvitation(c) => c.data,
                    _ => None,
                })
                .collect(),
        ))
    }
}
