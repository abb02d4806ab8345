//! Their message tree made into ours, without recursion: nodes that point at their parent
//! become messages with fresh ids in parent-first order, a branch for every leaf, and the
//! branch of the node their file marks current active.
//!
//! A node with nothing to show (ChatGPT's empty root, a hidden system message, a tool's
//! output) is left out and its children hang from its nearest kept ancestor, so the shape of
//! what remains is theirs: a sibling in their tree is a sibling in ours. A parent that is not
//! in the file, an id that repeats, or a cycle makes the conversation unimportable.

use std::collections::HashMap;

use app::wire::{BranchDTO, ExportedMessage, MessageRole};
use confab_core::Timestamp;
use uuid::Uuid;

/// The name of the branch their file marks current.
pub(super) const ACTIVE_BRANCH: &str = "main";

/// One node of their tree.
pub(super) struct Node {
    pub id: String,
    /// `None` for a root.
    pub parent: Option<String>,
    /// The order of this node's children as their file lists them, when it does; children
    /// it does not list come after, in the order of the nodes.
    pub children: Vec<String>,
    /// `None`: nothing to show, left out (its children are kept).
    pub message: Option<NodeMessage>,
}

pub(super) struct NodeMessage {
    pub role: MessageRole,
    pub content: String,
    /// `None` when missing or implausible: the parent's time, or the conversation's.
    pub created_at: Option<Timestamp>,
    /// The model that wrote an assistant message, as the file names it.
    pub model: Option<String>,
    /// False for a reply that never finished.
    pub complete: bool,
}

/// The tree in Confab's terms.
#[derive(Debug)]
pub(super) struct Built {
    /// Parents before children.
    pub messages: Vec<ExportedMessage>,
    pub branches: Vec<BranchDTO>,
}

