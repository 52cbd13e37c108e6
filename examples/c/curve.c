/* CURVE from C: keys made with dd_certificate_generate in a scratch directory; a pull route
 * that is a CURVE server admitting the clients whose certificates are in its allowed
 * directory; a push route with an allowed key, whose messages arrive, and one with a key not
 * allowed, refused (auth_refused counted on both ends) with nothing arriving; and options
 * that cannot work refused before any socket is made: a certificate file that is not there
 * or holds no secret key (DD_ERR_CERTIFICATE naming the file, for routes, pools, workers
 * and a node's control_curve), a connecting route without its server's key, fields that
 * contradict each other. Waits poll the node's counters on a timer, against a deadline.
 * Prints "ok <check>" for each, then "done: ...". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dripdrop.h"

/* How long the exchange may take before the example fails, in ms. */
#define PATIENCE_MS 20000

static char scratch[] = "/tmp/dripdrop-curve-XXXXXX";
static int failures = 0;

static void check(dd_status status, const char *what) {
    if (status != DD_OK) {
        fprintf(stderr, "curve: %s: %s: %s\n", what, dd_status_name(status), dd_last_error_message());
        exit(1);
    }
}

/* scratch/NAME, in a buffer of the caller's. */
static const char *in_scratch(char *buffer, size_t size, const char *name) {
    snprintf(buffer, size, "%s/%s", scratch, name);
    return buffer;
}

/* That `got` is `wanted` and the thread's last error message holds `in_message`. */
static void expect(const char *what, dd_status got, dd_status wanted, const char *in_message) {
    const char *message = dd_last_error_message();
    if (got != wanted || strstr(message, in_message) == NULL) {
        printf("FAIL %s: got %s (%s), wanted %s with \"%s\"\n", what, dd_status_name(got), message,
               dd_status_name(wanted), in_message);
        failures++;
        return;
    }
    printf("ok %s: %s: %s\n", what, dd_status_name(got), message);
}

static void copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    if (in == NULL || out == NULL) {
        perror("curve: copy");
        exit(1);
    }
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, in)) > 0) {
        fwrite(buffer, 1, n, out);
    }
    fclose(in);
    fclose(out);
}

typedef struct {
    int from_good;
    int from_stranger;
    int64_t refused_at_server;
    int64_t refused_at_client;
    int timed_out;
    int reports; /* refusals told to on_error (a ConnectionError at most once a second) */
} exchange;

static void on_message(void *userdata, dd_node *node, const dd_message *msg) {
    exchange *e = userdata;
    (void)node;
    if (strcmp(dd_message_name(msg), "good") == 0) {
        e->from_good++;
    } else {
        e->from_stranger++;
    }
}

static void on_error(void *userdata, dd_node *node, const dd_error *error) {
    exchange *e = userdata;
    (void)node;
    if (dd_error_status(error) == DD_ERR_CONNECTION && strstr(dd_error_message(error), "CURVE") != NULL) {
        e->reports++;
    } else {
        fprintf(stderr, "curve: unexpected error: %s\n", dd_error_message(error));
        failures++;
    }
}

/* The counter `name` of route `route` in the node's stats. */
static int64_t route_counter(dd_node *node, const char *route, const char *name) {
    dd_value *stats = NULL;
    const dd_value *routes = NULL, *entry = NULL, *counter = NULL;
    int64_t n = -1;
    check(dd_node_stats(node, &stats), "stats");
    check(dd_value_dict_find(stats, "routes", &routes), "stats routes");
    check(dd_value_dict_find(routes, route, &entry), "stats route");
    check(dd_value_dict_find(entry, name, &counter), "stats counter");
    check(dd_value_get_int(counter, &n), name);
    dd_value_free(stats);
    return n;
}

/* Sends a message named `name` on `route`; a full queue (a client not let in) is fine. */
static void offer(dd_node *node, const char *route, const char *name) {
    dd_message *msg = NULL;
    check(dd_message_new(name, &msg), "message");
    dd_status status = dd_node_send_message(node, route, msg);
    if (status != DD_ERR_BACKPRESSURE) {
        check(status, "send");
    }
    dd_message_free(msg);
}

