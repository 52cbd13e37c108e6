/* Every error path a C program can provoke, each checked for its status and message:
 * NULL arguments, bad addresses and kinds, garbage frames, sending on a receive-only
 * route, duplicate and unknown routes and pools, bad values, backpressure, missing timers,
 * constants that name nothing, options that contradict each other, raw and DripDrop calls
 * on the wrong kind of route, a node's loop run from its own callback; and the "no value"
 * answers that are not errors (a missing key is NULL). Prints "ok <check>: ..." for each
 * and counts the surprises. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dripdrop.h"

static int failures = 0;

static void expect(const char *check, dd_status got, dd_status wanted, const char *in_message) {
    const char *message = dd_last_error_message();
    if (got != wanted || (in_message != NULL && strstr(message, in_message) == NULL)) {
        printf("FAIL %s: got %s (%s), wanted %s with \"%s\"\n", check, dd_status_name(got), message,
               dd_status_name(wanted), in_message ? in_message : "");
        failures++;
        return;
    }
    printf("ok %s: %s: %s\n", check, dd_status_name(got), message);
}

static void ignore_result(void *userdata, dd_node *node, const dd_value *result, const dd_error *error) {
    (void)userdata;
    (void)node;
    (void)result;
    (void)error;
}

static void expect_true(const char *check, int ok, const char *detail) {
    if (!ok) {
        printf("FAIL %s: %s\n", check, detail);
        failures++;
        return;
    }
    printf("ok %s: %s\n", check, detail);
}

static void must(dd_status status, const char *what) {
    if (status != DD_OK) {
        fprintf(stderr, "errors: setting up %s: %s\n", what, dd_last_error_message());
        exit(1);
    }
}

/* Route options that contradict each other or cannot be read. */
static void check_route_options(void) {
    dd_node *node = NULL;
    const char *bind[] = {"tcp://127.0.0.1:*"};
    dd_route_options options;
    must(dd_node_new(NULL, &node), "node");
    must(dd_route_options_default(&options), "route options");
    expect_true("route defaults are core's",
                options.linger_ms == 1000 && options.send_queue == 10000 && options.request_timeout_ms == -1 &&
                    !options.raw && options.max_frame_bytes == 64 * 1024 * 1024,
                "linger 1000 ms, send queue 10000, no request timeout, not raw, frames up to 64 MiB");
    options.max_frame_bytes = 0;
    expect("zero frame bound", dd_node_route(node, "s", "zmq_subscribe", bind, 1, "bind", &options),
           DD_ERR_INVALID_ARGUMENT, "max_frame_bytes");
    options.max_frame_bytes = -1;
    options.topic_prefix = "cpu.";
    options.topic_regex = "^cpu";
    expect("topic prefix and regex", dd_node_route(node, "s", "zmq_subscribe", bind, 1, "bind", &options),
           DD_ERR_INVALID_ARGUMENT, "both set");
    options.topic_prefix = NULL;
    options.topic_regex = "(";
    expect("bad topic regex", dd_node_route(node, "s", "zmq_subscribe", bind, 1, "bind", &options),
           DD_ERR_INVALID_ARGUMENT, "regex");
    dd_node_options node_options;
    dd_node *other = NULL;
    must(dd_node_options_default(&node_options), "node options");
    expect_true("node defaults are core's", node_options.defer_threads == 20 && node_options.stop_linger_ms == 1000,
                "20 defer threads, stop linger 1000 ms");
    node_options.run_list_count = 1; /* and no names */
    expect("run list count without names", dd_node_new(&node_options, &other), DD_ERR_NULL, "run_list is NULL");
    dd_node_free(node);
}

/* Raw routes take frames, DripDrop routes take messages: each refuses the other's calls. */
static void ignore_frames(void *userdata, dd_node *node, const uint8_t *const *frames, const size_t *lens,
                          size_t count) {
    (void)userdata;
    (void)node;
    (void)frames;
    (void)lens;
    (void)count;
}

static void ignore_message(void *userdata, dd_node *node, const dd_message *msg) {
    (void)userdata;
    (void)node;
    (void)msg;
}

