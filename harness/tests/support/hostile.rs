//! A hostile WOPI host for tests: a raw TCP server on `127.0.0.1:0` that speaks just enough HTTP to hold a client
//! hostage (issue 11). Each connection gets one [`Behaviour`]: accept and never answer, trickle a valid response
//! one byte per second, stall in the middle of the response headers, or flood `100 Continue` interim responses.
//!
//! Every connection drains what the client sends (so a client writing a body never blocks on a full socket) and
//! ends when the client hangs up or after [`MAX_CONNECTION_LIFETIME`], whichever comes first. Dropping the
//! [`HostileServer`] stops the accept loop and every connection with it.

#![allow(dead_code)] // each test file uses the part it needs

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The longest one connection is kept open, whatever the client does.
pub const MAX_CONNECTION_LIFETIME: Duration = Duration::from_secs(90);

/// The largest request head the server waits for before it starts its behaviour (a larger one starts it anyway).
const MAX_REQUEST_HEAD: usize = 64 * 1024;

/// What the server does once a request head has arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Accept the connection, read the request, never write a byte.
    NeverAnswer,
    /// Send a valid, complete CheckFileInfo response, one byte per second (it would take minutes).
    Trickle,
    /// Send the status line and part of the headers, then nothing more.
    StallInHeaders,
    /// Send `HTTP/1.1 100 Continue` interim responses, over and over, and never a final response.
    FloodContinue,
}

impl Behaviour {
    /// Every behaviour, for tests that try them all.
    pub const ALL: [Behaviour; 4] = [
        Behaviour::NeverAnswer,
        Behaviour::Trickle,
        Behaviour::StallInHeaders,
        Behaviour::FloodContinue,
    ];
}

/// A running hostile server. Dropping it stops it.
pub struct HostileServer {
    addr: SocketAddr,
    behaviour: Behaviour,
    connections: Arc<AtomicUsize>,
    accept: tokio::task::JoinHandle<()>,
}

impl HostileServer {
    /// Starts serving on a fresh loopback port in the current tokio runtime.
    pub async fn start(behaviour: Behaviour) -> std::io::Result<HostileServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let accept = tokio::spawn(async move {
            // Owned by the accept task: aborting the task drops the set, which aborts every connection.
            let mut conns = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        counter.fetch_add(1, Ordering::SeqCst);
                        conns.spawn(async move {
                            let _ = tokio::time::timeout(MAX_CONNECTION_LIFETIME, serve(stream, behaviour)).await;
                        });
                    }
                    // Reap finished connections so the set does not grow without bound.
                    Some(_) = conns.join_next(), if !conns.is_empty() => {}
                }
            }
        });
        Ok(HostileServer {
            addr,
            behaviour,
            connections,
            accept,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A WOPISrc on this server (`http://127.0.0.1:PORT/wopi/files/1`).
    pub fn wopisrc(&self) -> String {
        format!("http://{}/wopi/files/1", self.addr)
    }

    /// The behaviour every connection gets.
    pub fn behaviour(&self) -> Behaviour {
        self.behaviour
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// One connection: drain the request side, play the behaviour on the response side; ends when the client hangs up.
async fn serve(stream: tokio::net::TcpStream, behaviour: Behaviour) {
    // The write half stays owned here until the connection ends: dropping it would send a FIN, which a client
    // reads as "closed before message completed" rather than a host that holds on.
    let (read, mut write) = stream.into_split();
    let (head_seen, mut head_rx) = watch::channel(false);
    tokio::select! {
        () = drain(read, head_seen) => {}
        () = async {
            // Answer only once the request head is in, as a real (slow) server would.
            if head_rx.wait_for(|seen| *seen).await.is_ok() {
                behave(&mut write, behaviour).await;
            }
            std::future::pending::<()>().await
        } => {}
    }
}

/// Reads and discards everything the client sends, saying when the request head (`\r\n\r\n`) has arrived.
async fn drain(mut read: OwnedReadHalf, head_seen: watch::Sender<bool>) {
    let mut buf = [0u8; 8192];
    let mut head = Vec::new();
    loop {
        match read.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if !*head_seen.borrow() {
                    head.extend_from_slice(&buf[..n]);
                    if head.windows(4).any(|w| w == b"\r\n\r\n") || head.len() > MAX_REQUEST_HEAD {
                        let _ = head_seen.send(true);
                        head = Vec::new();
                    }
                }
            }
        }
    }
}

/// A complete, valid CheckFileInfo response (what a trickling host would eventually have sent).
fn valid_response() -> Vec<u8> {
    let body = r#"{"BaseFileName":"test.wopitest","OwnerId":"owner","Size":0,"UserId":"user","Version":"1"}"#;
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Writes the behaviour's bytes; returns only when a write fails (the client went away) or the bytes run out.
async fn behave(write: &mut OwnedWriteHalf, behaviour: Behaviour) {
    match behaviour {
        Behaviour::NeverAnswer => {}
        Behaviour::Trickle => {
            for byte in valid_response() {
                if write.write_all(&[byte]).await.is_err() || write.flush().await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        Behaviour::StallInHeaders => {
            let _ = write
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Len")
                .await;
            let _ = write.flush().await;
        }
        Behaviour::FloodContinue => {
            let burst = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(40);
            loop {
                if write.write_all(&burst).await.is_err() {
                    return;
                }
                // About 100 kB/s: a flood for the client, yet little CPU on a shared test machine.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
