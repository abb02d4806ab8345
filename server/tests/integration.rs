//! The server's integration tests, linked into one test binary: one link of the whole server
//! instead of one per file keeps a cold build minutes shorter and gigabytes smaller. Each file
//! stays a module of its own; nextest still runs every test in its own process.

mod common;

mod account_deletion;
mod accounts;
mod actions_api;
mod admin;
mod attachments;
mod autosave;
mod bad_input;
mod client_address;
mod compression;
mod concurrency;
mod contexts_api;
mod faults;
mod fuzz_requests;
mod highlight;
mod history;
mod imports;
mod imports_broken;
mod live_events;
mod live_patches;
mod math;
mod mcp;
mod models;
mod multiprocess;
mod openai_loop;
mod passwords;
mod patches;
mod places;
mod rejected_save;
mod restart;
mod service;
mod sessions;
mod shares;
mod soak;
mod sso;
mod state_and_legacy;
mod tokens;
mod tool_policies;
mod unload;
mod untrusted_text;
mod user_events;
mod windows;