static void check_raw_routes(void) {
    dd_node *node = NULL;
    const char *bind[] = {"tcp://127.0.0.1:*"};
    dd_route_options raw;
    dd_message *msg = NULL;
    const uint8_t *frames[] = {(const uint8_t *)"x"};
    const size_t lens[] = {1};
    must(dd_node_new(NULL, &node), "node");
    must(dd_route_options_default(&raw), "route options");
    raw.raw = true;
    must(dd_node_route(node, "raw_out", "zmq_push", bind, 1, "bind", &raw), "raw push route");
    must(dd_node_route(node, "raw_in", "zmq_pull", bind, 1, "bind", &raw), "raw pull route");
    must(dd_node_route(node, "out", "zmq_push", bind, 1, "bind", NULL), "push route");
    must(dd_node_route(node, "in", "zmq_pull", bind, 1, "bind", NULL), "pull route");
    must(dd_message_new("hello", &msg), "message");
    expect("message on a raw route", dd_node_send_message(node, "raw_out", msg), DD_ERR_WRONG_KIND, "send_frames");
    expect("frames on a DripDrop route", dd_node_send_frames(node, "out", frames, lens, 1), DD_ERR_WRONG_KIND,
           "msg_format raw");
    expect("on_receive on a raw route", dd_node_on_receive(node, "raw_in", ignore_message, NULL, NULL),
           DD_ERR_WRONG_KIND, "on_frames");
    expect("on_frames on a DripDrop route", dd_node_on_frames(node, "in", ignore_frames, NULL, NULL),
           DD_ERR_WRONG_KIND, "msg_format raw");
    expect("frames with NULL lengths", dd_node_send_frames(node, "raw_out", frames, NULL, 1), DD_ERR_NULL,
           "lens is NULL");
    expect("a message of no frames", dd_node_send_frames(node, "raw_out", NULL, NULL, 0), DD_ERR_INVALID_ARGUMENT,
           "at least one frame");
    dd_message_free(msg);
    dd_node_free(node);
}

/* From inside its own loop, a node cannot be run again, nor freed. */
typedef struct {
    dd_status rerun_status;
    char rerun_message[256];
    char free_message[256];
} reentry;

static void run_again_and_free(void *userdata, dd_node *node) {
    reentry *r = userdata;
    r->rerun_status = dd_node_run(node);
    snprintf(r->rerun_message, sizeof r->rerun_message, "%s", dd_last_error_message());
    dd_node_free(node); /* left alone: the node is running */
    snprintf(r->free_message, sizeof r->free_message, "%s", dd_last_error_message());
    must(dd_node_stop(node), "stop");
}

static void check_loop_from_its_own_callback(void) {
    dd_node *node = NULL;
    reentry r = {DD_OK, "", ""};
    must(dd_node_new(NULL, &node), "node");
    must(dd_node_next_tick(node, run_again_and_free, &r, NULL, NULL), "next_tick");
    must(dd_node_run(node), "run");
    expect_true("run from its own callback",
                r.rerun_status == DD_ERR_WRONG_THREAD && strstr(r.rerun_message, "runs already") != NULL,
                r.rerun_message);
    expect_true("free from its own callback", strstr(r.free_message, "dd_node_free") != NULL, r.free_message);
    dd_node_free(node);
}

/* Status names and class words, and numbers that name no status. */
static void check_status_words(void) {
    expect_true("status name", strcmp(dd_status_name(DD_ERR_ZMQ), "DD_ERR_ZMQ") == 0, dd_status_name(DD_ERR_ZMQ));
    expect_true("class of DD_ERR_NO_SUCH_POOL", strcmp(dd_status_class(DD_ERR_NO_SUCH_POOL), "NoSuchPool") == 0,
                "NoSuchPool");
    expect_true("class of DD_ERR_WRONG_THREAD", strcmp(dd_status_class(DD_ERR_WRONG_THREAD), "WrongThread") == 0,
                "WrongThread");
    expect_true("class of DD_ERR_WRONG_KIND", strcmp(dd_status_class(DD_ERR_WRONG_KIND), "RouteError") == 0,
                "RouteError");
    expect_true("no class for DD_OK", dd_status_class(DD_OK) == NULL, "NULL");
    /* (The message is read after the call: it is replaced by each failing call.) */
    const char *name = dd_status_name(99);
    expect_true("name of a number that is no status", name == NULL, dd_last_error_message());
    const char *class_word = dd_status_class(99);
    expect_true("class of a number that is no status", class_word == NULL, dd_last_error_message());
}

