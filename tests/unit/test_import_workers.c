/* test_import_workers.c: the staged start of `marcpipe import`'s worker
 * set (src/cli/import_workers.c), with /bin/sh children standing in for
 * `marcpipe work`. Staged, worker 0 runs alone until the caller calls
 * mp_import_workers_start_rest (in import: worker 0's first counters line
 * after joining the group), until worker 0 exits, or until stage_ms; a
 * stop while the others are pending never starts them. Each branch is
 * driven here; the import's end-to-end use runs on the real cluster in the
 * integration tests.
 */
#include "cli/import_workers.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

typedef struct {
  mp_import_workers_t set;
  int outputs0;            /* on_output calls for worker 0 */
  bool rest_running_at_output; /* worker 1 running at worker 0's output */
  bool call_rest;          /* on_output starts the rest */
  int gave_up[4];          /* exits that were not restarted, per worker */
  bool pending_at_give_up0; /* rest still pending when worker 0 gave up */
  bool all_exited;
  uv_timer_t check;        /* case "timer": waits for the rest */
  bool rest_seen_while_0_ran;
} fixture_t;

static void on_output(mp_import_workers_t *set, int index) {
  fixture_t *f = set->data;
  if (index != 0)
    return;
  if (f->outputs0++ == 0)
    f->rest_running_at_output = set->w[1].running;
  if (f->call_rest)
    assert_int_equal(mp_import_workers_start_rest(set), 0);
}

static void on_give_up(mp_import_workers_t *set, int index) {
  fixture_t *f = set->data;
  if (index == 0)
    f->pending_at_give_up0 = set->rest_pending;
  f->gave_up[index]++;
}

static void on_all_exited(mp_import_workers_t *set) {
  fixture_t *f = set->data;
  f->all_exited = true;
}

static void start(fixture_t *f, uv_loop_t *loop, int n, unsigned stage_ms,
                  const char *script) {
  memset(f, 0, sizeof *f);
  f->set.max_restarts = 0;
  f->set.stage_ms = stage_ms;
  f->set.on_output = on_output;
  f->set.on_give_up = on_give_up;
  f->set.on_all_exited = on_all_exited;
  f->set.data = f;
  char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
  assert_int_equal(mp_import_workers_start(loop, &f->set, n, argv), 0);
}

/* Every handle closed: the loop closes cleanly. */
static void finish(fixture_t *f, uv_loop_t *loop) {
  mp_import_workers_release(&f->set);
  assert_int_equal(uv_loop_close(loop), 0);
}

/* Worker 0 says it joined: only then do the others start; all run. */
static void test_rest_after_first_output(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  fixture_t f;
  start(&f, &loop, 3, 60000, "echo '{\"rebalances\":1}'; sleep 0.2");
  f.call_rest = true;
  assert_true(f.set.w[0].running);
  assert_false(f.set.w[1].running);
  assert_false(f.set.w[2].running);
  assert_true(f.set.rest_pending);
  uv_run(&loop, UV_RUN_DEFAULT); /* ends when every child has exited */
  assert_int_equal(f.outputs0, 1);
  assert_false(f.rest_running_at_output);
  assert_false(f.set.rest_pending);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(f.gave_up[i], 1); /* each ran once and exited */
    assert_non_null(f.set.w[i].stdout_buf.data);
    assert_non_null(strstr(f.set.w[i].stdout_buf.data, "\"rebalances\":1"));
  }
  finish(&f, &loop);
}

/* Worker 0 exits without a word: the others are started at once. */
static void test_rest_after_first_exit(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  fixture_t f;
  start(&f, &loop, 3, 60000, "exit 3");
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(f.outputs0, 0);
  assert_false(f.pending_at_give_up0); /* started by its exit, not later */
  assert_false(f.set.rest_pending);
  assert_int_equal(f.set.crashes, 3);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(f.gave_up[i], 1);
    assert_int_equal(f.set.w[i].exit_status, 3);
  }
  finish(&f, &loop);
}

static void check_cb(uv_timer_t *t) {
  fixture_t *f = t->data;
  if (!f->set.w[1].running || !f->set.w[2].running)
    return;
  f->rest_seen_while_0_ran = f->set.w[0].running;
  uv_timer_stop(t);
  uv_close((uv_handle_t *)t, NULL);
  mp_import_workers_stop(&f->set);
}

/* Worker 0 runs but never says it joined: the others start after
 * stage_ms, worker 0 still running. */
static void test_rest_after_stage_ms(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  fixture_t f;
  start(&f, &loop, 3, 50, "echo waiting; exec sleep 30");
  uv_timer_init(&loop, &f.check);
  f.check.data = &f;
  uv_timer_start(&f.check, check_cb, 10, 10);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_true(f.rest_seen_while_0_ran);
  assert_true(f.all_exited);
  assert_false(f.set.rest_pending);
  assert_int_equal(f.set.crashes, 0); /* all stopped, none crashed */
  for (int i = 0; i < 3; i++)
    assert_int_equal(f.set.w[i].term_signal, SIGTERM);
  finish(&f, &loop);
}

/* Stopped while the others are pending: they never start. */
static void test_stop_while_pending(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  fixture_t f;
  start(&f, &loop, 3, 60000, "exec sleep 30");
  mp_import_workers_stop(&f.set);
  assert_false(f.set.rest_pending);
  assert_int_equal(mp_import_workers_start_rest(&f.set), 0); /* no-op */
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_true(f.all_exited);
  assert_int_equal(f.set.w[0].term_signal, SIGTERM);
  for (int i = 1; i < 3; i++) {
    assert_false(f.set.w[i].running);
    assert_int_equal(f.set.w[i].proc.pid, 0); /* never spawned */
  }
  finish(&f, &loop);
}

/* Without stage_ms all start together (the embedded broker, shares). */
static void test_not_staged(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  fixture_t f;
  start(&f, &loop, 3, 0, "exec sleep 30");
  for (int i = 0; i < 3; i++)
    assert_true(f.set.w[i].running);
  assert_false(f.set.rest_pending);
  mp_import_workers_stop(&f.set);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_true(f.all_exited);
  finish(&f, &loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rest_after_first_output),
      cmocka_unit_test(test_rest_after_first_exit),
      cmocka_unit_test(test_rest_after_stage_ms),
      cmocka_unit_test(test_stop_while_pending),
      cmocka_unit_test(test_not_staged),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
