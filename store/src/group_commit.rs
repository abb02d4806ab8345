//! Group commit for SQLite: saves that queue up while one is being written go into the
//! database together, in one transaction.
//!
//! SQLite takes one writer at a time, so when many conversations save at once (a burst of
//! sends, many replies streaming) each save waits for the ones before it. Written one by one,
//! each pays for its own `BEGIN` and `COMMIT`; written together, a burst pays for them once.
//! A save still succeeds or fails on its own: a version conflict only fails that save (its
//! row statement is the first it runs and writes nothing), and if anything else goes wrong
//! the batch is rolled back and its saves are written one by one, each with its own result.

use sqlx::{Sqlite, SqlitePool, Transaction};
use tokio::sync::{mpsc, oneshot};

use crate::records::{ContextRecord, MessageRecord};
use crate::{SaveStats, SqliteStore, StoreError};

/// At most this many saves go into one transaction.
const MAX_BATCH: usize = 64;

/// One save: the context row and the messages it changed, and where its result goes.
pub(crate) struct SaveJob {
    pub row: ContextRecord,
    pub messages: Vec<MessageRecord>,
    pub done: oneshot::Sender<Result<SaveStats, StoreError>>,
}

/// Starts the task that writes every save through `writer`; it ends when every sender is gone.
pub(crate) fn start(writer: SqlitePool) -> mpsc::UnboundedSender<SaveJob> {
    let (sender, jobs) = mpsc::unbounded_channel();
    tokio::spawn(commit_saves(writer, jobs));
    sender
}

async fn commit_saves(writer: SqlitePool, mut jobs: mpsc::UnboundedReceiver<SaveJob>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if batch.len() > 1 {
            tracing::trace!(saves = batch.len(), "writing saves together");
        }
        write_batch(&writer, batch).await;
    }
}

async fn write_batch(writer: &SqlitePool, batch: Vec<SaveJob>) {
    // IMMEDIATE takes the write lock up front: a deferred transaction that read first could
    // not wait for another process's writer and would fail instead of queueing.
    let mut tx = match writer.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(error) => {
            // Locked or unreachable: every save of the batch fails now, with the same cause,
            // rather than each waiting for the lock again.
            let message = error.to_string();
            for job in batch {
                let _ = job.done.send(Err(unavailable(&message)));
            }
            return;
        }
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in &batch {
        match write_one(&mut tx, job).await {
            Ok(stats) => results.push(Ok(stats)),
            Err(StoreError::Conflict) => results.push(Err(StoreError::Conflict)),
            Err(error) => {
                tracing::debug!(%error, "a save of a batch failed; writing the batch one by one");
                drop(tx);
                return write_one_by_one(writer, batch).await;
            }
        }
    }
    if let Err(error) = tx.commit().await {
        tracing::debug!(%error, "a batch of saves did not commit; writing them one by one");
        return write_one_by_one(writer, batch).await;
    }
    for (job, result) in batch.into_iter().zip(results) {
        let _ = job.done.send(result);
    }
}

/// Each save in a transaction of its own, so one that cannot be written fails alone.
async fn write_one_by_one(writer: &SqlitePool, batch: Vec<SaveJob>) {
    for job in batch {
        let result = async {
            let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
            let stats = write_one(&mut tx, &job).await?;
            tx.commit().await?;
            Ok(stats)
        }
        .await;
        let _ = job.done.send(result);
    }
}

/// Writes one save inside `tx`. The row goes first: a stale version writes nothing.
async fn write_one(tx: &mut Transaction<'_, Sqlite>, job: &SaveJob) -> Result<SaveStats, StoreError> {
    let mut stats = SaveStats { rows_written: 0, bytes_written: job.row.byte_len() };
    stats.rows_written += SqliteStore::write_row(tx, &job.row).await?;
    for message in &job.messages {
        stats.bytes_written += message.byte_len();
        stats.rows_written += SqliteStore::write_message(tx, message).await?;
    }
    Ok(stats)
}

fn unavailable(message: &str) -> StoreError {
    StoreError::Unavailable(sqlx::Error::Io(std::io::Error::other(message.to_string())))
}