int main(void) {
    dd_node *node = NULL;
    dd_value *value = NULL;
    dd_message *msg = NULL;
    const char *bind[] = {"tcp://127.0.0.1:*"};

    /* NULL handles and out-pointers. */
    expect("null node", dd_node_run(NULL), DD_ERR_NULL, "node is NULL");
    expect("null out", dd_node_new(NULL, NULL), DD_ERR_NULL, "out pointer is NULL");
    expect("null name", dd_message_new(NULL, &msg), DD_ERR_NULL, "name is NULL");
    expect("null value", dd_value_encode(NULL, NULL), DD_ERR_NULL, "value is NULL");
    dd_node_free(NULL); /* does nothing */
    dd_value_free(NULL);
    dd_message_free(NULL);
    dd_bytes_free(NULL);

    must(dd_node_new(NULL, &node), "node");

    /* Routes. */
    expect("bad address", dd_node_route(node, "r", "zmq_push", (const char *[]){"nonsense://x"}, 1, "bind", NULL),
           DD_ERR_ZMQ, "bind nonsense://x");
    expect("unknown kind", dd_node_route(node, "r", "zmq_teleport", bind, 1, "bind", NULL),
           DD_ERR_INVALID_ARGUMENT, "zmq_teleport");
    expect("unknown mode", dd_node_route(node, "r", "zmq_push", bind, 1, "borrow", NULL),
           DD_ERR_INVALID_ARGUMENT, "borrow");
    expect("no address", dd_node_route(node, "r", "zmq_push", bind, 0, "bind", NULL), DD_ERR_INVALID_ARGUMENT,
           "at least one address");
    must(dd_node_route(node, "in", "zmq_pull", bind, 1, "bind", NULL), "pull route");
    expect("duplicate route", dd_node_route(node, "in", "zmq_pull", bind, 1, "bind", NULL), DD_ERR_DUPLICATE_ROUTE,
           "\"in\"");

    must(dd_message_new("hello", &msg), "message");
    expect("send on a pull route", dd_node_send_message(node, "in", msg), DD_ERR_WRONG_KIND, "does not send");
    expect("no such route", dd_node_send_message(node, "nowhere", msg), DD_ERR_NO_SUCH_ROUTE, "nowhere");

    /* A push route with nobody connected takes one message into its queue, then refuses. */
    dd_route_options options;
    must(dd_route_options_default(&options), "route options");
    options.send_queue = 1;
    must(dd_node_route(node, "out", "zmq_push", bind, 1, "bind", &options), "push route");
    must(dd_node_send_message(node, "out", msg), "first send");
    expect("backpressure", dd_node_send_message(node, "out", msg), DD_ERR_BACKPRESSURE, "queue full");

    /* Messages and values. */
    dd_message *bad = NULL;
    expect("empty message name", dd_message_new("", &bad), DD_ERR_MESSAGE, "empty");
    expect("frame not a message", dd_message_decode((const uint8_t *)"\x83\x6a", 2, &bad), DD_ERR_MESSAGE,
           "expected a dict of name, head and body");
    const uint8_t garbage[] = {131, 200, 1, 2, 3};
    expect("garbage frame", dd_value_decode(garbage, sizeof garbage, &value), DD_ERR_DECODE, "at byte 1: unknown tag 200");
    expect("empty frame", dd_message_decode(garbage, 0, &bad), DD_ERR_DECODE, NULL);
    expect("NaN", dd_value_float(NAN, &value), DD_ERR_INVALID_ARGUMENT, "finite");
    expect("bad UTF-8", dd_value_string("\xff\xfe", &value), DD_ERR_INVALID_ARGUMENT, "UTF-8");
    must(dd_value_int(7, &value), "int");
    int64_t n = 0;
    double f = 0;
    expect("wrong kind of value", dd_value_get_float(value, &f), DD_ERR_INVALID_ARGUMENT, "not a float");
    dd_value *item = NULL;
    must(dd_value_nil(&item), "nil");
    expect("push into an int", dd_value_push(value, item), DD_ERR_INVALID_ARGUMENT, "list or tuple");
    dd_value_free(item); /* still ours: the push failed */
    dd_value_free(value);
    must(dd_value_dict(&value), "dict");
    /* A missing key is no value, not an error: DD_OK and NULL. */
    const dd_value *found = value;
    must(dd_value_dict_find(value, "nope", &found), "find a missing key");
    expect_true("missing key", found == NULL, "DD_OK and NULL");
    found = value;
    must(dd_message_head_get(msg, "nope", &found), "get a missing head entry");
    expect_true("missing head entry", found == NULL, "DD_OK and NULL");
    dd_value_free(value);
    must(dd_value_list(&value), "list");
    expect("index past the end", dd_value_at(value, 3, &found), DD_ERR_NOT_FOUND, "no item 3 of 0");
    dd_value_free(value);
    (void)n;

    /* Timers, pools, tasks. */
    expect("unknown timer", dd_node_cancel_timer(node, 12345), DD_ERR_NOT_FOUND, "12345");
    must(dd_value_nil(&value), "nil");
    expect("null callback", dd_pool_defer(node, "nopool", "t", value, 0, NULL, NULL, NULL, NULL), DD_ERR_NULL,
           "cb is NULL");
    expect("no such pool", dd_pool_defer(node, "nopool", "t", value, 0, ignore_result, NULL, NULL, NULL),
           DD_ERR_NO_SUCH_POOL, "nopool");
    dd_pool_options pool_options;
    must(dd_pool_options_default(&pool_options), "pool options");
    expect("pool without workers or threads", dd_node_worker_pool(node, "p", &pool_options, NULL),
           DD_ERR_INVALID_ARGUMENT, "local_threads");
    pool_options.placement = 7;
    expect("placement that names nothing", dd_node_worker_pool(node, "p", &pool_options, NULL),
           DD_ERR_INVALID_ARGUMENT, "placement 7");
    pool_options.placement = DD_PLACEMENT_REMOTE;
    expect("remote placement without an address", dd_node_worker_pool(node, "p", &pool_options, NULL),
           DD_ERR_INVALID_ARGUMENT, "bind address");
    expect("cancel in a missing pool", dd_pool_cancel(node, "nopool", 1), DD_ERR_NO_SUCH_POOL, "nopool");
    pool_options.placement = DD_PLACEMENT_LOCAL;
    pool_options.local_threads = 1;
    must(dd_node_worker_pool(node, "p", &pool_options, NULL), "local pool");
    expect("cancel a task that is not there", dd_pool_cancel(node, "p", 99), DD_ERR_NOT_FOUND, "99");
    dd_value_free(value);

    dd_worker *worker = NULL;
    dd_worker_options worker_options;
    must(dd_worker_options_default(&worker_options), "worker options");
    worker_options.heartbeat_ms = 0;
    expect("worker heartbeat 0", dd_worker_new((const char *[]){"tcp://127.0.0.1:1"}, 1, &worker_options, &worker),
           DD_ERR_INVALID_ARGUMENT, "heartbeat");

    worker_options.heartbeat_ms = 1000;
    expect("worker without addresses", dd_worker_new(NULL, 0, &worker_options, &worker), DD_ERR_INVALID_ARGUMENT,
           "at least one address");

    check_route_options();
    check_raw_routes();
    check_loop_from_its_own_callback();
    check_status_words();


    dd_message_free(msg);
    dd_node_free(node);
    if (failures > 0) {
        printf("%d checks failed\n", failures);
        return 1;
    }
    printf("all error paths checked\n");
    return 0;
}
