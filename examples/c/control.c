/* The control backchannel from C: a node given dd_node_options.control reports to a raw
 * ROUTER (a second node here, standing in for `dripdrop control`) as a C process: a hello
 * naming its language, role and routes, beats from its loop, and a goodbye when freed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dripdrop.h"

static void check(dd_status status, const char *what) {
    if (status != DD_OK) {
        fprintf(stderr, "control: %s: %s: %s\n", what, dd_status_name(status), dd_last_error_message());
        exit(1);
    }
}

typedef struct {
    dd_node_handle *reporter;
    int hellos;
    int beats;
    int goodbyes;
    int language_is_c;
    int role_is_ours;
    size_t routes;
    int stop_asked;
} heard;

/* Whether `body[key]` is the text `want`. */
static int text_is(const dd_value *body, const char *key, const char *want) {
    const dd_value *found = NULL;
    const uint8_t *data = NULL;
    size_t len = 0;
    if (dd_value_dict_find(body, key, &found) != DD_OK || found == NULL
        || dd_value_get_binary(found, &data, &len) != DD_OK) {
        return 0;
    }
    return len == strlen(want) && memcmp(data, want, len) == 0;
}

/* Every report comes as [identity, frame]; the frame is one DripDrop message. */
static void on_report(void *userdata, dd_node *node, const uint8_t *const *frames, const size_t *lens,
                      size_t count) {
    heard *h = userdata;
    if (count != 2 || lens[1] == 0) {
        return; /* not a report */
    }
    dd_message *msg = NULL;
    check(dd_message_decode(frames[1], lens[1], &msg), "decode a report");
    const char *name = dd_message_name(msg);
    const dd_value *body = dd_message_body(msg);
    if (strcmp(name, "dripdrop.hello") == 0) {
        h->hellos++;
        h->language_is_c = text_is(body, "language", "c");
        h->role_is_ours = text_is(body, "role", "c-reporter");
        const dd_value *routes = NULL;
        check(dd_value_dict_find(body, "routes", &routes), "routes");
        if (routes != NULL) {
            check(dd_value_len(routes, &h->routes), "routes' length");
        }
    } else if (strcmp(name, "dripdrop.beat") == 0) {
        h->beats++;
    } else if (strcmp(name, "dripdrop.goodbye") == 0) {
        h->goodbyes++;
        check(dd_node_stop(node), "stop the server");
    }
    dd_message_free(msg);
    /* Heard enough: the reporter stops, and says goodbye when its thread frees it. */
    if (h->hellos > 0 && h->beats >= 2 && !h->stop_asked) {
        h->stop_asked = 1;
        check(dd_node_handle_stop(h->reporter), "stop the reporter");
    }
}

/* The reporting node's thread: runs it, then frees it (which says goodbye). */
static void *run_reporter(void *node) {
    check(dd_node_run(node), "run the reporter");
    dd_node_free(node);
    return NULL;
}

int main(void) {
    heard h;
    memset(&h, 0, sizeof h);
    dd_node *server = NULL;
    check(dd_node_new(NULL, &server), "server node");
    dd_route_options raw;
    check(dd_route_options_default(&raw), "options");
    raw.raw = true;
    const char *any_port[] = {"tcp://127.0.0.1:*"};
    check(dd_node_route(server, "backchannel", "zmq_xrep", any_port, 1, "bind", &raw), "backchannel");
    check(dd_node_on_frames(server, "backchannel", on_report, &h, NULL), "on_frames");
    dd_bytes *endpoint = NULL;
    check(dd_node_route_endpoint(server, "backchannel", &endpoint), "endpoint");

    dd_node_options options;
    check(dd_node_options_default(&options), "node options");
    options.control = (const char *)dd_bytes_data(endpoint);
    options.role = "c-reporter";
    options.heartbeat_ms = 100;
    dd_node *reporter = NULL;
    check(dd_node_new(&options, &reporter), "reporting node");
    dd_bytes_free(endpoint);
    check(dd_node_route(reporter, "jobs", "zmq_pull", any_port, 1, "bind", NULL), "a route to report");
    check(dd_node_handle_new(reporter, &h.reporter), "handle");
    pthread_t thread;
    if (pthread_create(&thread, NULL, run_reporter, reporter) != 0) {
        fprintf(stderr, "control: cannot start a thread\n");
        return 1;
    }
    check(dd_node_run(server), "run the server");
    pthread_join(thread, NULL);
    dd_node_handle_free(h.reporter);
    dd_node_free(server);
    int ok = h.language_is_c && h.role_is_ours && h.routes == 1 && h.goodbyes == 1;
    printf("done: hello from %s as %s with %zu route, %s beats, %d goodbye\n", h.language_is_c ? "c" : "?",
           h.role_is_ours ? "c-reporter" : "?", h.routes, h.beats >= 2 ? "2+" : "too few", h.goodbyes);
    return ok ? 0 : 1;
}
