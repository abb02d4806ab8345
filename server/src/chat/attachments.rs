//! Files people attach: an upload judged by its bytes and stored under its owner, put to
//! use in a message (after checking the conversation's model takes images, before anything
//! is saved), read back for its owner, read for the model, swept when never sent.

use std::collections::HashMap;
use std::time::Duration;

use app::wire::{AttachmentDTO, ExportedContext, DEFAULT_MAX_ATTACHMENTS_PER_MESSAGE};
use base64::Engine;
use confab_core::{Attachment, ContextId, UserId};
use confab_llm::{AttachmentContent, ChatRequest};
use confab_store::{ContextStore, NewBlob, StoredAttachment};
use uuid::Uuid;

use super::{dto, now, ChatError, ChatService};

/// How far attachments may go.
#[derive(Debug, Clone)]
pub struct AttachmentLimits {
    /// The largest file, in bytes.
    pub max_file_bytes: usize,
    pub max_per_message: usize,
    /// The most bytes one person's files may take, each distinct file counted once.
    pub max_user_bytes: u64,
    /// How images are checked and scaled.
    pub image: confab_attachments::Limits,
    /// The longest reading a file may take (decoding an image, extracting a PDF's text).
    pub read_timeout: Duration,
    /// How long an upload that was never sent is kept.
    pub unsent_ttl: Duration,
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        AttachmentLimits {
            max_file_bytes: 20 * 1024 * 1024,
            max_per_message: DEFAULT_MAX_ATTACHMENTS_PER_MESSAGE,
            max_user_bytes: 1024 * 1024 * 1024,
            image: confab_attachments::Limits::default(),
            read_timeout: Duration::from_secs(20),
            unsent_ttl: Duration::from_secs(24 * 3600),
        }
    }
}

impl ChatService {
    fn limits(&self) -> &AttachmentLimits {
        &self.inner.settings.attachments
    }

    /// Judges an upload by its bytes and stores it under `owner`, not yet sent.
    pub async fn upload(&self, owner: UserId, raw_name: &str, bytes: Vec<u8>) -> Result<AttachmentDTO, ChatError> {
        Ok(dto::attachment(&self.store_upload(owner, raw_name, bytes).await?))
    }

    /// [`Self::upload`], answering what the store kept.
    async fn store_upload(&self, owner: UserId, raw_name: &str, bytes: Vec<u8>) -> Result<Attachment, ChatError> {
        let limits = self.limits().clone();
        if bytes.len() > limits.max_file_bytes {
            return Err(ChatError::TooLarge(format!("a file may have at most {} bytes", limits.max_file_bytes)));
        }
        let store = self.store();
        let used = store.bytes_used(owner).await?;
        if used + bytes.len() as u64 > limits.max_user_bytes {
            return Err(ChatError::TooLarge(format!(
                "your files would take more than the {} bytes each person may keep; delete conversations with files you no longer need",
                limits.max_user_bytes
            )));
        }
        let image_limits = limits.image;
        let reading = tokio::task::spawn_blocking(move || confab_attachments::prepare(bytes, &image_limits));
        let prepared = match tokio::time::timeout(limits.read_timeout, reading).await {
            Err(_) => return Err(invalid_file("the file took too long to read")),
            Ok(Err(panicked)) => return Err(invalid_file(&format!("the file could not be read ({panicked})"))),
            Ok(Ok(Err(refused))) => return Err(invalid_file(&refused.to_string())),
            Ok(Ok(Ok(prepared))) => prepared,
        };
        let sha256 = confab_attachments::content_address(&prepared.data);
        let stored = StoredAttachment {
            attachment: Attachment {
                id: Uuid::now_v7(),
                name: confab_attachments::clean_name(raw_name),
                media_type: prepared.media_type.to_string(),
                size: prepared.data.len() as u64,
                prompt_tokens: prepared.prompt_tokens,
            },
            owner,
            sha256: sha256.clone(),
            context_id: None,
            created_at: now(),
        };
        let blob = NewBlob {
            sha256: &sha256,
            media_type: prepared.media_type,
            data: &prepared.data,
            text: prepared.text.as_deref(),
            prompt_tokens: prepared.prompt_tokens,
        };
        store.add_attachment(&stored, &blob).await?;
        tracing::debug!(id = %stored.attachment.id, media_type = prepared.media_type, size = blob.data.len(), "stored an upload");
        Ok(stored.attachment)
    }

