use crate::fsm::{EventKind, Status};

/// Why the state machine refused an event. Nothing changes when an event is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FsmError {
    /// The event is not valid in the current state (for example `send_message` while a
    /// reply streams).
    #[error("{event} is not allowed while the chat is {status}")]
    NotAllowed { status: Status, event: EventKind },
    /// The event names something that cannot be acted on now, such as a tool call that is
    /// not pending.
    #[error("{0}")]
    Conflict(String),
    /// The event itself is malformed (empty text, empty id list).
    #[error("{0}")]
    Invalid(String),
    /// The event names a message or branch this context does not have.
    #[error("{0}")]
    NotFound(String),
}
