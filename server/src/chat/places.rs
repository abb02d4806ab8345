//! Where conversations sit in their owner's list (pinned, archived, in a folder) and the
//! folders themselves. Every change reaches the owner's other tabs over the per-user stream:
//! a conversation moved is a changed row of the list, a folder change sends the folders.

use app::wire::{ChatContextDTO, ContextSummaryDTO, ContextsChangeDTO, FolderDTO, UpdateContextRequest};
use confab_core::{ContextId, Place, UserId};
use confab_store::Folder;
use tracing::instrument;
use uuid::Uuid;

use super::{dto, now, retry_on_conflict, validate, ChatError, ChatService};

impl ChatService {
    /// The owner's conversations, most recently active first: the archived ones, or the rest.
    pub async fn list_in(&self, owner: UserId, archived: bool) -> Result<Vec<ContextSummaryDTO>, ChatError> {
        let store = &self.inner.persistence.store;
        let (summaries, folders) = tokio::try_join!(store.list(owner), store.folders(owner))?;
        let folder_ids: std::collections::HashSet<Uuid> = folders.iter().map(|f| f.id).collect();
        Ok(summaries
            .into_iter()
            .filter(|s| s.place.archived == archived)
            .map(|mut s| {
                // A folder that was deleted holds nothing.
                s.place.folder = s.place.folder.filter(|id| folder_ids.contains(id));
                dto::summary(s)
            })
            .collect())
    }

    /// Renames a conversation and moves it in the list, as asked; what is not asked stays.
    #[instrument(skip(self), err(Debug))]
    pub async fn update(
        &self,
        owner: UserId,
        id: ContextId,
        request: UpdateContextRequest,
    ) -> Result<ChatContextDTO, ChatError> {
        let title = request.title.map(|t| validate::title(t, self.inner.settings.max_title_chars)).transpose()?;
        if let Some(Some(folder)) = request.folder_id {
            self.folder_of(owner, folder).await?;
        }
        retry_on_conflict(id, || async {
            let mut guard = self.inner.persistence.open(owner, id).await?;
            let ctx = guard.ctx();
            if let Some(title) = &title {
                ctx.rename(title.clone(), now());
            }
            let old = ctx.row().place.clone();
            let place = Place {
                pinned: request.pinned.unwrap_or(old.pinned),
                archived: request.archived.unwrap_or(old.archived),
                folder: request.folder_id.unwrap_or(old.folder),
            };
            let moved = ctx.set_place(place);
            if title.is_some() || moved {
                self.inner.persistence.commit(&mut guard, true).await?;
            }
            Ok(dto::context(guard.context()))
        })
        .await
    }

    pub async fn folders(&self, owner: UserId) -> Result<Vec<FolderDTO>, ChatError> {
        Ok(self.inner.persistence.store.folders(owner).await?.into_iter().map(folder_dto).collect())
    }

    #[instrument(skip(self), err(Debug))]
    pub async fn create_folder(&self, owner: UserId, name: String) -> Result<FolderDTO, ChatError> {
        let name = folder_name(name, self.inner.settings.max_title_chars)?;
        let folder = Folder { id: Uuid::now_v7(), owner, name, created_at: now() };
        self.inner.persistence.store.create_folder(&folder).await?;
        self.folders_changed(owner).await;
        Ok(folder_dto(folder))
    }

    #[instrument(skip(self), err(Debug))]
    pub async fn rename_folder(&self, owner: UserId, id: Uuid, name: String) -> Result<FolderDTO, ChatError> {
        let name = folder_name(name, self.inner.settings.max_title_chars)?;
        if !self.inner.persistence.store.rename_folder(owner, id, &name).await? {
            return Err(ChatError::FolderNotFound);
        }
        self.folders_changed(owner).await;
        self.folder_of(owner, id).await.map(folder_dto)
    }

    /// Deletes a folder; its conversations stay, in no folder.
    #[instrument(skip(self), err(Debug))]
    pub async fn delete_folder(&self, owner: UserId, id: Uuid) -> Result<(), ChatError> {
        if !self.inner.persistence.store.delete_folder(owner, id).await? {
            return Err(ChatError::FolderNotFound);
        }
        self.folders_changed(owner).await;
        Ok(())
    }

    /// The owner's folder of this name (in any case), made if there is none: where an
    /// imported conversation goes back to.
    pub(super) async fn folder_named(&self, owner: UserId, name: String) -> Result<Uuid, ChatError> {
        let name = folder_name(name, self.inner.settings.max_title_chars)?;
        let folders = self.inner.persistence.store.folders(owner).await?;
        match folders.into_iter().find(|f| f.name.to_lowercase() == name.to_lowercase()) {
            Some(folder) => Ok(folder.id),
            None => Ok(self.create_folder(owner, name).await?.id),
        }
    }

    async fn folder_of(&self, owner: UserId, id: Uuid) -> Result<Folder, ChatError> {
        let folders = self.inner.persistence.store.folders(owner).await?;
        folders.into_iter().find(|f| f.id == id).ok_or(ChatError::FolderNotFound)
    }

    /// Tells the owner's streams what their folders are now.
    async fn folders_changed(&self, owner: UserId) {
        match self.folders(owner).await {
            Ok(folders) => self
                .inner
                .persistence
                .registry
                .users
                .send(owner, ContextsChangeDTO { changed: vec![], removed: vec![], folders: Some(folders) }),
            // The change is saved; the other tabs see it at their next load.
            Err(error) => tracing::warn!(%error, "could not tell the other tabs of a folder change"),
        }
    }
}

/// A folder's name is checked like a title.
fn folder_name(name: String, max: usize) -> Result<String, ChatError> {
    validate::title(name, max).map_err(|error| match error {
        ChatError::Invalid { message, .. } => {
            ChatError::Invalid { field: "name", message: message.replacen("title", "name", 1) }
        }
        other => other,
    })
}

fn folder_dto(folder: Folder) -> FolderDTO {
    FolderDTO { id: folder.id, name: folder.name, created_at: folder.created_at }
}
