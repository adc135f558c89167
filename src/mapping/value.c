/* value.c: the mapped record as a small value tree, and its JSON text.
 *
 * A record is mapped into a tree of mp__val_t (strings, booleans, arrays,
 * objects) allocated from one arena of the mapping thread (mp__vt_t), reset
 * before each record: no malloc, no free, no hashing per value. Objects are
 * arrays of (key, value) in insertion order; a lookup is a linear scan over
 * the few keys an Instance or one of its objects holds. The operations are
 * jansson's, with its semantics, because the text must stay the bytes the
 * jansson tree used to give: setting an existing key replaces the value in
 * its place, a new key goes last, deleting keeps the others' order. Keys
 * are not copied: they are the shapes' names and literals, which outlive
 * every record. Strings are copied into the arena, NUL-terminated (with
 * their length: a NUL inside is kept, as jansson keeps it).
 *
 * Memory per record is bounded: past MP__VT_CAP bytes every allocation
 * fails and `over` is set; the evaluator then refuses the record
 * (MP_ETOOBIG) instead of growing without end. Reset keeps the arena's
 * first block, so a record of ordinary size allocates nothing at all.
 *
 * mp__v_write appends the compact JSON text: what json_dumps(tree,
 * JSON_COMPACT) wrote for the same tree ('"', '\\', \b \f \n \r \t, other
 * C0 controls as \u00XX in upper-case hex; '/' and non-ASCII as they are;
 * members in order; no spaces). Strings are valid UTF-8 by construction
 * (the evaluator repairs them as it stores them), so it does not check.
 * Everything here is used by one thread at a time.
 */
#include "mapping/mapping_impl.h"

#include "marcpipe/error.h"
#include "marcpipe/utf8.h"

#include <string.h>

/* ---- arena ---- */

void mp__vt_init(mp__vt_t *t) {
  mp_arena_init(&t->arena, 64 * 1024);
  t->used = 0;
  t->cap = MP__VT_CAP;
  t->over = false;
}

void mp__vt_release(mp__vt_t *t) { mp_arena_release(&t->arena); }

void mp__vt_reset(mp__vt_t *t) {
  mp_arena_reset(&t->arena);
  t->used = 0;
  t->over = false;
}

static void *vt_alloc(mp__vt_t *t, size_t n) {
  if (t->over || n > t->cap - t->used) {
    t->over = true;
    return NULL;
  }
  t->used += n;
  return mp_arena_alloc(&t->arena, n);
}

/* ---- values ---- */

static mp__val_t v_true = {.type = MP__V_TRUE};
static mp__val_t v_false = {.type = MP__V_FALSE};

mp__val_t *mp__v_bool(bool b) { return b ? &v_true : &v_false; }

mp__val_t *mp__v_str(mp__vt_t *t, const char *s, size_t n) {
  mp__val_t *v = vt_alloc(t, sizeof *v + n + 1);
  if (!v)
    return NULL;
  char *d = (char *)(v + 1);
  if (n)
    memcpy(d, s, n);
  d[n] = '\0';
  v->type = MP__V_STR;
  v->s = d;
  v->n = n;
  return v;
}

static mp__val_t *container(mp__vt_t *t, mp__vtype_t type) {
  mp__val_t *v = vt_alloc(t, sizeof *v);
  if (v)
    *v = (mp__val_t){.type = type};
  return v;
}

mp__val_t *mp__v_arr(mp__vt_t *t) { return container(t, MP__V_ARR); }
mp__val_t *mp__v_obj(mp__vt_t *t) { return container(t, MP__V_OBJ); }

/* Room for one more item (array) or member (object): capacity doubles,
 * the old items stay behind in the arena (at most as much again). */
static int grow(mp__vt_t *t, void **items, size_t *cap, size_t n, size_t size) {
  if (n < *cap)
    return 0;
  size_t nc = *cap ? *cap * 2 : 4;
  void *ni = vt_alloc(t, nc * size);
  if (!ni)
    return MP_ENOMEM;
  if (n)
    memcpy(ni, *items, n * size);
  *items = ni;
  *cap = nc;
  return 0;
}

int mp__v_push(mp__vt_t *t, mp__val_t *arr, mp__val_t *v) {
  if (!v || grow(t, (void **)&arr->items, &arr->cap, arr->n, sizeof *arr->items))
    return MP_ENOMEM;
  arr->items[arr->n++] = v;
  return 0;
}

void mp__v_remove(mp__val_t *arr, size_t i) {
  if (!arr || arr->type != MP__V_ARR || i >= arr->n)
    return;
  memmove(arr->items + i, arr->items + i + 1, (arr->n - i - 1) * sizeof *arr->items);
  arr->n--;
}

mp__val_t *mp__v_at(const mp__val_t *arr, size_t i) {
  return arr && arr->type == MP__V_ARR && i < arr->n ? arr->items[i] : NULL;
}

size_t mp__v_size(const mp__val_t *arr) {
  return arr && arr->type == MP__V_ARR ? arr->n : 0;
}

static mp__kv_t *find(const mp__val_t *o, const char *key) {
  if (!o || o->type != MP__V_OBJ)
    return NULL;
  for (size_t i = 0; i < o->n; i++) /* same pointer, else same text */
    if (o->kv[i].key == key ||
        (o->kv[i].key[0] == key[0] && strcmp(o->kv[i].key, key) == 0))
      return &o->kv[i];
  return NULL;
}

mp__val_t *mp__v_get(const mp__val_t *o, const char *key) {
  mp__kv_t *kv = find(o, key);
  return kv ? kv->val : NULL;
}

