/* The one_api scenario (examples/one_api/README.md) in C: a node with a pool `p` of two
 * local threads and three tasks (fail, double, slow), an on_error handler that records
 * every error, and four steps, each started when the one before it ended. It prints
 * exactly examples/one_api/expected.txt, as the Rust, Ruby and Python programs do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dripdrop.h"

static void check(dd_status status, const char *what) {
    if (status != DD_OK) {
        fprintf(stderr, "one_api: %s: %s: %s\n", what, dd_status_name(status), dd_last_error_message());
        exit(1);
    }
}

static const char *json_bool(int b) {
    return b ? "true" : "false";
}

/* The tasks, on the pool's threads. */

static dd_value *fail(void *userdata, dd_task_context *task, const dd_value *args) {
    (void)userdata;
    (void)args;
    dd_task_context_fail(task, "Boom", "boom");
    return NULL;
}

static dd_value *double_it(void *userdata, dd_task_context *task, const dd_value *args) {
    (void)userdata;
    int64_t n = 0;
    dd_value *result = NULL;
    if (dd_value_get_int(args, &n) != DD_OK) {
        dd_task_context_fail(task, "ArgumentError", "double takes an integer");
        return NULL;
    }
    return dd_value_int(2 * n, &result) == DD_OK ? result : NULL;
}

/* Waits until cancelled (polling every 2 ms) or 10 s have passed. */
static dd_value *slow(void *userdata, dd_task_context *task, const dd_value *args) {
    (void)userdata;
    (void)args;
    const struct timespec pause = {0, 2 * 1000 * 1000};
    for (int waited_ms = 0; waited_ms < 10000 && !dd_task_context_is_cancelled(task); waited_ms += 2) {
        nanosleep(&pause, NULL);
    }
    dd_value *result = NULL;
    return dd_value_string("finished", &result) == DD_OK ? result : NULL;
}

/* What the steps record. */

#define MAX_RESULTS 8

typedef struct {
    /* The last error on_error got. */
    char class_name[64];
    char remote_class[64];
    char message[256];
    int item_error_reported;
    /* Step 3's results, by index. */
    int64_t results[MAX_RESULTS];
    int have_result[MAX_RESULTS];
    int next_item;
    /* Step 4. */
    int cancel_returned;
} scenario;

static void on_error(void *userdata, dd_node *node, const dd_error *error) {
    (void)node;
    scenario *s = userdata;
    const char *remote_class = dd_error_remote_class(error);
    snprintf(s->class_name, sizeof s->class_name, "%s", dd_error_class_name(error));
    snprintf(s->remote_class, sizeof s->remote_class, "%s", remote_class ? remote_class : "");
    snprintf(s->message, sizeof s->message, "%s", dd_error_message(error));
    if (strstr(s->message, "bad item") != NULL) {
        s->item_error_reported = 1;
    }
}

static dd_value *nil_value(void) {
    dd_value *nil = NULL;
    check(dd_value_nil(&nil), "nil");
    return nil;
}

static dd_value *int_value(int64_t n) {
    dd_value *v = NULL;
    check(dd_value_int(n, &v), "int");
    return v;
}

static void ignore_result(void *userdata, dd_node *node, const dd_value *result, const dd_error *error) {
    (void)userdata;
    (void)node;
    (void)result;
    (void)error;
}

static void step_defer_without_errback(dd_node *node, scenario *s);
static void step_map_with_bad_item(dd_node *node, scenario *s);
static void step_cancel_by_id(dd_node *node, scenario *s);

/* 1. unknown_pool: a pool that does not exist. */
static void step_unknown_pool(void *userdata, dd_node *node) {
    scenario *s = userdata;
    dd_value *args = nil_value();
    dd_status status = dd_pool_defer(node, "nope", "double", args, 0, ignore_result, NULL, NULL, NULL);
    dd_value_free(args);
    printf("{\"step\":\"unknown_pool\",\"error\":\"%s\"}\n", dd_status_class(status));
    step_defer_without_errback(node, s);
}

/* 2. defer_without_errback: C's result callback always gets the error; one that does not deal
 * with it hands it to the node's error handler, as a callback without an errback does
 * elsewhere. */
