//! A TCP proxy that delays every chunk by a fixed time each way, like a long network path, for the benchmark.
//!
//! Each direction of each connection is a delay line: a chunk read at `t` is written on at
//! `t + delay`, in order, while later chunks are already being read. Connections, and the chunks
//! within one, are never serialized behind one another, so a connection's round trip costs two
//! delays and parallel or pipelined requests overlap as on a real path. At most
//! [`CHUNKS_IN_FLIGHT`] chunks of [`CHUNK_BYTES`] wait in each direction (a window of 1 MiB, 50 MB/s
//! per connection at 20 ms); a slow reader holds the sender back as TCP would. The proxy knows
//! nothing of HTTP: what the client sends (the `Host` header too) reaches the target as is.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The most bytes read at once from either side.
pub const CHUNK_BYTES: usize = 64 * 1024;
/// The most chunks waiting out their delay in one direction of one connection.
pub const CHUNKS_IN_FLIGHT: usize = 16;

/// What the proxy has relayed since it started.
#[derive(Debug, Default, Serialize, Clone, Copy, PartialEq, Eq)]
pub struct Relayed {
    /// Connections accepted.
    pub connections: u64,
    /// Bytes from clients to the target.
    pub bytes_to_target: u64,
    /// Bytes from the target to clients.
    pub bytes_from_target: u64,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    bytes_to_target: AtomicU64,
    bytes_from_target: AtomicU64,
}

/// A running proxy; dropping it (or [`LatencyProxy::stop`]) stops accepting and ends its connections.
pub struct LatencyProxy {
    addr: SocketAddr,
    counters: Arc<Counters>,
    accepting: JoinHandle<()>,
}

impl LatencyProxy {
    /// Listens on `listen` (port 0 picks one) and relays each connection to `target`, `delay` each way.
    pub async fn start(
        listen: SocketAddr,
        target: SocketAddr,
        delay: Duration,
    ) -> std::io::Result<LatencyProxy> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let accepting = tokio::spawn(accept(listener, target, delay, counters.clone()));
        Ok(LatencyProxy {
            addr,
            counters,
            accepting,
        })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What has been relayed so far.
    pub fn relayed(&self) -> Relayed {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Relayed {
            connections: read(&self.counters.connections),
            bytes_to_target: read(&self.counters.bytes_to_target),
            bytes_from_target: read(&self.counters.bytes_from_target),
        }
    }

    /// Stops accepting (connections already open run to their end) and says what was relayed.
    pub fn stop(self) -> Relayed {
        self.relayed()
    }
}

impl Drop for LatencyProxy {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

/// Accepts until aborted, relaying each connection in a task of its own that ends with its sockets.
async fn accept(
    listener: TcpListener,
    target: SocketAddr,
    delay: Duration,
    counters: Arc<Counters>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            // Out of file descriptors, most likely: give connections a moment to close.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        counters.connections.fetch_add(1, Ordering::Relaxed);
        let counters = counters.clone();
        tokio::spawn(async move {
            // A target that refuses is passed on as a closed connection, as a real path would.
            if let Ok(server) = TcpStream::connect(target).await {
                relay(client, server, delay, &counters).await;
            }
        });
    }
}

/// Both directions of one connection, each through its own delay line, until both have ended.
async fn relay(client: TcpStream, server: TcpStream, delay: Duration, counters: &Counters) {
    for stream in [&client, &server] {
        // Small writes (request heads) must leave at once, not wait for Nagle's acknowledgement.
        let _ = stream.set_nodelay(true);
    }
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::join!(
        delay_line(client_read, server_write, delay, &counters.bytes_to_target),
        delay_line(
            server_read,
            client_write,
            delay,
            &counters.bytes_from_target
        ),
    );
}

/// Copies `from` to `to`, each chunk leaving `delay` after it arrived; the end of `from` is passed
/// on as a half-close once every chunk before it has left.
async fn delay_line(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    delay: Duration,
    bytes: &AtomicU64,
) {
    let (chunks, mut due) = mpsc::channel::<(Instant, Vec<u8>)>(CHUNKS_IN_FLIGHT);
    let reading = async move {
        loop {
            let mut chunk = vec![0; CHUNK_BYTES];
            match from.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    chunk.truncate(n);
                    if chunks.send((Instant::now() + delay, chunk)).await.is_err() {
                        break; // the writing side has gone
                    }
                }
            }
        }
    };
    let writing = async move {
        while let Some((at, chunk)) = due.recv().await {
            tokio::time::sleep_until(at).await;
            if to.write_all(&chunk).await.is_err() {
                return; // dropping `due` stops the reading side too
            }
            bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reading, writing);
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELAY: Duration = Duration::from_millis(50);

    /// An echo server: what each connection sends comes straight back.
    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut read, mut write) = stream.split();
                    let _ = tokio::io::copy(&mut read, &mut write).await;
                });
            }
        });
        addr
    }

    async fn round_trip(addr: SocketAddr, message: &[u8]) -> (Vec<u8>, Duration) {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let started = Instant::now();
        stream.write_all(message).await.unwrap();
        let mut back = vec![0; message.len()];
        stream.read_exact(&mut back).await.unwrap();
        (back, started.elapsed())
    }

    async fn proxy() -> LatencyProxy {
        let target = echo_server().await;
        LatencyProxy::start("127.0.0.1:0".parse().unwrap(), target, DELAY)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_round_trip_takes_at_least_the_delay_each_way_and_keeps_the_bytes() {
        let proxy = proxy().await;
        let message: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let (back, took) = round_trip(proxy.addr(), &message).await;
        assert_eq!(back, message);
        assert!(took >= 2 * DELAY, "{took:?}");
        assert!(took < 2 * DELAY + Duration::from_millis(400), "{took:?}");
        let relayed = proxy.stop();
        assert_eq!(relayed.connections, 1);
        assert_eq!(relayed.bytes_to_target, message.len() as u64);
        assert_eq!(relayed.bytes_from_target, message.len() as u64);
    }

    #[tokio::test]
    async fn parallel_connections_overlap_instead_of_queueing() {
        let proxy = proxy().await;
        let addr = proxy.addr();
        let started = Instant::now();
        let trips: Vec<_> = (0..32u8)
            .map(|i| tokio::spawn(async move { round_trip(addr, &[i; 1000]).await }))
            .collect();
        for (i, trip) in trips.into_iter().enumerate() {
            let (back, took) = trip.await.unwrap();
            assert_eq!(back, vec![i as u8; 1000]);
            assert!(took >= 2 * DELAY, "{took:?}");
        }
        // 32 connections in series would take 32 round trips (3.2 s); in parallel about one.
        let all = started.elapsed();
        assert!(all < 6 * DELAY, "{all:?}");
    }

    #[tokio::test]
    async fn chunks_sent_one_after_another_are_not_each_held_a_whole_round_trip() {
        let proxy = proxy().await;
        let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let started = Instant::now();
        // Ten writes 10 ms apart: a line that serialized them would take 10 delays each way.
        for i in 0..10u8 {
            stream.write_all(&[i]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut back = [0; 10];
        stream.read_exact(&mut back).await.unwrap();
        assert_eq!(back, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let took = started.elapsed();
        assert!(took >= 2 * DELAY + Duration::from_millis(90), "{took:?}");
        assert!(took < 2 * DELAY + Duration::from_millis(400), "{took:?}");
    }
}
