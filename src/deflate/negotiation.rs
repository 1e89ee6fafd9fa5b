//! The permessage-deflate offer and the validation of the server's answer (RFC 7692 §5, §7.1).
//! The header's grammar is [`extension_header`](crate::deflate::extension_header).
//!
//! The client sends exactly one offer, built by [`Compression::offer`]. The server either
//! leaves the extension out of its answer (compression stays off) or accepts it with a set of
//! parameters; [`negotiate`] checks that answer the way RFC 7692 §7 asks of a client and
//! returns the [`Agreed`] parameters, or a [`NegotiationError`] that says what was wrong. The
//! caller then fails the connect with a handshake error carrying that message.

use std::fmt;

use crate::deflate::extension_header::{parse_extensions, ExtensionElement, SyntaxError};
use crate::settings::compression::Compression;

/// The registered name of the extension.
pub(crate) const EXTENSION_NAME: &str = "permessage-deflate";

/// The name of the HTTP header that carries offers and answers.
pub(crate) const HEADER_NAME: &str = "Sec-WebSocket-Extensions";

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// The largest LZ77 window, as a base-2 logarithm (RFC 7692 §7.1.2): what a side uses when
/// the answer does not limit it.
const MAX_WINDOW_BITS: u8 = 15;

impl Compression {
    /// The value of the `Sec-WebSocket-Extensions` request header: one offer.
    pub(crate) fn offer(&self) -> String {
        let mut offer = String::from(EXTENSION_NAME);
        if self.server_no_context_takeover {
            offer.push_str("; ");
            offer.push_str(SERVER_NO_CONTEXT_TAKEOVER);
        }
        if self.client_no_context_takeover {
            offer.push_str("; ");
            offer.push_str(CLIENT_NO_CONTEXT_TAKEOVER);
        }
        if let Some(bits) = self.server_max_window_bits {
            offer.push_str(&format!("; {SERVER_MAX_WINDOW_BITS}={bits}"));
        }
        // Offered unless the application leaves it out: zlib-rs compresses with any window the
        // server asks for.
        match self.client_max_window_bits {
            _ if !self.offer_client_max_window_bits => {}
            None => {
                offer.push_str("; ");
                offer.push_str(CLIENT_MAX_WINDOW_BITS);
            }
            Some(bits) => offer.push_str(&format!("; {CLIENT_MAX_WINDOW_BITS}={bits}")),
        }
        offer
    }
}

/// The parameters both sides use once the server accepted the offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Agreed {
    /// The server compresses each message on its own: reset our decompressor after each.
    pub(crate) server_no_context_takeover: bool,
    /// We compress each message on its own (the server asked, or we offered it).
    pub(crate) client_no_context_takeover: bool,
    /// The server's window: what our decompressor must hold (15 when not negotiated).
    pub(crate) server_max_window_bits: u8,
    /// Our window: at most this many bits for our compressor (15 when not negotiated).
    pub(crate) client_max_window_bits: u8,
    /// The accepted element as the server wrote it (normalised spacing), for connection info.
    pub(crate) response: String,
}

impl fmt::Display for Agreed {
    /// The effective configuration, in header syntax: every parameter spelled out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXTENSION_NAME)?;
        if self.server_no_context_takeover {
            write!(f, "; {SERVER_NO_CONTEXT_TAKEOVER}")?;
        }
        if self.client_no_context_takeover {
            write!(f, "; {CLIENT_NO_CONTEXT_TAKEOVER}")?;
        }
        write!(
            f,
            "; {SERVER_MAX_WINDOW_BITS}={}; {CLIENT_MAX_WINDOW_BITS}={}",
            self.server_max_window_bits, self.client_max_window_bits
        )
    }
}

