//! The seed corpus: real frames and requests, each made by the code that makes them in use —
//! DripDrop's own writers, Erlang's `term_to_binary`, the Ruby `bert` gem, curl, tungstenite's
//! client — so the fuzzer starts from what peers really send. `cargo run -p dripdrop-fuzz
//! --bin seeds` writes them into `fuzz/corpus/<target>/seed-<label>`.

mod control;
mod external;
mod pool;
mod values;
mod web;

use std::fs;
use std::io;
use std::path::Path;

/// One seed: a label for its file name, and its bytes.
pub type Seed = (String, Vec<u8>);

/// Every target's seeds.
pub fn all() -> io::Result<Vec<(&'static str, Vec<Seed>)>> {
    let erlang = external::erlang_frames()?;
    let ruby = external::ruby_frames()?;
    let mut bert = values::bert_frames();
    bert.extend(erlang.iter().cloned());
    bert.extend(ruby.iter().cloned());
    let mut message = values::message_frames();
    message.extend(ruby);
    message.extend(
        erlang
            .into_iter()
            .filter(|(label, _)| label.starts_with("erlang-message")),
    );
    let http = web::http_requests()?;
    let mut json = values::json_texts();
    json.extend(web::json_bodies(&http));
    Ok(vec![
        ("bert", bert),
        ("message", message),
        ("json", json),
        ("pool_to_pool", pool::to_pool()),
        ("pool_to_worker", pool::to_worker()),
        ("backchannel", control::frames()),
        ("http_request", http),
        ("websocket", web::websocket_sessions()),
        ("erlang_text", values::erlang_texts()),
    ])
}

/// Writes every seed under `root`, replacing the seeds there before (other files, such as
/// inputs a long run kept, stay). Returns how many it wrote.
pub fn write(root: &Path) -> io::Result<usize> {
    let mut written = 0;
    for (target, seeds) in all()? {
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            let is_seed = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("seed-"));
            if is_seed {
                fs::remove_file(path)?;
            }
        }
        for (label, bytes) in seeds {
            fs::write(dir.join(format!("seed-{label}")), bytes)?;
            written += 1;
        }
    }
    Ok(written)
}
