//! The channels beside the inbox: **Web Push** to the web app's browsers, and a **webhook**
//! to an SMS or voice gateway. Each is a [`Sender`] for its own loop in [`super::delivery`].
//!
//! **Web Push** (RFC 8030): each notification is encrypted for each of the resident's
//! browsers (RFC 8291, `aes128gcm`, by `web-push-native`) and posted to the browser's push
//! service with a VAPID signature (RFC 8292: an ES256 JWT whose audience is the push
//! service's origin, signed by jsonwebtoken with the server's VAPID key). A 404 or 410 means
//! the browser dropped the subscription: it is deleted, and the delivery is dead if no other
//! browser took it.
//!
//! **The webhook** posts a batch of messages as JSON to the gateway with
//! `X-Linli-Timestamp` and `X-Linli-Signature: sha256=<hex>` ([`rules::signature`]); any 2xx
//! takes the whole batch, anything else (or no answer within the timeout) retries it.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use futures_util::future::BoxFuture;
use p256::pkcs8::EncodePrivateKey as _;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde::Serialize;

use super::delivery::{Outgoing, Sender, Sent};
use super::entity::push_subscription;
use super::rules::{self, Channel};

/// The server's VAPID identity.
#[derive(Clone)]
pub struct Vapid {
    key: jsonwebtoken::EncodingKey,
    /// The public key browsers subscribe with (`applicationServerKey`), base64url.
    pub public_key: String,
    /// Who runs this server, for push services: `mailto:` or `https:`.
    pub subject: String,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public_key", &self.public_key)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl Vapid {
    /// From the private key (the 32-byte P-256 scalar, base64url, as web-push tools print
    /// it) and the subject.
    pub fn new(private_key: &str, subject: &str) -> anyhow::Result<Self> {
        let raw = B64
            .decode(private_key.trim())
            .map_err(|_| anyhow::anyhow!("LINLI_VAPID_PRIVATE_KEY is not base64url"))?;
        let secret = p256::SecretKey::from_slice(&raw)
            .map_err(|_| anyhow::anyhow!("LINLI_VAPID_PRIVATE_KEY is not a P-256 private key"))?;
        let der = secret
            .to_pkcs8_der()
            .map_err(|e| anyhow::anyhow!("the VAPID key: {e}"))?;
        anyhow::ensure!(
            subject.starts_with("mailto:") || subject.starts_with("https:"),
            "LINLI_VAPID_SUBJECT must be a mailto: or https: address"
        );
        Ok(Self {
            key: jsonwebtoken::EncodingKey::from_ec_der(der.as_bytes()),
            public_key: B64.encode(secret.public_key().to_sec1_bytes()),
            subject: subject.to_owned(),
        })
    }

    /// A new key pair: (private, public), base64url (`linli vapid-keys`).
    pub fn generate() -> (String, String) {
        let secret = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        (
            B64.encode(secret.to_bytes()),
            B64.encode(secret.public_key().to_sec1_bytes()),
        )
    }

    /// The `Authorization` header for a push service at `origin`, valid for 12 hours.
    fn authorization(&self, origin: &str) -> anyhow::Result<String> {
        #[derive(Serialize)]
        struct Claims<'a> {
            aud: &'a str,
            exp: i64,
            sub: &'a str,
        }
        let exp = chrono::Utc::now().timestamp() + 12 * 3600;
        let jwt = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256),
            &Claims {
                aud: origin,
                exp,
                sub: &self.subject,
            },
            &self.key,
        )?;
        Ok(format!("vapid t={jwt}, k={}", self.public_key))
    }
}

/// What a browser is shown (its service worker reads this JSON).
#[derive(Serialize)]
struct PushPayload<'a> {
    id: uuid::Uuid,
    kind: &'a str,
    title: &'a str,
    body: &'a str,
    subject: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject_id: Option<uuid::Uuid>,
    urgent: bool,
}

/// Web Push to each of a resident's browsers.
pub struct WebPush {
    pub vapid: Vapid,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
}

impl WebPush {
    async fn one(&self, o: &Outgoing) -> Sent {
        let n = &o.notification;
        let payload = serde_json::to_vec(&PushPayload {
            id: n.id,
            kind: &n.kind,
            title: &n.title,
            body: &n.body,
            subject: &n.subject,
            subject_id: n.subject_id,
            urgent: n.urgent,
        })
        .expect("a plain struct serialises");
        let (mut took, mut retry, mut gone) = (0, None, None);
        for s in &o.subscriptions {
            match self.to_browser(s, &payload, n.urgent).await {
                Ok(()) => took += 1,
                Err(Sent::Dead(why)) => {
                    // The browser dropped it: forget the subscription.
                    let _ = push_subscription::Entity::delete_by_id(s.id)
                        .exec(&self.db)
                        .await;
                    gone = Some(why);
                }
                Err(Sent::Retry(why)) => retry = Some(why),
                Err(Sent::Ok) => took += 1,
            }
        }
        match (took, retry, gone) {
            (0, Some(why), _) => Sent::Retry(why),
            (0, None, Some(why)) => Sent::Dead(why),
            (0, None, None) => Sent::Dead("no browser is subscribed".into()),
            _ => Sent::Ok,
        }
    }

