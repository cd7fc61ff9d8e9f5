//! # linli (鄰里)
//!
//! The backend that lets a residents' self-governance committee run its community from the
//! residents' phones.
//!
//! ## Layout
//!
//! - [`config`]: the command line, environment fallbacks and resolved [`config::Settings`].
//! - [`startup`]: [`startup::Application`] builds (connect, migrate, seed, bind) and serves
//!   with graceful shutdown.
//! - [`http`]: the API, one `#[OpenApi]` struct per tag, its errors and middleware.
//! - [`auth`]: password hashing, access and refresh tokens, the bearer scheme.
//! - [`domain`]: the rules (input parsing, permissions, login throttling, clocks, merging,
//!   visibility) as plain functions.
//! - [`sync`]: the offline-first sync engine: push, pull, cursors, pokes, compaction.
//! - [`persistence`] and [`entity`]: the database, through sea-orm; the schema lives in the
//!   `migration` crate under `migrations/`.
//! - [`calendar`]: iCalendar feeds of series and sessions.
//! - [`telemetry`]: logs and Prometheus metrics.
//! - [`cli`]: the `linli` subcommands; [`demo`]: the Sun Village demo data; [`bench`]: the
//!   benchmark harness (`linli bench`).
//!
//! A request flows: middleware (request id, body limit) → handler in [`http`] → parse input
//! into [`domain`] types → ask [`domain::permissions`] → queries in [`persistence`] → response,
//! with every error mapped once by [`http::error`].

pub mod auth;
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
