//! The byte stream under a WebSocket (plain TCP or TLS over TCP), and waiting for readiness.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};

use crate::deflate::reframe::Reframer;
use crate::transport::burst::BurstReader;
use crate::transport::classify::is_peer_gone;
use crate::transport::shared_tcp::SharedTcp;
use crate::transport::tls::TlsStream;

/// A plain or TLS stream that counts the bytes that cross it.
///
/// Once the peer is gone for writing (broken pipe, reset), writes are absorbed and the failure
/// is kept in `write_failure`: tungstenite flushes queued pongs and close replies inside
/// `read`, and a write error there would stop us from reading what the peer sent before it
/// left. Our own write path checks `write_failure` after each write, so a user's write still
/// gets its error.
#[derive(Debug)]
pub(crate) struct Stream {
    kind: Kind,
    pub(crate) bytes_in: u64,
    pub(crate) bytes_out: u64,
    pub(crate) last_traffic: Instant,
    pub(crate) last_received: Instant,
    pub(crate) write_failure: Option<io::ErrorKind>,
    /// Since when output has been waiting for a peer that takes none: set by a write that
    /// would block, cleared by one that goes through.
    pub(crate) write_stalled_since: Option<Instant>,
    /// permessage-deflate's read side, on a connection that offered it (see
    /// [`crate::deflate`]): what the engine reads comes through it. `bytes_in` still counts
    /// the bytes on the wire.
    pub(crate) reframe: Option<Box<Reframer>>,
}

#[derive(Debug)]
enum Kind {
    Plain(BurstReader<SharedTcp>),
    Tls(Box<TlsStream>),
}

impl Stream {
    pub(crate) fn plain(tcp: SharedTcp) -> Stream {
        Stream::new(Kind::Plain(BurstReader::new(tcp)))
    }

    pub(crate) fn tls(tls: TlsStream) -> Stream {
        Stream::new(Kind::Tls(Box::new(tls)))
    }

    fn new(kind: Kind) -> Stream {
        Stream {
            kind,
            bytes_in: 0,
            bytes_out: 0,
            last_traffic: Instant::now(),
            last_received: Instant::now(),
            write_failure: None,
            write_stalled_since: None,
            reframe: None,
        }
    }

    /// The TCP socket under the stream, shared.
    pub(crate) fn shared(&self) -> &SharedTcp {
        match &self.kind {
            Kind::Plain(tcp) => tcp.get_ref(),
            Kind::Tls(tls) => tls.get_ref().get_ref(),
        }
    }

    /// The next read asks the socket even if the last one suggested it is drained.
    pub(crate) fn forget_drained(&mut self) {
        match &mut self.kind {
            Kind::Plain(reader) => reader.forget_drained(),
            Kind::Tls(tls) => tls.get_mut().forget_drained(),
        }
    }

    /// Ends the connect: no deadline any more, and the socket becomes non-blocking (readers
    /// and writers wait for readiness with poll(2) from now on).
    pub(crate) fn go_nonblocking(&mut self) -> io::Result<()> {
        let reader = match &mut self.kind {
            Kind::Plain(reader) => reader,
            Kind::Tls(tls) => tls.get_mut(),
        };
        reader.get_mut().go_nonblocking()?;
        reader.set_nonblocking();
        Ok(())
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(mut reframer) = self.reframe.take() else {
            return self.read_wire(buf);
        };
        let result = reframer.read(&mut Wire(self), buf);
        if !reframer.is_spent() {
            self.reframe = Some(reframer);
        }
        result
    }
}

/// The stream's own bytes, under the transform.
struct Wire<'a>(&'a mut Stream);

impl Read for Wire<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read_wire(buf)
    }
}

impl Stream {
    /// Reads what arrived on the wire, counting it.
    fn read_wire(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match &mut self.kind {
            Kind::Plain(tcp) => tcp.read(buf),
            Kind::Tls(tls) => tls.read(buf),
        }?;
        if n > 0 {
            self.bytes_in += n as u64;
            self.last_traffic = Instant::now();
            self.last_received = self.last_traffic;
        }
        Ok(n)
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.write_failure.is_some() {
            return Ok(buf.len());
        }
        let result = match &mut self.kind {
            Kind::Plain(tcp) => tcp.write(buf),
            Kind::Tls(tls) => tls.write(buf),
        };
        match result {
            Ok(n) => {
                self.bytes_out += n as u64;
                self.last_traffic = Instant::now();
                self.write_stalled_since = None;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.write_stalled_since.get_or_insert_with(Instant::now);
                Err(e)
            }
            Err(e) if is_peer_gone(e.kind()) => {
                self.write_failure = Some(e.kind());
                // Nothing waits to be sent any more: it never will be.
                self.write_stalled_since = None;
                Ok(buf.len())
            }
            Err(e) => Err(e),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.write_failure.is_some() {
            return Ok(());
        }
        match &mut self.kind {
            Kind::Plain(tcp) => tcp.flush(),
            Kind::Tls(tls) => tls.flush(),
        }
    }
}

/// What to wait for on a socket.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Readiness {
    Readable,
    Writable,
    Either,
}

/// The longest single poll(2). On Windows and macOS its timeout is an `i32` of milliseconds,
/// which fails past about 24.8 days; a longer wait polls again.
const LONGEST_POLL: Duration = Duration::from_secs(3600);

/// Waits until the socket is ready, or until `deadline` (`None`: no limit).
///
/// Returns `Ok(false)` when the deadline passed; a deadline already past still looks once, so
/// that what has arrived is not reported as a timeout. A socket that was shut down, reset or
/// hung up counts as ready, so the caller's next read or write sees what happened.
pub(crate) fn wait_ready(
    tcp: &TcpStream,
    readiness: Readiness,
    deadline: Option<Instant>,
) -> io::Result<bool> {
    let flags = match readiness {
        Readiness::Readable => PollFlags::IN,
        Readiness::Writable => PollFlags::OUT,
        Readiness::Either => PollFlags::IN | PollFlags::OUT,
    };
    loop {
        let timeout = deadline.map(|deadline| {
            let left = deadline.saturating_duration_since(Instant::now());
            Timespec::try_from(left.min(LONGEST_POLL)).expect("an hour fits a timespec")
        });
        let mut fds = [PollFd::new(tcp, flags)];
        match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Ok(0) if deadline.is_some_and(|deadline| Instant::now() >= deadline) => {
                return Ok(false)
            }
            Ok(0) => continue, // woke early: wait for what is left
            Ok(_) => return Ok(true),
            Err(rustix::io::Errno::INTR) => continue,
            Err(errno) => return Err(errno.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_deadline_already_past_still_sees_what_has_arrived() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        let past = Instant::now();
        assert!(!wait_ready(&client, Readiness::Readable, Some(past)).unwrap());
        server.write_all(b"x").unwrap();
        // Once the byte is there for sure, a deadline in the past must not hide it.
        assert!(wait_ready(&client, Readiness::Readable, None).unwrap());
        assert!(wait_ready(&client, Readiness::Readable, Some(past)).unwrap());
    }
}
