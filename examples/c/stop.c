/* dd_node_stop from another thread while the loop runs (it reaches only the node's own
 * handle, never the node the loop holds), and dd_node_handle_stop from a thread after the
 * node is gone (the handle outlives it: the call does nothing). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "dripdrop.h"

static void check(dd_status status, const char *what) {
    if (status != DD_OK) {
        fprintf(stderr, "stop: %s: %s: %s\n", what, dd_status_name(status), dd_last_error_message());
        exit(1);
    }
}

typedef struct {
    dd_node *node;
    int ticks;
} state;

static void tick(void *userdata, dd_node *node) {
    (void)node;
    ((state *)userdata)->ticks++;
}

/* Lets the loop run a few ticks, then stops it from this thread. */
static void *stopper(void *userdata) {
    state *s = userdata;
    const struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    check(dd_node_stop(s->node), "stop from another thread");
    return NULL;
}

static void *stop_late(void *handle) {
    check(dd_node_handle_stop(handle), "handle stop after the node is gone");
    return NULL;
}

int main(void) {
    state s = {NULL, 0};
    check(dd_node_new(NULL, &s.node), "node");
    check(dd_node_every(s.node, 5, tick, &s, NULL, NULL), "every");
    dd_node_handle *handle = NULL;
    check(dd_node_handle_new(s.node, &handle), "handle");
    pthread_t thread;
    if (pthread_create(&thread, NULL, stopper, &s) != 0) {
        fprintf(stderr, "stop: cannot start a thread\n");
        return 1;
    }
    check(dd_node_run(s.node), "run");
    pthread_join(thread, NULL);
    dd_node_free(s.node);

    if (pthread_create(&thread, NULL, stop_late, handle) != 0) {
        fprintf(stderr, "stop: cannot start a thread\n");
        return 1;
    }
    pthread_join(thread, NULL);
    dd_node_handle_free(handle);
    printf("done: stopped from another thread after %s ticks; a handle outlived its node\n",
           s.ticks > 0 ? "some" : "no");
    return s.ticks > 0 ? 0 : 1;
}
