//! Reading a message body as it arrives, framed by Content-Length, by chunks, or (for a
//! response only) by the connection closing; never holding more than the route's bound.

use super::chunked::Dechunker;

/// How a body is delimited on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body.
    Empty,
    /// `Content-Length` bytes.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the peer closes (a response with neither header).
    UntilClose,
}

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Larger than the route's bound (413 on a server).
    TooLarge,
    /// Not valid framing.
    Malformed(&'static str),
}

/// A body being read.
#[derive(Debug)]
pub(crate) enum BodyReader {
    Length { left: usize, body: Vec<u8> },
    Chunked(Dechunker),
    UntilClose { body: Vec<u8>, max: usize },
}

impl BodyReader {
    /// A reader for `framing`, bounded to `max` bytes; `TooLarge` at once for a declared
    /// length over the bound, before any of it is read.
    pub(crate) fn new(framing: Framing, max: usize) -> Result<Self, BodyError> {
        Ok(match framing {
            Framing::Empty => BodyReader::Length {
                left: 0,
                body: Vec::new(),
            },
            Framing::Length(n) if n > max => return Err(BodyError::TooLarge),
            // The buffer grows as bytes arrive: a declared length alone reserves nothing.
            Framing::Length(n) => BodyReader::Length {
                left: n,
                body: Vec::new(),
            },
            Framing::Chunked => BodyReader::Chunked(Dechunker::new(max)),
            Framing::UntilClose => BodyReader::UntilClose {
                body: Vec::new(),
                max,
            },
        })
    }

    /// Takes what it can of `input`; returns how many bytes it took and whether the body is
    /// complete.
    pub(crate) fn feed(&mut self, input: &[u8]) -> Result<(usize, bool), BodyError> {
        match self {
            BodyReader::Length { left, body } => {
                let take = input.len().min(*left);
                body.extend_from_slice(&input[..take]);
                *left -= take;
                Ok((take, *left == 0))
            }
            BodyReader::Chunked(dechunker) => dechunker.feed(input),
            BodyReader::UntilClose { body, max } => {
                if body.len() + input.len() > *max {
                    return Err(BodyError::TooLarge);
                }
                body.extend_from_slice(input);
                Ok((input.len(), false))
            }
        }
    }

    /// Whether the peer closing ends the body (rather than cutting it short).
    pub(crate) fn ends_at_close(&self) -> bool {
        matches!(self, BodyReader::UntilClose { .. })
    }

    pub(crate) fn into_body(self) -> Vec<u8> {
        match self {
            BodyReader::Length { body, .. } | BodyReader::UntilClose { body, .. } => body,
            BodyReader::Chunked(dechunker) => dechunker.into_body(),
        }
    }
}
