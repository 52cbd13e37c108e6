//! `pool_to_pool`: any frame a worker may send its pool (READY, RESULT, RESULTS, HEARTBEAT,
//! DISCONNECT), read as the pool reads it.
//!
//! - memory within the documented bound, the result values built too;
//! - the fast reading of results agrees with the general one (the whole frame decoded into a
//!   tuple, then its fields): a frame the general reading takes reads the same; a frame it
//!   refuses is refused, or (a RESULT's value is read only when the result is taken) reads
//!   as a result whose outcome is the pool's `DecodeError`;
//! - READY and results read back from what the writers write of them.

use crate::alloc::{assert_within, peak_during};
use dripdrop::fuzzing::pool::{to_pool, to_pool_generic, write_ready, write_results, ToPool};
use dripdrop::DecodeLimits;

pub fn check(data: &[u8]) {
    let limits = DecodeLimits::DEFAULT;
    let (fast, peak) = peak_during(|| to_pool(data, &limits));
    assert_within("ToPool::decode", data.len(), limits.max_depth, peak);

    match to_pool_generic(data, &limits) {
        Ok(generic) => assert_eq!(fast.as_ref(), Ok(&generic), "fast and general differ"),
        Err(why) => {
            let unread_value = matches!(&fast, Ok(ToPool::Results(entries))
                if entries.iter().any(|(_, r)| matches!(r, Err(e) if e.class == "DecodeError")));
            assert!(
                fast.is_err() || unread_value,
                "the general reading refuses ({why}) what the fast one reads: {fast:?}"
            );
        }
    }

    match fast {
        Ok(ToPool::Ready {
            concurrency,
            tasks,
            heartbeat_ms,
            info,
        }) => {
            // Info the encoder refuses (an atom beyond Latin-1) cannot be written back.
            let writable = dripdrop::bert::encode(&info).is_ok();
            let names: Vec<&str> = tasks.iter().map(String::as_str).collect();
            let bytes = write_ready(concurrency, &names, heartbeat_ms, info.clone());
            let ready = ToPool::Ready {
                concurrency,
                tasks,
                heartbeat_ms,
                info,
            };
            if writable {
                assert_eq!(
                    to_pool(&bytes, &limits),
                    Ok(ready),
                    "READY does not read back"
                );
            }
        }
        Ok(ToPool::Results(results)) => {
            if let Ok(bytes) = write_results(&results) {
                let again = to_pool(&bytes, &limits);
                assert_eq!(
                    again,
                    Ok(ToPool::Results(results)),
                    "results do not read back"
                );
            }
        }
        _ => {}
    }
}
