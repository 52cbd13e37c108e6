/* The web routes from C: an http_server route answering (dd_response_send for a 200,
 * dd_response_send_status for a 418), asked by an http_client route of the same node; and a
 * websocket_server route whose client is Python's websockets (a child process this program
 * starts with the route's address): its connection opens, the message it sends is echoed to
 * it through its dd_connection and broadcast to every connection, and it closes. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "dripdrop.h"

extern char **environ;

static void check(dd_status status, const char *what) {
    if (status != DD_OK) {
        fprintf(stderr, "web: %s: %s: %s\n", what, dd_status_name(status), dd_last_error_message());
        exit(1);
    }
}

/* The websocket client: sends one message, prints the two it gets back, closes. */
static const char *CLIENT =
    "import json, sys\n"
    "from websockets.sync.client import connect\n"
    "with connect(sys.argv[1], open_timeout=20) as ws:\n"
    "    ws.send(json.dumps({'name': 'ping', 'head': {}, 'body': 'from python'}))\n"
    "    for _ in range(2):\n"
    "        print('client got', json.loads(ws.recv(timeout=20))['name'], flush=True)\n";

typedef struct {
    int answered;  /* http_client replies: the echo and the 418 */
    int opened;
    int echoed;
    size_t broadcast_to;
    int closed;
    uint64_t signature;  /* of the connection that opened */
    dd_connection *kept; /* that connection, kept past on_open (dd_connection_clone) */
} state;

static void maybe_finish(dd_node *node, state *s) {
    if (s->answered == 2 && s->closed == 1) {
        check(dd_node_stop(node), "stop");
    }
}

/* The http_server: "teapot" gets 418, anything else is echoed with 200. */
static void on_request(void *userdata, dd_node *node, const dd_message *msg, dd_response *response) {
    (void)userdata;
    if (strcmp(dd_message_name(msg), "teapot") == 0) {
        check(dd_response_send_status(node, response, 418, msg), "send_status"); /* frees response */
    } else {
        check(dd_response_send(node, response, msg), "send"); /* frees response */
    }
}

static void on_reply(void *userdata, dd_node *node, const dd_message *reply, const dd_error *error) {
    state *s = userdata;
    if (error != NULL) {
        printf("http_client: %s %s\n", dd_status_name(dd_error_status(error)), dd_error_remote_class(error));
    } else {
        printf("http_client: reply %s\n", dd_message_name(reply));
    }
    s->answered++;
    maybe_finish(node, s);
}

static void ask(dd_node *node, state *s, const char *name) {
    dd_message *msg = NULL;
    check(dd_message_new(name, &msg), "request");
    check(dd_node_send_request(node, "ask", msg, on_reply, s, NULL), "send request");
    dd_message_free(msg);
}

static void on_open(void *userdata, dd_node *node, const dd_connection *conn) {
    (void)node;
    state *s = userdata;
    s->opened++;
    s->signature = dd_connection_signature(conn);
    check(dd_connection_clone(conn, &s->kept), "keep the connection");
}

/* Echoes through the connection it came on, then tells every connection. */
static void on_receive_from(void *userdata, dd_node *node, const dd_message *msg, const dd_connection *conn) {
    state *s = userdata;
    check(dd_connection_send_message(node, conn, msg), "echo");
    s->echoed++;
    dd_message *all = NULL;
    check(dd_message_new("everyone", &all), "broadcast message");
    check(dd_node_broadcast(node, "ws", all, &s->broadcast_to), "broadcast");
    dd_message_free(all);
}

static void on_connection_error(void *userdata, dd_node *node, const char *reason, const dd_connection *conn) {
    (void)userdata;
    (void)node;
    fprintf(stderr, "web: connection %llu: %s\n", (unsigned long long)dd_connection_signature(conn), reason);
}

static void on_close(void *userdata, dd_node *node, const dd_connection *conn) {
    state *s = userdata;
    if (dd_connection_signature(conn) == s->signature) {
        s->closed++;
    }
    /* A connection that closed is still a name; sending to it is DD_ERR_CONNECTION. */
    dd_message *late = NULL;
    check(dd_message_new("late", &late), "late message");
    dd_status sent = dd_connection_send_message(node, s->kept, late);
    dd_message_free(late);
    if (sent != DD_ERR_CONNECTION) {
        fprintf(stderr, "web: a send to a closed connection gave %s\n", dd_status_name(sent));
        exit(1);
    }
    maybe_finish(node, s);
}

static char *endpoint(dd_node *node, const char *route) {
    dd_bytes *bytes = NULL;
    check(dd_node_route_endpoint(node, route, &bytes), "endpoint");
    char *copy = strdup((const char *)dd_bytes_data(bytes));
    dd_bytes_free(bytes);
    return copy;
}

int main(void) {
    state s = {0};
    dd_node *node = NULL;
    check(dd_node_new(NULL, &node), "node");

    const char *any_http = "http://127.0.0.1:*/";
    check(dd_node_route(node, "api", "http_server", &any_http, 1, "bind", NULL), "http_server route");
    char *api = endpoint(node, "api");
    const char *api_address = api;
    check(dd_node_route(node, "ask", "http_client", &api_address, 1, "connect", NULL), "http_client route");
    check(dd_node_on_request(node, "api", on_request, NULL, NULL), "on_request");

    dd_route_options options;
    check(dd_route_options_default(&options), "route options");
    options.max_connections = 8;
    const char *any_ws = "ws://127.0.0.1:*/";
    check(dd_node_route(node, "ws", "websocket_server", &any_ws, 1, "bind", &options), "websocket route");
    char *ws = endpoint(node, "ws");
    check(dd_node_on_open(node, "ws", on_open, &s, NULL), "on_open");
    check(dd_node_on_receive_from(node, "ws", on_receive_from, &s, NULL), "on_receive_from");
    check(dd_node_on_connection_error(node, "ws", on_connection_error, &s, NULL), "on_connection_error");
    check(dd_node_on_close(node, "ws", on_close, &s, NULL), "on_close");
    printf("http_server: %s\nwebsocket_server: %s\n", api, ws);
    fflush(stdout);

    char *argv[] = {"python3", "-c", (char *)CLIENT, ws, NULL};
    pid_t client;
    if (posix_spawnp(&client, "python3", NULL, NULL, argv, environ) != 0) {
        perror("web: python3");
        return 1;
    }
    ask(node, &s, "hello");
    ask(node, &s, "teapot");
    check(dd_node_run(node), "run");

    int status = 0;
    if (waitpid(client, &status, 0) != client || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "web: the websocket client failed\n");
        return 1;
    }
    printf("done: http %d answered (200 and 418), websocket %d opened, %d echoed, broadcast to %zu, %d closed\n",
           s.answered, s.opened, s.echoed, s.broadcast_to, s.closed);
    dd_connection_free(s.kept);
    dd_node_free(node);
    free(api);
    free(ws);
    return 0;
}
