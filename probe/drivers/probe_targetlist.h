/* probe/drivers/probe_targetlist.h: the targets of one run, from arguments, files and stdin, in
 * order, each probed once (docs/design.md: -f FILE / --targets FILE, "-" for stdin; blank lines and
 * '#' comments ignored; a line may be a connection string). */
#ifndef PROBE_PROBE_TARGETLIST_H
#define PROBE_PROBE_TARGETLIST_H

#include <stddef.h>
#include <stdio.h>

struct probe_targetlist {
    char **items;   /* owned, in first-seen order */
    size_t n;
    size_t cap;
    size_t *slots;  /* open-addressing set of indexes + 1 (0 = empty), for duplicates */
    size_t nslots;
    size_t duplicates;
};

/* Adds a copy of text unless the same text is already there. Returns 1 added, 0 duplicate,
 * -1 out of memory. */
int probe_targetlist_add(struct probe_targetlist *l, const char *text);
/* Reads one target per line from f (name is for messages: a path or "stdin"). Lines are
 * trimmed; blank lines and lines starting with '#' are skipped; a trailing "\r" is dropped.
 * Returns 0, or -1 with err set (a line over 4096 bytes, a NUL byte, out of memory). */
int probe_targetlist_read(struct probe_targetlist *l, FILE *f, const char *name, char *err,
                          size_t errlen);
void probe_targetlist_free(struct probe_targetlist *l);

#endif
