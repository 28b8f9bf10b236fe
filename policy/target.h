/* SPDX-License-Identifier: MIT */
/*
 * target.h — what counts as a target triple, and whether one is known.
 *
 * A target is a Rust-style triple: 2 to 4 parts separated by '-', each part
 * starting with a lowercase letter or digit and made of [a-z0-9_.], the whole
 * at most 64 bytes (e.g. "riscv64gc-unknown-linux-gnu", "s390x-unknown-linux-gnu",
 * "armv7-unknown-linux-gnueabihf", "wasm32-wasip1").
 *
 * A well-formed triple may still be a typo ("riscv64gc-unknwon-linux-gnu")
 * that would then count as a target of its own. target_known() refuses it:
 * when the policy lists its targets, a target must be one of them; without
 * such a list, the parts after the architecture must be vendors, operating
 * systems and environments that Rust's targets use (arch-vendor-os[-env],
 * arch-os-env or arch-os). Either way the refusal suggests the closest known
 * name (edit distance at most 2 for a part, more for a whole triple of
 * the policy's list).
 */
#ifndef RW_TARGET_H
#define RW_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#define RW_TARGET_MAX 64

struct rw_policy;

/** True when @p s is a well-formed target triple. */
bool target_is_valid(const char *s);

/**
 * Whether @p s (well-formed) is a target runwarden should accept under
 * @p pol (NULL: no policy list, the vocabulary check).
 * @param why  on refusal, one clause: what is unknown and the suggestion,
 *             e.g. "the policy's targets do not include it (did you mean
 *             riscv64gc-unknown-linux-gnu?)".
 * @return true when known.
 */
bool target_known(const char *s, const struct rw_policy *pol, char *why, size_t len);

#endif
