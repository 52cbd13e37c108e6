//! Raw routes (`dd_route_options.raw`): frames passed untouched both ways, for peers that do
//! not speak DripDrop. Frames travel as C lists: an array of data pointers and an array of
//! lengths, `count` of each, the same shape in and out, so a received set can be sent on as
//! it is.

use crate::callback::{dd_free_cb, Userdata};
use crate::guard::{byte_range, callback, guard, invalid, items, text};
use crate::node::{dd_node, with_node, NodeLoan};
use crate::status::dd_status;
use std::ffi::{c_char, c_void};

/// Called with the frames a raw route received: `count` frames, frame `i` being `lens[i]`
/// bytes at `frames[i]`, all borrowed for the call.
pub type dd_frames_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        node: *mut dd_node,
        frames: *const *const u8,
        lens: *const usize,
        count: usize,
    ),
>;

/// Calls `cb` on the node's thread with the frames of every message a raw route receives.
#[no_mangle]
pub extern "C" fn dd_node_on_frames(
    node: *mut dd_node,
    route: *const c_char,
    cb: dd_frames_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let cb = callback(cb, "cb")?;
        let route = text(route, "route")?;
        let loan = NodeLoan::of(node)?;
        with_node(node, |node| {
            node.on_frames(route, move |node, frames| {
                let data: Vec<*const u8> = frames.iter().map(|f| f.as_ptr()).collect();
                let lens: Vec<usize> = frames.iter().map(Vec::len).collect();
                // SAFETY: the C callback, on the node's thread; both arrays and the frames
                // they point to live until it returns.
                loan.call(node, |node| unsafe {
                    cb(
                        userdata.get(),
                        node,
                        data.as_ptr(),
                        lens.as_ptr(),
                        frames.len(),
                    )
                });
            })?;
            Ok(())
        })
    })
}

/// Sends `count` frames (at least one) on a raw route as one message, frame `i` being
/// `lens[i]` bytes at `frames[i]` (copied; NULL is fine for a frame of length 0). Never
/// blocks: a full route refuses with `DD_ERR_BACKPRESSURE`.
#[no_mangle]
pub extern "C" fn dd_node_send_frames(
    node: *mut dd_node,
    route: *const c_char,
    frames: *const *const u8,
    lens: *const usize,
    count: usize,
) -> dd_status {
    guard(|| {
        let route = text(route, "route")?;
        // ZeroMQ has no message of no frames: core would count one sent and send nothing.
        if count == 0 {
            return Err(invalid("a message needs at least one frame"));
        }
        let data = items(frames, count, "frames")?;
        let lens = items(lens, count, "lens")?;
        let copies = data
            .iter()
            .zip(lens)
            .map(|(&pointer, &len)| byte_range(pointer, len, "frame").map(<[u8]>::to_vec))
            .collect::<crate::guard::Result<Vec<Vec<u8>>>>()?;
        with_node(node, |node| Ok(node.send_frames(route, copies)?))
    })
}
