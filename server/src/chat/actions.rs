//! A person's actions: each runs one event through the state machine under the context's
//! lock, is saved, and then starts what the transition asks for (a generation, a tool run)
//! as a server task, or stops the one running.

use app::wire::ActionResponse;
use confab_core::{Applied, ChatContext, ContextId, Effect, Event, SettingsPatch, UserId};

use crate::models::ModelError;
use tracing::{debug, instrument};

use super::answers::Answer;
use super::slot::Slot;
use super::{dto, now, retry_on_conflict, validate, ChatError, ChatService};
use app::wire::ActionReply;

impl ChatService {
    /// Runs a person's action. Returns once its effect is saved; a generation it starts
    /// runs on as a server task.
    pub async fn act(
        &self,
        owner: UserId,
        id: ContextId,
        event: Event,
        client_action_id: Option<String>,
    ) -> Result<ActionResponse, ChatError> {
        self.act_then(owner, id, event, client_action_id, &|_, ctx| dto::response(ctx)).await
    }

    /// [`Self::act`], answering as `answer` asks: the whole state, or a patch.
    pub async fn act_answering(
        &self,
        owner: UserId,
        id: ContextId,
        event: Event,
        client_action_id: Option<String>,
        answer: Answer,
    ) -> Result<ActionReply, ChatError> {
        self.act_then(owner, id, event, client_action_id, &|slot, ctx| answer.render(slot, ctx)).await
    }

    /// Sends a message with the files `attachment_ids` names (uploads of `owner`'s): the
    /// words are checked first, then the files (their number, and images against the
    /// conversation's model), and only then is anything changed.
    pub async fn send_message(
        &self,
        owner: UserId,
        id: ContextId,
        content: String,
        attachment_ids: &[uuid::Uuid],
        client_action_id: Option<String>,
        answer: Answer,
    ) -> Result<ActionReply, ChatError> {
        let words = Event::SendMessage { content, attachments: Vec::new() };
        validate::event(&words, self.inner.settings.max_message_chars)?;
        let Event::SendMessage { content, .. } = words else { unreachable!("built above") };
        let attachments = self.attach(owner, id, attachment_ids).await?;
        self.act_answering(owner, id, Event::SendMessage { content, attachments }, client_action_id, answer).await
    }

    /// Runs the action, then renders the answer from the context as it saved it.
    #[instrument(skip(self, event, render), fields(event = %event.kind()), err(Debug))]
    async fn act_then<T>(
        &self,
        owner: UserId,
        id: ContextId,
        event: Event,
        client_action_id: Option<String>,
        render: &(dyn Fn(&Slot, &ChatContext) -> T + Sync),
    ) -> Result<T, ChatError> {
        validate::event(&event, self.inner.settings.max_message_chars)?;
        validate::client_action_id(client_action_id.as_deref())?;
        // Another process saved first (a shared database): the action runs again on what it
        // saved, which may refuse it, or find it was this very action.
        retry_on_conflict(id, || self.act_once(owner, id, event.clone(), client_action_id.clone(), render)).await
    }

    async fn act_once<T>(
        &self,
        owner: UserId,
        id: ContextId,
        event: Event,
        client_action_id: Option<String>,
        render: &(dyn Fn(&Slot, &ChatContext) -> T + Sync),
    ) -> Result<T, ChatError> {
        let mut guard = self.inner.persistence.open(owner, id).await?;
        // The first message of a conversation gets the model to name it.
        let opening = match &event {
            Event::SendMessage { content, attachments } if guard.context().messages().is_empty() => {
                // A file sent alone: its name is what the conversation opens with.
                let opening = match attachments.first() {
                    Some(file) if content.trim().is_empty() => file.name.clone(),
                    _ => content.clone(),
                };
                Some((guard.context().settings().model.clone().unwrap_or_default(), opening))
            }
            _ => None,
        };
        match guard.ctx().apply_action(event, client_action_id, now())? {
            Applied::Duplicate => {
                debug!(context = %id, "repeated action id: nothing to do");
                self.inner.persistence.commit(&mut guard, true).await?;
            }
            Applied::Done(transition) => {
                debug!(context = %id, from = %transition.from, to = %transition.to, "transition");
                // Work is claimed before the status that says it runs is saved, so no other
                // process ever sees that status without a live lease and takes it for work
                // abandoned by a dead process.
                let starts_work = matches!(transition.effect, Some(Effect::StartGeneration | Effect::ExecuteTools));
                if starts_work {
                    let taken = self.inner.persistence.leases.take(id).await;
                    if !matches!(taken, Ok(true)) {
                        // Unsaved, so undone: the store stays the truth.
                        guard.discard();
                        return Err(taken.err().unwrap_or(ChatError::Busy));
                    }
                }
                if let Err(error) = self.inner.persistence.commit(&mut guard, true).await {
                    // Unless a run of this process still works on it and holds the lease.
                    if starts_work && guard.locked().run().is_none() {
                        self.inner.persistence.leases.release(id).await;
                    }
                    return Err(error);
                }
                self.inner.runs.follow(&mut guard, transition.effect);
                if let Some((model, first_message)) = opening {
                    self.spawn_title(id, model, first_message);
                }
            }
        }
        let (slot, ctx) = guard.parts();
        Ok(render(slot, ctx))
    }

    /// Asks the model for a title, off the hot path; a title set by hand meanwhile wins.
    fn spawn_title(&self, id: ContextId, model: String, first_message: String) {
        let (persistence, deps) = (self.inner.persistence.clone(), self.inner.runs.deps.clone());
        self.inner.persistence.tasks.spawn(async move {
            let Ok(route) = deps.models.route(&model) else { return };
            let Some(title) = route.provider.title(&route.name, &first_message).await else { return };
            // Models like to answer in Markdown; a title is plain text.
            let line = title.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or_default();
            let title: String = app::markdown::plain_text(line).chars().take(80).collect();
            if title.is_empty() {
                return;
            }
            let Ok(mut guard) = persistence.open_any(id).await else { return };
            if guard.ctx().set_generated_title(title, now()) {
                if let Err(error) = persistence.commit(&mut guard, true).await {
                    debug!(context = %id, %error, "could not save the generated title");
                }
            }
        });
    }
}

impl ChatService {
    /// Changes a conversation's model settings: the model must be one the server knows and
    /// can reach now, `max_tokens` at most its context length.
    pub async fn update_settings(
        &self,
        owner: UserId,
        id: ContextId,
        patch: SettingsPatch,
        client_action_id: Option<String>,
        answer: Answer,
    ) -> Result<ActionReply, ChatError> {
        validate::settings(&patch)?;
        let model = match &patch.model {
            Some(model) => model.clone(),
            None => self.read(owner, id, |ctx| ctx.settings().model.clone().unwrap_or_default()).await?,
        };
        let invalid_model = |error: ModelError| ChatError::Invalid { field: "model", message: error.to_string() };
        let context_length = if patch.model.is_some() {
            self.models().check(&model).await.map_err(invalid_model)?.context_length
        } else {
            self.models().route(&model).ok().map(|route| route.context_length)
        };
        if let (Some(Some(max_tokens)), Some(limit)) = (patch.max_tokens, context_length) {
            if max_tokens > limit {
                let message = format!("max_tokens must be at most {limit}, the context length of {model}");
                return Err(ChatError::Invalid { field: "max_tokens", message });
            }
        }
        self.act_answering(owner, id, Event::UpdateSettings { patch }, client_action_id, answer).await
    }
}