/// Why the server's answer cannot be accepted. Each variant's message says what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NegotiationError {
    /// The header does not follow the grammar of RFC 6455 §9.1.
    Syntax {
        /// The offending header value (lossy UTF-8).
        header: String,
        /// What the parser expected.
        detail: String,
    },
    /// The server accepted an extension that was not offered (RFC 6455 §4.1, item 5).
    NotOffered(String),
    /// The answer names permessage-deflate more than once.
    DuplicateExtension,
    /// A parameter that RFC 7692 does not define for answers.
    UnknownParameter(String),
    /// A parameter given twice (RFC 7692 §7).
    DuplicateParameter(String),
    /// A parameter with a value it must not have, without one it needs, or out of range.
    InvalidValue {
        /// The parameter.
        name: String,
        /// Its value, if it had one.
        value: Option<String>,
        /// What the value should have been.
        expected: &'static str,
    },
    /// We asked for `server_no_context_takeover` and the answer leaves it out.
    MissingServerNoContextTakeover,
    /// We offered `server_max_window_bits=N` and the answer leaves it out.
    MissingServerMaxWindowBits(u8),
    /// The answer's `server_max_window_bits` is larger than what we offered.
    ServerWindowTooLarge {
        /// What we offered.
        offered: u8,
        /// What the server answered.
        answered: u8,
    },
    /// The answer's `client_max_window_bits` is larger than the limit we offered.
    ClientWindowTooLarge {
        /// What we offered.
        offered: u8,
        /// What the server answered.
        answered: u8,
    },
    /// The answer carries `client_max_window_bits`, which the offer left out.
    ClientWindowNotOffered,
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NegotiationError::Syntax { header, detail } => {
                write!(f, "malformed {HEADER_NAME} header {header:?}: {detail}")
            }
            NegotiationError::NotOffered(name) => {
                write!(f, "the server answered with the extension {name:?}, which the client did not offer")
            }
            NegotiationError::DuplicateExtension => {
                write!(f, "the server accepted {EXTENSION_NAME} more than once")
            }
            NegotiationError::UnknownParameter(name) => {
                write!(f, "the server's {EXTENSION_NAME} answer has the unknown parameter {name:?}")
            }
            NegotiationError::DuplicateParameter(name) => {
                write!(f, "the server's {EXTENSION_NAME} answer has the parameter {name} twice")
            }
            NegotiationError::InvalidValue { name, value: Some(value), expected } => write!(
                f,
                "the server's {EXTENSION_NAME} answer has {name}={value:?}; expected {expected}"
            ),
            NegotiationError::InvalidValue { name, value: None, expected } => write!(
                f,
                "the server's {EXTENSION_NAME} answer has {name} without a value; expected {expected}"
            ),
            NegotiationError::MissingServerNoContextTakeover => write!(
                f,
                "the client asked for {SERVER_NO_CONTEXT_TAKEOVER} and the server's answer lacks it"
            ),
            NegotiationError::MissingServerMaxWindowBits(offered) => write!(
                f,
                "the client offered {SERVER_MAX_WINDOW_BITS}={offered} and the server's answer lacks it"
            ),
            NegotiationError::ServerWindowTooLarge { offered, answered } => write!(
                f,
                "the server answered {SERVER_MAX_WINDOW_BITS}={answered}, larger than the {offered} offered"
            ),
            NegotiationError::ClientWindowTooLarge { offered, answered } => write!(
                f,
                "the server answered {CLIENT_MAX_WINDOW_BITS}={answered}, larger than the {offered} offered"
            ),
            NegotiationError::ClientWindowNotOffered => write!(
                f,
                "the server answered with {CLIENT_MAX_WINDOW_BITS}, which the offer left out"
            ),
        }
    }
}

impl std::error::Error for NegotiationError {}

impl From<SyntaxError> for NegotiationError {
    fn from(SyntaxError { header, detail }: SyntaxError) -> Self {
        NegotiationError::Syntax { header, detail }
    }
}

