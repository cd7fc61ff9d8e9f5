//! Access and refresh tokens.
//!
//! The access token is a JWT signed with HS256, and verification accepts HS256 only: a token
//! whose header names another algorithm (including `none`) is refused before its signature
//! is looked at. It lives [`ACCESS_TOKEN_TTL`]; the phone renews it with its refresh token.
//!
//! The refresh token is 256 random bits, base64url-encoded, with no meaning of its own; the
//! server stores only its SHA-256 (a leaked database does not leak sessions).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long an access token is valid.
pub const ACCESS_TOKEN_TTL: chrono::Duration = chrono::Duration::minutes(15);
/// How long a refresh token is valid. Every use rotates it, so a phone that opens the app
/// at least once a month stays signed in: elderly residents should not have to log in again.
pub const REFRESH_TOKEN_TTL: chrono::Duration = chrono::Duration::days(30);
/// Shortest accepted signing secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
/// How long a used refresh token still answers with the same successor: a phone that lost
/// the answer on patchy data retries with the token it has, and must not be logged out.
pub const REFRESH_REUSE_WINDOW: chrono::Duration = chrono::Duration::seconds(60);

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The resident's id.
    pub sub: Uuid,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
    /// The resident's community (the tenant), so handlers need no lookup to scope queries.
    pub cid: Uuid,
    /// The session (refresh-token family) the token was issued in: logging it out ends the
    /// token too. Absent in tokens issued before sessions were named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

/// Why an access token was refused. The client sees only `401 unauthorized`; the reason is
/// logged.
#[derive(Debug, thiserror::Error)]
#[error("access token refused: {0}")]
pub struct TokenRefused(#[from] jsonwebtoken::errors::Error);

/// Signs and verifies access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    /// Keys the successor of a refresh token (see [`TokenKeys::successor`]).
    successor_key: [u8; 32],
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8], issuer: &str, audience: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(
            secret.len() >= MIN_SECRET_BYTES,
            "the JWT secret must be at least {MIN_SECRET_BYTES} bytes"
        );
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // Phones' clocks drift; the server's does not, and only the server checks.
        validation.leeway = 5;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            successor_key: {
                let mut h = Sha256::new();
                h.update(b"linli refresh successor key v1\0");
                h.update(secret);
                h.finalize().into()
            },
        })
    }

    /// The refresh token that replaces `presented` when it is used: derived from it with a
    /// key only the server holds, so presenting it again within the reuse window gives the
    /// same successor without the server storing any token.
    pub fn successor(&self, presented: &str) -> NewRefreshToken {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.successor_key)
            .expect("HMAC takes keys of any length");
        mac.update(presented.as_bytes());
        let token = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        let hash = hash_refresh_token(&token);
        NewRefreshToken { token, hash }
    }

    /// Issues an access token for `resident` of `community`, valid from `now`.
    pub fn issue(
        &self,
        resident: Uuid,
        community: Uuid,
        session: Uuid,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            sub: resident,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now.timestamp(),
            exp: (now + ACCESS_TOKEN_TTL).timestamp(),
            jti: Uuid::new_v4(),
            cid: community,
            sid: Some(session),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenRefused> {
        Ok(jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?.claims)
    }
}

/// A freshly minted refresh token: what the phone keeps, and what the server stores.
pub struct NewRefreshToken {
    pub token: String,
    pub hash: String,
}

impl std::fmt::Debug for NewRefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRefreshToken")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

pub fn new_refresh_token() -> NewRefreshToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    NewRefreshToken { token, hash }
}

/// The stored form of a refresh token.
pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A random signing secret for deployments that configured none (SQLite only).
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&[7u8; 32], "linli", "linli-app").unwrap()
    }

    #[test]
    fn an_issued_token_verifies_with_its_claims() {
        let (r, c) = (Uuid::now_v7(), Uuid::now_v7());
        let claims = keys()
            .verify(&keys().issue(r, c, Uuid::now_v7(), Utc::now()).unwrap())
            .unwrap();
        assert_eq!((claims.sub, claims.cid), (r, c));
        assert_eq!(claims.exp - claims.iat, ACCESS_TOKEN_TTL.num_seconds());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let issued = Utc::now() - ACCESS_TOKEN_TTL - chrono::Duration::seconds(10);
        let token = keys()
            .issue(Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), issued)
            .unwrap();
        assert!(keys().verify(&token).is_err());
    }

    #[test]
    fn tokens_for_another_audience_or_key_are_refused() {
        let token = keys()
            .issue(Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Utc::now())
            .unwrap();
        let other_aud = TokenKeys::new(&[7u8; 32], "linli", "someone-else").unwrap();
        assert!(other_aud.verify(&token).is_err());
        let other_key = TokenKeys::new(&[8u8; 32], "linli", "linli-app").unwrap();
        assert!(other_key.verify(&token).is_err());
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(TokenKeys::new(b"too short", "linli", "linli-app").is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_stored_hashed() {
        let a = new_refresh_token();
        let b = new_refresh_token();
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), 43);
        assert_eq!(a.hash, hash_refresh_token(&a.token));
        assert_ne!(a.hash, a.token);
    }
}
