//! The authenticator: the one ZAP handler (RFC 27) of the process's ZeroMQ context, which
//! libzmq asks about every client that completes a CURVE handshake with a server socket of
//! that context.
//!
//! Each CURVE server socket has a domain of its own (`ZMQ_ZAP_DOMAIN`, `dripdrop.N`), which
//! maps to what it admits (everyone, or the keys of a directory: [`AllowedKeys`]) and to its
//! counters. The handler lives on a thread of its own, on a socket bound to
//! `inproc://zeromq.zap.01` that does not keep the context alive: when the context is
//! terminated its receive fails with ETERM and the thread closes the socket and ends. It
//! lives as long as the context, so no CURVE server of the context is ever without it
//! (libzmq admits anyone when no handler is bound). A request for a domain it does not know
//! (a socket whose owner is being dropped) is refused.

use super::allowed::AllowedKeys;
use super::certificate::{z85, KEY_BYTES};
use crate::error::Error;
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Where libzmq sends ZAP requests (RFC 27), in every context.
const ZAP_ENDPOINT: &str = "inproc://zeromq.zap.01";
/// Most frames a request may have: RFC 27 has six and the mechanism's credentials (CURVE:
/// one). More is a malformed request, read to its end and refused.
const MAX_FRAMES: usize = 16;
/// The largest frame kept of a request (a domain, an address, a key are far smaller).
const MAX_FRAME_BYTES: usize = 1024;

/// The handler of one context: its domains, shared with the thread that answers.
pub(crate) struct Zap {
    domains: Mutex<FxHashMap<String, Arc<Domain>>>,
    next: AtomicU64,
}

/// One CURVE server socket's domain: whom it admits and what was refused.
#[derive(Debug)]
pub(crate) struct Domain {
    /// `None`: every client that completes the handshake (encrypted, not authenticated).
    allowed: Option<Mutex<AllowedKeys>>,
    refused: AtomicU64,
    admitted: AtomicU64,
}

impl Domain {
    /// Handshakes the handler refused (a key not allowed).
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Handshakes the handler admitted.
    #[cfg(test)]
    pub(crate) fn admitted(&self) -> u64 {
        self.admitted.load(Ordering::Relaxed)
    }
}

/// A domain registered for one socket; dropping it forgets the domain, after which the
/// handler refuses whatever still asks for it.
pub(crate) struct DomainGuard {
    zap: Arc<Zap>,
    name: String,
    domain: Arc<Domain>,
}

impl DomainGuard {
    /// The name to give the socket as its `ZMQ_ZAP_DOMAIN`.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn domain(&self) -> &Domain {
        &self.domain
    }
}

impl Drop for DomainGuard {
    fn drop(&mut self) {
        self.zap.lock().remove(&self.name);
    }
}

impl Zap {
    /// Binds the handler's socket on `context` and starts its thread. Fails if something
    /// else is bound there already.
    pub(crate) fn start(context: &zmq::Context) -> Result<Arc<Zap>, Error> {
        let fail = |what: &'static str| move |e| Error::zmq(format!("ZAP handler: {what}"), e);
        let socket = context.socket(zmq::REP).map_err(fail("socket"))?;
        socket.set_linger(0).map_err(fail("linger"))?;
        socket.bind(ZAP_ENDPOINT).map_err(fail("bind"))?;
        // SAFETY: the raw socket comes from `into_raw`, which gave up ownership of it; the new
        // `Socket` owns it alone. It holds no clone of the context, so the context can be
        // terminated while the thread waits, which is how the thread learns to end.
        let socket = unsafe { zmq::Socket::from_raw(socket.into_raw()) };
        let zap = Arc::new(Zap {
            domains: Mutex::new(FxHashMap::default()),
            next: AtomicU64::new(1),
        });
        let serving = Arc::clone(&zap);
        std::thread::Builder::new()
            .name("dripdrop-zap".into())
            .spawn(move || serving.serve(socket))
            .map_err(|e| Error::InvalidArgument(format!("cannot start the ZAP handler: {e}")))?;
        Ok(zap)
    }

    /// A new domain admitting everyone (`allowed` None) or the keys of a directory.
    pub(crate) fn register(self: &Arc<Self>, allowed: Option<AllowedKeys>) -> DomainGuard {
        let name = format!("dripdrop.{}", self.next.fetch_add(1, Ordering::Relaxed));
        let domain = Arc::new(Domain {
            allowed: allowed.map(Mutex::new),
            refused: AtomicU64::new(0),
            admitted: AtomicU64::new(0),
        });
        self.lock().insert(name.clone(), Arc::clone(&domain));
        DomainGuard {
            zap: Arc::clone(self),
            name,
            domain,
        }
    }

