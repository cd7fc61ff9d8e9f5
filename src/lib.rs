//! # linli (鄰里)
//!
//! The backend that lets a residents' self-governance committee run its community from the
//! residents' phones.
//!
//! ## Layout
//!
//! Layers, each using only those below it:
//!
//! - [`http`]: the API surface: one `#[OpenApi]` struct per tag, composed with the
//!   capabilities' own; middleware; the HTTP/1.1 serving loop.
//! - [`features`]: the capabilities, one folder each ([`features::schedule`]), and the app
//!   assembled from them ([`features::App`], the `Mutation` and `Change` unions).
//! - [`web`]: what every endpoint is built from: the one error type and its problem+json
//!   mapping, the shared handler state.
//! - [`sync`]: the offline-first sync engine, generic over the app: push, group commit, pull,
//!   cursors, pokes, compaction.
//! - [`persistence`] and [`entity`]: the database, through sea-orm; the schema lives in the
//!   `migration` crate under `migrations/`.
//! - [`domain`]: shared rules (input parsing, permissions, login throttling, clocks,
//!   merging) as plain functions; [`auth`]: password hashing, tokens, the bearer scheme.
//!
//! Around them: [`backup`] (`linli backup` and `restore`), [`config`], [`startup`] ([`startup::Application`] builds and serves with
//! graceful shutdown), [`telemetry`], [`cli`] (the `linli` subcommands) and [`demo`] (the
//! Sun Village demo data). The benchmark harness is its own crate, `bench/`.
//!
//! A request flows: middleware (request id, body limit) → handler in [`http`] or a
//! capability → parse input into domain types → ask [`domain::permissions`] → queries →
//! response, with every error mapped once by [`web::error`]. A push goes from [`http`] to
//! [`sync::push`], which queues it for its community's writer; the writer hands each
//! mutation to the capability's handler inside one transaction.

pub mod auth;
pub mod backup;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod entity;
pub mod features;
pub mod http;
pub mod persistence;
pub mod startup;
pub mod sync;
pub mod telemetry;
pub mod web;