/// Checks the server's `Sec-WebSocket-Extensions` answer (all its header lines, in order)
/// against what was offered (`None`: nothing was offered).
///
/// Returns `Ok(None)` when the server did not accept permessage-deflate (the connection goes
/// on without compression), `Ok(Some(agreed))` when it did, and an error for any answer a
/// client must fail the connection on: an extension that was not offered, permessage-deflate
/// twice, an unknown or repeated parameter, a bad value, or parameters that contradict the
/// offer.
pub(crate) fn negotiate<'a>(
    offered: Option<&Compression>,
    header_values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Option<Agreed>, NegotiationError> {
    let elements = parse_extensions(header_values)?;
    let mut agreed = None;
    for element in elements {
        let Some(config) = offered.filter(|_| element.name.eq_ignore_ascii_case(EXTENSION_NAME))
        else {
            return Err(NegotiationError::NotOffered(element.name));
        };
        if agreed.is_some() {
            return Err(NegotiationError::DuplicateExtension);
        }
        agreed = Some(accept_response(config, &element)?);
    }
    Ok(agreed)
}

/// Validates one permessage-deflate element of an answer against the offer (RFC 7692 §7).
pub(crate) fn accept_response(
    offered: &Compression,
    element: &ExtensionElement,
) -> Result<Agreed, NegotiationError> {
    let mut server_no_context_takeover = false;
    let mut client_no_context_takeover = false;
    let mut server_max_window_bits = None;
    let mut client_max_window_bits = None;

    for (name, value) in &element.params {
        let lower = name.to_ascii_lowercase();
        let duplicate = || NegotiationError::DuplicateParameter(lower.clone());
        match lower.as_str() {
            SERVER_NO_CONTEXT_TAKEOVER | CLIENT_NO_CONTEXT_TAKEOVER => {
                let flag = if lower == SERVER_NO_CONTEXT_TAKEOVER {
                    &mut server_no_context_takeover
                } else {
                    &mut client_no_context_takeover
                };
                if *flag {
                    return Err(duplicate());
                }
                if value.is_some() {
                    return Err(NegotiationError::InvalidValue {
                        name: lower,
                        value: value.clone(),
                        expected: "no value",
                    });
                }
                *flag = true;
            }
            SERVER_MAX_WINDOW_BITS | CLIENT_MAX_WINDOW_BITS => {
                let slot = if lower == SERVER_MAX_WINDOW_BITS {
                    &mut server_max_window_bits
                } else {
                    &mut client_max_window_bits
                };
                if slot.is_some() {
                    return Err(duplicate());
                }
                // In an answer both need a value; only an offer may carry a bare
                // client_max_window_bits (RFC 7692 §7.1.2.2).
                let bits = value
                    .as_deref()
                    .and_then(parse_window_bits)
                    .ok_or_else(|| NegotiationError::InvalidValue {
                        name: lower.clone(),
                        value: value.clone(),
                        expected: "a decimal integer from 8 to 15 without leading zeros",
                    })?;
                *slot = Some(bits);
            }
            _ => return Err(NegotiationError::UnknownParameter(name.clone())),
        }
    }

    // §7.1.1.1: a server accepts server_no_context_takeover by echoing it; it may also add it
    // on its own. A missing echo means it did not accept the offer as made.
    if offered.server_no_context_takeover && !server_no_context_takeover {
        return Err(NegotiationError::MissingServerNoContextTakeover);
    }
    // §7.1.2.1: an offered server_max_window_bits is accepted with the same or a smaller
    // value; the server may also send one that was not offered.
    let server_bits = match (offered.server_max_window_bits, server_max_window_bits) {
        (Some(offered), None) => return Err(NegotiationError::MissingServerMaxWindowBits(offered)),
        (Some(offered), Some(answered)) if answered > offered => {
            return Err(NegotiationError::ServerWindowTooLarge { offered, answered })
        }
        (_, answered) => answered.unwrap_or(MAX_WINDOW_BITS),
    };
    // §7.1.2.2: the answer may carry client_max_window_bits only if the offer did, and not
    // larger than an offered value; a value we offered binds us even if the answer omits it.
    if !offered.offer_client_max_window_bits && client_max_window_bits.is_some() {
        return Err(NegotiationError::ClientWindowNotOffered);
    }
    let client_bits = match (offered.client_max_window_bits, client_max_window_bits) {
        (Some(offered), Some(answered)) if answered > offered => {
            return Err(NegotiationError::ClientWindowTooLarge { offered, answered })
        }
        (_, Some(answered)) => answered,
        (Some(offered), None) => offered,
        (_, None) => MAX_WINDOW_BITS,
    };

    Ok(Agreed {
        server_no_context_takeover,
        // §7.1.1.2: offering client_no_context_takeover is a promise we keep either way.
        client_no_context_takeover: client_no_context_takeover
            || offered.client_no_context_takeover,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
        response: element.to_string(),
    })
}