    fn lock(&self) -> MutexGuard<'_, FxHashMap<String, Arc<Domain>>> {
        // A poisoned lock only means a thread panicked holding it; the map is still whole.
        self.domains
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Answers requests until the context is terminated.
    fn serve(&self, socket: zmq::Socket) {
        loop {
            let frames = match read_request(&socket) {
                Ok(frames) => frames,
                Err(zmq::Error::ETERM) => return,
                // Interrupted by a signal: the request is still there.
                Err(zmq::Error::EINTR) => continue,
                Err(_) => return,
            };
            let reply = self.answer(&frames, Instant::now());
            let version_and_id = [b"1.0".as_slice(), frames.get(1).map_or(&[], Vec::as_slice)];
            let frames = version_and_id.into_iter().chain([
                reply.code.as_bytes(),
                reply.text.as_bytes(),
                reply.user.as_bytes(),
                b"".as_slice(),
            ]);
            if let Err(zmq::Error::ETERM) = socket.send_multipart(frames, 0) {
                return;
            }
        }
    }

    /// The status of one request: `[version, id, domain, address, identity, mechanism,
    /// credentials...]`.
    fn answer(&self, frames: &[Vec<u8>], now: Instant) -> Reply {
        let refuse = |text| Reply {
            code: "400",
            text,
            user: String::new(),
        };
        if frames.len() < 6 || frames.len() > MAX_FRAMES || frames[0] != b"1.0" {
            return Reply {
                code: "500",
                text: "malformed ZAP request",
                user: String::new(),
            };
        }
        let domain = String::from_utf8_lossy(&frames[2]);
        let Some(domain) = self.lock().get(domain.as_ref()).cloned() else {
            return refuse("unknown domain");
        };
        let key: Option<[u8; KEY_BYTES]> = match (&frames[5][..], frames.get(6)) {
            (b"CURVE", Some(key)) => key.as_slice().try_into().ok(),
            _ => None,
        };
        let admitted = key.filter(|key| match &domain.allowed {
            None => true,
            Some(allowed) => allowed
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .admits(key, now),
        });
        match admitted {
            Some(key) => {
                domain.admitted.fetch_add(1, Ordering::Relaxed);
                // czmq's zauth gives the client's key as its user id too.
                Reply {
                    code: "200",
                    text: "OK",
                    user: z85(&key),
                }
            }
            None => {
                domain.refused.fetch_add(1, Ordering::Relaxed);
                refuse("client key not allowed")
            }
        }
    }
}

struct Reply {
    code: &'static str,
    text: &'static str,
    user: String,
}

/// Reads one request whole; frames past [`MAX_FRAMES`] are read and dropped (the request
/// then reads as malformed), and each frame is cut to [`MAX_FRAME_BYTES`].
fn read_request(socket: &zmq::Socket) -> Result<Vec<Vec<u8>>, zmq::Error> {
    let mut frames = Vec::new();
    let mut frame = zmq::Message::new();
    loop {
        socket.recv(&mut frame, 0)?;
        if frames.len() <= MAX_FRAMES {
            frames.push(frame[..frame.len().min(MAX_FRAME_BYTES)].to_vec());
        }
        if !frame.get_more() {
            return Ok(frames);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(domain: &str, key: &[u8]) -> Vec<Vec<u8>> {
        let mut frames: Vec<Vec<u8>> = ["1.0", "7", domain, "127.0.0.1", "", "CURVE"]
            .iter()
            .map(|f| f.as_bytes().to_vec())
            .collect();
        frames.push(key.to_vec());
        frames
    }

    #[test]
    fn domains_admit_and_refuse_and_count() {
        let zap = Arc::new(Zap {
            domains: Mutex::new(FxHashMap::default()),
            next: AtomicU64::new(1),
        });
        let open = zap.register(None);
        let now = Instant::now();
        let reply = zap.answer(&request(open.name(), &[1; 32]), now);
        assert_eq!(reply.code, "200");
        assert_eq!(open.domain().admitted(), 1);
        let dir = std::env::temp_dir().join(format!("dripdrop-zap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let alice = super::super::Certificate::generate().unwrap();
        alice.save(dir.join("alice"), false).unwrap();
        let closed = zap.register(Some(AllowedKeys::open(&dir, Vec::new()).unwrap()));
        assert_eq!(
            zap.answer(&request(closed.name(), alice.public_key()), now)
                .code,
            "200"
        );
        assert_eq!(
            zap.answer(&request(closed.name(), &[2; 32]), now).code,
            "400"
        );
        assert_eq!(
            zap.answer(&request(closed.name(), &[2; 5]), now).code,
            "400"
        );
        assert_eq!(closed.domain().refused(), 2);
        let name = closed.name().to_owned();
        drop(closed);
        assert_eq!(
            zap.answer(&request(&name, alice.public_key()), now).code,
            "400"
        );
        assert_eq!(
            zap.answer(&request(&name, alice.public_key())[..4], now)
                .code,
            "500"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
