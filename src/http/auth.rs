//! Registration, login, token refresh and logout.

use std::time::Instant;

use chrono::Utc;
use poem::{Request, web::Data};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, payload::Json, types::Password};
use uuid::Uuid;

use super::error::{ApiError, ApiResult, ProblemCode};
use super::{ApiTags, AppState};
use crate::auth::{password, tokens};
use crate::domain::resident::{DisplayName, NewPassword, PhoneNumber};
use crate::persistence::{self, residents::CreateError, sessions::Refreshed};
use crate::web::error::answers::*;

pub struct AuthApi;

/// A new resident's registration.
#[derive(Debug, Object)]
pub struct RegisterRequest {
    /// Phone number, used to log in: E.164 (`+8613812345678`), `00` and the country code, or
    /// a mainland mobile number (`13812345678`). Spaces, dashes, dots and brackets between the
    /// digits are ignored. At most 32 characters. The pattern is exactly what the server
    /// accepts (`domain::resident::PHONE_PATTERN`, checked by a test).
    #[oai(validator(
        max_length = 32,
        pattern = "^[ .()\u{3000}-]*(?:(?:\\+|0[ .()\u{3000}-]*0)[ .()\u{3000}-]*(?:[1-79](?:[ .()\u{3000}-]*[0-9]){6,14}|8[ .()\u{3000}-]*[0-57-9](?:[ .()\u{3000}-]*[0-9]){5,13}|8[ .()\u{3000}-]*6[ .()\u{3000}-]*1[ .()\u{3000}-]*[3-9](?:[ .()\u{3000}-]*[0-9]){9}|8[ .()\u{3000}-]*6[ .()\u{3000}-]*[2-9](?:[ .()\u{3000}-]*[0-9]){8,10})|1[ .()\u{3000}-]*[3-9](?:[ .()\u{3000}-]*[0-9]){9})[ .()\u{3000}-]*$"
    ))]
    pub phone: String,
    /// Name shown to other residents: 1 to 64 characters, not only spaces, no control
    /// characters.
    #[oai(validator(
        min_length = 1,
        max_length = 64,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    ))]
    pub display_name: String,
    /// 8 to 128 characters, not only spaces.
    #[oai(validator(min_length = 8, max_length = 128, pattern = "\\S"))]
    pub password: Password,
    /// The community to join, from `GET /api/v1/communities`.
    pub community_id: Uuid,
}

/// Credentials for logging in.
#[derive(Debug, Object)]
pub struct LoginRequest {
    /// Phone number as registered (any accepted spelling).
    pub phone: String,
    pub password: Password,
}

/// A refresh token, for `refresh` or `logout`.
#[derive(Debug, Object)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum TokenType {
    Bearer,
}

/// A signed-in session. Keep `refresh_token` in the phone's secure storage; every refresh
/// returns a new one and the old one stops working.
#[derive(Debug, Object)]
pub struct Session {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    pub token_type: TokenType,
    /// Seconds until `access_token` expires (900).
    pub expires_in: u32,
    /// Exchange at `POST /api/v1/auth/refresh` for a new session. Single use.
    pub refresh_token: String,
    /// Seconds until `refresh_token` expires if unused (30 days).
    pub refresh_token_expires_in: u32,
    /// The signed-in resident.
    pub resident_id: Uuid,
}

#[derive(ApiResponse)]
pub enum RegisterResponse {
    /// The account was created and is signed in.
    #[oai(status = 201)]
    Created(Json<Session>),
}

#[derive(ApiResponse)]
pub enum LogoutResponse {
    /// The session is ended on the server (also when it had already ended).
    #[oai(status = 204)]
    LoggedOut,
}