const char *mp__v_cstr(const mp__val_t *v) {
  return v && v->type == MP__V_STR ? v->s : NULL;
}

int mp__v_set(mp__vt_t *t, mp__val_t *o, const char *key, mp__val_t *v) {
  if (!v || !o || o->type != MP__V_OBJ)
    return MP_ENOMEM;
  mp__kv_t *kv = find(o, key);
  if (kv) {
    kv->val = v;
    return 0;
  }
  if (grow(t, (void **)&o->kv, &o->cap, o->n, sizeof *o->kv))
    return MP_ENOMEM;
  o->kv[o->n++] = (mp__kv_t){key, v};
  return 0;
}

void mp__v_del(mp__val_t *o, const char *key) {
  mp__kv_t *kv = find(o, key);
  if (!kv)
    return;
  size_t i = (size_t)(kv - o->kv);
  memmove(o->kv + i, o->kv + i + 1, (o->n - i - 1) * sizeof *o->kv);
  o->n--;
}

/* json_equal: strings by bytes, arrays item by item, objects by key. */
bool mp__v_equal(const mp__val_t *a, const mp__val_t *b) {
  if (a == b)
    return true;
  if (!a || !b || a->type != b->type)
    return false;
  switch (a->type) {
  case MP__V_STR:
    return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
  case MP__V_ARR:
    if (a->n != b->n)
      return false;
    for (size_t i = 0; i < a->n; i++)
      if (!mp__v_equal(a->items[i], b->items[i]))
        return false;
    return true;
  case MP__V_OBJ:
    if (a->n != b->n)
      return false;
    for (size_t i = 0; i < a->n; i++)
      if (!mp__v_equal(a->kv[i].val, mp__v_get(b, a->kv[i].key)))
        return false;
    return true;
  default:
    return true; /* true, false: same type */
  }
}

/* ---- text ---- */

/* Bytes jansson escapes: '"', '\\' and C0 controls. */
static bool needs_escape(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\';
}

/* The buffer has room (reserved by the caller) for one more byte. */
static inline void put_c(mp_buf_t *b, char c) { b->data[b->len++] = c; }

/* A string: worst case 6 bytes per byte (\u00XX) and the quotes. */
static int put_string(mp_buf_t *b, const char *p, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *u = (const unsigned char *)p;
  if (mp_buf_reserve(b, 6 * n + 3))
    return MP_ENOMEM;
  char *d = b->data + b->len;
  *d++ = '"';
  size_t i = 0;
  while (i < n) {
    uint64_t w;
    if (i + 8 <= n) {
      memcpy(&w, u + i, 8);
      /* the bytes with their top bit cleared: a byte >= 0x80 may then
       * look special and take the slow way, never the other way round */
      if (mp_text_plain8(w & 0x7F7F7F7F7F7F7F7Fu, '"', '\\')) {
        memcpy(d, &w, 8);
        d += 8;
        i += 8;
        continue;
      }
    }
    unsigned char c = u[i++];
    if (!needs_escape(c)) {
      *d++ = (char)c;
      continue;
    }
    *d++ = '\\';
    switch (c) {
    case '"': *d++ = '"'; break;
    case '\\': *d++ = '\\'; break;
    case '\b': *d++ = 'b'; break;
    case '\f': *d++ = 'f'; break;
    case '\n': *d++ = 'n'; break;
    case '\r': *d++ = 'r'; break;
    case '\t': *d++ = 't'; break;
    default:
      memcpy(d, "u00", 3);
      d[3] = hex[c >> 4];
      d[4] = hex[c & 15];
      d += 5;
    }
  }
  *d++ = '"';
  b->len = (size_t)(d - b->data);
  b->data[b->len] = '\0';
  return 0;
}

static int put_key(mp_buf_t *b, const char *key) {
  return put_string(b, key, strlen(key));
}

static int put_value(mp_buf_t *b, const mp__val_t *v) {
  int rc = 0;
  switch (v->type) {
  case MP__V_STR:
    return put_string(b, v->s, v->n);
  case MP__V_TRUE:
    return mp_buf_append(b, "true", 4);
  case MP__V_FALSE:
    return mp_buf_append(b, "false", 5);
  case MP__V_ARR:
    rc = mp_buf_reserve(b, 2);
    if (rc)
      return rc;
    put_c(b, '[');
    for (size_t i = 0; i < v->n && !rc; i++) {
      if (i && (rc = mp_buf_reserve(b, 1)) == 0)
        put_c(b, ',');
      rc = rc ? rc : put_value(b, v->items[i]);
    }
    return rc ? rc : mp_buf_putc(b, ']');
  case MP__V_OBJ:
    rc = mp_buf_reserve(b, 2);
    if (rc)
      return rc;
    put_c(b, '{');
    for (size_t i = 0; i < v->n && !rc; i++) {
      if (i && (rc = mp_buf_reserve(b, 1)) == 0)
        put_c(b, ',');
      rc = rc ? rc : put_key(b, v->kv[i].key);
      rc = rc ? rc : mp_buf_putc(b, ':');
      rc = rc ? rc : put_value(b, v->kv[i].val);
    }
    return rc ? rc : mp_buf_putc(b, '}');
  }
  return MP_EFORMAT;
}

int mp__v_write(const mp__val_t *v, mp_buf_t *out) {
  size_t mark = out->len;
  int rc = v ? put_value(out, v) : MP_EFORMAT;
  if (rc) {
    out->len = mark;
    if (out->data)
      out->data[mark] = '\0';
  }
  return rc;
}
