/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/export.h
 * Symbol visibility. The library is built with -fvisibility=hidden and only
 * what is marked MISTRAL_API is exported. Define MISTRAL_STATIC when linking
 * the static library on platforms where that matters (Windows).
 */
#ifndef MISTRAL_EXPORT_H
#define MISTRAL_EXPORT_H

#if defined(_WIN32) && !defined(MISTRAL_STATIC)
#  ifdef MISTRAL_BUILDING_LIBRARY
#    define MISTRAL_API __declspec(dllexport)
#  else
#    define MISTRAL_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define MISTRAL_API __attribute__((visibility("default")))
#else
#  define MISTRAL_API
#endif

#endif /* MISTRAL_EXPORT_H */
