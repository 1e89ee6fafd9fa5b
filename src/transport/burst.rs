//! Reading a busy socket in large gulps, while an idle one holds no buffer.
//!
//! The protocol engine reads at most its read buffer at a time (4 KiB by default, kept small
//! so that ten thousand idle sockets stay cheap). A fast sender would then cost one system call
//! per 4 KiB, many more than with tungstenite's own default of 128 KiB (docs/performance.md
//! has what that cost). So when a read fills the engine's buffer (more is
//! waiting), the following reads take up to [`BURST`] bytes at once into a buffer of ours and
//! serve the engine from it; the buffer is given back when a read finds the socket drained
//! (the reader is about to wait). Bytes are only ever handed on in order, so nothing above
//! this layer can tell, except by the number of system calls.
//!
//! Once the socket is non-blocking, a read that came back short also means the socket is
//! most likely drained: the next read then says `WouldBlock` without asking the kernel, and
//! the reader goes straight to poll(2), which returns at once if more came meanwhile. A
//! small message thus costs one poll and one read instead of four system calls.

use std::io::{self, Read, Write};

/// The size of a gulp. Under glibc's threshold for allocating with mmap(2), so that taking and
/// giving back the buffer stays cheap.
const BURST: usize = 64 * 1024;

/// A read at least this large that comes back full means the socket is busy.
const BUSY_READ: usize = 4 * 1024;

/// A reader that switches to large reads while its source keeps filling them.
#[derive(Debug)]
pub(crate) struct BurstReader<R> {
    inner: R,
    /// Empty (no allocation) while the socket is not busy.
    burst: Vec<u8>,
    /// What was read into `burst` and not handed on yet: `burst[start..end]`.
    start: usize,
    end: usize,
    /// The socket is non-blocking: a short read may stand for a `WouldBlock`.
    nonblocking: bool,
    /// The last read from the socket came back short (and `nonblocking` is set).
    drained: bool,
}

impl<R> BurstReader<R> {
    pub(crate) fn new(inner: R) -> BurstReader<R> {
        BurstReader {
            inner,
            burst: Vec::new(),
            start: 0,
            end: 0,
            nonblocking: false,
            drained: false,
        }
    }

    /// The socket is now non-blocking: `WouldBlock` means "nothing yet", no longer a timeout.
    pub(crate) fn set_nonblocking(&mut self) {
        self.nonblocking = true;
    }

    /// The next read asks the socket, whatever the last one brought: for a caller that must
    /// not wait (it would read a stale hint as "nothing has arrived").
    pub(crate) fn forget_drained(&mut self) {
        self.drained = false;
    }

    /// Reads from the socket, noting whether the read came back short.
    fn read_socket(&mut self, into_burst: bool, buf: &mut [u8]) -> io::Result<usize>
    where
        R: Read,
    {
        let target = if into_burst { &mut self.burst[..] } else { buf };
        let wanted = target.len();
        let n = self.inner.read(target)?;
        self.drained = self.nonblocking && n > 0 && n < wanted;
        Ok(n)
    }

    pub(crate) fn get_ref(&self) -> &R {
        &self.inner
    }

    pub(crate) fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    fn give_back(&mut self) {
        self.burst = Vec::new();
        self.start = 0;
        self.end = 0;
    }
}