static void tick(void *userdata, dd_node *node) {
    exchange *e = userdata;
    if (e->from_good == 0) {
        offer(node, "good", "good");
    }
    offer(node, "stranger", "stranger");
    /* Both ends, each in its own time: the client counts its refusal when the server's ERROR
     * command reaches it, which may be after the server counted it. */
    e->refused_at_server = route_counter(node, "in", "auth_refused");
    e->refused_at_client = route_counter(node, "stranger", "auth_refused");
    if (e->from_good > 0 && e->refused_at_server >= 1 && e->refused_at_client >= 1) {
        check(dd_node_stop(node), "stop");
    }
}

static void give_up(void *userdata, dd_node *node) {
    exchange *e = userdata;
    e->timed_out = 1;
    check(dd_node_stop(node), "stop");
}

/* A client route of the server at `endpoint` with the certificate scratch/NAME.key_secret. */
static void client_route(dd_node *node, const char *name, const char *endpoint) {
    char certificate[256], server[256], file[64];
    dd_route_options options;
    check(dd_route_options_default(&options), "route options");
    snprintf(file, sizeof file, "%s.key_secret", name);
    options.curve.certificate = in_scratch(certificate, sizeof certificate, file);
    options.curve.server_certificate = in_scratch(server, sizeof server, "server.key");
    const char *connect[] = {endpoint};
    check(dd_node_route(node, name, "zmq_push", connect, 1, "connect", &options), name);
}

/* The allowed client's messages arrive; the stranger's do not, and its refusal is counted. */
static void the_exchange(void) {
    char server_secret[256], allowed[256];
    exchange e = {0, 0, 0, 0, 0, 0};
    dd_node *node = NULL;
    check(dd_node_new(NULL, &node), "node");
    check(dd_node_on_error(node, on_error, &e, NULL), "on_error");

    dd_route_options options;
    check(dd_route_options_default(&options), "route options");
    options.curve.certificate = in_scratch(server_secret, sizeof server_secret, "server.key_secret");
    options.curve.allowed = in_scratch(allowed, sizeof allowed, "allowed");
    const char *bind[] = {"tcp://127.0.0.1:*"};
    check(dd_node_route(node, "in", "zmq_pull", bind, 1, "bind", &options), "server route");
    check(dd_node_on_receive(node, "in", on_message, &e, NULL), "on_receive");
    dd_bytes *endpoint = NULL;
    check(dd_node_route_endpoint(node, "in", &endpoint), "endpoint");
    client_route(node, "good", (const char *)dd_bytes_data(endpoint));
    client_route(node, "stranger", (const char *)dd_bytes_data(endpoint));
    dd_bytes_free(endpoint);

    check(dd_node_every(node, 10, tick, &e, NULL, NULL), "every");
    check(dd_node_after(node, PATIENCE_MS, give_up, &e, NULL, NULL), "after");
    check(dd_node_run(node), "run");
    dd_node_free(node);

    if (e.timed_out || e.from_good == 0 || e.from_stranger != 0 || e.refused_at_server < 1
        || e.refused_at_client < 1) {
        printf("FAIL exchange: %s; from the allowed client %d, from the stranger %d, refused %lld at "
               "the server, %lld at the client\n",
               e.timed_out ? "timed out" : "finished", e.from_good, e.from_stranger,
               (long long)e.refused_at_server, (long long)e.refused_at_client);
        failures++;
        return;
    }
    printf("ok exchange: the allowed client's message arrived, the stranger's did not; its "
           "refusal counted at both ends\n");
}

