//! Decoding a chunked body (`Transfer-Encoding: chunked`) as its bytes arrive.
//!
//! Written here rather than taken from a crate: the HTTP crates that decode chunks (hyper,
//! http-body) come with an async runtime this engine does not use, and the decoder must
//! take input a few bytes at a time from a non-blocking socket and stop at the route's
//! body bound before it holds more than that. `httparse` reads each size line.

use super::body::BodyError;

/// The longest chunk-size line (with extensions) or trailer line taken, its CRLF included.
/// Checked on a complete line as on an incomplete one, so whether a line is taken does not
/// depend on how its bytes arrived (a long line read whole used to be taken, the same line
/// read in pieces refused).
const MAX_LINE: usize = 4096;

/// Where in the chunked body the decoder is.
#[derive(Debug)]
enum Place {
    /// Before a chunk's size line.
    Size,
    /// Inside a chunk, this many bytes still to come.
    Data(u64),
    /// After a chunk's data, before its CRLF.
    DataEnd,
    /// After the last (empty) chunk: trailer lines until an empty one.
    Trailers,
    Done,
}

/// A chunked body being decoded, bounded to `max` bytes of data.
#[derive(Debug)]
pub(crate) struct Dechunker {
    place: Place,
    body: Vec<u8>,
    max: usize,
}

impl Dechunker {
    pub(crate) fn new(max: usize) -> Self {
        Dechunker {
            place: Place::Size,
            body: Vec::new(),
            max,
        }
    }

    /// Takes what it can of `input`; returns how many bytes it took and whether the body is
    /// complete.
    pub(crate) fn feed(&mut self, input: &[u8]) -> Result<(usize, bool), BodyError> {
        let mut at = 0;
        loop {
            let rest = &input[at..];
            match self.place {
                Place::Done => return Ok((at, true)),
                Place::Size => match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((used, _))) if used > MAX_LINE => {
                        return Err(BodyError::Malformed("chunk size line too long"))
                    }
                    Ok(httparse::Status::Complete((used, size))) => {
                        at += used;
                        if size > (self.max - self.body.len()) as u64 {
                            return Err(BodyError::TooLarge);
                        }
                        self.place = if size == 0 {
                            Place::Trailers
                        } else {
                            Place::Data(size)
                        };
                    }
                    // Incomplete at the bound, it can only end past it.
                    Ok(httparse::Status::Partial) if rest.len() >= MAX_LINE => {
                        return Err(BodyError::Malformed("chunk size line too long"))
                    }
                    Ok(httparse::Status::Partial) => return Ok((at, false)),
                    Err(_) => return Err(BodyError::Malformed("bad chunk size")),
                },
                Place::Data(left) => {
                    if rest.is_empty() {
                        return Ok((at, false));
                    }
                    let take = rest.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    self.body.extend_from_slice(&rest[..take]);
                    at += take;
                    let left = left - take as u64;
                    self.place = if left == 0 {
                        Place::DataEnd
                    } else {
                        Place::Data(left)
                    };
                }
                Place::DataEnd => {
                    if rest.len() < 2 {
                        return Ok((at, false));
                    }
                    if &rest[..2] != b"\r\n" {
                        return Err(BodyError::Malformed("chunk data not followed by CRLF"));
                    }
                    at += 2;
                    self.place = Place::Size;
                }
                Place::Trailers => match rest.windows(2).position(|w| w == b"\r\n") {
                    Some(0) => {
                        at += 2;
                        self.place = Place::Done;
                    }
                    Some(end) if end + 2 > MAX_LINE => {
                        return Err(BodyError::Malformed("trailer line too long"))
                    }
                    Some(end) => at += end + 2,
                    None if rest.len() >= MAX_LINE => {
                        return Err(BodyError::Malformed("trailer line too long"))
                    }
                    None => return Ok((at, false)),
                },
            }
        }
    }

    /// The decoded body.
    pub(crate) fn into_body(self) -> Vec<u8> {
        self.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(wire: &[u8], piece: usize, max: usize) -> Result<Vec<u8>, BodyError> {
        let mut d = Dechunker::new(max);
        let mut pending = Vec::new();
        for bytes in wire.chunks(piece) {
            pending.extend_from_slice(bytes);
            let (used, done) = d.feed(&pending)?;
            pending.drain(..used);
            if done {
                return Ok(d.into_body());
            }
        }
        Err(BodyError::Malformed("incomplete"))
    }

    #[test]
    fn chunks_decode_whatever_the_pieces_they_arrive_in() {
        let wire = b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: a\r\n\r\n";
        for piece in [1, 2, 3, 7, wire.len()] {
            assert_eq!(decode_in_pieces(wire, piece, 100).unwrap(), b"hello, world");
        }
    }

    #[test]
    fn a_chunked_body_is_bounded_and_checked() {
        let wire = b"5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n";
        assert!(matches!(
            decode_in_pieces(wire, 4, 10),
            Err(BodyError::TooLarge)
        ));
        assert!(matches!(
            decode_in_pieces(b"zz\r\n", 4, 10),
            Err(BodyError::Malformed(_))
        ));
        assert!(matches!(
            decode_in_pieces(b"2\r\nabXY", 8, 10),
            Err(BodyError::Malformed(_))
        ));
        let huge = b"ffffffffffffffff\r\n";
        assert!(matches!(
            decode_in_pieces(huge, 32, 10),
            Err(BodyError::TooLarge)
        ));
    }

    /// Found while writing the http_request fuzz target's check that bytes read whole and
    /// in pieces make the same requests (fuzz/regressions/http_request/): a size line or
    /// trailer line over the bound was refused when it arrived in pieces and taken when it
    /// arrived whole.
    #[test]
    fn a_line_over_the_bound_is_refused_however_it_arrives() {
        // A size line and a trailer line of `len` bytes, CRLF included.
        let lines = |len: usize| {
            let size_line = format!("2;{}\r\nab\r\n0\r\n\r\n", "x".repeat(len - 4));
            let trailer = format!("2\r\nab\r\n0\r\nX: {}\r\n\r\n", "y".repeat(len - 5));
            [size_line, trailer]
        };
        // A line of exactly MAX_LINE bytes is taken...
        for wire in lines(MAX_LINE) {
            for piece in [1, 5, 64, wire.len()] {
                assert_eq!(
                    decode_in_pieces(wire.as_bytes(), piece, 100).unwrap(),
                    b"ab"
                );
            }
        }
        // ...and one byte more is refused, whole or in pieces.
        for wire in lines(MAX_LINE + 1) {
            for piece in [1, 5, 64, wire.len()] {
                assert!(matches!(
                    decode_in_pieces(wire.as_bytes(), piece, 100),
                    Err(BodyError::Malformed(_))
                ));
            }
        }
    }
}
