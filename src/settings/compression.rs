//! `Compression`: the permessage-deflate (RFC 7692) settings of the connect options.

use crate::error::{Error, Result};

/// permessage-deflate (RFC 7692) settings: what the client offers, and how it compresses.
///
/// Off unless given to [`ConnectOptions::compression`](crate::ConnectOptions::compression).
/// With it, the upgrade request offers permessage-deflate with these parameters; a server that
/// accepts compresses what it sends, and we compress what we send. A server that leaves the
/// extension out of its answer gets an uncompressed connection; one whose answer breaks RFC
/// 7692 (an unknown parameter, a value out of range, a parameter twice, an extension not
/// offered) fails the connect with [`Error::Handshake`] saying what was wrong.
/// [`ConnectionInfo::extensions`](crate::ConnectionInfo::extensions) says what was agreed.
///
/// # What it costs
/// Nothing until a compressed message goes through. Once negotiated, a connection holds a
/// 16 KiB buffer from the handshake, about 62 KiB more from the first compressed message it
/// receives (the inflater and an output buffer), and about 370 KiB more from the first
/// message it compresses (the deflater, window 15; about 250 KiB with a window of 9): up to
/// about 450 KiB per socket, against the 4 KiB read buffer of an uncompressed one. See
/// `docs/performance.md` for the measurements.
///
/// The limit of [`ConnectOptions::max_message_size`](crate::ConnectOptions::max_message_size)
/// applies to the inflated size, checked while inflating: a small compressed frame that
/// inflates past it fails the connection with [`Error::Capacity`] and close code 1009 after at
/// most the limit was inflated.
///
/// # Examples
/// ```no_run
/// use named_websocket::{Compression, ConnectOptions, Socket};
///
/// let options = ConnectOptions::new().compression(
///     Compression::new()
///         .client_no_context_takeover(true)
///         .server_max_window_bits(Some(12)),
/// );
/// let socket = Socket::connect_with("wss://example.com/feed", &options)?;
/// println!("{:?}", socket.info().extensions);
/// # Ok::<(), named_websocket::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Compression {
    pub(crate) server_no_context_takeover: bool,
    pub(crate) client_no_context_takeover: bool,
    pub(crate) server_max_window_bits: Option<u8>,
    pub(crate) client_max_window_bits: Option<u8>,
    pub(crate) offer_client_max_window_bits: bool,
    pub(crate) level: u32,
    pub(crate) threshold: usize,
}

impl Default for Compression {
    fn default() -> Self {
        Compression::new()
    }
}

impl Compression {
    /// The default offer, `permessage-deflate; client_max_window_bits`: the server chooses
    /// both windows and whether to keep context between messages (what Python `websockets`
    /// and Node `ws` clients offer), compression level 6, messages under 16 bytes sent as
    /// they are.
    pub fn new() -> Compression {
        Compression {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: None,
            client_max_window_bits: None,
            offer_client_max_window_bits: true,
            level: 6,
            threshold: 16,
        }
    }

    /// Asks the server to compress each message on its own (`server_no_context_takeover`):
    /// our inflater then starts afresh for every message, and a server that does not agree
    /// fails the connect.
    ///
    /// Defaults to `false`.
    pub fn server_no_context_takeover(mut self, enabled: bool) -> Self {
        self.server_no_context_takeover = enabled;
        self
    }

    /// Compresses each of our messages on its own (`client_no_context_takeover`): worse
    /// ratios for similar messages, and the server need not keep our context. Offered to the
    /// server, and kept whatever it answers; a server may also ask for it.
    ///
    /// Defaults to `false`.
    pub fn client_no_context_takeover(mut self, enabled: bool) -> Self {
        self.client_no_context_takeover = enabled;
        self
    }

    /// Asks the server to use a window of at most 2^bits bytes (`server_max_window_bits`,
    /// 8 to 15) for what it sends; `None` leaves the parameter out, so the server chooses. A
    /// server that answers with a larger window fails the connect.
    ///
    /// Defaults to `None`.
    pub fn server_max_window_bits(mut self, bits: Option<u8>) -> Self {
        self.server_max_window_bits = bits;
        self
    }

    /// The largest window we compress with, as `client_max_window_bits` (8 to 15); the server
    /// may ask for a smaller one. `None` offers the parameter without a value, so the server
    /// chooses any window. A window of 8 is compressed with 9, which never refers further
    /// back than 8 allows (zlib refuses 8 for raw deflate).
    ///
    /// Defaults to `None`.
    pub fn client_max_window_bits(mut self, bits: Option<u8>) -> Self {
        self.client_max_window_bits = bits;
        self
    }

    /// Whether the offer carries `client_max_window_bits` at all. Some servers reject an offer
    /// that carries it; with `false` it is left out, the server may not ask for a smaller
    /// window (an answer that does fails the connect), and we compress with the window of
    /// [`client_max_window_bits`](Self::client_max_window_bits), or 15.
    ///
    /// Defaults to `true`.
    ///
    /// # Examples
    /// ```
    /// use named_websocket::{Compression, ConnectOptions};
    /// // Offers exactly `permessage-deflate`.
    /// let options = ConnectOptions::new()
    ///     .compression(Compression::new().offer_client_max_window_bits(false));
    /// ```
    pub fn offer_client_max_window_bits(mut self, offered: bool) -> Self {
        self.offer_client_max_window_bits = offered;
        self
    }

    /// The zlib compression level of what we send: 0 (stored, no compression) to 9 (smallest,
    /// slowest).
    ///
    /// Defaults to 6.
    pub fn level(mut self, level: u32) -> Self {
        self.level = level;
        self
    }

    /// Messages shorter than this many bytes are sent uncompressed (RSV1 clear): for them
    /// compression costs more time than it saves bytes.
    ///
    /// Defaults to 16.
    pub fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// Checks the values a caller can get wrong: window bits 8 to 15, level at most 9.
    pub(crate) fn validate(&self) -> Result<()> {
        for (name, bits) in [
            ("server_max_window_bits", self.server_max_window_bits),
            ("client_max_window_bits", self.client_max_window_bits),
        ] {
            if let Some(bits) = bits.filter(|bits| !(8..=15).contains(bits)) {
                return Err(Error::invalid(format!(
                    "compression: {name} must be between 8 and 15, not {bits}"
                )));
            }
        }
        if self.level > 9 {
            return Err(Error::invalid(format!(
                "compression: level must be between 0 and 9, not {}",
                self.level
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_values_are_invalid_arguments() {
        assert!(Compression::new().validate().is_ok());
        let low = Compression::new().server_max_window_bits(Some(7));
        assert!(low
            .validate()
            .unwrap_err()
            .to_string()
            .contains("server_max_window_bits"));
        let high = Compression::new().client_max_window_bits(Some(16));
        assert!(high
            .validate()
            .unwrap_err()
            .to_string()
            .contains("client_max_window_bits"));
        let level = Compression::new().level(10);
        assert!(matches!(level.validate(), Err(Error::InvalidArgument(_))));
        for bits in 8..=15 {
            let ok = Compression::new()
                .server_max_window_bits(Some(bits))
                .client_max_window_bits(Some(bits));
            assert!(ok.validate().is_ok());
        }
    }
}
