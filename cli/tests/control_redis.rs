//! `dripdrop control --redis` against a real redis-server (one per test, on a port of its
//! own): the keys of docs/control.md ("Redis") hold the exact counters, states and events;
//! an outage of Redis leaves the server serving and is caught up; a restarted server gets
//! its event log back. Every wait polls against a deadline.

#[path = "support/control.rs"]
mod control;
#[path = "support/redis.rs"]
mod redis_server;

use control::{Control, Reporter};
use redis::Connection;
use redis_server::RedisServer;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long any wait may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(20);
/// Between two polls: about as often as a test process beats.
const POLL: Duration = Duration::from_millis(100);

/// Polls `check` until it gives something, doing `meanwhile` between polls; fails the test
/// after [`PATIENCE`], saying `what`. Returns what it gave and how long it took.
fn wait_until<T>(
    what: &str,
    mut check: impl FnMut() -> Option<T>,
    mut meanwhile: impl FnMut(),
) -> (T, Duration) {
    let start = Instant::now();
    loop {
        if let Some(found) = check() {
            return (found, start.elapsed());
        }
        assert!(start.elapsed() < PATIENCE, "waited {PATIENCE:?} for {what}");
        meanwhile();
        std::thread::sleep(POLL);
    }
}

fn hget(redis: &mut Connection, key: &str, field: &str) -> Option<String> {
    redis::cmd("HGET")
        .arg(key)
        .arg(field)
        .query(redis)
        .expect("HGET")
}

fn hgetall(redis: &mut Connection, key: &str) -> HashMap<String, String> {
    redis::cmd("HGETALL")
        .arg(key)
        .query(redis)
        .expect("HGETALL")
}

fn minute_keys(redis: &mut Connection, route: &str) -> Vec<String> {
    redis::cmd("KEYS")
        .arg(format!("dripdrop:minute:{route}:*"))
        .query(redis)
        .expect("KEYS")
}

/// A field of a route's minute totals, summed over the minutes there are (the beats of a
/// test may straddle a minute).
fn minute_total(redis: &mut Connection, route: &str, field: &str) -> u64 {
    minute_keys(redis, route)
        .iter()
        .map(|key| hget(redis, key, field).map_or(0, |v| v.parse::<u64>().expect("a number")))
        .sum()
}

fn events(redis: &mut Connection) -> Vec<Json> {
    let texts: Vec<String> = redis::cmd("LRANGE")
        .arg("dripdrop:events")
        .arg(0)
        .arg(-1)
        .query(redis)
        .expect("LRANGE");
    texts
        .iter()
        .map(|t| serde_json::from_str(t).expect("an event is JSON"))
        .collect()
}

#[test]
fn counters_reach_redis_exactly_with_the_process_its_ttl_and_a_minute_total() {
    let redis = RedisServer::start();
    let mut db = redis.connection();
    let control = Control::start(&["--redis", &redis.url()]);
    let id = "testhost:1:counted";
    let process = Reporter::connect(&control, id);
    let route = format!("dripdrop:route:{id}:out");
    let (_, took) = wait_until(
        "msgs_out 10000 in Redis",
        || (hget(&mut db, &route, "msgs_out")? == "10000").then_some(()),
        || process.beat(10_000),
    );
    eprintln!("counters in Redis {took:?} after the first beat");
    let counters = hgetall(&mut db, &route);
    assert_eq!(counters["bytes_out"], "100000");
    assert_eq!(counters["msgs_in"], "0");
    assert_eq!(counters["backpressure"], "3");
    assert_eq!(counters["queue_depth"], "2");
    let members: Vec<String> = redis::cmd("SMEMBERS")
        .arg("dripdrop:processes")
        .query(&mut db)
        .unwrap();
    assert_eq!(members, [id]);
    let key = format!("dripdrop:process:{id}");
    let hash = hgetall(&mut db, &key);
    assert_eq!(
        (
            hash["role"].as_str(),
            hash["host"].as_str(),
            hash["pid"].as_str()
        ),
        ("worker", "testhost", "42")
    );
    assert_eq!(hash["state"], "up");
    assert_eq!(hash["language"], "rust");
    assert!(hash["last_beat"].ends_with('Z'), "{hash:?}");
    for key in [&key, &route] {
        let ttl: i64 = redis::cmd("TTL").arg(key).query(&mut db).unwrap();
        assert!((1..=60).contains(&ttl), "TTL of {key}: {ttl}");
    }
    // The first beat was the process's first (seq 0): all of it is in the minute's totals,
    // and the beats after it, with the same counters, add nothing. The beats may straddle a
    // minute, so the totals are summed over the minutes there are.
    assert_eq!(minute_total(&mut db, "out", "msgs_out"), 10_000);
    let minutes = minute_keys(&mut db, "out");
    let ttl: i64 = redis::cmd("TTL").arg(&minutes[0]).query(&mut db).unwrap();
    assert!(ttl > 23 * 3600 && ttl <= 24 * 3600 + 60, "minute TTL {ttl}");
    assert!(control.metric("dripdrop_control_redis_writes_total") >= Some(1));
    assert_eq!(control.metric("dripdrop_control_redis_up"), Some(1));
    assert_eq!(
        control.metric("dripdrop_control_redis_failures_total"),
        Some(0)
    );
}

