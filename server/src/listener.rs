//! Accepting connections. Every socket gets a write timeout: a client that stops reading
//! (an SSE tab frozen by its OS, a peer gone behind a NAT) fills its buffers, and once a
//! write has waited that long the connection is dropped, instead of holding its buffers and
//! a slot for ever. Clients that read, however slowly, are never affected, and nobody else
//! ever waits for them: each connection has its own task.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_io_timeout::TimeoutStream;

/// The peer's address, as each request carries it (`ConnectInfo<PeerAddr>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, GuardedListener>> for PeerAddr {
    fn connect_info(stream: axum::serve::IncomingStream<'_, GuardedListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

pub struct GuardedListener {
    inner: TcpListener,
    write_timeout: Duration,
}

impl GuardedListener {
    pub fn new(inner: TcpListener, write_timeout: Duration) -> Self {
        GuardedListener { inner, write_timeout }
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = Pin<Box<TimeoutStream<TcpStream>>>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // axum's accept logs and retries errors such as running out of file descriptors.
        let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        // Small writes (deltas, keep-alives) go out at once rather than waiting for more.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(self.write_timeout));
        (Box::pin(stream), addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}
