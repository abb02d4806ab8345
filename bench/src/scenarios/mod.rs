//! One module per figure of issue 9's list.

pub mod actions;
pub mod autosave;
pub mod bundle;
pub mod highlight;
pub mod long_view;
pub mod memory;
pub mod polling;
pub mod push;
pub mod relay;