#[test]
fn a_silent_process_and_a_killed_one_say_so_in_redis_within_4_s() {
    let redis = RedisServer::start();
    let mut db = redis.connection();
    let control = Control::start(&["--redis", &redis.url()]);
    let (silent, killed) = ("testhost:2:silent", "testhost:3:killed");
    let a = Reporter::connect(&control, silent);
    let b = Reporter::connect(&control, killed);
    let state =
        |db: &mut Connection, id: &str| hget(db, &format!("dripdrop:process:{id}"), "state");
    wait_until(
        "both up in Redis",
        || (state(&mut db, silent)? == "up" && state(&mut db, killed)? == "up").then_some(()),
        || {
            a.beat(1);
            b.beat(1);
        },
    );
    // `a` stops reporting, its connection open: unreachable. `b`'s connection closes
    // without a goodbye, as a killed process's does: down.
    drop(b);
    let (_, took) = wait_until(
        "the states in Redis",
        || {
            let both = (state(&mut db, silent)?, state(&mut db, killed)?);
            (both == ("unreachable".into(), "down".into())).then_some(())
        },
        || {},
    );
    eprintln!("unreachable and down in Redis {took:?} after the last beat");
    assert!(took < Duration::from_secs(4), "after {took:?}");
    let (went, _) = wait_until(
        "both changes in dripdrop:events",
        || {
            let went: Vec<(String, String)> = events(&mut db)
                .iter()
                .filter(|e| e["from"] == "up")
                .map(|e| {
                    (
                        e["id"].as_str().unwrap().into(),
                        e["to"].as_str().unwrap().into(),
                    )
                })
                .collect();
            (went.len() == 2).then_some(went)
        },
        || {},
    );
    assert!(
        went.contains(&(silent.into(), "unreachable".into())),
        "{went:?}"
    );
    assert!(went.contains(&(killed.into(), "down".into())), "{went:?}");
    // Newest first, each one JSON with the API's fields.
    let newest = &events(&mut db)[0];
    assert!(newest["at"].as_str().is_some_and(|at| at.ends_with('Z')));
    assert_eq!(newest["role"], "worker");
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("dripdrop:process:{silent}"))
        .query(&mut db)
        .unwrap();
    assert!((1..=60).contains(&ttl), "the hash still expires: {ttl}");
    drop(a);
}

#[test]
fn a_redis_outage_of_10_s_leaves_the_api_serving_and_is_caught_up() {
    let mut redis = RedisServer::start();
    let mut control = Control::start(&["--redis", &redis.url()]);
    let id = "testhost:4:outage";
    let process = Reporter::connect(&control, id);
    let route = format!("dripdrop:route:{id}:out");
    {
        let mut db = redis.connection();
        wait_until(
            "msgs_out 1000 in Redis",
            || (hget(&mut db, &route, "msgs_out")? == "1000").then_some(()),
            || process.beat(1000),
        );
    }
    redis.kill();
    let down_at = Instant::now();
    // Ten seconds without Redis: the process keeps beating, and the API keeps answering
    // with its newest counters.
    while down_at.elapsed() < Duration::from_secs(10) {
        process.beat(2000);
        let processes = control.json("/api/processes");
        let row = &processes["processes"][0];
        assert_eq!(row["id"], id);
        assert_eq!(row["state"], "up", "{row}");
        assert!(control.still_running());
        std::thread::sleep(POLL);
    }
    assert_eq!(
        control.json("/api/processes")["processes"][0]["routes"][0]["msgs_out"],
        2000
    );
    assert_eq!(control.metric("dripdrop_control_redis_up"), Some(0));
    let failures = control.metric("dripdrop_control_redis_failures_total");
    assert!(failures >= Some(2), "failures {failures:?}");
    // A Redis that restarted comes back empty: the server writes everything again.
    redis.restart();
    let back_at = Instant::now();
    let mut db = redis.connection();
    let (_, took) = wait_until(
        "msgs_out 2000 in Redis again",
        || (hget(&mut db, &route, "msgs_out")? == "2000").then_some(()),
        || process.beat(2000),
    );
    eprintln!("caught up {took:?} after Redis came back");
    assert!(took < Duration::from_secs(10), "caught up after {took:?}");
    assert_eq!(
        hget(&mut db, &format!("dripdrop:process:{id}"), "state").as_deref(),
        Some("up")
    );
    let member: bool = redis::cmd("SISMEMBER")
        .arg("dripdrop:processes")
        .arg(id)
        .query(&mut db)
        .unwrap();
    assert!(member);
    wait_until(
        "redis_up 1",
        || (control.metric("dripdrop_control_redis_up")? == 1).then_some(()),
        || {},
    );
    // One line when the outage began and one when it ended, not one per attempt.
    let said = control.stderr();
    let about_redis: Vec<&String> = said.iter().filter(|l| l.contains("redis at")).collect();
    assert_eq!(about_redis.len(), 2, "{said:#?}");
    assert!(about_redis[0].contains("tries again"), "{said:#?}");
    assert!(about_redis[1].contains("back after"), "{said:#?}");
    eprintln!(
        "outage {:?}; stderr: {said:?}",
        back_at.duration_since(down_at)
    );
}