/// Builds the tree; `current` is the node their file shows (the active branch ends at it,
/// or at its nearest kept ancestor), `None` or unknown for the last leaf.
pub(super) fn build(mut nodes: Vec<Node>, current: Option<&str>, fallback_time: Timestamp) -> Result<Built, String> {
    let count = nodes.len();
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(count);
    for (i, node) in nodes.iter().enumerate() {
        if index.insert(node.id.as_str(), i).is_some() {
            return Err(format!("message {:?} appears twice", node.id));
        }
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut roots = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        match &node.parent {
            None => roots.push(i),
            Some(parent) => match index.get(parent.as_str()) {
                Some(&p) if p == i => return Err(format!("message {:?} is its own parent", node.id)),
                Some(&p) => children[p].push(i),
                None => return Err(format!("message {:?}: its parent {parent:?} is not in the file", node.id)),
            },
        }
    }
    for (p, kids) in children.iter_mut().enumerate() {
        if kids.len() > 1 && !nodes[p].children.is_empty() {
            let rank: HashMap<&str, usize> =
                nodes[p].children.iter().enumerate().map(|(r, id)| (id.as_str(), r)).collect();
            // A stable sort: the ones their parent does not list keep the nodes' order.
            kids.sort_by_key(|&k| rank.get(nodes[k].id.as_str()).copied().unwrap_or(usize::MAX));
        }
    }
    let current = current.and_then(|id| index.get(id).copied());
    drop(index);

    // Depth first with an explicit stack: preorder, so parents come before children and the
    // last message is the leaf reached by always taking the last child.
    let mut messages: Vec<ExportedMessage> = Vec::new();
    let mut parent_of: Vec<Option<usize>> = Vec::new();
    // For each node: the message that shows it (itself, or its nearest kept ancestor).
    let mut shown_by: Vec<Option<usize>> = vec![None; count];
    let mut visited = vec![false; count];
    let mut stack: Vec<(usize, Option<usize>)> = roots.iter().rev().map(|&root| (root, None)).collect();
    while let Some((i, kept_parent)) = stack.pop() {
        visited[i] = true;
        let here = match nodes[i].message.take() {
            Some(message) => {
                let inherited = kept_parent.map(|p| messages[p].created_at).unwrap_or(fallback_time);
                let id = Uuid::new_v4();
                // Each reply keeps the model the file names for it.
                let model = message.model.filter(|_| message.role == MessageRole::Assistant);
                messages.push(ExportedMessage {
                    id,
                    parent_id: kept_parent.map(|p| messages[p].id),
                    role: message.role,
                    content: message.content,
                    created_at: message.created_at.unwrap_or(inherited),
                    complete: message.complete,
                    tool_calls: Vec::new(),
                    tool_call_id: None,
                    stop_reason: None,
                    model,
                    reasoning: None,
                    usage: None,
                    timing: None,
                    attachments: Vec::new(),
                });
                parent_of.push(kept_parent);
                Some(messages.len() - 1)
            }
            None => kept_parent,
        };
        shown_by[i] = here;
        stack.extend(children[i].iter().rev().map(|&child| (child, here)));
    }
    if let Some(stuck) = visited.iter().position(|seen| !seen) {
        return Err(format!(
            "message {:?} is in a cycle: following its parents never reaches the start of the conversation",
            nodes[stuck].id
        ));
    }

    let head = current.and_then(|i| shown_by[i]).or(messages.len().checked_sub(1));
    let mut has_children = vec![false; messages.len()];
    for parent in parent_of.iter().flatten() {
        has_children[*parent] = true;
    }
    let mut branches =
        vec![BranchDTO { name: ACTIVE_BRANCH.to_string(), head_message_id: head.map(|h| messages[h].id) }];
    let others = (0..messages.len()).filter(|&m| !has_children[m] && Some(m) != head);
    for (n, leaf) in others.enumerate() {
        branches.push(BranchDTO { name: format!("branch-{}", n + 1), head_message_id: Some(messages[leaf].id) });
    }
    Ok(Built { messages, branches })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(second: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, second).unwrap()
    }

    fn node(id: &str, parent: Option<&str>, text: Option<&str>) -> Node {
        Node {
            id: id.into(),
            parent: parent.map(Into::into),
            children: Vec::new(),
            message: text.map(|t| NodeMessage {
                role: if t.starts_with('Q') { MessageRole::User } else { MessageRole::Assistant },
                content: t.into(),
                created_at: None,
                model: (!t.starts_with('Q')).then(|| "m".to_string()),
                complete: true,
            }),
        }
    }

    fn texts(built: &Built) -> Vec<(&str, Option<&str>)> {
        let by_id: HashMap<Uuid, &str> = built.messages.iter().map(|m| (m.id, m.content.as_str())).collect();
        built.messages.iter().map(|m| (m.content.as_str(), m.parent_id.map(|p| by_id[&p]))).collect()
    }

    fn head(built: &Built, name: &str) -> String {
        let id = built.branches.iter().find(|b| b.name == name).unwrap().head_message_id.unwrap();
        built.messages.iter().find(|m| m.id == id).unwrap().content.clone()
    }

    #[test]
    fn skipped_nodes_hand_their_children_to_their_parent_and_siblings_stay_siblings() {
        let mut root = node("root", None, None);
        root.children = vec!["sys".into()];
        let mut question = node("q", Some("sys"), Some("Q1"));
        question.children = vec!["a2".into(), "a1".into()];
        let nodes = vec![
            root,
            node("sys", Some("root"), None),
            question,
            node("a1", Some("q"), Some("A1")),
            node("a2", Some("q"), Some("A2")),
            node("q2", Some("a1"), Some("Q2")),
        ];
        let built = build(nodes, Some("q2"), at(0)).unwrap();
        assert_eq!(texts(&built), vec![("Q1", None), ("A2", Some("Q1")), ("A1", Some("Q1")), ("Q2", Some("A1"))]);
        assert_eq!(built.branches.len(), 2);
        assert_eq!(head(&built, ACTIVE_BRANCH), "Q2");
        assert_eq!(head(&built, "branch-1"), "A2");
        let models = built.messages.iter().filter(|m| m.model.is_some()).count();
        assert_eq!(models, 2, "the two replies keep their models");
    }

    #[test]
    fn the_current_node_if_skipped_shows_its_kept_ancestor_and_a_missing_one_the_last_leaf() {
        let nodes = || vec![node("q", None, Some("Q")), node("a", Some("q"), Some("A")), node("t", Some("a"), None)];
        assert_eq!(head(&build(nodes(), Some("t"), at(0)).unwrap(), ACTIVE_BRANCH), "A");
        assert_eq!(head(&build(nodes(), Some("nowhere"), at(0)).unwrap(), ACTIVE_BRANCH), "A");
        assert_eq!(head(&build(nodes(), None, at(0)).unwrap(), ACTIVE_BRANCH), "A");
    }

    #[test]
    fn missing_times_come_from_the_parent_or_the_conversation() {
        let mut nodes = vec![node("q", None, Some("Q")), node("a", Some("q"), Some("A"))];
        nodes[0].message.as_mut().unwrap().created_at = Some(at(5));
        let built = build(nodes, None, at(1)).unwrap();
        assert_eq!(built.messages[1].created_at, at(5));
        let built = build(vec![node("q", None, Some("Q"))], None, at(1)).unwrap();
        assert_eq!(built.messages[0].created_at, at(1));
    }

    #[test]
    fn broken_trees_are_refused_with_the_place() {
        let dangling = vec![node("q", None, Some("Q")), node("a", Some("ghost"), Some("A"))];
        assert!(build(dangling, None, at(0)).unwrap_err().contains("\"ghost\" is not in the file"));
        let twice = vec![node("q", None, Some("Q")), node("q", None, Some("Q"))];
        assert!(build(twice, None, at(0)).unwrap_err().contains("appears twice"));
        let own = vec![node("q", Some("q"), Some("Q"))];
        assert!(build(own, None, at(0)).unwrap_err().contains("its own parent"));
        let cycle = vec![node("r", None, Some("Q")), node("x", Some("y"), Some("A")), node("y", Some("x"), Some("Q"))];
        assert!(build(cycle, None, at(0)).unwrap_err().contains("cycle"));
    }

    #[test]
    fn a_very_deep_chain_needs_no_recursion() {
        let depth = 200_000;
        let nodes: Vec<Node> = (0..depth)
            .map(|i| {
                let parent = (i > 0).then(|| (i - 1).to_string());
                node(&i.to_string(), parent.as_deref(), Some(if i % 2 == 0 { "Q" } else { "A" }))
            })
            .collect();
        let built = build(nodes, None, at(0)).unwrap();
        assert_eq!(built.messages.len(), depth);
        assert_eq!(built.branches.len(), 1);
    }
}