#[OpenApi(prefix_path = "/api/v1/auth", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Register a resident
    ///
    /// Creates an account in a community and signs it in. A phone number can hold one
    /// account (`409 phone_taken`).
    #[oai(path = "/register", method = "post", operation_id = "register")]
    async fn register(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<RegisterRequest>,
    ) -> ApiResult<RegisterResponse, { ALWAYS | BODY | NOT_FOUND | CONFLICT | TOO_MANY_REQUESTS }>
    {
        Ok(RegisterResponse::Created(Json(
            register(&state, &client_address(req, &state.trusted_proxies), body.0).await?,
        )))
    }

    /// Log in
    ///
    /// Exchanges phone number and password for a session. A wrong phone number and a wrong
    /// password get the same answer. After repeated failures for one phone number or from
    /// one address, attempts are refused with `429` and `Retry-After`.
    #[oai(path = "/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<LoginRequest>,
    ) -> ApiResult<Json<Session>, { ALWAYS | BODY | UNAUTHORIZED | TOO_MANY_REQUESTS }> {
        Ok(Json(
            login(&state, &client_address(req, &state.trusted_proxies), body.0).await?,
        ))
    }

    /// Refresh a session
    ///
    /// Exchanges a refresh token for a new access token and a new refresh token. Each refresh
    /// token works once: presenting a used one again ends the session on every device
    /// (`401 refresh_token_reused`), because it means someone else holds a copy. A retry
    /// within 60 seconds, before the new refresh token was used (an answer lost on a poor
    /// connection), gets the same new refresh token again.
    #[oai(path = "/refresh", method = "post", operation_id = "refresh")]
    async fn refresh(
        &self,
        state: Data<&AppState>,
        body: Json<RefreshRequest>,
    ) -> ApiResult<Json<Session>, { ALWAYS | BODY | UNAUTHORIZED }> {
        let now = Utc::now();
        let refreshed = {
            let _turn = state.write_gate.turn().await;
            persistence::sessions::refresh(
                &state.db,
                &body.refresh_token,
                state.tokens.successor(&body.refresh_token),
                state.refresh_reuse_window,
                now,
            )
            .await
            .map_err(ApiError::from)?
        };
        match refreshed {
            Refreshed::Rotated {
                resident,
                family,
                token,
            } => {
                let community = persistence::residents::find_active(&state.db, resident)
                    .await
                    .map_err(ApiError::from)?
                    .ok_or(ApiError::InvalidRefreshToken)?
                    .community_id;
                Ok(Json(session(
                    &state,
                    resident,
                    community,
                    family,
                    token.token,
                )?))
            }
            Refreshed::Invalid => Err(ApiError::InvalidRefreshToken.into()),
            Refreshed::Reused { family } => {
                state.revoked.revoke(family, now);
                tracing::warn!(
                    "a rotated refresh token was presented again; its session was revoked"
                );
                Err(ApiError::RefreshTokenReused.into())
            }
        }
    }

    /// Log out
    ///
    /// Ends the session the refresh token belongs to, on every device that shares it. Its
    /// access tokens stop working too (on other server instances within 2 seconds).
    #[oai(path = "/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&AppState>,
        body: Json<RefreshRequest>,
    ) -> ApiResult<LogoutResponse, { ALWAYS | BODY }> {
        let now = Utc::now();
        let ended = {
            let _turn = state.write_gate.turn().await;
            persistence::sessions::logout(&state.db, &body.refresh_token, now)
                .await
                .map_err(ApiError::from)?
        };
        // The session's access tokens stop working now, not when they expire.
        if let Some(family) = ended {
            state.revoked.revoke(family, now);
        }
        Ok(LogoutResponse::LoggedOut)
    }
}

/// The client's address, for throttling: the connection's peer, or, when the peer is one of
/// the `trusted` reverse proxies, the nearest address in `X-Forwarded-For` that is not.
pub(crate) fn client_address(req: &Request, trusted: &[std::net::IpAddr]) -> String {
    let Some(peer) = req.remote_addr().as_socket_addr().map(|a| a.ip()) else {
        return req.remote_addr().to_string();
    };
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    client_ip(peer, forwarded, trusted).to_string()
}

