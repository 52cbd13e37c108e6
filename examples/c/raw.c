/* Raw routes from C: frames pass untouched both ways, for peers that do not speak DripDrop.
 * A raw push sends multi-part messages (with an empty frame, and bytes with NULs in them); a
 * raw pull gets each as arrays of pointers and lengths and sends it straight on over a
 * second raw pair, where it arrives as it left. A DripDrop message's frame, sent raw, is
 * decoded by hand at the far end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dripdrop.h"

#define MESSAGES 2

static void check(dd_status status, const char *what) {
    if (status != DD_OK) {
        fprintf(stderr, "raw: %s: %s: %s\n", what, dd_status_name(status), dd_last_error_message());
        exit(1);
    }
}

static const uint8_t binary[] = {0, 1, 2, 0, 255};
static const uint8_t *const sent_frames[] = {(const uint8_t *)"hello", NULL, binary};
static const size_t sent_lens[] = {5, 0, sizeof binary};
#define SENT_COUNT (sizeof sent_lens / sizeof sent_lens[0])

typedef struct {
    int echoed;
    int untouched;
    int decoded;
} state;

/* The first hop: what arrives goes on as it is. */
static void pass_on(void *userdata, dd_node *node, const uint8_t *const *frames, const size_t *lens, size_t count) {
    (void)userdata;
    check(dd_node_send_frames(node, "echo_out", frames, lens, count), "send on");
}

static int same_as_sent(const uint8_t *const *frames, const size_t *lens, size_t count) {
    if (count != SENT_COUNT) {
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        if (lens[i] != sent_lens[i] || (lens[i] > 0 && memcmp(frames[i], sent_frames[i], lens[i]) != 0)) {
            return 0;
        }
    }
    return 1;
}

/* The far end. */
static void on_echo(void *userdata, dd_node *node, const uint8_t *const *frames, const size_t *lens, size_t count) {
    state *s = userdata;
    if (count == 1) {
        dd_message *msg = NULL;
        check(dd_message_decode(frames[0], lens[0], &msg), "decode the DripDrop frame");
        printf("a DripDrop frame, decoded by hand: %s\n", dd_message_name(msg));
        dd_message_free(msg);
        s->decoded++;
    } else {
        int same = same_as_sent(frames, lens, count);
        printf("%zu frames came back %s\n", count, same ? "untouched" : "CHANGED");
        s->echoed++;
        s->untouched += same;
    }
    if (s->echoed == MESSAGES && s->decoded == 1) {
        check(dd_node_stop(node), "stop");
    }
}

static void start(void *userdata, dd_node *node) {
    (void)userdata;
    for (int i = 0; i < MESSAGES; i++) {
        check(dd_node_send_frames(node, "out", sent_frames, sent_lens, SENT_COUNT), "send frames");
    }
    dd_message *msg = NULL;
    dd_bytes *frame = NULL;
    check(dd_message_new("ping", &msg), "message");
    check(dd_message_encode(msg, &frame), "encode");
    const uint8_t *one[] = {dd_bytes_data(frame)};
    const size_t one_len[] = {dd_bytes_len(frame)};
    check(dd_node_send_frames(node, "out", one, one_len, 1), "send a DripDrop frame raw");
    dd_bytes_free(frame);
    dd_message_free(msg);
}

/* A raw push bound here and a raw pull connected to it. */
static void raw_pair(dd_node *node, const char *out, const char *in) {
    dd_route_options raw;
    check(dd_route_options_default(&raw), "options");
    raw.raw = true;
    const char *bind[] = {"tcp://127.0.0.1:*"};
    check(dd_node_route(node, out, "zmq_push", bind, 1, "bind", &raw), "raw push");
    dd_bytes *endpoint = NULL;
    check(dd_node_route_endpoint(node, out, &endpoint), "endpoint");
    const char *connect[] = {(const char *)dd_bytes_data(endpoint)};
    check(dd_node_route(node, in, "zmq_pull", connect, 1, "connect", &raw), "raw pull");
    dd_bytes_free(endpoint);
}

int main(void) {
    state s = {0, 0, 0};
    dd_node *node = NULL;
    check(dd_node_new(NULL, &node), "node");
    raw_pair(node, "out", "in");
    raw_pair(node, "echo_out", "echo_in");
    check(dd_node_on_frames(node, "in", pass_on, NULL, NULL), "on_frames in");
    check(dd_node_on_frames(node, "echo_in", on_echo, &s, NULL), "on_frames echo_in");
    check(dd_node_next_tick(node, start, NULL, NULL, NULL), "next_tick");
    check(dd_node_run(node), "run");
    printf("done: %d of %d multi-part messages untouched, %d DripDrop frame decoded\n", s.untouched, s.echoed,
           s.decoded);
    dd_node_free(node);
    return s.untouched == MESSAGES && s.decoded == 1 ? 0 : 1;
}
