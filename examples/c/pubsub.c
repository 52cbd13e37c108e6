/* pub/sub from C: a publisher on a timer alternates cpu.* and mem.* names; a subscriber
 * with the topic prefix "cpu." sees only the cpu ones. Prints what it gets, then a total. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dripdrop.h"

#define WANTED 4

static void check(dd_status status, const char *what) {
    if (status != DD_OK) {
        fprintf(stderr, "pubsub: %s: %s: %s\n", what, dd_status_name(status), dd_last_error_message());
        exit(1);
    }
}

typedef struct {
    int published;
    int received;
    int wrong;
} state;

static void on_message(void *userdata, dd_node *node, const dd_message *msg) {
    state *s = userdata;
    const char *name = dd_message_name(msg);
    if (strncmp(name, "cpu.", 4) != 0) {
        s->wrong++;
    }
    dd_bytes *text = NULL;
    check(dd_value_to_text(dd_message_body(msg), &text), "text");
    printf("subscriber got %s %s\n", name, (const char *)dd_bytes_data(text));
    dd_bytes_free(text);
    if (++s->received == WANTED) {
        check(dd_node_stop(node), "stop");
    }
}

static void publish(void *userdata, dd_node *node) {
    state *s = userdata;
    /* A subscriber misses what is published before it has joined (ZeroMQ's slow joiner):
     * keep publishing until it has what it wants. */
    const char *name = s->published % 2 == 0 ? "cpu.load" : "mem.free";
    dd_message *msg = NULL;
    dd_value *body = NULL;
    dd_value *item = NULL;
    check(dd_message_new(name, &msg), "message");
    check(dd_value_tuple(&body), "tuple");
    check(dd_value_atom("sample", &item), "atom");
    check(dd_value_push(body, item), "push atom");
    check(dd_value_int(s->published, &item), "int");
    check(dd_value_push(body, item), "push int");
    check(dd_message_set_body(msg, body), "set body");
    check(dd_node_send_message(node, "stats", msg), "publish");
    dd_message_free(msg);
    s->published++;
}

int main(void) {
    state s = {0, 0, 0};
    dd_node *node = NULL;
    check(dd_node_new(NULL, &node), "node");
    const char *bind[] = {"tcp://127.0.0.1:*"};
    check(dd_node_route(node, "stats", "zmq_publish", bind, 1, "bind", NULL), "publish route");
    dd_bytes *endpoint = NULL;
    check(dd_node_route_endpoint(node, "stats", &endpoint), "endpoint");

    dd_route_options options;
    check(dd_route_options_default(&options), "options");
    options.topic_prefix = "cpu.";
    const char *connect[] = {(const char *)dd_bytes_data(endpoint)};
    check(dd_node_route(node, "cpu", "zmq_subscribe", connect, 1, "connect", &options), "subscribe route");
    dd_bytes_free(endpoint);

    check(dd_node_on_receive(node, "cpu", on_message, &s, NULL), "on_receive");
    check(dd_node_every(node, 5, publish, &s, NULL, NULL), "every");
    check(dd_node_run(node), "run");
    printf("done: %d cpu messages, %d others\n", s.received, s.wrong);
    dd_node_free(node);
    return s.wrong == 0 ? 0 : 1;
}
