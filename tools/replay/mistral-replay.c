/* mistral-replay: serve recorded *.fixture exchanges on 127.0.0.1.
 *
 *   mistral-replay [--dir DIR] [--port-file FILE] [--strict] [--quiet]
 *
 * Point a client (the library, an example, a benchmark) at the printed URL
 * instead of https://api.mistral.ai. Every fixture under DIR answers any
 * request it matches; without --strict a request that matches none exactly
 * gets the closest fixture of the same method and path (response header
 * "x-replay-match: closest"). A request with no candidate at all gets
 * "599 Fixture Mismatch" with the reason in the body. Runs until SIGINT or
 * SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture_server.h"

#ifndef MISTRAL_REPLAY_DEFAULT_DIR
#define MISTRAL_REPLAY_DEFAULT_DIR "tests/fixtures"
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: mistral-replay [--dir DIR] [--port-file FILE] [--strict] "
            "[--quiet]\n"
            "\n"
            "Serves recorded HTTP exchanges (*.fixture) on 127.0.0.1.\n"
            "\n"
            "  --dir DIR         fixtures to serve (default: %s)\n"
            "  --port-file FILE  write the server URL to FILE once listening\n"
            "  --strict          answer only exact matches (else 599)\n"
            "  --quiet           print nothing on startup\n",
            MISTRAL_REPLAY_DEFAULT_DIR);
}

/* Writes "URL\n" to path atomically: a reader sees the whole URL or no
 * file. */
static int write_port_file(const char *path, const char *url)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return -1;
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "mistral-replay: %s: %s\n", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    bool ok = fprintf(f, "%s\n", url) > 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "mistral-replay: %s: %s\n", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = MISTRAL_REPLAY_DEFAULT_DIR;
    const char *port_file = NULL;
    bool strict = false;
    bool quiet = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strncmp(a, "--dir=", 6) == 0) {
            dir = a + 6;
        } else if (strcmp(a, "--port-file") == 0 && i + 1 < argc) {
            port_file = argv[++i];
        } else if (strncmp(a, "--port-file=", 12) == 0) {
            port_file = a + 12;
        } else if (strcmp(a, "--strict") == 0) {
            strict = true;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "mistral-replay: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }

    /* Block the stop signals before any thread starts, so that every thread
     * inherits the mask and sigwait() below receives them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &stop_signals, NULL) != 0) {
        fprintf(stderr, "mistral-replay: cannot block signals\n");
        return 1;
    }

    /* No key: any "Authorization: Bearer ..." is accepted. */
    fixture_server *fs = fixture_server_start(NULL);
    if (!fs)
        return 1;
    if (fixture_server_load_dir(fs, dir, !strict) != 0) {
        fixture_server_stop(fs);
        return 1;
    }
    if (!quiet)
        fprintf(stderr,
                "mistral-replay: serving %zu recorded exchanges from %s on "
                "%s\n",
                fixture_server_loaded(fs), dir, fixture_server_url(fs));
    if (port_file && write_port_file(port_file, fixture_server_url(fs)) != 0) {
        fixture_server_stop(fs);
        return 1;
    }

    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0)
        ;
    fixture_server_stop(fs);
    if (port_file)
        unlink(port_file);
    return 0;
}
