//! HTTP tokens (RFC 7230 §3.2.6): what a subprotocol name, an extension name and its
//! parameters must be.

/// RFC 7230 `tchar`: a byte that may stand in a token.
pub(crate) fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Whether `text` is a token: one or more `tchar`.
pub(crate) fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_tchar)
}
