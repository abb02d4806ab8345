//! Conversations as a whole: create, list, read, rename, delete, search, export and import.

use app::wire::{ActionResponse, ChatContextDTO, ContextSummaryDTO, ExportedContext, SearchResultDTO, SnippetPartDTO};
use confab_core::{ChatContext, ContextId, ModelSettings, UserId};
use tracing::instrument;

use super::{dto, now, publish, retry_on_conflict, transfer, validate, ChatError, ChatService};

impl ChatService {
    #[instrument(skip(self), err(Debug))]
    pub async fn create(
        &self,
        owner: UserId,
        title: Option<String>,
        settings: ModelSettings,
    ) -> Result<ChatContextDTO, ChatError> {
        let title = title.map(|t| validate::title(t, self.inner.settings.max_title_chars)).transpose()?;
        // Time-ordered ids: two conversations made in the same millisecond still list newest first.
        let ctx = ChatContext::new(uuid::Uuid::now_v7(), owner, title, now()).with_settings(settings);
        let guard = self.inner.persistence.save_new(ctx).await?;
        self.bind_imported(owner, guard.context()).await?;
        Ok(dto::context(guard.context()))
    }

    pub async fn list(&self, owner: UserId) -> Result<Vec<ContextSummaryDTO>, ChatError> {
        let summaries = self.inner.persistence.store.list(owner).await?;
        Ok(summaries.into_iter().map(dto::summary).collect())
    }

    pub async fn get(&self, owner: UserId, id: ContextId) -> Result<ActionResponse, ChatError> {
        self.read(owner, id, dto::response).await
    }

    /// The newest `size` messages of the active branch and the context's fields.
    pub async fn get_window(&self, owner: UserId, id: ContextId, size: usize) -> Result<ActionResponse, ChatError> {
        self.read(owner, id, |ctx| super::answers::window(ctx, size)).await
    }

    /// The whole conversation as a versioned export file.
    pub async fn export(&self, owner: UserId, id: ContextId) -> Result<ExportedContext, ChatError> {
        let folders = self.inner.persistence.store.folders(owner).await?;
        let mut file = self
            .read(owner, id, |ctx| {
                let folder = ctx.row().place.folder.and_then(|id| folders.into_iter().find(|f| f.id == id));
                transfer::export(ctx, folder.map(|f| f.name))
            })
            .await?;
        self.embed_files(owner, &mut file).await?;
        Ok(file)
    }

    /// The active branch as Markdown, with the conversation's title.
    pub async fn export_markdown(&self, owner: UserId, id: ContextId) -> Result<(String, String), ChatError> {
        self.read(owner, id, |ctx| (ctx.title().to_string(), transfer::markdown(ctx))).await
    }

    /// Succeeds when `owner` has the conversation `id` ([`ChatError::NotFound`] otherwise),
    /// without rendering any of it.
    pub async fn check_owner(&self, owner: UserId, id: ContextId) -> Result<(), ChatError> {
        self.read(owner, id, |_| ()).await
    }

    /// What a share link of the conversation shows (see [`transfer::share_snapshot`]).
    pub async fn share_snapshot(&self, owner: UserId, id: ContextId) -> Result<ExportedContext, ChatError> {
        self.read(owner, id, transfer::share_snapshot).await
    }

    /// A new conversation from an export file; a broken or hostile file creates nothing.
    #[instrument(skip(self, file), err(Debug))]
    pub async fn import(&self, owner: UserId, file: ExportedContext) -> Result<ChatContextDTO, ChatError> {
        let max = self.inner.settings.max_message_chars;
        let folder = file.place.as_ref().and_then(|p| p.folder.clone());
        let files = self.import_files(owner, &file).await;
        let mut ctx = transfer::import(file, owner, now(), max, &files).map_err(|message| ChatError::Invalid {
            field: "file",
            message: format!("this file cannot be imported: {message}"),
        })?;
        if let Some(name) = folder {
            let place =
                confab_core::Place { folder: Some(self.folder_named(owner, name).await?), ..ctx.row().place.clone() };
            ctx.set_place(place);
        }
        let guard = self.inner.persistence.save_new(ctx).await?;
        self.bind_imported(owner, guard.context()).await?;
        Ok(dto::context(guard.context()))
    }

    /// Full-text search over the user's messages and titles.
    pub async fn search(&self, owner: UserId, query: &str, limit: usize) -> Result<Vec<SearchResultDTO>, ChatError> {
        let hits = self.inner.persistence.store.search(owner, query, limit).await?;
        Ok(hits
            .into_iter()
            .map(|hit| SearchResultDTO {
                context_id: hit.context_id,
                context_title: hit.context_title,
                message_id: hit.message_id,
                snippet: hit
                    .snippet
                    .into_iter()
                    .map(|p| SnippetPartDTO { text: p.text, highlight: p.highlight })
                    .collect(),
            })
            .collect())
    }

    /// Runs `f` on a context the caller owns.
    pub(super) async fn read<T>(
        &self,
        owner: UserId,
        id: ContextId,
        f: impl FnOnce(&ChatContext) -> T,
    ) -> Result<T, ChatError> {
        let guard = self.inner.persistence.open(owner, id).await?;
        Ok(f(guard.context()))
    }

    #[instrument(skip(self), err(Debug))]
    pub async fn rename(&self, owner: UserId, id: ContextId, title: String) -> Result<ActionResponse, ChatError> {
        let title = validate::title(title, self.inner.settings.max_title_chars)?;
        // Saved first by another process: rename what it saved.
        retry_on_conflict(id, || async {
            let mut guard = self.inner.persistence.open(owner, id).await?;
            guard.ctx().rename(title.clone(), now());
            self.inner.persistence.commit(&mut guard, true).await?;
            Ok(dto::response(guard.context()))
        })
        .await
    }

    #[instrument(skip(self), err(Debug))]
    pub async fn delete(&self, owner: UserId, id: ContextId) -> Result<(), ChatError> {
        let persistence = &self.inner.persistence;
        let mut guard = persistence.open(owner, id).await?;
        persistence.store.delete(id).await?;
        guard.locked().stop_run();
        guard.discard();
        publish::closed(guard.slot());
        persistence.registry.forget(id);
        Ok(())
    }

    /// An account went with its conversations (the store deleted them in one transaction):
    /// what runs on them stops, here and in the other processes, and their streams close.
    pub async fn forget_deleted(&self, ids: &[ContextId]) {
        let persistence = &self.inner.persistence;
        for &id in ids {
            persistence.leases.announce(confab_store::Notice::Deleted { context: id });
            let Some(slot) = persistence.registry.loaded_slot(id) else { continue };
            let mut locked = super::registry::Locked::new(slot).await;
            locked.stop_run();
            locked.unload();
            publish::closed(&locked.slot);
            persistence.registry.forget(id);
        }
    }
}
