//! The statements of `blobs` and `attachments` both backends share, and the one
//! implementation of [`crate::Attachments`] they both use ([`attachments_impl`]).

use confab_core::{Attachment, Timestamp};

use super::{Arg, Sql, Statement};
use crate::records::{parse_millis, parse_uuid};
use crate::{NewBlob, StoreError, StoredAttachment};

static INSERT_BLOB: Sql = Sql::new(
    "INSERT INTO blobs (owner, sha256, media_type, size, data, extracted_text, prompt_tokens) \
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (owner, sha256) DO NOTHING",
);
static INSERT: Sql =
    Sql::new("INSERT INTO attachments (id, owner, sha256, name, context_id, created_at) VALUES (?, ?, ?, ?, ?, ?)");
static SELECT: Sql = Sql::new(
    "SELECT a.id, a.owner, a.sha256, a.name, a.context_id, a.created_at, b.media_type, b.size, b.prompt_tokens \
     FROM attachments a JOIN blobs b ON b.owner = a.owner AND b.sha256 = a.sha256 WHERE a.owner = ? AND a.id = ?",
);
static DATA: Sql = Sql::new(
    "SELECT b.data FROM attachments a JOIN blobs b ON b.owner = a.owner AND b.sha256 = a.sha256 \
     WHERE a.owner = ? AND a.id = ?",
);
static TEXT: Sql = Sql::new(
    "SELECT b.extracted_text FROM attachments a JOIN blobs b ON b.owner = a.owner AND b.sha256 = a.sha256 \
     WHERE a.owner = ? AND a.id = ?",
);
static BYTES_USED: Sql = Sql::new("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs WHERE owner = ?");
static BIND: Sql = Sql::new("UPDATE attachments SET context_id = ? WHERE owner = ? AND id = ? AND context_id IS NULL");
static SWEEP_UNSENT: Sql = Sql::new("DELETE FROM attachments WHERE context_id IS NULL AND created_at < ?");
static SWEEP_BLOBS: Sql = Sql::new(
    "DELETE FROM blobs WHERE NOT EXISTS \
     (SELECT 1 FROM attachments a WHERE a.owner = blobs.owner AND a.sha256 = blobs.sha256)",
);
static SWEEP_OWNER_BLOBS: Sql = Sql::new(
    "DELETE FROM blobs WHERE owner = ? AND NOT EXISTS \
     (SELECT 1 FROM attachments a WHERE a.owner = blobs.owner AND a.sha256 = blobs.sha256)",
);
static OWNER_OF_CONTEXT: Sql = Sql::new("SELECT owner FROM contexts WHERE id = ?");

/// An attachment as the select returns it.
pub(crate) type AttachmentRow = (String, String, String, String, Option<String>, i64, String, i64, i64);

/// The text forms an attachment is bound with.
pub(crate) struct AttachmentText {
    id: String,
    owner: String,
    context_id: Option<String>,
}

impl AttachmentText {
    pub fn of(stored: &StoredAttachment) -> Self {
        AttachmentText {
            id: stored.attachment.id.to_string(),
            owner: stored.owner.to_string(),
            context_id: stored.context_id.map(|id| id.to_string()),
        }
    }
}

pub(crate) fn insert_blob<'a>(owner: &'a str, blob: &'a NewBlob<'a>) -> Statement<'a> {
    Statement::new(
        &INSERT_BLOB,
        vec![
            Arg::Text(owner),
            Arg::Text(blob.sha256),
            Arg::Text(blob.media_type),
            Arg::Int(blob.data.len() as i64),
            Arg::Bytes(blob.data),
            Arg::MaybeText(blob.text),
            Arg::Int(i64::from(blob.prompt_tokens)),
        ],
    )
}

pub(crate) fn insert<'a>(stored: &'a StoredAttachment, text: &'a AttachmentText) -> Statement<'a> {
    Statement::new(
        &INSERT,
        vec![
            Arg::Text(&text.id),
            Arg::Text(&text.owner),
            Arg::Text(&stored.sha256),
            Arg::Text(&stored.attachment.name),
            Arg::MaybeText(text.context_id.as_deref()),
            Arg::Int(stored.created_at.timestamp_millis()),
        ],
    )
}

pub(crate) fn select<'a>(owner: &'a str, id: &'a str) -> Statement<'a> {
    Statement::new(&SELECT, vec![Arg::Text(owner), Arg::Text(id)])
}

pub(crate) fn data<'a>(owner: &'a str, id: &'a str) -> Statement<'a> {
    Statement::new(&DATA, vec![Arg::Text(owner), Arg::Text(id)])
}

pub(crate) fn text<'a>(owner: &'a str, id: &'a str) -> Statement<'a> {
    Statement::new(&TEXT, vec![Arg::Text(owner), Arg::Text(id)])
}

pub(crate) fn bytes_used(owner: &str) -> Statement<'_> {
    Statement::new(&BYTES_USED, vec![Arg::Text(owner)])
}

pub(crate) fn bind<'a>(context: &'a str, owner: &'a str, id: &'a str) -> Statement<'a> {
    Statement::new(&BIND, vec![Arg::Text(context), Arg::Text(owner), Arg::Text(id)])
}

pub(crate) fn sweep_unsent(before: Timestamp) -> Statement<'static> {
    Statement::new(&SWEEP_UNSENT, vec![Arg::Int(before.timestamp_millis())])
}

pub(crate) fn sweep_blobs() -> Statement<'static> {
    Statement::new(&SWEEP_BLOBS, Vec::new())
}

