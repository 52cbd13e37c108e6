/* A worker pool from C: the node binds a pool, a C worker (on its own thread here; it could
 * be another process or machine) serves it with two C task handlers, and the node feeds it
 * ten squares with dd_pool_map and one task that fails. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dripdrop.h"

#define ITEMS 10

static void check(dd_status status, const char *what) {
    if (status != DD_OK) {
        fprintf(stderr, "pool: %s: %s: %s\n", what, dd_status_name(status), dd_last_error_message());
        exit(1);
    }
}

/* Task handlers run on the worker's task threads. */
static dd_value *square(void *userdata, dd_task_context *task, const dd_value *args) {
    (void)userdata;
    (void)task;
    int64_t n = 0;
    dd_value *result = NULL;
    if (dd_value_get_int(args, &n) != DD_OK) {
        dd_task_context_fail(task, "ArgumentError", "square takes an integer");
        return NULL;
    }
    if (dd_value_int(n * n, &result) != DD_OK) {
        return NULL;
    }
    return result;
}

static dd_value *always_fails(void *userdata, dd_task_context *task, const dd_value *args) {
    (void)userdata;
    (void)args;
    dd_task_context_fail(task, "ZeroDivisionError", "divided by 0");
    return NULL;
}

static void *serve(void *worker) {
    check(dd_worker_run(worker), "worker run");
    return NULL;
}

typedef struct {
    int64_t next;
    int results;
    int64_t sum;
    int failed_seen;
} feed;

static dd_value *next_item(void *userdata, dd_map_feed *map_feed) {
    (void)map_feed; /* every item here can be had */
    feed *f = userdata;
    if (f->next > ITEMS) {
        return NULL;
    }
    dd_value *item = NULL;
    check(dd_value_int(f->next++, &item), "item");
    return item; /* the library takes it */
}

static void maybe_stop(dd_node *node, feed *f) {
    if (f->results == ITEMS && f->failed_seen) {
        check(dd_node_stop(node), "stop");
    }
}

static void on_square(void *userdata, dd_node *node, uint64_t index, const dd_value *result,
                      const dd_error *error) {
    feed *f = userdata;
    int64_t n = 0;
    if (error != NULL) {
        fprintf(stderr, "pool: item %llu failed: %s\n", (unsigned long long)index, dd_error_message(error));
        exit(1);
    }
    check(dd_value_get_int(result, &n), "result");
    printf("item %llu squared: %lld\n", (unsigned long long)index, (long long)n);
    f->sum += n;
    f->results++;
    maybe_stop(node, f);
}

static void on_failure(void *userdata, dd_node *node, const dd_value *result, const dd_error *error) {
    feed *f = userdata;
    if (result != NULL || error == NULL) {
        fprintf(stderr, "pool: the failing task succeeded\n");
        exit(1);
    }
    printf("failing task: %s %s: %s\n", dd_status_name(dd_error_status(error)), dd_error_remote_class(error),
           dd_error_message(error));
    f->failed_seen = 1;
    maybe_stop(node, f);
}

int main(void) {
    dd_node *node = NULL;
    check(dd_node_new(NULL, &node), "node");
    dd_pool_options options;
    check(dd_pool_options_default(&options), "pool options");
    options.bind = "tcp://127.0.0.1:*";
    options.heartbeat_ms = 200;
    dd_bytes *endpoint = NULL;
    check(dd_node_worker_pool(node, "math", &options, &endpoint), "pool");

    dd_worker_options worker_options;
    check(dd_worker_options_default(&worker_options), "worker options");
    worker_options.concurrency = 2;
    worker_options.name = "c-worker";
    dd_worker *worker = NULL;
    const char *pool_addresses[] = {(const char *)dd_bytes_data(endpoint)};
    check(dd_worker_new(pool_addresses, 1, &worker_options, &worker), "worker");
    dd_bytes_free(endpoint);
    check(dd_worker_task(worker, "square", square, NULL, NULL), "task square");
    check(dd_worker_task(worker, "fail", always_fails, NULL, NULL), "task fail");
    dd_worker_handle *stopper = NULL;
    check(dd_worker_handle_new(worker, &stopper), "worker handle");
    pthread_t thread;
    if (pthread_create(&thread, NULL, serve, worker) != 0) {
        fprintf(stderr, "pool: cannot start the worker thread\n");
        return 1;
    }

    feed f = {1, 0, 0, 0};
    check(dd_pool_map(node, "math", "square", next_item, on_square, NULL, &f, NULL), "map");
    dd_value *args = NULL;
    check(dd_value_nil(&args), "nil");
    uint64_t id = 0;
    check(dd_pool_defer(node, "math", "fail", args, 0, on_failure, &f, NULL, &id), "defer");
    dd_value_free(args); /* dd_pool_defer copied it */
    check(dd_node_run(node), "run");

    dd_value *stats = NULL;
    const dd_value *pools = NULL, *math = NULL, *completed = NULL;
    int64_t done = 0;
    check(dd_node_stats(node, &stats), "stats");
    check(dd_value_dict_find(stats, "pools", &pools), "stats pools");
    check(dd_value_dict_find(pools, "math", &math), "stats math");
    check(dd_value_dict_find(math, "completed", &completed), "stats completed");
    check(dd_value_get_int(completed, &done), "completed");
    printf("done: sum of squares %lld, %lld completed, task id %s\n", (long long)f.sum, (long long)done,
           id != 0 ? "given" : "missing");
    dd_value_free(stats);

    check(dd_worker_handle_stop(stopper), "worker stop");
    pthread_join(thread, NULL);
    dd_worker_handle_free(stopper);
    dd_worker_free(worker);
    dd_node_free(node);
    return 0;
}
