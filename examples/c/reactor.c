/* The rest of the reactor from C: xreq/xrep requests and replies (one answered, one the
 * handler drops, which the asker gets as a remote error), timers (after, a cancelled one,
 * next_tick, a cancelled next_tick), EM.defer, and a dd_node_handle used from another thread
 * to post work and stop. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dripdrop.h"

static void check(dd_status status, const char *what) {
    if (status != DD_OK) {
        fprintf(stderr, "reactor: %s: %s: %s\n", what, dd_status_name(status), dd_last_error_message());
        exit(1);
    }
}

typedef struct {
    int replies;
    int refused;
    int deferred;
    int ticks;
    int posted;
    int cancelled_fired;
    int userdata_freed;
    int tick_cancel_freed;
    dd_node_handle *handle;
    pthread_t poster;
} state;

/* The xrep side: doubles the body of "double" requests, drops anything else unanswered. */
static void on_request(void *userdata, dd_node *node, const dd_message *msg, dd_response *response) {
    (void)userdata;
    if (strcmp(dd_message_name(msg), "double") != 0) {
        dd_response_free(response); /* the asker gets an error reply */
        return;
    }
    int64_t n = 0;
    check(dd_value_get_int(dd_message_body(msg), &n), "request body");
    dd_message *reply = NULL;
    dd_value *body = NULL;
    check(dd_message_new("doubled", &reply), "reply");
    check(dd_value_int(2 * n, &body), "reply body");
    check(dd_message_set_body(reply, body), "set reply body");
    check(dd_response_send(node, response, reply), "respond"); /* frees response */
    dd_message_free(reply);
}

static void maybe_finish(dd_node *node, state *s);

static void on_reply(void *userdata, dd_node *node, const dd_message *reply, const dd_error *error) {
    state *s = userdata;
    if (error != NULL) {
        printf("request refused: %s %s: %s\n", dd_status_name(dd_error_status(error)), dd_error_remote_class(error),
               dd_error_message(error));
        s->refused++;
    } else {
        int64_t n = 0;
        check(dd_value_get_int(dd_message_body(reply), &n), "reply body");
        printf("reply %s %lld\n", dd_message_name(reply), (long long)n);
        s->replies++;
    }
    maybe_finish(node, s);
}

static void request(dd_node *node, state *s, const char *name, int64_t n) {
    dd_message *msg = NULL;
    dd_value *body = NULL;
    check(dd_message_new(name, &msg), "request");
    check(dd_value_int(n, &body), "request body");
    check(dd_message_set_body(msg, body), "set request body");
    check(dd_node_send_request(node, "ask", msg, on_reply, s, NULL), "send request");
    dd_message_free(msg);
}

/* EM.defer: the op runs on a pool thread, the callback back on the loop. */
static dd_value *slow_sum(void *userdata) {
    (void)userdata;
    int64_t sum = 0;
    for (int64_t i = 1; i <= 1000; i++) {
        sum += i;
    }
    dd_value *result = NULL;
    return dd_value_int(sum, &result) == DD_OK ? result : NULL;
}

static void on_sum(void *userdata, dd_node *node, const dd_value *result, const dd_error *error) {
    state *s = userdata;
    int64_t sum = 0;
    if (error != NULL) {
        fprintf(stderr, "reactor: defer failed: %s\n", dd_error_message(error));
        exit(1);
    }
    check(dd_value_get_int(result, &sum), "sum");
    printf("deferred sum %lld\n", (long long)sum);
    s->deferred = 1;
    maybe_finish(node, s);
}

static void never(void *userdata, dd_node *node) {
    (void)node;
    ((state *)userdata)->cancelled_fired = 1;
}

static void count_free(void *userdata) {
    ((state *)userdata)->userdata_freed++;
}

static void count_tick_free(void *userdata) {
    ((state *)userdata)->tick_cancel_freed++;
}

static void on_tick(void *userdata, dd_node *node) {
    (void)node;
    state *s = userdata;
    s->ticks++;
}

static void on_posted(void *userdata, dd_node *node) {
    state *s = userdata;
    s->posted++;
    printf("posted from another thread, ran on the loop\n");
    maybe_finish(node, s);
}

/* Another thread: posts work to the loop, then the loop stops when everything is in. */
static void *poster(void *userdata) {
    state *s = userdata;
    check(dd_node_handle_post(s->handle, on_posted, s, NULL), "post");
    return NULL;
}

static void maybe_finish(dd_node *node, state *s) {
    (void)node;
    if (s->replies == 3 && s->refused == 1 && s->deferred && s->posted) {
        /* Stopping through the handle works from any thread, this one included. */
        check(dd_node_handle_stop(s->handle), "handle stop");
    }
}

static void start(void *userdata, dd_node *node) {
    state *s = userdata;
    for (int64_t n = 1; n <= 3; n++) {
        request(node, s, "double", n);
    }
    request(node, s, "triple", 1);
    check(dd_node_defer(node, slow_sum, on_sum, s, NULL), "defer");
    if (pthread_create(&s->poster, NULL, poster, s) != 0) {
        fprintf(stderr, "reactor: cannot start a thread\n");
        exit(1);
    }
}

int main(void) {
    state s;
    memset(&s, 0, sizeof s);
    dd_node *node = NULL;
    check(dd_node_new(NULL, &node), "node");
    const char *bind[] = {"tcp://127.0.0.1:*"};
    check(dd_node_route(node, "answer", "zmq_xrep", bind, 1, "bind", NULL), "xrep route");
    dd_bytes *endpoint = NULL;
    check(dd_node_route_endpoint(node, "answer", &endpoint), "endpoint");
    const char *connect[] = {(const char *)dd_bytes_data(endpoint)};
    check(dd_node_route(node, "ask", "zmq_xreq", connect, 1, "connect", NULL), "xreq route");
    dd_bytes_free(endpoint);
    check(dd_node_on_request(node, "answer", on_request, NULL, NULL), "on_request");
    check(dd_node_handle_new(node, &s.handle), "handle");

    uint64_t doomed = 0;
    check(dd_node_after(node, 50, never, &s, count_free, &doomed), "after");
    check(dd_node_cancel_timer(node, doomed), "cancel"); /* frees its userdata */
    check(dd_node_every(node, 5, on_tick, &s, NULL, NULL), "every");
    uint64_t skipped = 0; /* a next_tick has a timer id too, and can be cancelled */
    check(dd_node_next_tick(node, never, &s, count_tick_free, &skipped), "next_tick to cancel");
    check(dd_node_cancel_timer(node, skipped), "cancel next_tick");
    check(dd_node_next_tick(node, start, &s, NULL, NULL), "next_tick");
    check(dd_node_run(node), "run");
    pthread_join(s.poster, NULL);
    printf("cancelled next_tick's userdata freed %d\n", s.tick_cancel_freed);

    printf("done: %d replies, %d refused, deferred %d, posted %d, cancelled timer fired %d, "
           "its userdata freed %d\n",
           s.replies, s.refused, s.deferred, s.posted, s.cancelled_fired, s.userdata_freed);
    dd_node_handle_free(s.handle);
    dd_node_free(node);
    return s.cancelled_fired == 0 && s.userdata_freed == 1 && s.tick_cancel_freed == 1 ? 0 : 1;
}
