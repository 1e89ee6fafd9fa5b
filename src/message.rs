//! A complete WebSocket data message, text or binary.

/// One complete message, as `socket_write` sends it and `socket_read` returns it.
///
/// Strings convert into [`Message::Text`], byte vectors and slices into [`Message::Binary`], so
/// `socket_write("chat", "hello")` sends a text frame and `socket_write("chat", vec![1, 2])` a
/// binary one. Control frames (ping, pong, close) never appear here: the library handles them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Message {
    /// A text message: always valid UTF-8.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
}

impl Message {
    /// The text, when this is a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Message::Text(text) => Some(text),
            Message::Binary(_) => None,
        }
    }

    /// The payload bytes, whatever the message type.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Message::Text(text) => text.as_bytes(),
            Message::Binary(bytes) => bytes,
        }
    }

    /// The payload length in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// True when the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True for a text message.
    pub fn is_text(&self) -> bool {
        matches!(self, Message::Text(_))
    }

    /// The text, when this is a text message; a binary message is given back unchanged.
    ///
    /// # Errors
    /// Returns the message itself when it is binary.
    pub fn into_text(self) -> Result<String, Message> {
        match self {
            Message::Text(text) => Ok(text),
            binary => Err(binary),
        }
    }

    /// The payload bytes, whatever the message type.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Message::Text(text) => text.into_bytes(),
            Message::Binary(bytes) => bytes,
        }
    }

    pub(crate) fn into_frame(self) -> tungstenite::Message {
        match self {
            Message::Text(text) => tungstenite::Message::Text(text.into()),
            Message::Binary(bytes) => tungstenite::Message::Binary(bytes.into()),
        }
    }

    /// Converts a received data frame; `None` for control frames.
    pub(crate) fn from_frame(frame: tungstenite::Message) -> Option<Message> {
        match frame {
            // Validated by tungstenite already: one copy, no second pass over the text.
            tungstenite::Message::Text(text) => Some(Message::Text(text.as_str().to_owned())),
            tungstenite::Message::Binary(bytes) => Some(Message::Binary(bytes.into())),
            _ => None,
        }
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::Text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::Text(text.to_owned())
    }
}

impl From<&String> for Message {
    fn from(text: &String) -> Self {
        Message::Text(text.clone())
    }
}

impl From<Vec<u8>> for Message {
    fn from(bytes: Vec<u8>) -> Self {
        Message::Binary(bytes)
    }
}

impl From<&[u8]> for Message {
    fn from(bytes: &[u8]) -> Self {
        Message::Binary(bytes.to_vec())
    }
}

impl<const N: usize> From<&[u8; N]> for Message {
    fn from(bytes: &[u8; N]) -> Self {
        Message::Binary(bytes.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_text_and_bytes_are_binary() {
        assert_eq!(Message::from("hi"), Message::Text("hi".into()));
        assert_eq!(Message::from(vec![1u8, 2]), Message::Binary(vec![1, 2]));
        assert_eq!(Message::from(b"ab"), Message::Binary(b"ab".to_vec()));
        assert_eq!(Message::from("hé").len(), 3);
    }

    #[test]
    fn frames_round_trip() {
        for message in [Message::from("texte"), Message::from(vec![0u8, 255])] {
            let back = Message::from_frame(message.clone().into_frame());
            assert_eq!(back, Some(message));
        }
        assert_eq!(
            Message::from_frame(tungstenite::Message::Ping(Default::default())),
            None
        );
    }
}
