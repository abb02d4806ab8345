//! Uploaded files in memory, kept as the SQL stores keep them.

use std::collections::HashMap;

use async_trait::async_trait;
use confab_core::{ContextId, Timestamp, UserId};
use uuid::Uuid;

use super::MemoryStore;
use crate::{Attachments, NewBlob, StoreError, StoredAttachment};

struct Blob {
    data: Vec<u8>,
    text: Option<String>,
}

#[derive(Default)]
pub(super) struct Files {
    blobs: HashMap<(UserId, String), Blob>,
    attachments: HashMap<Uuid, StoredAttachment>,
}

impl Files {
    /// A conversation was deleted: its attachments go, and the blobs nobody uses now.
    pub fn forget_context(&mut self, context: ContextId) {
        self.attachments.retain(|_, stored| stored.context_id != Some(context));
        self.sweep_blobs();
    }

    /// An account was deleted: everything it uploaded goes.
    pub fn forget_owner(&mut self, owner: UserId) {
        self.attachments.retain(|_, stored| stored.owner != owner);
        self.blobs.retain(|(blob_owner, _), _| *blob_owner != owner);
    }

    /// The bytes of the files `owner` keeps.
    pub fn bytes_of(&self, owner: UserId) -> u64 {
        self.blobs.iter().filter(|((blob_owner, _), _)| *blob_owner == owner).map(|(_, b)| b.data.len() as u64).sum()
    }

    fn sweep_blobs(&mut self) {
        let attachments = &self.attachments;
        self.blobs.retain(|(owner, sha256), _| {
            attachments.values().any(|stored| stored.owner == *owner && stored.sha256 == *sha256)
        });
    }

    fn owned(&self, owner: UserId, id: Uuid) -> Option<&StoredAttachment> {
        self.attachments.get(&id).filter(|stored| stored.owner == owner)
    }

    fn blob_of(&self, owner: UserId, id: Uuid) -> Option<&Blob> {
        let stored = self.owned(owner, id)?;
        self.blobs.get(&(owner, stored.sha256.clone()))
    }
}

#[async_trait]
impl Attachments for MemoryStore {
    async fn add_attachment(&self, stored: &StoredAttachment, blob: &NewBlob<'_>) -> Result<(), StoreError> {
        let mut data = self.data()?;
        if let Some(context) = stored.context_id {
            if !data.contexts.contains_key(&context.to_string()) {
                return Err(StoreError::Rejected("the attachment's conversation is not stored".into()));
            }
        }
        let files = &mut data.files;
        if files.attachments.contains_key(&stored.attachment.id) {
            return Err(StoreError::Rejected("this attachment exists already".into()));
        }
        files
            .blobs
            .entry((stored.owner, blob.sha256.to_string()))
            .or_insert_with(|| Blob { data: blob.data.to_vec(), text: blob.text.map(str::to_string) });
        let mut stored = stored.clone();
        stored.attachment.media_type = blob.media_type.to_string();
        stored.attachment.size = blob.data.len() as u64;
        stored.attachment.prompt_tokens = blob.prompt_tokens;
        files.attachments.insert(stored.attachment.id, stored);
        Ok(())
    }

    async fn attachment(&self, owner: UserId, id: Uuid) -> Result<Option<StoredAttachment>, StoreError> {
        Ok(self.data()?.files.owned(owner, id).cloned())
    }

    async fn attachment_data(&self, owner: UserId, id: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.data()?.files.blob_of(owner, id).map(|blob| blob.data.clone()))
    }

    async fn attachment_text(&self, owner: UserId, id: Uuid) -> Result<Option<String>, StoreError> {
        Ok(self.data()?.files.blob_of(owner, id).and_then(|blob| blob.text.clone()))
    }

    async fn bytes_used(&self, owner: UserId) -> Result<u64, StoreError> {
        let data = self.data()?;
        let blobs = data.files.blobs.iter().filter(|((blob_owner, _), _)| *blob_owner == owner);
        Ok(blobs.map(|(_, blob)| blob.data.len() as u64).sum())
    }

    async fn use_attachments(
        &self,
        owner: UserId,
        ids: &[Uuid],
        context: ContextId,
    ) -> Result<Option<Vec<StoredAttachment>>, StoreError> {
        let mut data = self.data()?;
        let files = &mut data.files;
        if ids.iter().any(|id| files.owned(owner, *id).is_none()) {
            return Ok(None);
        }
        let mut used = Vec::with_capacity(ids.len());
        for id in ids {
            let stored = files.attachments.get_mut(id).expect("checked above");
            match stored.context_id {
                Some(bound) if bound == context => used.push(stored.clone()),
                None => {
                    stored.context_id = Some(context);
                    used.push(stored.clone());
                }
                Some(_) => {
                    let mut copy = stored.clone();
                    copy.attachment.id = Uuid::now_v7();
                    copy.context_id = Some(context);
                    files.attachments.insert(copy.attachment.id, copy.clone());
                    used.push(copy);
                }
            }
        }
        Ok(Some(used))
    }

    async fn sweep_attachments(&self, unsent_before: Timestamp) -> Result<u64, StoreError> {
        let mut data = self.data()?;
        let files = &mut data.files;
        let before = files.attachments.len();
        files.attachments.retain(|_, stored| stored.context_id.is_some() || stored.created_at >= unsent_before);
        let swept = (before - files.attachments.len()) as u64;
        files.sweep_blobs();
        Ok(swept)
    }
}