/// `8..=15`, decimal, no leading zeros, no sign (RFC 7692 §7.1.2.1).
fn parse_window_bits(value: &str) -> Option<u8> {
    match value.as_bytes() {
        [b'8'] => Some(8),
        [b'9'] => Some(9),
        [b'1', d @ b'0'..=b'5'] => Some(10 + (d - b'0')),
        _ => None,
    }
}

/// [`negotiate`] over the headers of tungstenite's handshake response.
pub(crate) fn negotiate_response(
    offered: Option<&Compression>,
    headers: &tungstenite::http::HeaderMap,
) -> Result<Option<Agreed>, NegotiationError> {
    negotiate(
        offered,
        headers
            .get_all(HEADER_NAME)
            .iter()
            .map(|value| value.as_bytes()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(offered: &Compression, header: &str) -> Result<Option<Agreed>, NegotiationError> {
        negotiate(Some(offered), [header.as_bytes()])
    }

    fn agreed(offered: &Compression, header: &str) -> Agreed {
        answer(offered, header)
            .unwrap_or_else(|e| panic!("{header:?}: {e}"))
            .expect("accepted")
    }

    fn rejected(offered: &Compression, header: &str) -> NegotiationError {
        match answer(offered, header) {
            Err(e) => e,
            Ok(a) => panic!("{header:?} was accepted: {a:?}"),
        }
    }

    #[test]
    fn default_offer_lets_the_server_choose_both_windows() {
        assert_eq!(
            Compression::default().offer(),
            "permessage-deflate; client_max_window_bits"
        );
    }

    #[test]
    fn offer_spells_out_every_parameter() {
        let config = Compression {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: Some(10),
            client_max_window_bits: Some(12),
            ..Compression::default()
        };
        assert_eq!(
            config.offer(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=12"
        );
        assert_eq!(
            Compression::new().offer(),
            "permessage-deflate; client_max_window_bits"
        );
    }

    #[test]
    fn offer_round_trips_through_the_parser() {
        let config = Compression {
            server_no_context_takeover: true,
            server_max_window_bits: Some(9),
            client_max_window_bits: None,
            ..Compression::default()
        };
        let parsed = parse_extensions([config.offer().as_bytes()]).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].to_string(), config.offer());
    }

    #[test]
    fn no_header_or_empty_header_means_no_compression() {
        let config = Compression::default();
        assert_eq!(negotiate(Some(&config), []).unwrap(), None);
        assert_eq!(answer(&config, "").unwrap(), None);
        assert_eq!(answer(&config, " , ,").unwrap(), None);
    }

    #[test]
    fn plain_acceptance_uses_the_largest_windows() {
        let a = agreed(&Compression::default(), "permessage-deflate");
        assert_eq!(
            a,
            Agreed {
                server_no_context_takeover: false,
                client_no_context_takeover: false,
                server_max_window_bits: 15,
                client_max_window_bits: 15,
                response: "permessage-deflate".into(),
            }
        );
        assert_eq!(
            a.to_string(),
            "permessage-deflate; server_max_window_bits=15; client_max_window_bits=15"
        );
    }

    #[test]
    fn python_websockets_default_server_answer() {
        // websockets' serve() default: server_max_window_bits=12, client_max_window_bits=12.
        let a = agreed(
            &Compression::default(),
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
        );
        assert_eq!(
            (a.server_max_window_bits, a.client_max_window_bits),
            (12, 12)
        );
    }

    #[test]
    fn every_parameter_in_any_order_and_case() {
        let a = agreed(
            &Compression::default(),
            "PerMessage-Deflate;Client_Max_Window_Bits=9 ;\tserver_no_context_takeover ; \
             CLIENT_NO_CONTEXT_TAKEOVER; server_max_window_bits = 10",
        );
        assert!(a.server_no_context_takeover && a.client_no_context_takeover);
        assert_eq!(
            (a.server_max_window_bits, a.client_max_window_bits),
            (10, 9)
        );
    }

    #[test]
    fn quoted_values_are_unquoted() {
        let a = agreed(
            &Compression::default(),
            r#"permessage-deflate; server_max_window_bits="10"; client_max_window_bits="1\1""#,
        );
        assert_eq!(
            (a.server_max_window_bits, a.client_max_window_bits),
            (10, 11)
        );
    }

    #[test]
    fn quoted_value_must_be_a_token() {
        let e = rejected(
            &Compression::default(),
            r#"permessage-deflate; server_max_window_bits="1 0""#,
        );
        assert!(matches!(e, NegotiationError::Syntax { .. }), "{e}");
        let e = rejected(
            &Compression::default(),
            r#"permessage-deflate; server_max_window_bits="""#,
        );
        assert!(matches!(e, NegotiationError::Syntax { .. }), "{e}");
        let e = rejected(
            &Compression::default(),
            r#"permessage-deflate; server_max_window_bits="10"#,
        );
        assert!(e.to_string().contains("unterminated"), "{e}");
    }

    #[test]
    fn several_header_lines_form_one_list() {
        let config = Compression::default();
        let a = negotiate(
            Some(&config),
            [&b""[..], b"permessage-deflate; server_max_window_bits=11"],
        )
        .unwrap()
        .unwrap();
        assert_eq!(a.server_max_window_bits, 11);
        let e = negotiate(
            Some(&config),
            [&b"permessage-deflate"[..], b"permessage-deflate"],
        )
        .unwrap_err();
        assert_eq!(e, NegotiationError::DuplicateExtension);
    }

    #[test]
    fn extension_accepted_twice_fails() {
        let e = rejected(
            &Compression::default(),
            "permessage-deflate, permessage-deflate; server_no_context_takeover",
        );
        assert_eq!(e, NegotiationError::DuplicateExtension);
        assert!(e.to_string().contains("more than once"));
    }

    #[test]
    fn extension_not_offered_fails() {
        let e = rejected(&Compression::default(), "x-webkit-deflate-frame");
        assert_eq!(
            e,
            NegotiationError::NotOffered("x-webkit-deflate-frame".into())
        );
        let e = rejected(&Compression::default(), "permessage-deflate, foo");
        assert_eq!(e, NegotiationError::NotOffered("foo".into()));
        // Nothing offered: any extension in the answer fails (tungstenite leaves this
        // check as a TODO in handshake/client.rs).
        let e = negotiate(None, [&b"permessage-deflate"[..]]).unwrap_err();
        assert_eq!(e, NegotiationError::NotOffered("permessage-deflate".into()));
        assert!(e.to_string().contains("did not offer"));
        assert_eq!(negotiate(None, [&b""[..]]).unwrap(), None);
    }

    #[test]
    fn unknown_parameter_fails() {
        let e = rejected(&Compression::default(), "permessage-deflate; mem_level=8");
        assert_eq!(e, NegotiationError::UnknownParameter("mem_level".into()));
        assert!(e.to_string().contains("unknown parameter \"mem_level\""));
        // An offer-only spelling is not known in an answer either.
        let e = rejected(
            &Compression::default(),
            "permessage-deflate; max_window_bits=10",
        );
        assert!(matches!(e, NegotiationError::UnknownParameter(_)));
    }

    #[test]
    fn duplicate_parameters_fail() {
        for header in [
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_no_context_takeover; Client_No_Context_Takeover",
            "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
            "permessage-deflate; client_max_window_bits=10; client_max_window_bits=9",
        ] {
            let e = rejected(&Compression::default(), header);
            assert!(
                matches!(e, NegotiationError::DuplicateParameter(_)),
                "{header}: {e}"
            );
            assert!(e.to_string().contains("twice"));
        }
    }

    #[test]
    fn window_bits_out_of_range_or_malformed_fail() {
        for value in [
            "7", "16", "0", "08", "+9", "-9", "9.0", "1O", "255", "015", "abc",
        ] {
            for name in ["server_max_window_bits", "client_max_window_bits"] {
                let header = format!("permessage-deflate; {name}={value}");
                let e = rejected(&Compression::default(), &header);
                assert!(
                    matches!(
                        e,
                        NegotiationError::InvalidValue { .. } | NegotiationError::Syntax { .. }
                    ),
                    "{header}: {e}"
                );
            }
        }
        let e = rejected(
            &Compression::default(),
            "permessage-deflate; server_max_window_bits=16",
        );
        assert!(e.to_string().contains("from 8 to 15"), "{e}");
    }

    #[test]
    fn every_valid_window_value_is_accepted() {
        for bits in 8..=15u8 {
            let a = agreed(
                &Compression::default(),
                &format!("permessage-deflate; server_max_window_bits={bits}; client_max_window_bits={bits}"),
            );
            assert_eq!(
                (a.server_max_window_bits, a.client_max_window_bits),
                (bits, bits)
            );
        }
    }

    #[test]
    fn window_bits_need_a_value_in_an_answer() {
        for name in ["server_max_window_bits", "client_max_window_bits"] {
            let e = rejected(
                &Compression::default(),
                &format!("permessage-deflate; {name}"),
            );
            assert!(
                matches!(e, NegotiationError::InvalidValue { value: None, .. }),
                "{e}"
            );
            assert!(e.to_string().contains("without a value"));
        }
    }

    #[test]
    fn no_context_takeover_takes_no_value() {
        let e = rejected(
            &Compression::default(),
            "permessage-deflate; server_no_context_takeover=1",
        );
        assert!(matches!(e, NegotiationError::InvalidValue { .. }), "{e}");
        let e = rejected(
            &Compression::default(),
            "permessage-deflate; client_no_context_takeover=\"x\"",
        );
        assert!(matches!(e, NegotiationError::InvalidValue { .. }), "{e}");
    }

    #[test]
    fn server_no_context_takeover_requested_must_be_echoed() {
        let config = Compression {
            server_no_context_takeover: true,
            ..Compression::default()
        };
        assert_eq!(
            rejected(&config, "permessage-deflate"),
            NegotiationError::MissingServerNoContextTakeover
        );
        assert!(
            agreed(&config, "permessage-deflate; server_no_context_takeover")
                .server_no_context_takeover
        );
    }

    #[test]
    fn server_may_add_no_context_takeover_unasked() {
        let a = agreed(
            &Compression::default(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        );
        assert!(a.server_no_context_takeover && a.client_no_context_takeover);
    }

    #[test]
    fn client_no_context_takeover_offered_binds_us() {
        let config = Compression {
            client_no_context_takeover: true,
            ..Compression::default()
        };
        assert!(agreed(&config, "permessage-deflate").client_no_context_takeover);
    }

    #[test]
    fn server_window_offered_must_be_answered_equal_or_lower() {
        let config = Compression {
            server_max_window_bits: Some(12),
            ..Compression::default()
        };
        assert_eq!(
            rejected(&config, "permessage-deflate"),
            NegotiationError::MissingServerMaxWindowBits(12)
        );
        assert_eq!(
            rejected(&config, "permessage-deflate; server_max_window_bits=13"),
            NegotiationError::ServerWindowTooLarge {
                offered: 12,
                answered: 13
            }
        );
        assert_eq!(
            agreed(&config, "permessage-deflate; server_max_window_bits=12").server_max_window_bits,
            12
        );
        // Lower than offered is fine (RFC 7692 §7.1.2.1).
        assert_eq!(
            agreed(&config, "permessage-deflate; server_max_window_bits=9").server_max_window_bits,
            9
        );
    }

    #[test]
    fn server_window_not_offered_may_still_be_answered() {
        assert_eq!(
            agreed(
                &Compression::default(),
                "permessage-deflate; server_max_window_bits=10"
            )
            .server_max_window_bits,
            10
        );
    }

    #[test]
    fn client_window_limit_offered() {
        let config = Compression {
            client_max_window_bits: Some(11),
            ..Compression::default()
        };
        // The answer may omit it: our own limit still applies.
        assert_eq!(
            agreed(&config, "permessage-deflate").client_max_window_bits,
            11
        );
        assert_eq!(
            agreed(&config, "permessage-deflate; client_max_window_bits=9").client_max_window_bits,
            9
        );
        assert_eq!(
            rejected(&config, "permessage-deflate; client_max_window_bits=12"),
            NegotiationError::ClientWindowTooLarge {
                offered: 11,
                answered: 12
            }
        );
    }

    #[test]
    fn client_max_window_bits_can_be_left_out_of_the_offer() {
        let config = Compression::new().offer_client_max_window_bits(false);
        assert_eq!(config.offer(), "permessage-deflate");
        let with_bits = config.clone().client_max_window_bits(Some(10));
        assert_eq!(with_bits.offer(), "permessage-deflate");
        let agreed = answer(&with_bits, "permessage-deflate").unwrap().unwrap();
        assert_eq!(agreed.client_max_window_bits, 10);
        let agreed = answer(&config, "permessage-deflate").unwrap().unwrap();
        assert_eq!(agreed.client_max_window_bits, 15);
        assert_eq!(
            rejected(&config, "permessage-deflate; client_max_window_bits=12"),
            NegotiationError::ClientWindowNotOffered
        );
    }

    #[test]
    fn syntax_errors_say_where() {
        for header in [
            "permessage-deflate; ",
            "permessage-deflate;; server_no_context_takeover",
            "permessage-deflate server_no_context_takeover",
            "permessage-deflate; server_max_window_bits=",
            "permessage-deflate; server_max_window_bits=1 0",
            "permessage-deflate; =10",
            "permessage-deflate/1",
            "\"permessage-deflate\"",
            "permessage-deflate; a=b=c",
        ] {
            let e = rejected(&Compression::default(), header);
            assert!(
                matches!(e, NegotiationError::Syntax { .. }),
                "{header}: {e}"
            );
            assert!(
                e.to_string().contains("malformed Sec-WebSocket-Extensions"),
                "{e}"
            );
        }
        let e = rejected(&Compression::default(), "permessage-deflate; x y");
        assert!(e.to_string().contains("at byte 22"), "{e}");
    }

    #[test]
    fn non_ascii_is_a_syntax_error() {
        let e = negotiate(
            Some(&Compression::default()),
            [&b"permessage-deflate; \xff"[..]],
        )
        .unwrap_err();
        assert!(matches!(e, NegotiationError::Syntax { .. }), "{e}");
    }

    #[test]
    fn response_text_is_kept_for_connection_info() {
        let a = agreed(
            &Compression::default(),
            "permessage-deflate;server_max_window_bits=\"12\"",
        );
        assert_eq!(a.response, "permessage-deflate; server_max_window_bits=12");
    }

    #[test]
    fn tungstenite_header_map() {
        let mut headers = tungstenite::http::HeaderMap::new();
        headers.append(HEADER_NAME, "permessage-deflate".parse().unwrap());
        headers.append("sec-websocket-extensions", "foo".parse().unwrap());
        let e = negotiate_response(Some(&Compression::default()), &headers).unwrap_err();
        assert_eq!(e, NegotiationError::NotOffered("foo".into()));
        headers.remove(HEADER_NAME);
        assert_eq!(
            negotiate_response(Some(&Compression::default()), &headers).unwrap(),
            None
        );
    }
}