impl<R: Read> Read for BurstReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.start == self.end {
            if std::mem::take(&mut self.drained) {
                // Most likely nothing more yet: the caller waits for readiness, and a socket
                // that waits keeps no buffer (it may wait for good).
                self.give_back();
                return Err(io::ErrorKind::WouldBlock.into());
            }
            if self.burst.is_empty() || buf.len() >= BURST {
                // Not busy, or the caller's buffer is as large: straight into it.
                let n = self.read_socket(false, buf)?;
                // Only once connected: a buffer taken during the handshake might never be
                // given back (a socket that is only written to never drains it).
                let busy = n == buf.len() && (BUSY_READ..BURST).contains(&n);
                if busy && self.nonblocking && self.burst.is_empty() {
                    self.burst = vec![0; BURST];
                }
                return Ok(n);
            }
            match self.read_socket(true, buf) {
                Ok(n) => {
                    self.start = 0;
                    self.end = n;
                }
                Err(e) => {
                    // Drained (or failed): the socket is no longer busy.
                    self.give_back();
                    return Err(e);
                }
            }
            if self.end == 0 {
                self.give_back();
                return Ok(0);
            }
        }
        let n = buf.len().min(self.end - self.start);
        buf[..n].copy_from_slice(&self.burst[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

impl<W: Write> Write for BurstReader<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that hands out its bytes in the chunk sizes given, then would block, and
    /// counts the reads it served.
    struct Chunks {
        data: Vec<u8>,
        at: usize,
        chunks: Vec<usize>,
        reads: usize,
        /// Calls, including those that would block.
        asked: usize,
    }

    impl Read for Chunks {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.asked += 1;
            if self.at == self.data.len() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let chunk = self.chunks.get(self.reads).copied().unwrap_or(usize::MAX);
            let n = buf.len().min(chunk).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            self.reads += 1;
            Ok(n)
        }
    }

    fn read_all(reader: &mut BurstReader<Chunks>, request: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; request];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return out,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return out,
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn a_busy_source_is_read_in_gulps_and_every_byte_comes_in_order() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let source = Chunks {
            data: data.clone(),
            at: 0,
            chunks: Vec::new(),
            reads: 0,
            asked: 0,
        };
        let mut reader = BurstReader::new(source);
        reader.set_nonblocking();
        assert_eq!(read_all(&mut reader, 16 * 1024), data);
        // One full 16 KiB read, then 64 KiB gulps (and the final WouldBlock).
        let reads = reader.get_ref().reads;
        assert!(reads <= 1 + 1_000_000 / BURST + 1, "{reads} reads");
        assert!(
            reader.burst.is_empty(),
            "the buffer is given back once drained"
        );
    }

    #[test]
    fn an_idle_source_is_read_directly_and_no_buffer_is_kept() {
        let data = vec![7u8; 10_000];
        let source = Chunks {
            data: data.clone(),
            at: 0,
            // Short reads: the socket is never found busy.
            chunks: vec![100; 100],
            reads: 0,
            asked: 0,
        };
        let mut reader = BurstReader::new(source);
        let mut buf = vec![0u8; 16 * 1024];
        assert_eq!(reader.read(&mut buf).unwrap(), 100);
        assert!(reader.burst.is_empty());
        let mut rest = read_all(&mut reader, 16 * 1024);
        rest.splice(0..0, buf[..100].iter().copied());
        assert_eq!(rest, data);
        assert!(reader.burst.is_empty());
    }

    #[test]
    fn the_buffer_is_kept_while_data_flows_and_given_back_when_the_source_is_drained() {
        let data: Vec<u8> = (0..16 * 1024 + 1000u32).map(|i| i as u8).collect();
        let source = Chunks {
            data: data.clone(),
            at: 0,
            chunks: vec![16 * 1024, 1000],
            reads: 0,
            asked: 0,
        };
        let mut reader = BurstReader::new(source);
        reader.set_nonblocking();
        let mut buf = vec![0u8; 16 * 1024];
        assert_eq!(reader.read(&mut buf).unwrap(), 16 * 1024);
        assert_eq!(reader.burst.len(), BURST, "busy: the next read is a gulp");
        let mut small = [0u8; 10];
        assert_eq!(reader.read(&mut small).unwrap(), 10);
        let mut rest = vec![0u8; 2000];
        assert_eq!(reader.read(&mut rest).unwrap(), 990);
        assert_eq!(reader.burst.len(), BURST, "a short gulp keeps the buffer");
        let error = reader.read(&mut rest).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
        assert!(reader.burst.is_empty(), "drained: the buffer is given back");
        let mut out = buf;
        out.extend_from_slice(&small);
        out.extend_from_slice(&rest[..990]);
        assert_eq!(out, data);
    }

    #[test]
    fn once_non_blocking_a_short_read_stands_for_would_block() {
        let source = Chunks {
            data: vec![1u8; 300],
            at: 0,
            chunks: vec![100, 100, 100],
            reads: 0,
            asked: 0,
        };
        let mut reader = BurstReader::new(source);
        let mut buf = [0u8; 1000];
        // Blocking (during the connect): a short read says nothing, WouldBlock would be a
        // timeout.
        assert_eq!(reader.read(&mut buf).unwrap(), 100);
        assert_eq!(reader.read(&mut buf).unwrap(), 100);
        reader.set_nonblocking();
        assert_eq!(reader.read(&mut buf).unwrap(), 100);
        let error = reader.read(&mut buf).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(reader.get_ref().asked, 3, "the source was not asked");
        // After the wait, the socket is asked again (here: really drained).
        let error = reader.read(&mut buf).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(reader.get_ref().asked, 4);
    }
}
