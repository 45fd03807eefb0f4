/* SPDX-License-Identifier: Apache-2.0 */
/* Ctrl-C during a call: SIGINT only sets a flag, which the library polls
 * through the call's cancel flag, so the call stops cleanly (a stream is
 * closed, what was printed stays) and the command reports "interrupted"
 * instead of dying mid-output. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static volatile sig_atomic_t interrupted;
_Static_assert(sizeof(sig_atomic_t) == sizeof(int), "the cancel flag is an int");

/* The handler before cli_sigint_begin(), put back by cli_sigint_end(). */
static struct sigaction previous;

static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
}

int cli_sigint_begin(mistral_call_options **out) {
  mistral_call_options *opts = NULL;
  if (mistral_call_options_new(&opts) != MISTRAL_OK) return cli_report(MISTRAL_E_NOMEM, NULL);
  mistral_call_options_set_cancel_flag(opts, (const volatile int *)&interrupted);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &previous);
  *out = opts;
  return CLI_EXIT_OK;
}

int cli_sigint_end(int rc, const mistral_error *err) {
  sigaction(SIGINT, &previous, NULL);
  if (rc == MISTRAL_E_CANCELLED && interrupted) {
    fflush(stdout); /* what was printed comes before the message */
    cli_error("interrupted");
    return CLI_EXIT_INTERRUPTED;
  }
  return rc == MISTRAL_OK ? CLI_EXIT_OK : cli_report(rc, err);
}
