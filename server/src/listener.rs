//! Accepting and serving connections.
//!
//! Every socket gets a write timeout: a client that stops reading (an SSE tab frozen by its
//! OS, a peer gone behind a NAT) fills its buffers, and once a write has waited that long the
//! connection is dropped, instead of holding its buffers and a slot for ever. Clients that
//! read, however slowly, are never affected, and nobody else ever waits for them: each
//! connection has its own task.
//!
//! Connections are served by hyper's HTTP/1 connection directly rather than `axum::serve`,
//! whose connection also detects HTTP/2 and supports upgrades: that machinery doubled what an
//! idle event stream costs (about 20 KiB each instead of 9 KiB, measured with 10,000 open).
//! Browsers speak HTTP/1.1 to a server without TLS (never HTTP/2 in the clear), and Confab
//! has no WebSockets, so neither is missed.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio_io_timeout::TimeoutWriter;
use tower::ServiceExt;

/// The peer's address, as each request carries it (`ConnectInfo<PeerAddr>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

pub struct GuardedListener {
    inner: TcpListener,
    write_timeout: Duration,
}

type Connection = Pin<Box<TimeoutWriter<TcpStream>>>;

impl GuardedListener {
    pub fn new(inner: TcpListener, write_timeout: Duration) -> Self {
        GuardedListener { inner, write_timeout }
    }

    async fn accept(&mut self) -> (Connection, SocketAddr) {
        // axum's accept logs and retries errors such as running out of file descriptors.
        let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        // Small writes (deltas, keep-alives) go out at once rather than waiting for more.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        // Only writes are timed: reads wait for the client, and hyper reads only when it
        // expects a request.
        let mut stream = TimeoutWriter::new(stream);
        stream.set_timeout(Some(self.write_timeout));
        (Box::pin(stream), addr)
    }
}

/// Serves `app` on every connection `listener` accepts until `signal` completes; then stops
/// accepting, lets each connection finish the request it is answering (hyper's graceful
/// shutdown), and returns once all are closed.
pub async fn serve(mut listener: GuardedListener, app: Router, signal: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let mut http1 = hyper::server::conn::http1::Builder::new();
    // Bodies are written from their own buffers rather than copied into the connection's.
    http1.writev(true);
    let mut signal = pin!(signal);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut signal => break,
        };
        let app = app.clone();
        // Each request carries the peer's address: per-IP limits count by it.
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(PeerAddr(peer)));
            app.clone().oneshot(request.map(Body::new))
        });
        let connection = graceful.watch(http1.serve_connection(TokioIo::new(io), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::trace!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
