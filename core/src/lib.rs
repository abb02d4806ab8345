//! Confab's domain core: a chat context with its message tree and named branches, and the
//! finite state machine that every change goes through.
//!
//! Everything here is plain Rust without I/O, so it is tested without a server, a database
//! or a clock: callers pass the current time in. The server crate runs this machine, saves
//! what it marks dirty and publishes the result.

mod branch;
mod context;
mod dirty;
mod error;
mod fsm;
mod message;
mod place;
mod policy;
mod settings;
mod tree;

pub use branch::Branch;
pub use context::{title_from, ChatContext, ContextRow, DEFAULT_TITLE, RECENT_ACTIONS_KEPT};
pub use dirty::Changes;
pub use error::FsmError;
pub use fsm::{targets, Applied, Effect, Event, EventKind, Status, Transition};
pub use message::{Approval, Attachment, Message, MessageId, Role, StopReason, ToolCall, ToolCallRequest};
pub use place::Place;
pub use policy::{AllowedTools, ToolPolicy};
pub use settings::{ModelSettings, SettingsPatch, Timing, Usage, TEMPERATURE_RANGE, TOP_P_RANGE};
pub use tree::MessageTree;

/// Identifies a chat context.
pub type ContextId = uuid::Uuid;
/// Identifies the user who owns a context.
pub type UserId = uuid::Uuid;
/// Timestamps are UTC throughout.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
