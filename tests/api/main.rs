//! Integration tests: each test starts the real application on 127.0.0.1, port 0, with a
//! fresh database (SQLite by default; PostgreSQL when `LINLI_TEST_DATABASE_URL` is set) and
//! talks HTTP to it.

mod accounts;
mod announcements;
mod authz_matrix;
mod case_model;
mod cases;
mod cli;
mod communities;
mod compression;
mod connections;
mod crowdfunding;
mod deliberation;
mod deliberation_model;
mod election_model;
mod elections;
mod errors;
mod faults;
mod grid;
mod helpers;
mod mediation;
mod notifications;
mod observability;
mod openapi;
mod outages;
mod phone;
mod reception;
mod registration;
mod schedule;
mod signup_model;
mod sync;
mod sync_concurrency;
mod sync_model;
mod talents;
mod territory;
mod territory_model;
mod tokens;
mod webapp;
