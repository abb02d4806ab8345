//! A person's folders for their conversations (the `folders` table). A conversation names
//! its folder in its place ([`confab_core::Place`]); a folder that is deleted leaves its
//! conversations in no folder, without rewriting them.

use async_trait::async_trait;
use confab_core::{Timestamp, UserId};
use uuid::Uuid;

use crate::StoreError;

#[derive(Debug, Clone, PartialEq)]
pub struct Folder {
    pub id: Uuid,
    pub owner: UserId,
    pub name: String,
    pub created_at: Timestamp,
}

/// Part of every [`crate::ContextStore`].
#[async_trait]
pub trait Folders: Send + Sync + 'static {
    /// `owner`'s folders by name.
    async fn folders(&self, owner: UserId) -> Result<Vec<Folder>, StoreError>;

    async fn create_folder(&self, folder: &Folder) -> Result<(), StoreError>;

    /// Returns whether `owner` has a folder `id`.
    async fn rename_folder(&self, owner: UserId, id: Uuid, name: &str) -> Result<bool, StoreError>;

    /// Returns whether `owner` had a folder `id`.
    async fn delete_folder(&self, owner: UserId, id: Uuid) -> Result<bool, StoreError>;
}
