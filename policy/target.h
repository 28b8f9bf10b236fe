/* SPDX-License-Identifier: MIT */
/*
 * target.h — what counts as a target triple.
 *
 * A target is a Rust-style triple: 2 to 4 parts separated by '-', each part
 * starting with a lowercase letter or digit and made of [a-z0-9_.], the whole
 * at most 64 bytes (e.g. "riscv64gc-unknown-linux-gnu", "s390x-unknown-linux-gnu",
 * "armv7-unknown-linux-gnueabihf", "wasm32-wasip1").
 */
#ifndef RW_TARGET_H
#define RW_TARGET_H

#include <stdbool.h>

#define RW_TARGET_MAX 64

/** True when @p s is a well-formed target triple. */
bool target_is_valid(const char *s);

#endif
