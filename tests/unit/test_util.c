/* test_util.c: buffers, arenas, error names, the record model. */
#include "marcpipe/buf.h"
#include "marcpipe/error.h"
#include "marcpipe/marc.h"
#include "marcpipe/text.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

static void test_buf_grows_and_formats(void **s) {
  mp_buf_t b;
  mp_buf_init(&b);
  for (int i = 0; i < 1000; i++)
    assert_int_equal(mp_buf_printf(&b, "%03d", i % 1000), 0);
  assert_int_equal(b.len, 3000);
  assert_memory_equal(b.data + 2997, "999", 3);
  assert_int_equal(b.data[b.len], '\0');
  mp_buf_clear(&b);
  assert_int_equal(b.len, 0);
  mp_buf_release(&b);
}

/* An array grows by doubling from its first size, keeps its elements, and
 * is left as it was when the next size cannot be represented. */
static void test_array_room_doubles_and_keeps_elements(void **s) {
  (void)s;
  int *v = NULL;
  size_t n = 0, cap = 0;
  for (int i = 0; i < 37; i++) {
    assert_int_equal(mp_array_room(&v, n, &cap, sizeof *v, 4), 0);
    v[n++] = i * 3;
  }
  assert_int_equal(cap, 64); /* 4, 8, 16, 32, 64 */
  for (int i = 0; i < 37; i++)
    assert_int_equal(v[i], i * 3);
  assert_int_equal(mp_array_room(&v, 10, &cap, sizeof *v, 4), 0); /* room */
  assert_int_equal(cap, 64);
  int *before = v;
  size_t huge = SIZE_MAX / 2 + 1;
  assert_int_equal(mp_array_room(&v, huge, &huge, sizeof *v, 4), MP_ENOMEM);
  assert_ptr_equal(v, before);
  assert_int_equal(huge, SIZE_MAX / 2 + 1);
  free(v);
}

static void test_arena_memory_never_moves(void **s) {
  mp_arena_t a;
  mp_arena_init(&a, 64);
  char *first = mp_arena_dup(&a, "hello", 5);
  for (int i = 0; i < 100; i++)
    assert_non_null(mp_arena_alloc(&a, 50));
  assert_string_equal(first, "hello");
  char *big = mp_arena_alloc(&a, 10000);
  assert_non_null(big);
  memset(big, 'x', 10000);
  mp_arena_reset(&a);
  assert_non_null(mp_arena_dup(&a, "again", 5));
  mp_arena_release(&a);
}

/* Released blocks of the pool's size go back to it (up to max_free) and
 * the next arena gets the same memory; larger blocks are freed. */
static void test_arena_pool_reuses_blocks_up_to_its_bound(void **s) {
  mp_arena_pool_t p;
  mp_arena_pool_init(&p, 256, 2);
  mp_arena_t a, b;
  mp_arena_init_pooled(&a, &p);
  assert_non_null(mp_arena_alloc(&a, 200));
  char *second = mp_arena_alloc(&a, 200); /* each fills a block */
  assert_non_null(mp_arena_alloc(&a, 200));
  assert_non_null(mp_arena_alloc(&a, 1000)); /* oversized: never pooled */
  /* released newest first: the oversized block is freed, the third and
   * the second are pooled, the first is freed (the pool is full) */
  mp_arena_release(&a);
  assert_int_equal(p.nfree, 2);
  mp_arena_init_pooled(&b, &p);
  char *y = mp_arena_dup(&b, "reused", 6);
  assert_ptr_equal(y, second); /* the last block pooled comes back first */
  assert_string_equal(y, "reused");
  assert_int_equal(p.nfree, 1);
  assert_non_null(mp_arena_alloc(&b, 200));
  assert_non_null(mp_arena_alloc(&b, 200));
  assert_int_equal(p.nfree, 0); /* one from the pool, one from malloc */
  mp_arena_release(&b);
  assert_int_equal(p.nfree, 2);
  mp_arena_pool_release(&p);
  assert_int_equal(p.nfree, 0);
  assert_null(p.free);
}

static void test_error_names_and_messages(void **s) {
  assert_string_equal(mp_err_name(MP_ELEADER), "MP_ELEADER");
  assert_string_equal(mp_strerror(MP_ELEADER), "invalid leader");
  assert_string_equal(mp_err_name(UV_ENOENT), "ENOENT");
  assert_string_equal(mp_err_name(MP_EBACKWARDS), "MP_EBACKWARDS");
  assert_string_equal(mp_strerror(MP_EBACKWARDS), "offset went backwards");
  assert_true(MP_EBACKWARDS != MP_ECONFIG);
  assert_true(MP_EOF < -10000 && MP_ECANCELED < 0);
}

static void test_record_clone_owns_its_bytes(void **s) {
  mp_record_t r, c;
  mp_record_init(&r);
  mp_record_init(&c);
  char buf[] = "u123";
  assert_non_null(mp_record_add_control(&r, "001", buf, 4, false));
  assert_non_null(mp_record_add_datafield(&r, "245", '1', '0'));
  assert_non_null(mp_record_add_subfield(&r, 'a', "Title /", 7, false));
  assert_non_null(mp_record_add_subfield(&r, 'c', "Someone.", 8, true));
  assert_int_equal(mp_record_clone(&c, &r), 0);
  buf[0] = 'X'; /* the clone must not see changes to the source bytes */
  const mp_field_t *f = mp_record_field(&c, "001");
  assert_non_null(f);
  assert_memory_equal(f->data, "u123", 4);
  f = mp_record_field(&c, "245");
  assert_int_equal(f->ind1, '1');
  assert_int_equal(f->sf_count, 2);
  const mp_subfield_t *sf = mp_field_subfield(&c, f, 'c');
  assert_non_null(sf);
  assert_int_equal(sf->len, 8);
  assert_memory_equal(sf->data, "Someone.", 8);
  assert_null(mp_field_subfield(&c, f, 'z'));
  mp_record_release(&r);
  mp_record_release(&c);
}

static void test_diag_format_names_file_record_offset(void **s) {
  mp_marc_diag_t d = {.code = MP_EFIELD, .severity = MP_SEV_ERROR,
                      .recno = 7, .offset = 1234};
  strcpy(d.tag, "245");
  strcpy(d.msg, "field runs past the record end");
  char out[512];
  mp_marc_diag_format(&d, "x.mrc", out, sizeof out);
  assert_string_equal(out, "x.mrc: record 7 at byte 1234, field 245: error: "
                           "field runs past the record end");
}

static void test_text_shown_escapes_control_characters(void **state) {
  char out[64];
  assert_string_equal(mp_text_shown("a.mrc\n7  COMPLETED\t\x01\x7f\\z", out, sizeof out),
                      "a.mrc\\n7  COMPLETED\\t\\x01\\x7F\\\\z");
  assert_string_equal(mp_text_shown("caf\xc3\xa9", out, sizeof out), "caf\xc3\xa9");
  /* truncated on an escape boundary, always terminated */
  assert_string_equal(mp_text_shown("ab\ncd", out, 4), "ab");
  assert_string_equal(mp_text_shown(NULL, out, sizeof out), "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_buf_grows_and_formats),
      cmocka_unit_test(test_text_shown_escapes_control_characters),
      cmocka_unit_test(test_array_room_doubles_and_keeps_elements),
      cmocka_unit_test(test_arena_memory_never_moves),
      cmocka_unit_test(test_arena_pool_reuses_blocks_up_to_its_bound),
      cmocka_unit_test(test_error_names_and_messages),
      cmocka_unit_test(test_record_clone_owns_its_bytes),
      cmocka_unit_test(test_diag_format_names_file_record_offset),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