#[test]
fn a_stalled_redis_never_holds_up_the_api_and_is_caught_up_when_it_goes_on() {
    let redis = RedisServer::start();
    let control = Control::start(&["--redis", &redis.url()]);
    let id = "testhost:6:stalled";
    let process = Reporter::connect(&control, id);
    let route = format!("dripdrop:route:{id}:out");
    let mut db = redis.connection();
    wait_until(
        "msgs_out 1000 in Redis",
        || (hget(&mut db, &route, "msgs_out")? == "1000").then_some(()),
        || process.beat(1000),
    );
    // Redis hangs with the server's connection open: its writes time out instead of
    // failing at once. The API answers as quickly as ever meanwhile.
    redis.pause();
    let paused_at = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut seen_down = false;
    while paused_at.elapsed() < Duration::from_secs(4) {
        process.beat(2000);
        let asked = Instant::now();
        let processes = control.json("/api/processes");
        slowest = slowest.max(asked.elapsed());
        assert_eq!(processes["processes"][0]["state"], "up");
        seen_down |= control.metric("dripdrop_control_redis_up") == Some(0);
        std::thread::sleep(POLL);
    }
    eprintln!("slowest /api/processes while Redis hung: {slowest:?}");
    assert!(seen_down, "the stall was never noticed");
    assert!(slowest < Duration::from_millis(500), "{slowest:?}");
    redis.resume();
    let (_, took) = wait_until(
        "msgs_out 2000 in Redis",
        || (hget(&mut db, &route, "msgs_out")? == "2000").then_some(()),
        || process.beat(2000),
    );
    eprintln!("caught up {took:?} after Redis went on");
    // The increments of the write that hung were applied when Redis went on or written
    // again, never both: the minute totals are exact, and stay so over later writes.
    wait_until(
        "msgs_out 2000 in the minute totals",
        || (minute_total(&mut db, "out", "msgs_out") == 2000).then_some(()),
        || process.beat(2000),
    );
    let writes = control
        .metric("dripdrop_control_redis_writes_total")
        .unwrap();
    wait_until(
        "two writes more",
        || (control.metric("dripdrop_control_redis_writes_total")? >= writes + 2).then_some(()),
        || process.beat(2000),
    );
    assert_eq!(minute_total(&mut db, "out", "msgs_out"), 2000);
}

#[test]
fn a_restarted_control_server_gets_the_event_log_back_from_redis() {
    let redis = RedisServer::start();
    let mut db = redis.connection();
    let first = Control::start(&["--redis", &redis.url()]);
    let id = "testhost:5:before";
    let process = Reporter::connect(&first, id);
    wait_until(
        "the event in Redis",
        || events(&mut db).iter().any(|e| e["id"] == id).then_some(()),
        || process.beat(1),
    );
    drop(first);
    let second = Control::start(&["--redis", &redis.url()]);
    let (event, took) = wait_until(
        "the event from before the restart in /api/events",
        || {
            let log = second.json("/api/events");
            log["events"]
                .as_array()?
                .iter()
                .find(|e| e["id"] == id)
                .cloned()
        },
        || {},
    );
    eprintln!("event log back {took:?} after the start");
    assert_eq!(
        (event["from"].clone(), event["to"].clone()),
        (Json::Null, "up".into())
    );
    assert_eq!(event["role"], "worker");
    // Read back, not recorded again: Redis still has it once.
    let copies = events(&mut db).iter().filter(|e| e["id"] == id).count();
    assert_eq!(copies, 1);
}
