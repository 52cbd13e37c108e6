/* push/pull from C: a pusher on a timer, a puller that counts, both on one node.
 * Prints each message it receives, then "done: N sent, N received". */
#include <stdio.h>
#include <stdlib.h>
#include "dripdrop.h"

#define COUNT 5

static void check(dd_status status, const char *what) {
    if (status != DD_OK) {
        fprintf(stderr, "pushpull: %s: %s: %s\n", what, dd_status_name(status), dd_last_error_message());
        exit(1);
    }
}

typedef struct {
    int sent;
    int received;
} counts;

static void on_message(void *userdata, dd_node *node, const dd_message *msg) {
    counts *c = userdata;
    int64_t n = 0;
    check(dd_value_get_int(dd_message_body(msg), &n), "body");
    printf("received %s %lld\n", dd_message_name(msg), (long long)n);
    if (++c->received == COUNT) {
        check(dd_node_stop(node), "stop");
    }
}

static void tick(void *userdata, dd_node *node) {
    counts *c = userdata;
    if (c->sent == COUNT) {
        return;
    }
    dd_message *msg = NULL;
    dd_value *body = NULL;
    check(dd_message_new("tick", &msg), "message");
    check(dd_value_int(c->sent + 1, &body), "body");
    check(dd_message_set_body(msg, body), "set body"); /* takes body */
    check(dd_node_send_message(node, "out", msg), "send");
    dd_message_free(msg);
    c->sent++;
}

int main(void) {
    counts c = {0, 0};
    dd_node *node = NULL;
    check(dd_node_new(NULL, &node), "node");

    const char *bind[] = {"tcp://127.0.0.1:*"};
    check(dd_node_route(node, "out", "zmq_push", bind, 1, "bind", NULL), "push route");
    dd_bytes *endpoint = NULL;
    check(dd_node_route_endpoint(node, "out", &endpoint), "endpoint");
    const char *connect[] = {(const char *)dd_bytes_data(endpoint)};
    check(dd_node_route(node, "in", "zmq_pull", connect, 1, "connect", NULL), "pull route");
    dd_bytes_free(endpoint);

    check(dd_node_on_receive(node, "in", on_message, &c, NULL), "on_receive");
    check(dd_node_every(node, 10, tick, &c, NULL, NULL), "every");
    check(dd_node_run(node), "run");
    printf("done: %d sent, %d received\n", c.sent, c.received);
    dd_node_free(node);
    return 0;
}
