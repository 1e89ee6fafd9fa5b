//! The `Sec-WebSocket-Extensions` header's grammar (RFC 6455 §9.1, with the list rules of
//! RFC 7230 §7): header values in, extension elements out. What the elements mean to
//! permessage-deflate is [`negotiation`](crate::deflate::negotiation)'s business.

use std::fmt;

use crate::settings::http_token::is_tchar;

/// One element of an extension list: a name and its parameters, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExtensionElement {
    /// The extension's name (a token).
    pub(crate) name: String,
    /// `(name, value)`; the value is `None` for a bare parameter, unquoted otherwise.
    pub(crate) params: Vec<(String, Option<String>)>,
}

impl fmt::Display for ExtensionElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (name, value) in &self.params {
            match value {
                Some(value) => write!(f, "; {name}={value}")?,
                None => write!(f, "; {name}")?,
            }
        }
        Ok(())
    }
}

/// A header value that does not follow the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// The offending header value (lossy UTF-8).
    pub(crate) header: String,
    /// What the parser expected.
    pub(crate) detail: String,
}

/// Parses `Sec-WebSocket-Extensions` header values into elements (RFC 6455 §9.1):
///
/// ```text
/// extension-list = 1#extension
/// extension      = extension-token *( ";" extension-param )
/// extension-param = token [ "=" (token | quoted-string) ]
/// ```
///
/// Several header lines are one list (RFC 7230 §3.2.2); empty list elements are skipped
/// (RFC 7230 §7); optional whitespace is allowed around `,` `;` `=`. A quoted value must be a
/// token once unquoted (RFC 6455 §9.1).
pub(crate) fn parse_extensions<'a>(
    header_values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<ExtensionElement>, SyntaxError> {
    let mut elements = Vec::new();
    for value in header_values {
        Parser {
            input: value,
            pos: 0,
        }
        .list(&mut elements)
        .map_err(|detail| SyntaxError {
            header: String::from_utf8_lossy(value).into_owned(),
            detail,
        })?;
    }
    Ok(elements)
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn unexpected(&self, wanted: &str) -> String {
        match self.peek() {
            Some(byte) => format!(
                "expected {wanted} at byte {}, found {:?}",
                self.pos,
                char::from(byte)
            ),
            None => format!("expected {wanted} at the end"),
        }
    }

    fn token(&mut self, what: &str) -> Result<String, String> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.unexpected(what));
        }
        // tchar is ASCII, so this is valid UTF-8.
        Ok(String::from_utf8_lossy(&self.input[start..self.pos]).into_owned())
    }

    fn quoted(&mut self) -> Result<String, String> {
        let start = self.pos;
        self.pos += 1; // the opening quote
        let mut text = Vec::new();
        loop {
            match self.peek() {
                None => {
                    return Err(format!(
                        "unterminated quoted string starting at byte {start}"
                    ))
                }
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(byte) = self.peek() else {
                        return Err(format!(
                            "unterminated quoted string starting at byte {start}"
                        ));
                    };
                    text.push(byte);
                    self.pos += 1;
                }
                Some(byte) => {
                    text.push(byte);
                    self.pos += 1;
                }
            }
        }
        if text.is_empty() || !text.iter().copied().all(is_tchar) {
            return Err(format!(
                "the quoted value starting at byte {start} is not a token once unquoted"
            ));
        }
        Ok(String::from_utf8_lossy(&text).into_owned())
    }

    fn list(&mut self, out: &mut Vec<ExtensionElement>) -> Result<(), String> {
        loop {
            self.skip_ows();
            match self.peek() {
                None => return Ok(()),
                Some(b',') => {
                    self.pos += 1; // an empty element
                    continue;
                }
                Some(_) => {}
            }
            let name = self.token("an extension name")?;
            let mut params = Vec::new();
            loop {
                self.skip_ows();
                match self.peek() {
                    None => break,
                    Some(b',') => {
                        self.pos += 1;
                        break;
                    }
                    Some(b';') => {
                        self.pos += 1;
                        self.skip_ows();
                        let param = self.token("a parameter name")?;
                        self.skip_ows();
                        let value = if self.peek() == Some(b'=') {
                            self.pos += 1;
                            self.skip_ows();
                            Some(if self.peek() == Some(b'"') {
                                self.quoted()?
                            } else {
                                self.token("a parameter value")?
                            })
                        } else {
                            None
                        };
                        params.push((param, value));
                    }
                    Some(_) => return Err(self.unexpected("';' or ','")),
                }
            }
            out.push(ExtensionElement { name, params });
        }
    }
}
