/* A task's context and a map whose items can fail, from C. A task handler reads its
 * dd_task_context (id, attempt, name, time left before the caller's deadline); dd_pool_map
 * is fed by a `next` callback that fails at its third item (returning an item with the
 * failure, which the library frees): the items before it run and call back, the error goes
 * to on_error, `next` is not asked again, and the map's end comes after the last result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dripdrop.h"

static void check(dd_status status, const char *what) {
    if (status != DD_OK) {
        fprintf(stderr, "tasks: %s: %s: %s\n", what, dd_status_name(status), dd_last_error_message());
        exit(1);
    }
}

static int failures = 0;

static void expect(int ok, const char *what) {
    printf("%s %s\n", ok ? "ok" : "FAIL", what);
    failures += !ok;
}

static dd_value *int_value(int64_t n) {
    dd_value *v = NULL;
    check(dd_value_int(n, &v), "int");
    return v;
}

/* Returns what it sees of its task: {id, attempt, name, time_left_ms}. */
static dd_value *inspect(void *userdata, dd_task_context *task, const dd_value *args) {
    (void)userdata;
    (void)args;
    dd_value *seen = NULL;
    dd_value *name = NULL;
    check(dd_value_tuple(&seen), "tuple");
    check(dd_value_push(seen, int_value((int64_t)dd_task_context_id(task))), "id");
    check(dd_value_push(seen, int_value(dd_task_context_attempt(task))), "attempt");
    check(dd_value_string(dd_task_context_name(task), &name), "name");
    check(dd_value_push(seen, name), "push name");
    check(dd_value_push(seen, int_value(dd_task_context_time_left_ms(task))), "time left");
    return seen;
}

static dd_value *twice(void *userdata, dd_task_context *task, const dd_value *args) {
    (void)userdata;
    int64_t n = 0;
    if (dd_value_get_int(args, &n) != DD_OK) {
        dd_task_context_fail(task, "ArgumentError", "twice takes an integer");
        return NULL;
    }
    return int_value(2 * n);
}

typedef struct {
    uint64_t ids[2];
    int inspected;
    int next_calls;
    int results;
    int64_t sum;
    int item_errors;
    int map_done;
} state;

static int64_t item_of(const dd_value *tuple, size_t index) {
    const dd_value *item = NULL;
    int64_t n = 0;
    check(dd_value_at(tuple, index, &item), "tuple item");
    check(dd_value_get_int(item, &n), "tuple int");
    return n;
}

static void maybe_stop(dd_node *node, state *s) {
    if (s->inspected == 2 && s->map_done) {
        check(dd_node_stop(node), "stop");
    }
}

/* userdata: which of the two inspect tasks (0: with a deadline, 1: without). */
typedef struct {
    state *s;
    int which;
} inspection;

static void on_inspected(void *userdata, dd_node *node, const dd_value *result, const dd_error *error) {
    inspection *i = userdata;
    state *s = i->s;
    if (error != NULL) {
        fprintf(stderr, "tasks: inspect failed: %s\n", dd_error_message(error));
        exit(1);
    }
    const dd_value *name = NULL;
    const uint8_t *text = NULL;
    size_t len = 0;
    check(dd_value_at(result, 2, &name), "name");
    check(dd_value_get_binary(name, &text, &len), "name bytes");
    int64_t left = item_of(result, 3);
    expect((uint64_t)item_of(result, 0) == s->ids[i->which], "the handler sees the id dd_pool_defer gave");
    expect(item_of(result, 1) == 1, "first attempt");
    expect(len == 7 && memcmp(text, "inspect", 7) == 0, "the handler sees its task's name");
    if (i->which == 0) {
        expect(left > 0 && left <= 5000, "time left before a 5 s deadline: more than 0, at most 5000 ms");
    } else {
        expect(left == -1, "no deadline: time left -1");
    }
    s->inspected++;
    maybe_stop(node, s);
}

/* Items 1, 2, then one that cannot be had (returned with the failure: the library frees it). */
static dd_value *next_item(void *userdata, dd_map_feed *feed) {
    state *s = userdata;
    s->next_calls++;
    if (s->next_calls == 3) {
        check(dd_map_feed_fail(feed, "item 3 is unreadable"), "fail the feed");
        return int_value(3);
    }
    return int_value(s->next_calls);
}

static void on_item(void *userdata, dd_node *node, uint64_t index, const dd_value *result, const dd_error *error) {
    (void)node;
    (void)index;
    state *s = userdata;
    int64_t n = 0;
    if (error != NULL) {
        fprintf(stderr, "tasks: item failed: %s\n", dd_error_message(error));
        exit(1);
    }
    check(dd_value_get_int(result, &n), "result");
    s->sum += n;
    s->results++;
}

static void on_map_done(void *userdata, dd_node *node) {
    state *s = userdata;
    expect(s->results == 2 && s->sum == 6, "the items before the failure ran: 2 results, 2 + 4");
    expect(s->item_errors == 1, "the failure reached on_error before the end");
    expect(s->next_calls == 3, "next was not asked again after it failed");
    s->map_done = 1;
    maybe_stop(node, s);
}

static void on_error(void *userdata, dd_node *node, const dd_error *error) {
    (void)node;
    state *s = userdata;
    const char *const *lines = NULL;
    size_t count = 1;
    check(dd_error_remote_backtrace(error, &lines, &count), "backtrace");
    expect(dd_error_status(error) == DD_ERR_CALLBACK && strcmp(dd_error_class_name(error), "CallbackError") == 0,
           "the feed's failure is a CallbackError");
    expect(strstr(dd_error_message(error), "item 3 is unreadable") != NULL, "with the callback's message");
    expect(dd_error_remote_class(error) == NULL && lines == NULL && count == 0,
           "a local error: no remote class, no backtrace");
    s->item_errors++;
}

static void start(void *userdata, dd_node *node) {
    state *s = userdata;
    static inspection with_deadline, without;
    with_deadline = (inspection){s, 0};
    without = (inspection){s, 1};
    dd_value *nil = NULL;
    check(dd_value_nil(&nil), "nil");
    check(dd_pool_defer(node, "p", "inspect", nil, 5000, on_inspected, &with_deadline, NULL, &s->ids[0]), "defer");
    check(dd_pool_defer(node, "p", "inspect", nil, 0, on_inspected, &without, NULL, &s->ids[1]), "defer");
    dd_value_free(nil);
    check(dd_pool_map(node, "p", "twice", next_item, on_item, on_map_done, s, NULL), "map");
}

int main(void) {
    state s;
    memset(&s, 0, sizeof s);
    dd_node *node = NULL;
    check(dd_node_new(NULL, &node), "node");
    check(dd_node_task(node, "inspect", inspect, NULL, NULL), "task inspect");
    check(dd_node_task(node, "twice", twice, NULL, NULL), "task twice");
    dd_pool_options options;
    check(dd_pool_options_default(&options), "pool options");
    options.local_threads = 2; /* placement inferred: local */
    dd_bytes *endpoint = (dd_bytes *)&s; /* anything but NULL, to see the call write NULL */
    check(dd_node_worker_pool(node, "p", &options, &endpoint), "pool");
    expect(endpoint == NULL, "a pool that binds nothing has no endpoint: NULL");
    check(dd_node_on_error(node, on_error, &s, NULL), "on_error");
    check(dd_node_next_tick(node, start, &s, NULL, NULL), "next_tick");
    check(dd_node_run(node), "run");
    dd_node_free(node);
    if (failures > 0) {
        printf("%d checks failed\n", failures);
        return 1;
    }
    printf("done: task context and failing map items checked\n");
    return 0;
}
