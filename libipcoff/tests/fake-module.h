/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A scripted stand-in for the ipcoff module, for native tests of libipcoff.
 *
 * The test binary is linked with -Wl,--wrap=ioctl, so the library's ioctl()
 * calls land in __wrap_ioctl(). While the fake is armed, an ioctl on a
 * descriptor of FAKE_DEV_PATH (a real open file, so descriptor handling
 * stays real) is answered from the script below and recorded; every other
 * ioctl goes to the real ioctl() and is only counted.
 */
#ifndef IPCOFF_TESTS_FAKE_MODULE_H
#define IPCOFF_TESTS_FAKE_MODULE_H

#include <stdbool.h>
#include <stdint.h>

#include <ipcoff.h>

#define FAKE_DEV_PATH		"/dev/null"
#define FAKE_REGION_HANDLE	0x5eed0000c0ffee01ULL
#define FAKE_REGION_SIZE	4096
#define FAKE_MODULE_VERSION	((1U << 16) | (2U << 8) | 3U)

struct fake_module {
	/* Script, set by the test. */
	bool armed;			/* answer for FAKE_DEV_PATH fds */
	struct ipcoff_info info;	/* what GET_INFO reports */
	int info_err;			/* GET_INFO fails with this errno */
	int err;			/* other ioctls fail with this errno */
	uint64_t partial;		/* COPY: copied reported with @err */
	bool override_copied;		/* COPY succeeds without moving bytes */
	uint64_t copied;		/* ... and reports this count */
	uint64_t reg_handle;		/* REGISTER answer */
	unsigned char region[FAKE_REGION_SIZE];	/* FAKE_REGION_HANDLE */

	/* Record, read by the test. */
	unsigned int calls;		/* ioctls the fake answered */
	unsigned int passthrough;	/* ioctls sent to the real ioctl() */
	int passthrough_fd;
	unsigned long passthrough_req;
	int last_fd;
	unsigned long last_req;
	void *last_arg;
	union {
		struct ipcoff_info info;
		struct ipcoff_region_reg reg;
		struct ipcoff_region_unreg unreg;
		struct ipcoff_grant grant;
		struct ipcoff_copy copy;
	} seen;				/* the argument as it arrived */
	struct ipcoff_iovec seen_src_iov;	/* first segment, IOVEC src */
	struct ipcoff_iovec seen_dst_iov;	/* first segment, IOVEC dst */
	unsigned int violations;	/* requests no library call sends */
};

extern struct fake_module fake;

/* Disarm and forget everything; ioctls pass through. */
void fake_reset(void);
/* Arm with a well-formed GET_INFO answer and a patterned region. */
void fake_arm(uint64_t features, uint32_t abi_version);
/* Forget the record of earlier calls, keep the script. */
void fake_clear_record(void);

#endif /* IPCOFF_TESTS_FAKE_MODULE_H */