pub(crate) fn sweep_owner_blobs(owner: &str) -> Statement<'_> {
    Statement::new(&SWEEP_OWNER_BLOBS, vec![Arg::Text(owner)])
}

pub(crate) fn owner_of_context(id: &str) -> Statement<'_> {
    Statement::new(&OWNER_OF_CONTEXT, vec![Arg::Text(id)])
}

pub(crate) fn from_row(row: AttachmentRow) -> Result<StoredAttachment, StoreError> {
    let (id, owner, sha256, name, context_id, created_at, media_type, size, prompt_tokens) = row;
    Ok(StoredAttachment {
        attachment: Attachment {
            id: parse_uuid(&id)?,
            name,
            media_type,
            size: size as u64,
            prompt_tokens: u32::try_from(prompt_tokens).unwrap_or(u32::MAX),
        },
        owner: parse_uuid(&owner)?,
        sha256,
        context_id: context_id.as_deref().map(parse_uuid).transpose()?,
        created_at: parse_millis(created_at)?,
    })
}

/// Implements [`crate::Attachments`] for a SQL store: `$db` the backend, `$write` and
/// `$read` the store's fields for its writing and reading pools.
macro_rules! attachments_impl {
    ($store:ty, $db:ty, $write:ident, $read:ident) => {
        #[async_trait::async_trait]
        impl crate::Attachments for $store {
            async fn add_attachment(
                &self,
                stored: &crate::StoredAttachment,
                blob: &crate::NewBlob<'_>,
            ) -> Result<(), crate::StoreError> {
                use crate::dialect::attachments as sql;
                let text = sql::AttachmentText::of(stored);
                let owner = stored.owner.to_string();
                let mut tx = self.$write.begin().await?;
                sql::insert_blob(&owner, blob).query::<$db>().execute(&mut *tx).await?;
                sql::insert(stored, &text).query::<$db>().execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn attachment(
                &self,
                owner: confab_core::UserId,
                id: uuid::Uuid,
            ) -> Result<Option<crate::StoredAttachment>, crate::StoreError> {
                use crate::dialect::attachments as sql;
                let (owner, id) = (owner.to_string(), id.to_string());
                let statement = sql::select(&owner, &id);
                let row = statement.query_as::<$db, sql::AttachmentRow>().fetch_optional(&self.$read).await?;
                row.map(sql::from_row).transpose()
            }

            async fn attachment_data(
                &self,
                owner: confab_core::UserId,
                id: uuid::Uuid,
            ) -> Result<Option<Vec<u8>>, crate::StoreError> {
                let (owner, id) = (owner.to_string(), id.to_string());
                let statement = crate::dialect::attachments::data(&owner, &id);
                Ok(statement.query_scalar::<$db, Vec<u8>>().fetch_optional(&self.$read).await?)
            }

            async fn attachment_text(
                &self,
                owner: confab_core::UserId,
                id: uuid::Uuid,
            ) -> Result<Option<String>, crate::StoreError> {
                let (owner, id) = (owner.to_string(), id.to_string());
                let statement = crate::dialect::attachments::text(&owner, &id);
                Ok(statement.query_scalar::<$db, Option<String>>().fetch_optional(&self.$read).await?.flatten())
            }

            async fn bytes_used(&self, owner: confab_core::UserId) -> Result<u64, crate::StoreError> {
                let owner = owner.to_string();
                let statement = crate::dialect::attachments::bytes_used(&owner);
                Ok(statement.query_scalar::<$db, i64>().fetch_one(&self.$read).await? as u64)
            }

            async fn use_attachments(
                &self,
                owner: confab_core::UserId,
                ids: &[uuid::Uuid],
                context: confab_core::ContextId,
            ) -> Result<Option<Vec<crate::StoredAttachment>>, crate::StoreError> {
                use crate::dialect::attachments as sql;
                let (owner_text, context_text) = (owner.to_string(), context.to_string());
                let mut tx = self.$write.begin().await?;
                let mut used = Vec::with_capacity(ids.len());
                for id in ids {
                    let id_text = id.to_string();
                    let statement = sql::select(&owner_text, &id_text);
                    let Some(row) = statement.query_as::<$db, sql::AttachmentRow>().fetch_optional(&mut *tx).await?
                    else {
                        return Ok(None);
                    };
                    let mut stored = sql::from_row(row)?;
                    if stored.context_id == Some(context) {
                        used.push(stored);
                        continue;
                    }
                    let bound = match stored.context_id {
                        None => sql::bind(&context_text, &owner_text, &id_text)
                            .query::<$db>()
                            .execute(&mut *tx)
                            .await?
                            .rows_affected(),
                        Some(_) => 0,
                    };
                    if bound == 0 {
                        // Sent elsewhere (or just now, by another writer): this use is a copy.
                        stored.attachment.id = uuid::Uuid::now_v7();
                        stored.context_id = Some(context);
                        let text = sql::AttachmentText::of(&stored);
                        sql::insert(&stored, &text).query::<$db>().execute(&mut *tx).await?;
                    }
                    stored.context_id = Some(context);
                    used.push(stored);
                }
                tx.commit().await?;
                Ok(Some(used))
            }

            async fn sweep_attachments(&self, unsent_before: confab_core::Timestamp) -> Result<u64, crate::StoreError> {
                use crate::dialect::attachments as sql;
                let swept =
                    sql::sweep_unsent(unsent_before).query::<$db>().execute(&self.$write).await?.rows_affected();
                sql::sweep_blobs().query::<$db>().execute(&self.$write).await?;
                Ok(swept)
            }
        }
    };
}
pub(crate) use attachments_impl;