    /// One of `owner`'s files with its bytes ([`ChatError::AttachmentNotFound`] for anyone else).
    pub async fn attachment_file(&self, owner: UserId, id: Uuid) -> Result<(Attachment, Vec<u8>), ChatError> {
        let store = self.store();
        let stored = store.attachment(owner, id).await?.ok_or(ChatError::AttachmentNotFound)?;
        let data = store.attachment_data(owner, id).await?.ok_or(ChatError::AttachmentNotFound)?;
        Ok((stored.attachment, data))
    }

    /// The file `id` as a share of conversation `context` shows it: only a file sent in it.
    pub async fn shared_file(
        &self,
        owner: UserId,
        context: ContextId,
        id: Uuid,
    ) -> Result<(Attachment, Vec<u8>), ChatError> {
        let stored = self.store().attachment(owner, id).await?.ok_or(ChatError::AttachmentNotFound)?;
        if stored.context_id != Some(context) {
            return Err(ChatError::AttachmentNotFound);
        }
        let data = self.store().attachment_data(owner, id).await?.ok_or(ChatError::AttachmentNotFound)?;
        Ok((stored.attachment, data))
    }

    /// Puts `owner`'s uploads `ids` to use in conversation `id`, after checking there are
    /// not too many and that its model takes the images among them: what a `send_message`
    /// carries. Nothing is changed when it refuses.
    pub(super) async fn attach(
        &self,
        owner: UserId,
        id: ContextId,
        ids: &[Uuid],
    ) -> Result<Vec<Attachment>, ChatError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let max = self.limits().max_per_message;
        if ids.len() > max {
            let message = format!("a message may carry at most {max} files");
            return Err(ChatError::Invalid { field: "attachment_ids", message });
        }
        let store = self.store();
        let mut images = false;
        for file in ids {
            let stored = store.attachment(owner, *file).await?.ok_or_else(|| ChatError::Invalid {
                field: "attachment_ids",
                message: format!("there is no uploaded file {file}"),
            })?;
            images |= stored.attachment.is_image();
        }
        let model = self.read(owner, id, |ctx| ctx.settings().model.clone()).await?;
        let model = model.unwrap_or_else(|| self.models().default_model().to_string());
        if images && !self.models().takes_images(&model).await {
            // One of the same provider first: the likeliest to suit the conversation.
            let provider = model.split_once('/').map_or("", |(provider, _)| provider);
            let candidates = self.models().image_models().await;
            let same = candidates.iter().find(|other| other.starts_with(&format!("{provider}/")));
            let instead = match same.or(candidates.first()) {
                Some(other) => format!("; choose a model that does, such as {other}"),
                None => "; no model on this server does".to_string(),
            };
            return Err(ChatError::Invalid {
                field: "attachment_ids",
                message: format!("the model {model} does not take images{instead}"),
            });
        }
        let used = store.use_attachments(owner, ids, id).await?.ok_or_else(|| ChatError::Invalid {
            field: "attachment_ids",
            message: "one of the files is no longer stored".into(),
        })?;
        Ok(used.into_iter().map(|stored| stored.attachment).collect())
    }

    /// Puts the bytes of `owner`'s files into an export of one of their conversations.
    pub(crate) async fn embed_files(&self, owner: UserId, file: &mut ExportedContext) -> Result<(), ChatError> {
        let store = self.store();
        for message in &mut file.messages {
            for attachment in &mut message.attachments {
                let data = store.attachment_data(owner, attachment.id).await?;
                attachment.data = data.map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes));
            }
        }
        Ok(())
    }

    /// Stores the files an export file carries as uploads of `owner`, each judged as an
    /// upload is: their ids in the file, mapped to what they became. A file that cannot be
    /// read is left out (its message keeps its words).
    pub(crate) async fn import_files(&self, owner: UserId, file: &ExportedContext) -> HashMap<Uuid, Attachment> {
        let mut imported = HashMap::new();
        for file in file.messages.iter().flat_map(|m| &m.attachments) {
            // An edit keeps its message's files: the same id on two messages is one file.
            if imported.contains_key(&file.id) {
                continue;
            }
            let Some(data) = &file.data else { continue };
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) else { continue };
            match self.store_upload(owner, &file.name, bytes).await {
                Ok(stored) => {
                    imported.insert(file.id, stored);
                }
                Err(error) => tracing::info!(name = %file.name, %error, "left a file of an import out"),
            }
        }
        imported
    }

    /// Binds the files of a conversation just imported to it.
    pub(crate) async fn bind_imported(&self, owner: UserId, ctx: &confab_core::ChatContext) -> Result<(), ChatError> {
        let ids: Vec<Uuid> = ctx.messages().iter().flat_map(|m| &m.attachments).map(|file| file.id).collect();
        if !ids.is_empty() {
            self.store().use_attachments(owner, &ids, ctx.id()).await?;
        }
        Ok(())
    }

    /// Deletes the uploads never sent that are older than the configured time.
    pub async fn sweep_unsent(&self) -> Result<u64, ChatError> {
        let ttl = chrono::Duration::from_std(self.limits().unsent_ttl).unwrap_or(chrono::Duration::days(1));
        Ok(self.store().sweep_attachments(now() - ttl).await?)
    }

    /// Sweeps now and then every hour, until the server closes.
    pub fn spawn_sweeper(&self) {
        let (service, closing) = (self.clone(), self.closing());
        tokio::spawn(async move {
            loop {
                match service.sweep_unsent().await {
                    Ok(0) => {}
                    Ok(swept) => tracing::info!(swept, "deleted uploads that were never sent"),
                    Err(error) => tracing::warn!(%error, "could not sweep uploads that were never sent"),
                }
                tokio::select! {
                    _ = closing.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
                }
            }
        });
    }
}

