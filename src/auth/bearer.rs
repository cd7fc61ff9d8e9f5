//! The `Authorization: Bearer <access token>` scheme. Operations that take a [`BearerAuth`]
//! argument declare it in the OpenAPI document and only run for a valid token.

use std::sync::Arc;

use poem::Request;
use poem_openapi::{SecurityScheme, auth::Bearer};

use super::revoked::RevokedSessions;
use super::tokens::{Claims, TokenKeys};
use crate::web::error::{ApiError, ErrorResponse};

/// A valid access token: a JWT from `login`, `register` or `refresh`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check_access_token")]
pub struct BearerAuth(pub Claims);

async fn check_access_token(req: &Request, bearer: Bearer) -> poem::Result<Claims> {
    let keys = req
        .data::<Arc<TokenKeys>>()
        .expect("the token keys are attached to every route");
    let refused = || poem::Error::from(ErrorResponse::from(ApiError::Unauthorized));
    let claims = keys.verify(&bearer.token).map_err(|why| {
        tracing::debug!(%why, "access token refused");
        refused()
    })?;
    // A logged-out session's tokens are refused before they expire.
    if let (Some(sid), Some(revoked)) = (claims.sid, req.data::<Arc<RevokedSessions>>())
        && revoked.is_revoked(sid)
    {
        tracing::debug!(%sid, "access token of a logged-out session refused");
        return Err(refused());
    }
    Ok(claims)
}
