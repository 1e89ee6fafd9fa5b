//! The write side: a message we compress goes out as one frame with RSV1 set.
//!
//! tungstenite 0.30 sends `Message::Frame` as given: it only masks it, and writes RSV1 from the
//! frame's header. It keeps no state
//! about outgoing fragments, so nothing else changes on the write path.

use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::frame::Frame;
use tungstenite::Bytes;

use crate::deflate::codec::Compressor;
use crate::message::Message;

/// The frame for `message`: compressed with RSV1 when the compressor chose to compress it
/// (see [`Compressor::compress`]), the plain message otherwise.
pub(crate) fn encode(compressor: &mut Compressor, message: Message) -> tungstenite::Message {
    let (opcode, payload) = match &message {
        Message::Text(text) => (Data::Text, text.as_bytes()),
        Message::Binary(bytes) => (Data::Binary, bytes.as_slice()),
    };
    match compressor.compress(payload) {
        Some(compressed) => {
            let mut frame = Frame::message(Bytes::from(compressed), OpCode::Data(opcode), true);
            frame.header_mut().rsv1 = true;
            tungstenite::Message::Frame(frame)
        }
        None => message.into_frame(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(message: &tungstenite::Message) -> Option<(bool, OpCode)> {
        match message {
            tungstenite::Message::Frame(frame) => {
                Some((frame.header().rsv1, frame.header().opcode))
            }
            _ => None,
        }
    }

    #[test]
    fn compressed_messages_carry_rsv1_and_their_opcode() {
        let mut compressor = Compressor::new(6, 15, false, 16);
        let text = encode(&mut compressor, Message::Text("a".repeat(100)));
        assert_eq!(header(&text), Some((true, OpCode::Data(Data::Text))));
        let binary = encode(&mut compressor, Message::Binary(vec![7; 100]));
        assert_eq!(header(&binary), Some((true, OpCode::Data(Data::Binary))));
    }

    #[test]
    fn messages_under_the_threshold_go_as_they_are() {
        let mut compressor = Compressor::new(6, 15, false, 16);
        let short = encode(&mut compressor, Message::Text("hi".into()));
        assert_eq!(short, tungstenite::Message::Text("hi".into()));
    }
}
