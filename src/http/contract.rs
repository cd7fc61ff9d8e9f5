//! The request half of the API contract: every JSON request body is checked against the
//! schema the OpenAPI document declares for it, before any handler reads it.
//!
//! poem-openapi's own parsing is lenient in places a client must not rely on (it turns a
//! number or a boolean sent for a `string` into text, for instance), and generated SDKs and
//! schemathesis read the document, not the Rust types. Checking the body against the document
//! itself makes "what the spec says" and "what the server accepts" the same thing. The
//! validator is the `jsonschema` crate, by the author of schemathesis.
//!
//! A violation is `400 malformed_request` naming the JSON pointer of the offending value; in
//! a push, a violation inside `mutations[n]` is `400 invalid_mutation` with that mutation's id.

use std::collections::HashMap;

use poem::Request;
use poem::http::Method;
use serde_json::{Value, json};

use super::error::ApiError;

/// The push operation, whose per-mutation violations name the mutation.
const PUSH_PATH: &str = "/api/v1/sync/push";

/// Compiled request-body schemas, by method and path.
pub struct BodyContract {
    validators: HashMap<(Method, String), jsonschema::Validator>,
}

/// Why a body breaks the contract.
#[derive(Debug, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the body, like `/mutations/2/args/title`.
    pub pointer: String,
    pub message: String,
}

impl BodyContract {
    /// Compiles the JSON request body schema of every operation in `spec`.
    ///
    /// # Panics
    /// If the document is not valid JSON or a schema does not compile: both are bugs caught by
    /// the first test that starts the app.
    pub fn from_spec(spec: &str) -> Self {
        let doc: Value = serde_json::from_str(spec).expect("the OpenAPI document is JSON");
        let components = doc.get("components").cloned().unwrap_or(json!({}));
        let mut validators = HashMap::new();
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        for (path, operations) in paths {
            let Some(operations) = operations.as_object() else {
                continue;
            };
            for (method, operation) in operations {
                let Some(content) = operation["requestBody"]["content"].as_object() else {
                    continue;
                };
                let Some(schema) = content
                    .iter()
                    .find(|(media, _)| media.starts_with("application/json"))
                    .map(|(_, m)| m["schema"].clone())
                else {
                    continue;
                };
                // One self-contained document: the operation's schema, with every component
                // its `$ref`s can reach.
                let mut document = json!({"allOf": [schema], "components": components});
                nullable_to_json_schema(&mut document);
                let validator = jsonschema::draft4::options()
                    .should_validate_formats(true)
                    .build(&document)
                    .unwrap_or_else(|e| panic!("schema of {method} {path} does not compile: {e}"));
                let method = Method::from_bytes(method.to_uppercase().as_bytes())
                    .expect("OpenAPI methods are HTTP methods");
                validators.insert((method, path.clone()), validator);
            }
        }
        Self { validators }
    }

    /// Checks `body` as sent to `method path`; operations without a JSON body always pass.
    pub fn check(&self, method: &Method, path: &str, body: &Value) -> Result<(), Violation> {
        let Some(validator) = self.validators.get(&(method.clone(), path.to_owned())) else {
            return Ok(());
        };
        match validator.validate(body) {
            Ok(()) => Ok(()),
            Err(e) => Err(Violation {
                pointer: e.instance_path().as_str().to_owned(),
                message: shorten(&e.to_string()),
            }),
        }
    }

    /// Whether `method path` takes a JSON body this contract checks.
    pub fn covers(&self, method: &Method, path: &str) -> bool {
        self.validators
            .contains_key(&(method.clone(), path.to_owned()))
    }

