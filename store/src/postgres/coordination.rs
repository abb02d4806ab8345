//! How processes sharing a PostgreSQL database coordinate: leases on contexts (by the
//! database's clock, so the processes' clocks need not agree) and notices over
//! LISTEN/NOTIFY. Saves send their notice inside their own transaction
//! ([`PgCoordination::notify_in`]); streamed text is announced by a background task, so a
//! generation never waits for it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use confab_core::ContextId;
use sqlx::postgres::PgListener;
use sqlx::{PgPool, Postgres, Transaction};
use tokio::sync::mpsc;

use crate::coordination::{Envelope, CHANNEL};
use crate::{Coordination, Notice, StoreError};

/// How many notices may wait to be sent or to be handled before new ones are dropped.
const NOTICE_QUEUE: usize = 4096;

pub(crate) struct PgCoordination {
    pool: PgPool,
    /// Names this process in its notices, so it can ignore its own.
    origin: Arc<str>,
    outgoing: mpsc::Sender<String>,
    /// The announcer's end of the queue, until the first `announce` starts it.
    outgoing_rx: Mutex<Option<mpsc::Receiver<String>>>,
}

impl PgCoordination {
    pub fn new(pool: PgPool) -> Self {
        let (outgoing, outgoing_rx) = mpsc::channel(NOTICE_QUEUE);
        let origin = format!("{:016x}", uuid::Uuid::new_v4().as_u128() as u64).into();
        PgCoordination { pool, origin, outgoing, outgoing_rx: Mutex::new(Some(outgoing_rx)) }
    }

    /// Sends a notice inside `tx`: PostgreSQL delivers it when, and only if, `tx` commits.
    pub async fn notify_in(&self, tx: &mut Transaction<'_, Postgres>, notice: &Notice) -> Result<(), StoreError> {
        if let Some(payload) = Envelope::payload(&self.origin, notice) {
            sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Sends announced notices one after another, off the caller's path.
    fn start_announcer(&self) {
        let Some(mut queue) = self.outgoing_rx.lock().expect("announcer lock").take() else { return };
        let pool = self.pool.clone();
        tokio::spawn(async move {
            while let Some(payload) = queue.recv().await {
                let sent = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(&payload).execute(&pool).await;
                if let Err(error) = sent {
                    tracing::debug!(%error, "could not announce a notice");
                }
            }
        });
    }
}

#[async_trait]
impl Coordination for PgCoordination {
    async fn acquire_lease(&self, id: ContextId, holder: &str, ttl: Duration) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO context_leases (context_id, holder, expires_at) \
             VALUES ($1, $2, now() + make_interval(secs => $3)) \
             ON CONFLICT (context_id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at \
             WHERE context_leases.holder = EXCLUDED.holder OR context_leases.expires_at <= now()",
        )
        .bind(id.to_string())
        .bind(holder)
        .bind(ttl.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn release_lease(&self, id: ContextId, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM context_leases WHERE context_id = $1 AND holder = $2")
            .bind(id.to_string())
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn leased_elsewhere(&self, id: ContextId, holder: &str) -> Result<bool, StoreError> {
        let found: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM context_leases WHERE context_id = $1 AND holder <> $2 AND expires_at > now()",
        )
        .bind(id.to_string())
        .bind(holder)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    fn announce(&self, notice: Notice) {
        self.start_announcer();
        match Envelope::payload(&self.origin, &notice) {
            Some(payload) => {
                if self.outgoing.try_send(payload).is_err() {
                    tracing::debug!("the notice queue is full; a notice was dropped");
                }
            }
            None => tracing::debug!("a notice too large to send was dropped"),
        }
    }

    fn notices(&self) -> Option<mpsc::Receiver<Notice>> {
        let (sink, notices) = mpsc::channel(NOTICE_QUEUE);
        tokio::spawn(listen(self.pool.clone(), self.origin.clone(), sink));
        Some(notices)
    }
}

/// Listens on the channel and hands other processes' notices to `sink`. Once it listens, and
/// whenever the lost connection is back, it says [`Notice::Resync`]: what was sent before is
/// gone, so the server checks whatever it holds.
async fn listen(pool: PgPool, origin: Arc<str>, sink: mpsc::Sender<Notice>) {
    let mut listener = loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => break listener,
                Err(error) => tracing::warn!(%error, "cannot listen for other processes' changes"),
            },
            Err(error) => tracing::warn!(%error, "cannot connect to listen for other processes' changes"),
        }
        if sink.is_closed() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    tracing::debug!("listening for other processes' changes");
    // Whatever was saved before the channel was listened to was not heard: under load that
    // can be a while after the process began serving.
    if sink.send(Notice::Resync).await.is_err() {
        return;
    }
    loop {
        let notice = match listener.try_recv().await {
            Ok(Some(notification)) => match serde_json::from_str::<Envelope>(notification.payload()) {
                Ok(envelope) if *envelope.origin == *origin => continue,
                Ok(envelope) => envelope.notice,
                Err(error) => {
                    tracing::warn!(%error, "ignoring a notice that is not Confab's");
                    continue;
                }
            },
            // The connection was lost; the next `try_recv` reconnects and listens again.
            Ok(None) => {
                tracing::warn!("lost the connection that listens for other processes' changes; reconnecting");
                Notice::Resync
            }
            Err(error) => {
                tracing::warn!(%error, "listening for other processes' changes failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if sink.send(notice).await.is_err() {
            return;
        }
    }
}
