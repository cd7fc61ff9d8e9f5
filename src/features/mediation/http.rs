//! The caller's own copies of the mediations they are a party to, mediate, or oversee as
//! president: the same copies the sync feed gives them, and nobody else's.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, Tags};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entity::mediation_copy;
use super::wire::MediationData;
use super::{copy_id, mediate};
use crate::auth::bearer::BearerAuth;
use crate::features::Change;
use crate::web::Core;
use crate::web::error::answers::*;
use crate::web::error::{ApiError, ApiResult};

#[derive(Tags)]
pub enum MediationTags {
    /// Mediations of neighbour disputes, for their parties, mediators and the president only.
    Mediation,
}

pub struct MediationApi;

fn data(c: &mediation_copy::Model) -> Option<MediationData> {
    match mediate::change(c) {
        Change::Mediation(m) => m.data.map(|d| d.mediation),
        _ => None,
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "MediationTags::Mediation")]
impl MediationApi {
    /// My mediations
    ///
    /// Those the caller is a party to, mediates, or oversees as president; newest first.
    #[oai(path = "/mediations", method = "get", operation_id = "listMediations")]
    async fn mediations(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
    ) -> ApiResult<Json<Vec<MediationData>>, { SIGNED_IN }> {
        let actor = state.actor(&auth.0).await?;
        Ok(Json(
            mediation_copy::Entity::find()
                .filter(mediation_copy::Column::ReaderId.eq(actor.resident_id))
                .filter(mediation_copy::Column::CommunityId.eq(actor.community_id))
                .filter(mediation_copy::Column::DeletedAt.is_null())
                .order_by_desc(mediation_copy::Column::CreatedAt)
                .all(&state.db)
                .await?
                .iter()
                .filter_map(data)
                .collect(),
        ))
    }

    /// A mediation
    ///
    /// By its dispute case's id, for its parties, mediators and the president; to anyone
    /// else it does not exist.
    #[oai(
        path = "/mediations/:case_id",
        method = "get",
        operation_id = "getMediation"
    )]
    async fn mediation(
        &self,
        state: Data<&Core>,
        auth: BearerAuth,
        case_id: Path<Uuid>,
    ) -> ApiResult<Json<MediationData>, { SIGNED_IN | PARAMS | NOT_FOUND }> {
        let actor = state.actor(&auth.0).await?;
        mediation_copy::Entity::find_by_id(copy_id(case_id.0, actor.resident_id))
            .one(&state.db)
            .await?
            .filter(|c| c.community_id == actor.community_id && c.reader_id == actor.resident_id)
            .and_then(|c| data(&c))
            .map(Json)
            .ok_or(ApiError::NotFound("mediation").into())
    }
}
