//! Named branches: a name pointing at the leaf of one path through the tree.

use serde::{Deserialize, Serialize};

use crate::message::MessageId;

pub const MAIN_BRANCH: &str = "main";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branch {
    pub name: String,
    /// The leaf the branch shows; `None` for a branch with no messages yet.
    pub head: Option<MessageId>,
}

/// The next free name `prefix-N`, one past the highest N in use.
pub(crate) fn next_name(branches: &[Branch], prefix: &str) -> String {
    let highest = branches
        .iter()
        .filter_map(|b| b.name.strip_prefix(prefix)?.strip_prefix('-')?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    format!("{prefix}-{}", highest + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branch(name: &str) -> Branch {
        Branch { name: name.into(), head: None }
    }

    #[test]
    fn names_count_up_from_the_highest_in_use() {
        assert_eq!(next_name(&[branch("main")], "edit"), "edit-1");
        let taken = [branch("main"), branch("edit-1"), branch("edit-7"), branch("regen-9")];
        assert_eq!(next_name(&taken, "edit"), "edit-8");
        assert_eq!(next_name(&taken, "regen"), "regen-10");
    }
}