    /// The error a violation is answered with.
    pub fn refusal(path: &str, body: &Value, violation: &Violation) -> ApiError {
        let field = violation.pointer.trim_start_matches('/').to_owned();
        if path == PUSH_PATH
            && let Some(index) = field
                .strip_prefix("mutations/")
                .and_then(|rest| rest.split('/').next())
                .and_then(|n| n.parse::<usize>().ok())
            && let Some(id) = body["mutations"][index]["id"].as_u64()
            && (1..=crate::sync::wire::MAX_MUTATION_ID).contains(&id)
        {
            return ApiError::InvalidMutation {
                mutation_id: id,
                reason: format!("{} at {}", violation.message, violation.pointer),
                schema_version: <crate::features::App as crate::sync::SyncApp>::SCHEMA_VERSION,
                field: Some(field),
            };
        }
        ApiError::BreaksSchema {
            field,
            reason: violation.message.clone(),
        }
    }
}

/// OpenAPI 3.0's `nullable: true` is not JSON Schema: spell it as "this, or null".
fn nullable_to_json_schema(node: &mut Value) {
    match node {
        Value::Object(map) => {
            map.values_mut().for_each(nullable_to_json_schema);
            if map.remove("nullable") == Some(Value::Bool(true)) {
                let this = Value::Object(std::mem::take(map));
                *node = json!({"anyOf": [this, {"type": "null"}]});
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_to_json_schema),
        _ => {}
    }
}

/// Error messages quote the offending value, which may be long.
fn shorten(message: &str) -> String {
    const MAX: usize = 300;
    match message.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}

/// Whether a request says its body is JSON (other bodies are left to the handler's `415`).
pub fn is_json(req: &Request) -> bool {
    req.content_type().is_some_and(|ct| {
        ct.trim_start()
            .to_ascii_lowercase()
            .starts_with("application/json")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract() -> BodyContract {
        BodyContract::from_spec(&crate::http::spec_json())
    }

    #[test]
    fn a_number_sent_for_a_string_breaks_the_contract() {
        let c = contract();
        let err = c
            .check(
                &Method::POST,
                "/api/v1/auth/logout",
                &json!({"refresh_token": 1}),
            )
            .unwrap_err();
        assert_eq!(err.pointer, "/refresh_token");
        assert!(
            c.check(
                &Method::POST,
                "/api/v1/auth/logout",
                &json!({"refresh_token": "x"})
            )
            .is_ok()
        );
    }

    #[test]
    fn a_mutation_of_the_wrong_shape_is_named_by_its_id() {
        let c = contract();
        let body = json!({
            "client_id": "0193a0c4-0000-7000-8000-000000000001",
            "schema_version": 1,
            "mutations": [
                {"id": 4, "name": "group.join", "hlc": "2026-11-29T08:20:37.808Z-0000",
                 "args": {"group_id": "0193a0c4-0000-7000-8000-000000000002"}},
                {"id": 5, "name": "poster.print", "hlc": "2026-11-29T08:20:37.808Z-0000", "args": {}}
            ]
        });
        let violation = c.check(&Method::POST, PUSH_PATH, &body).unwrap_err();
        match BodyContract::refusal(PUSH_PATH, &body, &violation) {
            ApiError::InvalidMutation {
                mutation_id, field, ..
            } => {
                assert_eq!(mutation_id, 5);
                assert_eq!(field.as_deref(), Some("mutations/1"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn null_is_accepted_where_the_document_says_nullable() {
        let c = contract();
        let pull = |cursor: Value| {
            json!({"client_id": "0193a0c4-0000-7000-8000-000000000001", "schema_version": 1,
                   "cursor": cursor})
        };
        assert!(
            c.check(&Method::POST, "/api/v1/sync/pull", &pull(Value::Null))
                .is_ok()
        );
        assert!(
            c.check(&Method::POST, "/api/v1/sync/pull", &pull(json!(7)))
                .is_err()
        );
    }

    #[test]
    fn operations_without_a_body_are_not_checked() {
        let c = contract();
        assert!(!c.covers(&Method::GET, "/api/v1/groups"));
        assert!(c.covers(&Method::POST, PUSH_PATH));
    }
}
