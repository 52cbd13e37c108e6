/* Every error path a C program can provoke, each checked for its status and message:
 * NULL arguments, bad addresses and kinds, garbage frames, sending on a receive-only
 * route, duplicate and unknown routes and pools, bad values, backpressure, missing keys and
 * timers. Prints "ok <check>: <status>: <message>" for each; exits 1 on the first surprise. */
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

static void must(dd_status status, const char *what) {
    if (status != DD_OK) {
        fprintf(stderr, "errors: setting up %s: %s\n", what, dd_last_error_message());
        exit(1);
    }
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
    const dd_value *found = NULL;
    expect("missing key", dd_value_dict_find(value, "nope", &found), DD_ERR_NOT_FOUND, "nope");
    expect("missing head entry", dd_message_head_get(msg, "nope", &found), DD_ERR_NOT_FOUND, "nope");
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
    expect("worker heartbeat 0", dd_worker_new("tcp://127.0.0.1:1", &worker_options, &worker),
           DD_ERR_INVALID_ARGUMENT, "heartbeat");

    if (strcmp(dd_status_name(DD_ERR_ZMQ), "DD_ERR_ZMQ") != 0) {
        printf("FAIL status names: %s\n", dd_status_name(DD_ERR_ZMQ));
        failures++;
    }

    dd_message_free(msg);
    dd_node_free(node);
    if (failures > 0) {
        printf("%d checks failed\n", failures);
        return 1;
    }
    printf("all error paths checked\n");
    return 0;
}