    async fn to_browser(
        &self,
        s: &push_subscription::Model,
        payload: &[u8],
        urgent: bool,
    ) -> Result<(), Sent> {
        let dead = |why: &str| Sent::Dead(why.to_owned());
        let uri: http::Uri = s.endpoint.parse().map_err(|_| dead("a bad endpoint"))?;
        let key = B64
            .decode(&s.p256dh)
            .ok()
            .and_then(|k| p256::PublicKey::from_sec1_bytes(&k).ok())
            .ok_or_else(|| dead("a bad p256dh key"))?;
        let auth = auth_secret(&s.auth).ok_or_else(|| dead("a bad auth secret"))?;
        let origin = match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
            _ => return Err(dead("a bad endpoint")),
        };
        let request = web_push_native::WebPushBuilder::new(uri, key, auth)
            .with_valid_duration(Duration::from_secs(24 * 3600))
            .build(payload.to_vec())
            .map_err(|e| Sent::Dead(format!("cannot encrypt: {e}")))?;
        let authorization = self
            .vapid
            .authorization(&origin)
            .map_err(|e| Sent::Retry(format!("cannot sign: {e}")))?;
        let mut request =
            reqwest::Request::try_from(request).map_err(|e| Sent::Dead(e.to_string()))?;
        let headers = request.headers_mut();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            authorization.parse().map_err(|_| dead("a bad header"))?,
        );
        headers.insert(
            "Urgency",
            (if urgent { "high" } else { "normal" })
                .parse()
                .map_err(|_| dead("a bad header"))?,
        );
        match self.client.execute(request).await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) if matches!(r.status().as_u16(), 404 | 410) => Err(Sent::Dead(format!(
                "the subscription is gone ({})",
                r.status()
            ))),
            Ok(r) if matches!(r.status().as_u16(), 400 | 401 | 403 | 413) => Err(Sent::Dead(
                format!("the push service refused it ({})", r.status()),
            )),
            Ok(r) => Err(Sent::Retry(format!(
                "the push service answered {}",
                r.status()
            ))),
            Err(e) => Err(Sent::Retry(format!("the push service did not answer: {e}"))),
        }
    }
}

/// The browser's 16-byte auth secret.
#[allow(deprecated)] // generic-array 0.14, which web-push-native's types are made of
fn auth_secret(b64: &str) -> Option<web_push_native::Auth> {
    let raw = B64.decode(b64).ok()?;
    web_push_native::Auth::from_exact_iter(raw)
}

impl Sender for WebPush {
    fn channel(&self) -> Channel {
        Channel::Push
    }

    fn batch(&self) -> usize {
        50
    }

    fn send<'a>(&'a self, batch: &'a [Outgoing]) -> BoxFuture<'a, Vec<Sent>> {
        Box::pin(futures_util::future::join_all(
            batch.iter().map(|o| self.one(o)),
        ))
    }
}

/// The SMS or voice gateway's webhook.
pub struct Webhook {
    pub url: String,
    pub secret: String,
    pub batch: usize,
    pub client: reqwest::Client,
}

/// One message for the gateway.
#[derive(Serialize)]
struct Message<'a> {
    /// The notification's id: the gateway keeps one text per id.
    id: uuid::Uuid,
    phone: &'a str,
    name: &'a str,
    kind: &'a str,
    title: &'a str,
    body: &'a str,
    urgent: bool,
}

impl Sender for Webhook {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    fn batch(&self) -> usize {
        self.batch.max(1)
    }

    fn send<'a>(&'a self, batch: &'a [Outgoing]) -> BoxFuture<'a, Vec<Sent>> {
        Box::pin(async move {
            let messages: Vec<Message<'_>> = batch
                .iter()
                .map(|o| Message {
                    id: o.notification.id,
                    phone: &o.phone,
                    name: &o.name,
                    kind: &o.notification.kind,
                    title: &o.notification.title,
                    body: &o.notification.body,
                    urgent: o.notification.urgent,
                })
                .collect();
            let body = serde_json::to_vec(&serde_json::json!({ "messages": messages }))
                .expect("plain structs serialise");
            let timestamp = chrono::Utc::now().timestamp();
            let signature = rules::signature(self.secret.as_bytes(), timestamp, &body);
            let outcome = match self
                .client
                .post(&self.url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("X-Linli-Timestamp", timestamp.to_string())
                .header("X-Linli-Signature", format!("sha256={signature}"))
                .body(body)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => Sent::Ok,
                Ok(r) => Sent::Retry(format!("the gateway answered {}", r.status())),
                Err(e) => Sent::Retry(format!("the gateway did not answer: {e}")),
            };
            vec![outcome; batch.len()]
        })
    }
}
