//! The launcher's output, as foreman's: every line a child writes (stdout or stderr) goes to
//! the launcher's stdout as `workers.1 | <line>`, and the launcher's own lines to its stderr
//! as `launch | <line>`. Each line is written whole, under the stream's lock, so lines of
//! different processes never mix mid-line. A thread per pipe reads it, so a child that
//! writes a lot never waits on another.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// The longest line kept whole; the rest of a longer line is dropped (and the line marked),
/// never buffered.
pub const MAX_LINE: usize = 64 * 1024;
/// What ends a line that was cut.
const CUT_MARK: &[u8] = b" [line cut at 64 KiB]";
/// The prefix of the launcher's own lines.
const OWN_PREFIX: &str = "launch | ";

/// One of the launcher's own lines, on stderr.
pub fn say(text: &str) {
    let mut line = String::with_capacity(OWN_PREFIX.len() + text.len() + 1);
    line.push_str(OWN_PREFIX);
    line.push_str(text);
    line.push('\n');
    // Nothing to do about a closed stderr: the children's output and the reports go on.
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

/// `1 process`, `3 processes`.
pub fn processes(n: usize) -> String {
    match n {
        1 => "1 process".to_owned(),
        n => format!("{n} processes"),
    }
}

/// The threads that copy children's output; they end when their pipe closes (every process
/// holding it has exited).
pub struct Readers {
    /// Cloned into each thread; the channel disconnects once all threads (and `finish`) have
    /// dropped theirs.
    alive: Sender<()>,
    ended: Receiver<()>,
}

impl Readers {
    pub fn new() -> Readers {
        let (alive, ended) = mpsc::channel();
        Readers { alive, ended }
    }

    /// Copies `pipe`'s lines to stdout, prefixed `name | `, on a thread of its own.
    pub fn follow(&self, name: &str, pipe: impl Read + Send + 'static) {
        let prefix = format!("{name} | ").into_bytes();
        let alive = self.alive.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("log {name}"))
            .spawn(move || {
                let _alive = alive;
                copy_lines(&prefix, BufReader::new(pipe), &mut io::stdout());
            });
        if let Err(e) = spawned {
            // The pipe is dropped with the closure: the child's writes fail (SIGPIPE), which
            // is better than a launcher that stops.
            say(&format!("{name}: cannot follow its output: {e}"));
        }
    }

    /// Waits, at most `bound`, for every reader to copy what is left in its pipe, so the
    /// last lines of a process (its goodbye) are printed before the launcher exits. A pipe
    /// still held by something the child left running is not waited for past `bound`.
    pub fn finish(self, bound: Duration) {
        let Readers { alive, ended } = self;
        drop(alive);
        let deadline = Instant::now() + bound;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match ended.recv_timeout(left) {
                // Nothing is ever sent: only the disconnection (every reader done) or the
                // deadline ends the wait.
                Ok(()) => continue,
                Err(RecvTimeoutError::Disconnected) | Err(RecvTimeoutError::Timeout) => return,
            }
        }
    }
}

/// Anything that can be locked for one whole line: stdout, or a buffer in tests.
pub trait LineOut {
    fn write_line(&mut self, line: &[u8]);
}

impl LineOut for io::Stdout {
    fn write_line(&mut self, line: &[u8]) {
        // A closed stdout (the reader of a pipe went away) drops lines; the child's pipe is
        // still drained so it never blocks.
        let mut out = self.lock();
        let _ = out.write_all(line).and_then(|()| out.flush());
    }
}

impl LineOut for Vec<u8> {
    fn write_line(&mut self, line: &[u8]) {
        self.extend_from_slice(line);
    }
}

/// Copies every line of `input` to `out`, each as `prefix`, the line and a newline, written at
/// once; until the end of `input` or an error reading it.
pub fn copy_lines(prefix: &[u8], mut input: impl BufRead, out: &mut impl LineOut) {
    let mut line = Vec::with_capacity(256);
    let mut whole = Vec::with_capacity(256);
    while let Ok(Some(cut)) = next_line(&mut input, &mut line, MAX_LINE) {
        whole.clear();
        whole.extend_from_slice(prefix);
        whole.extend_from_slice(&line);
        if cut {
            whole.extend_from_slice(CUT_MARK);
        }
        whole.push(b'\n');
        out.write_line(&whole);
        if line.capacity() > 4096 {
            // One long line should not keep its buffer for the rest of the process's life.
            line = Vec::with_capacity(256);
            whole = Vec::with_capacity(256);
        }
    }
}

/// Reads the next line into `line` (without its newline), keeping at most `max` bytes of it
/// and skipping the rest. `Some(true)` when it was cut, `None` at the end of the input. A last
/// line without a newline is a line.
fn next_line(input: &mut impl BufRead, line: &mut Vec<u8>, max: usize) -> io::Result<Option<bool>> {
    line.clear();
    let mut cut = false;
    let mut read_any = false;
    loop {
        let buffer = match input.fill_buf() {
            Ok(buffer) => buffer,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buffer.is_empty() {
            return Ok(read_any.then_some(cut));
        }
        read_any = true;
        let newline = buffer.iter().position(|&b| b == b'\n');
        let end = newline.unwrap_or(buffer.len());
        let room = max - line.len();
        line.extend_from_slice(&buffer[..end.min(room)]);
        cut |= end > room;
        match newline {
            Some(at) => {
                input.consume(at + 1);
                return Ok(Some(cut));
            }
            None => {
                let all = buffer.len();
                input.consume(all);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copied(input: &[u8], max_line_check: bool) -> String {
        let mut out = Vec::new();
        copy_lines(b"web.1 | ", input, &mut out);
        if max_line_check {
            assert!(out.len() < 2 * MAX_LINE);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn lines_are_prefixed_and_a_last_partial_line_is_kept() {
        assert_eq!(
            copied(b"one\n\ntwo\nthree", false),
            "web.1 | one\nweb.1 | \nweb.1 | two\nweb.1 | three\n"
        );
        assert_eq!(copied(b"", false), "");
    }

    #[test]
    fn a_long_line_is_cut_not_buffered() {
        let mut input = vec![b'x'; 3 * MAX_LINE];
        input.extend_from_slice(b"\nafter\n");
        let text = copied(&input, true);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), "web.1 | ".len() + MAX_LINE + CUT_MARK.len());
        assert!(lines[0].ends_with("[line cut at 64 KiB]"));
        assert_eq!(lines[1], "web.1 | after");
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_whole() {
        let mut input = vec![b'y'; MAX_LINE];
        input.push(b'\n');
        let text = copied(&input, true);
        assert!(!text.contains("cut"));
        assert_eq!(text.len(), "web.1 | ".len() + MAX_LINE + 1);
    }
}