/// The client behind a chain of proxies: walking `X-Forwarded-For` from the right (the hop
/// nearest to us) while the hop is trusted. A header from an untrusted peer is ignored, and so
/// is anything unreadable in it.
pub fn client_ip(
    peer: std::net::IpAddr,
    forwarded_for: Option<&str>,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or_default().rsplit(',') {
        match hop.trim().parse::<std::net::IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

async fn register(
    state: &AppState,
    address: &str,
    form: RegisterRequest,
) -> Result<Session, ApiError> {
    let phone = PhoneNumber::parse(&form.phone)?;
    let name = DisplayName::parse(&form.display_name)?;
    let password = NewPassword::parse(form.password.as_str())?;
    // Registration reveals whether a number is taken, so probing it counts against the
    // address like a failed login does: counted when it starts, taken back unless the
    // number was taken.
    let started = Instant::now();
    state
        .login_throttle
        .by_address
        .try_begin(address, started)
        .map_err(ApiError::RateLimited)?;
    let outcome = create_account(state, &form, &phone, &name, &password).await;
    if !matches!(
        outcome,
        Err(ApiError::Conflict {
            code: ProblemCode::PhoneTaken,
            ..
        })
    ) {
        state.login_throttle.by_address.forgive(address, started);
    }
    let resident = outcome?;
    tracing::info!(resident = %resident.id, community = %resident.community_id, "resident registered");
    let (family, refresh) = start_session(state, resident.id).await?;
    session(
        state,
        resident.id,
        resident.community_id,
        family,
        refresh.token,
    )
}

async fn create_account(
    state: &AppState,
    form: &RegisterRequest,
    phone: &PhoneNumber,
    name: &DisplayName,
    password: &NewPassword,
) -> Result<crate::entity::resident::Model, ApiError> {
    if persistence::communities::find(&state.db, form.community_id)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound("community"));
    }
    let hash = password::hash(password).await?;
    let turn = state.write_gate.turn().await;
    let created =
        persistence::residents::create(&state.db, form.community_id, phone, name, hash).await;
    drop(turn);
    match created {
        Ok(r) => Ok(r),
        Err(CreateError::PhoneTaken) => Err(ApiError::Conflict {
            code: ProblemCode::PhoneTaken,
            detail: "this phone number is already registered; log in instead".into(),
        }),
        Err(CreateError::Db(e)) => Err(e.into()),
    }
}

async fn login(state: &AppState, address: &str, form: LoginRequest) -> Result<Session, ApiError> {
    // A number that cannot be registered has no account: the same answer as a wrong password.
    let Ok(phone) = PhoneNumber::parse(&form.phone) else {
        return Err(ApiError::InvalidCredentials);
    };
    // Counted as a failure from here on, unless the password turns out right.
    let attempt = state
        .login_throttle
        .begin(phone.as_str(), address, Instant::now())
        .map_err(ApiError::RateLimited)?;
    let resident = persistence::residents::find_by_phone(&state.db, &phone).await?;
    let stored = resident.as_ref().map(|r| r.password_hash.clone());
    if !password::verify(form.password.as_str(), stored).await? {
        return Err(ApiError::InvalidCredentials);
    }
    let resident = resident.expect("a password only verifies against a stored hash");
    state
        .login_throttle
        .succeeded(attempt, phone.as_str(), address);
    let (family, refresh) = start_session(state, resident.id).await?;
    session(
        state,
        resident.id,
        resident.community_id,
        family,
        refresh.token,
    )
}

/// A new session for `resident`, written in its turn: its id and first refresh token.
async fn start_session(
    state: &AppState,
    resident: Uuid,
) -> Result<(Uuid, crate::auth::tokens::NewRefreshToken), ApiError> {
    let _turn = state.write_gate.turn().await;
    Ok(persistence::sessions::start(&state.db, resident, Utc::now()).await?)
}

fn session(
    state: &AppState,
    resident: Uuid,
    community: Uuid,
    family: Uuid,
    refresh_token: String,
) -> Result<Session, ApiError> {
    Ok(Session {
        access_token: state
            .tokens
            .issue(resident, community, family, Utc::now())?,
        token_type: TokenType::Bearer,
        expires_in: u32::try_from(tokens::ACCESS_TOKEN_TTL.num_seconds()).unwrap_or(u32::MAX),
        refresh_token,
        refresh_token_expires_in: u32::try_from(tokens::REFRESH_TOKEN_TTL.num_seconds())
            .unwrap_or(u32::MAX),
        resident_id: resident,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let (proxy, inner) = (ip("10.0.0.1"), ip("10.0.0.2"));
        let trusted = [proxy, inner];
        // A phone straight to us cannot claim another address.
        assert_eq!(
            client_ip(ip("198.51.100.7"), Some("203.0.113.1"), &trusted),
            ip("198.51.100.7")
        );
        // Through our proxy: the address it saw.
        assert_eq!(
            client_ip(proxy, Some("203.0.113.1"), &trusted),
            ip("203.0.113.1")
        );
        // Through two of ours, with a spoofed hop in front: the first hop not ours.
        assert_eq!(
            client_ip(proxy, Some("6.6.6.6, 203.0.113.1, 10.0.0.2"), &trusted),
            ip("203.0.113.1")
        );
        // No header, or garbage: the proxy itself.
        assert_eq!(client_ip(proxy, None, &trusted), proxy);
        assert_eq!(client_ip(proxy, Some("not an address"), &trusted), proxy);
    }
}
