//! Whether a tool's calls wait for a person. A person's standing choice per tool ("always
//! allow") is kept with their preferences in the store, so it survives restarts and holds in
//! every process at once; what a conversation allows for itself is kept on the conversation.
//! The server's configuration sets each tool's default and may forbid "always".

use std::collections::BTreeMap;
use std::sync::Arc;

use confab_core::{ChatContext, ContextId, ToolCall, ToolPolicy, UserId};
use confab_store::{ContextStore, StoreError, UserPreferences};
use confab_tools::{Tool, ToolRegistry};

use super::answers::Answer;
use super::{ChatError, ChatService};
use app::wire::{ActionReply, Remember};
use confab_core::Event;

/// How many times a policy change is tried while other writers keep saving first.
const ATTEMPTS: u32 = 5;

/// A tool's policy for one person, and whether they may set "always".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyView {
    pub policy: ToolPolicy,
    pub allow_always: bool,
}

impl ChatService {
    /// Every tool on offer now, with its policy for `owner`.
    pub async fn tool_policies(&self, owner: UserId) -> Result<Vec<(Arc<dyn Tool>, PolicyView)>, ChatError> {
        let (prefs, _) = self.store().preferences(owner).await?;
        Ok(self
            .tools()
            .all()
            .into_iter()
            .map(|tool| {
                let rule = tool.approval();
                let policy = rule.effective(prefs.tool_policies.get(tool.name()).copied());
                (tool, PolicyView { policy, allow_always: rule.allow_always })
            })
            .collect())
    }

    /// Sets `owner`'s policy for the tool `name`, and returns the tool with it. A tool not
    /// on offer now is not found; a server that forbids "always" refuses it.
    pub async fn set_tool_policy(
        &self,
        owner: UserId,
        name: &str,
        policy: ToolPolicy,
    ) -> Result<(Arc<dyn Tool>, PolicyView), ChatError> {
        let Some(tool) = self.tools().get(name) else { return Err(ChatError::ToolNotFound) };
        let rule = tool.approval();
        if policy == ToolPolicy::Always && !rule.allow_always {
            return Err(always_forbidden(name));
        }
        change_policies(self.store().as_ref(), owner, |policies| {
            if policy == rule.default {
                policies.remove(name);
            } else {
                policies.insert(name.to_string(), policy);
            }
        })
        .await?;
        Ok((tool, PolicyView { policy, allow_always: rule.allow_always }))
    }

    /// Approves pending calls, remembering the approval as `remember` says: "always" sets
    /// the person's policy for each call's tool first (refused, with nothing changed, when a
    /// tool's server forbids it), "conversation" keeps the tools on the conversation with
    /// the approval itself.
    pub async fn approve_tools(
        &self,
        owner: UserId,
        id: ContextId,
        tool_call_ids: Vec<String>,
        remember: Option<Remember>,
        client_action_id: Option<String>,
        answer: Answer,
    ) -> Result<ActionReply, ChatError> {
        let allow_here = remember == Some(Remember::Conversation);
        let event = Event::ApproveTools { tool_call_ids: tool_call_ids.clone(), allow_here };
        // Checked before anything is remembered: a bad request changes nothing.
        super::validate::event(&event, self.inner.settings.max_message_chars)?;
        if remember == Some(Remember::Always) {
            let pending = self.pending_calls(owner, id).await?;
            let names: Vec<String> =
                pending.iter().filter(|(call, _)| tool_call_ids.contains(call)).map(|(_, name)| name.clone()).collect();
            if names.len() != tool_call_ids.len() {
                // Some call is not pending: the approval refuses it below, and nothing is kept.
                return self.act_answering(owner, id, event, client_action_id, answer).await;
            }
            for name in &names {
                if self.tools().get(name).is_some_and(|tool| !tool.approval().allow_always) {
                    return Err(always_forbidden(name));
                }
            }
            change_policies(self.store().as_ref(), owner, |policies| {
                for name in &names {
                    policies.insert(name.clone(), ToolPolicy::Always);
                }
            })
            .await?;
            // Always allowed now: the other pending calls of the same tools need no card either.
            let same_tools = pending.into_iter().filter(|(_, name)| names.contains(name)).map(|(call, _)| call);
            let event = Event::ApproveTools { tool_call_ids: same_tools.collect(), allow_here };
            return self.act_answering(owner, id, event, client_action_id, answer).await;
        }
        self.act_answering(owner, id, event, client_action_id, answer).await
    }

    /// The pending calls (id, tool) of the conversation.
    async fn pending_calls(&self, owner: UserId, id: ContextId) -> Result<Vec<(String, String)>, ChatError> {
        let guard = self.inner.persistence.open(owner, id).await?;
        let pending = guard.context().last_assistant().map(|m| m.pending_tool_calls().collect::<Vec<_>>());
        Ok(pending.unwrap_or_default().into_iter().map(|c| (c.id.clone(), c.name.clone())).collect())
    }
}

/// The ids of `calls` that may run without asking in `ctx`: their tool is allowed in the
/// conversation, or the owner's policy for it (or its server's default) is "always".
pub(crate) async fn approved_in_advance(
    store: &dyn ContextStore,
    tools: &ToolRegistry,
    ctx: &ChatContext,
    calls: &[ToolCall],
) -> Result<Vec<String>, StoreError> {
    let mut policies: Option<UserPreferences> = None;
    let mut approved = Vec::new();
    for call in calls {
        // A tool no longer on offer asks: its call fails when it runs anyway.
        let Some(tool) = tools.get(&call.name) else { continue };
        let rule = tool.approval();
        if ctx.allowed_tools().contains(&call.name) {
            approved.push(call.id.clone());
            continue;
        }
        let prefs = match &policies {
            Some(prefs) => prefs,
            None => policies.insert(store.preferences(ctx.owner()).await?.0),
        };
        if rule.effective(prefs.tool_policies.get(&call.name).copied()) == ToolPolicy::Always {
            approved.push(call.id.clone());
        }
    }
    Ok(approved)
}

fn always_forbidden(name: &str) -> ChatError {
    ChatError::PolicyForbidden(format!("the server's configuration does not let {name} be always allowed"))
}

/// Applies `edit` to the owner's stored policies, starting again from what is stored when
/// another writer saved in between.
async fn change_policies(
    store: &dyn ContextStore,
    owner: UserId,
    edit: impl Fn(&mut BTreeMap<String, ToolPolicy>),
) -> Result<(), ChatError> {
    for _ in 0..ATTEMPTS {
        let (mut prefs, version) = store.preferences(owner).await?;
        edit(&mut prefs.tool_policies);
        match store.put_preferences(owner, &prefs, version).await {
            Err(StoreError::Conflict) => continue,
            other => return Ok(other?),
        }
    }
    Err(ChatError::Busy)
}
