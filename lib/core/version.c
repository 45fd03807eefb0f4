/* SPDX-License-Identifier: Apache-2.0 */
#include "mistral/version.h"

const char *mistral_version(void) { return MISTRAL_VERSION_STRING; }

unsigned mistral_version_num(void) { return MISTRAL_VERSION_NUM; }