fn invalid_file(message: &str) -> ChatError {
    ChatError::Invalid { field: "file", message: message.to_string() }
}

/// Reads the files of the messages a request holds from the store: images as data URLs
/// for a model that takes them, text for the rest. What cannot be read says why.
pub(super) async fn load(store: &dyn ContextStore, owner: UserId, request: &mut ChatRequest, vision: bool) {
    for message in &mut request.messages {
        for file in &mut message.attachments {
            let Ok(id) = file.key.parse::<Uuid>() else { continue };
            file.content = if file.media_type.starts_with("image/") {
                if !vision {
                    AttachmentContent::Unreadable("an image; this model does not take images".into())
                } else {
                    match store.attachment_data(owner, id).await {
                        Ok(Some(bytes)) => AttachmentContent::Image {
                            data_url: format!(
                                "data:{};base64,{}",
                                file.media_type,
                                base64::engine::general_purpose::STANDARD.encode(bytes)
                            ),
                        },
                        _ => AttachmentContent::Unreadable("no longer stored".into()),
                    }
                }
            } else {
                match store.attachment_text(owner, id).await {
                    Ok(Some(text)) => AttachmentContent::Text(text),
                    _ if file.media_type == "application/pdf" => AttachmentContent::Unreadable(
                        "a PDF with no text layer (a scan?); its text cannot be read".into(),
                    ),
                    _ => AttachmentContent::Unreadable("no longer stored".into()),
                }
            };
        }
    }
}
