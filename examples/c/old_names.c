/* Code written against the earlier names still builds and runs (they are deprecated: the
 * header's end maps them to the current ones). This program uses only the old spellings:
 * dd_handle and dd_node_handle(), dd_handle_post/stop/free, dd_task and dd_task_id,
 * dd_task_attempt, dd_task_name, dd_task_is_cancelled, dd_task_fail, dd_error_class,
 * dd_error_backtrace_len and dd_error_backtrace_line. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dripdrop.h"

static void check(dd_status status, const char *what) {
    if (status != DD_OK) {
        fprintf(stderr, "old_names: %s: %s: %s\n", what, dd_status_name(status), dd_last_error_message());
        exit(1);
    }
}

static dd_value *refuse(void *userdata, dd_task *task, const dd_value *args) {
    (void)userdata;
    (void)args;
    int seen = dd_task_id(task) > 0 && dd_task_attempt(task) == 1 && strcmp(dd_task_name(task), "refuse") == 0 &&
               !dd_task_is_cancelled(task);
    dd_task_fail(task, seen ? "Refused" : "WrongContext", "no");
    return NULL;
}

typedef struct {
    dd_handle *handle;
    pthread_t poster;
    int refused;
    int posted;
} state;

static void on_posted(void *userdata, dd_node *node) {
    (void)node;
    state *s = userdata;
    s->posted = 1;
    check(dd_handle_stop(s->handle), "stop");
}

static void *post_from_elsewhere(void *userdata) {
    state *s = userdata;
    check(dd_handle_post(s->handle, on_posted, s, NULL), "post");
    return NULL;
}

static void on_refused(void *userdata, dd_node *node, const dd_value *result, const dd_error *error) {
    (void)node;
    (void)result;
    state *s = userdata;
    s->refused = error != NULL && strcmp(dd_error_class(error), "Refused") == 0 &&
                 dd_error_backtrace_len(error) == 0 && dd_error_backtrace_line(error, 0) == NULL;
    if (pthread_create(&s->poster, NULL, post_from_elsewhere, s) != 0) {
        fprintf(stderr, "old_names: cannot start a thread\n");
        exit(1);
    }
}

int main(void) {
    state s = {NULL, 0, 0, 0};
    dd_node *node = NULL;
    check(dd_node_new(NULL, &node), "node");
    check(dd_node_task(node, "refuse", refuse, NULL, NULL), "task");
    dd_pool_options options;
    check(dd_pool_options_default(&options), "pool options");
    options.placement = DD_PLACEMENT_LOCAL;
    options.local_threads = 1;
    check(dd_node_worker_pool(node, "p", &options, NULL), "pool");
    check(dd_node_handle(node, &s.handle), "handle");
    dd_value *nil = NULL;
    check(dd_value_nil(&nil), "nil");
    check(dd_pool_defer(node, "p", "refuse", nil, 0, on_refused, &s, NULL, NULL), "defer");
    dd_value_free(nil);
    check(dd_node_run(node), "run");
    pthread_join(s.poster, NULL);
    dd_handle_free(s.handle);
    dd_node_free(node);
    printf("done: old names: task failure seen %d, posted %d\n", s.refused, s.posted);
    return s.refused && s.posted ? 0 : 1;
}
