//! permessage-deflate (RFC 7692): negotiation, the codec, and where they sit in a connection.
//!
//! tungstenite 0.30 rejects every frame with RSV1 and has no extension hook, so compression
//! lives around it rather than in it (docs/architecture.md weighs the alternatives):
//!
//! - the read side is a transform under the engine, [`reframe::Reframer`], in the byte
//!   stream: it turns each compressed message into plain frames of its inflated payload and
//!   passes every other frame through untouched;
//! - the write side compresses a message and hands the engine a ready frame with RSV1 set
//!   ([`send::encode`]);
//! - [`negotiation`] builds the offer and checks the server's answer.
//!
//! None of it exists on a connection that did not ask for compression.

pub(crate) mod codec;
pub(crate) mod extension_header;
pub(crate) mod negotiation;
pub(crate) mod reframe;
pub(crate) mod send;

#[cfg(test)]
mod puff;
#[cfg(test)]
pub(crate) mod test_support;

use tungstenite::http::{HeaderMap, HeaderValue};

use crate::error::{Error, HandshakeFailure, Result};
use crate::settings::compression::Compression;
use negotiation::{Agreed, NegotiationError};

/// The `Sec-WebSocket-Extensions` value of the upgrade request.
pub(crate) fn offer(compression: &Compression) -> HeaderValue {
    // Tokens, `;`, `=` and digits only: always a valid header value.
    HeaderValue::from_str(&compression.offer()).expect("the offer is a valid header value")
}

/// What the server's answer agreed to (`None`: nothing offered, or the server declined), or
/// the handshake error that says why the answer cannot be accepted; an extension the client
/// did not offer is one (RFC 6455 §4.1), and the engine does not check.
pub(crate) fn agree(
    compression: Option<&Compression>,
    headers: &HeaderMap,
) -> Result<Option<Agreed>> {
    negotiation::negotiate_response(compression, headers).map_err(|e| {
        let message = match e {
            NegotiationError::NotOffered(_) => e.to_string(),
            _ => format!("permessage-deflate: {e}"),
        };
        Error::Handshake(Box::new(HandshakeFailure::new(Some(101), message)))
    })
}