static void on_fail_result(void *userdata, dd_node *node, const dd_value *result, const dd_error *error) {
    (void)result;
    scenario *s = userdata;
    if (error != NULL) {
        check(dd_node_report_error(node, error), "report the error");
    }
    printf("{\"step\":\"defer_without_errback\",\"on_error\":\"%s\",\"remote_class\":\"%s\","
           "\"remote_message\":\"%s\"}\n",
           s->class_name, s->remote_class, s->message);
    step_map_with_bad_item(node, s);
}

static void step_defer_without_errback(dd_node *node, scenario *s) {
    dd_value *args = int_value(1);
    check(dd_pool_defer(node, "p", "fail", args, 0, on_fail_result, s, NULL, NULL), "defer fail");
    dd_value_free(args);
}

/* 3. map_with_bad_item: items 1, 2, one that cannot be had, then 4 (never reached). */
static dd_value *next_item(void *userdata, dd_map_feed *feed) {
    scenario *s = userdata;
    int item = ++s->next_item;
    if (item == 3) {
        check(dd_map_feed_fail(feed, "bad item"), "fail the item");
        return NULL;
    }
    return int_value(item);
}

static void on_item(void *userdata, dd_node *node, uint64_t index, const dd_value *result, const dd_error *error) {
    scenario *s = userdata;
    if (error != NULL) {
        check(dd_node_report_error(node, error), "report an item's error");
        return;
    }
    if (index < MAX_RESULTS) {
        check(dd_value_get_int(result, &s->results[index]), "item result");
        s->have_result[index] = 1;
    }
}

static void on_map_done(void *userdata, dd_node *node) {
    scenario *s = userdata;
    printf("{\"step\":\"map_with_bad_item\",\"results\":[");
    const char *separator = "";
    for (int i = 0; i < MAX_RESULTS; i++) {
        if (s->have_result[i]) {
            printf("%s[%d,%lld]", separator, i, (long long)s->results[i]);
            separator = ",";
        }
    }
    printf("],\"item_error_reported\":%s,\"done\":true}\n", json_bool(s->item_error_reported));
    step_cancel_by_id(node, s);
}

static void step_map_with_bad_item(dd_node *node, scenario *s) {
    check(dd_pool_map(node, "p", "double", next_item, on_item, on_map_done, s, NULL), "map");
}

/* 4. cancel_by_id: defer slow, cancel it by the id dd_pool_defer gave. */
static void on_slow_result(void *userdata, dd_node *node, const dd_value *result, const dd_error *error) {
    (void)result;
    scenario *s = userdata;
    printf("{\"step\":\"cancel_by_id\",\"cancel_returned\":%s,\"error\":\"%s\"}\n", json_bool(s->cancel_returned),
           error != NULL ? dd_error_class_name(error) : "none");
    check(dd_node_stop(node), "stop");
}

static void step_cancel_by_id(dd_node *node, scenario *s) {
    dd_value *args = nil_value();
    uint64_t id = 0;
    check(dd_pool_defer(node, "p", "slow", args, 0, on_slow_result, s, NULL, &id), "defer slow");
    dd_value_free(args);
    s->cancel_returned = dd_pool_cancel(node, "p", id) == DD_OK;
}

int main(void) {
    scenario s;
    memset(&s, 0, sizeof s);
    dd_node *node = NULL;
    check(dd_node_new(NULL, &node), "node");
    check(dd_node_task(node, "fail", fail, NULL, NULL), "task fail");
    check(dd_node_task(node, "double", double_it, NULL, NULL), "task double");
    check(dd_node_task(node, "slow", slow, NULL, NULL), "task slow");
    dd_pool_options options;
    check(dd_pool_options_default(&options), "pool options");
    options.local_threads = 2;
    check(dd_node_worker_pool(node, "p", &options, NULL), "pool");
    check(dd_node_on_error(node, on_error, &s, NULL), "on_error");
    check(dd_node_next_tick(node, step_unknown_pool, &s, NULL, NULL), "start");
    check(dd_node_run(node), "run");
    dd_node_free(node);
    return 0;
}