/* Options that cannot work, refused before any socket is made. */
static void the_refusals(void) {
    char missing[256], server_public[256], good_secret[256], server_secret[256];
    in_scratch(missing, sizeof missing, "missing.key_secret");
    in_scratch(server_public, sizeof server_public, "server.key");
    in_scratch(good_secret, sizeof good_secret, "good.key_secret");
    in_scratch(server_secret, sizeof server_secret, "server.key_secret");
    const char *bind[] = {"tcp://127.0.0.1:*"};
    const char *connect[] = {"tcp://127.0.0.1:9"};
    dd_node *node = NULL;
    check(dd_node_new(NULL, &node), "node");

    dd_route_options route;
    check(dd_route_options_default(&route), "route options");
    route.curve.certificate = missing;
    expect("a missing certificate file", dd_node_route(node, "a", "zmq_pull", bind, 1, "bind", &route),
           DD_ERR_CERTIFICATE, missing);
    check(dd_route_options_default(&route), "route options");
    route.curve.certificate = server_public;
    expect("a public certificate where the secret one is needed",
           dd_node_route(node, "b", "zmq_pull", bind, 1, "bind", &route), DD_ERR_CERTIFICATE, server_public);
    check(dd_route_options_default(&route), "route options");
    route.curve.certificate = good_secret;
    expect("a connecting route without its server's key",
           dd_node_route(node, "c", "zmq_push", connect, 1, "connect", &route), DD_ERR_CERTIFICATE, "server_key");
    route.curve.server_key = "not a key";
    expect("a server key that is not one", dd_node_route(node, "d", "zmq_push", connect, 1, "connect", &route),
           DD_ERR_INVALID_ARGUMENT, "curve.server_key");
    check(dd_route_options_default(&route), "route options");
    route.curve.off = true;
    route.curve.certificate = server_secret;
    expect("off with keys", dd_node_route(node, "e", "zmq_pull", bind, 1, "bind", &route),
           DD_ERR_INVALID_ARGUMENT, "curve.off");
    check(dd_route_options_default(&route), "route options");
    route.curve.dir = scratch;
    route.curve.certificate = server_secret;
    expect("a directory with keys", dd_node_route(node, "f", "zmq_pull", bind, 1, "bind", &route),
           DD_ERR_INVALID_ARGUMENT, "curve.dir");
    check(dd_route_options_default(&route), "route options");
    route.curve.certificate = server_secret;
    expect("keys on a web route", dd_node_route(node, "g", "http_server", bind, 1, "bind", &route),
           DD_ERR_INVALID_ARGUMENT, "CURVE");

    dd_pool_options pool;
    check(dd_pool_options_default(&pool), "pool options");
    pool.bind = bind[0];
    pool.curve.certificate = missing;
    expect("a pool's missing certificate", dd_node_worker_pool(node, "p", &pool, NULL), DD_ERR_CERTIFICATE,
           missing);
    dd_node_free(node);

    dd_worker_options worker_options;
    dd_worker *worker = NULL;
    check(dd_worker_options_default(&worker_options), "worker options");
    worker_options.curve.certificate = missing;
    worker_options.curve.server_certificate = server_public;
    expect("a worker's missing certificate", dd_worker_new(connect, 1, &worker_options, &worker),
           DD_ERR_CERTIFICATE, missing);

    dd_node_options node_options;
    check(dd_node_options_default(&node_options), "node options");
    node_options.control = connect[0];
    node_options.control_curve.certificate = missing;
    node = NULL;
    expect("a node's control_curve with a missing certificate", dd_node_new(&node_options, &node),
           DD_ERR_CERTIFICATE, missing);

    char server_base[256];
    expect("generating over existing files",
           dd_certificate_generate(in_scratch(server_base, sizeof server_base, "server"), false, NULL),
           DD_ERR_CERTIFICATE, "exists");
}

/* Generates scratch/NAME.key and .key_secret; prints nothing secret. */
static void generate(const char *name) {
    char base[256];
    dd_bytes *public_key = NULL;
    check(dd_certificate_generate(in_scratch(base, sizeof base, name), false, &public_key), name);
    if (strlen((const char *)dd_bytes_data(public_key)) != 40) {
        printf("FAIL %s's public key is not 40 characters of Z85\n", name);
        failures++;
    }
    dd_bytes_free(public_key);
}

static void remove_scratch(void) {
    const char *files[] = {"server.key", "server.key_secret", "good.key",       "good.key_secret",
                           "stranger.key", "stranger.key_secret", "allowed/good.key"};
    char path[256];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        unlink(in_scratch(path, sizeof path, files[i]));
    }
    rmdir(in_scratch(path, sizeof path, "allowed"));
    rmdir(scratch);
}

int main(void) {
    char from[256], to[256];
    if (mkdtemp(scratch) == NULL || mkdir(in_scratch(to, sizeof to, "allowed"), 0700) != 0) {
        perror("curve: scratch directory");
        return 1;
    }
    generate("server");
    generate("good");
    generate("stranger");
    /* The good client's public certificate goes into the server's allowed directory. */
    copy_file(in_scratch(from, sizeof from, "good.key"), in_scratch(to, sizeof to, "allowed/good.key"));

    the_exchange();
    the_refusals();
    remove_scratch();
    if (failures > 0) {
        printf("curve: %d checks failed\n", failures);
        return 1;
    }
    printf("done: the allowed key got through, the stranger was refused and counted, bad "
           "certificates are DD_ERR_CERTIFICATE naming the file\n");
    return 0;
}
