//! The `Authorization: Bearer <access token>` scheme. Operations that take a [`BearerAuth`]
//! argument declare it in the OpenAPI document and only run for a valid token.

use std::sync::Arc;

use poem::Request;
use poem_openapi::{SecurityScheme, auth::Bearer};

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
    keys.verify(&bearer.token).map_err(|refused| {
        tracing::debug!(%refused, "access token refused");
        poem::Error::from(ErrorResponse::from(ApiError::Unauthorized))
    })
}
