/* probe/drivers/probe_targetlist.h: the targets of one run, from arguments, files and stdin, in
 * order, each probed once (-f FILE / --targets FILE, "-" for stdin; blank lines and '#' comments
 * ignored; a line may be a connection string). Each target remembers where it came from, so a
 * usage error can name the file and line (or the argument). */
#ifndef PROBE_PROBE_TARGETLIST_H
#define PROBE_PROBE_TARGETLIST_H

#include <stddef.h>
#include <stdio.h>

struct probe_targetlist {
    char **items;   /* owned, in first-seen order */
    char **where;   /* owned, beside items: "fleet.txt:12", "argument 2" or NULL */
    size_t n;
    size_t cap;
    size_t *slots;  /* open-addressing set of indexes + 1 (0 = empty), for duplicates */
    size_t nslots;
    size_t duplicates;
};

/* Adds a copy of text unless the same text is already there. Returns 1 added, 0 duplicate,
 * -1 out of memory. */
int probe_targetlist_add(struct probe_targetlist *l, const char *text);
/* probe_targetlist_add(), remembering a copy of where (how a message names the place the text
 * came from; NULL: nowhere in particular). A duplicate keeps its first place. */
int probe_targetlist_add_at(struct probe_targetlist *l, const char *text, const char *where);
/* Where items[i] came from, or "" when nothing was said. */
const char *probe_targetlist_where(const struct probe_targetlist *l, size_t i);
/* Reads one target per line from f (name is for messages: a path or "stdin"), each placed at
 * "NAME:LINE". Lines are trimmed; blank lines and lines starting with '#' are skipped; a trailing
 * "\r" is dropped. Returns 0, or -1 with err set (a line over 4096 bytes, a NUL byte, out of
 * memory). */
int probe_targetlist_read(struct probe_targetlist *l, FILE *f, const char *name, char *err,
                          size_t errlen);
void probe_targetlist_free(struct probe_targetlist *l);

#endif
