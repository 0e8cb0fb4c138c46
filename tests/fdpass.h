/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Passing a file descriptor to another process over a UNIX socket
 * (SCM_RIGHTS), for the tests of altfutex fds that outlive their creator.
 */
#ifndef ALTFUTEX_TEST_FDPASS_H
#define ALTFUTEX_TEST_FDPASS_H

#include <sys/socket.h>
#include <sys/uio.h>

#include "harness.h"

/* Send @fd, with one byte of data, on @sock; fail the test if it cannot. */
static inline void t_send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	CHECK(sendmsg(sock, &msg, 0) == 1, "sendmsg: %s", strerror(errno));
}

/* Receive a descriptor sent by t_send_fd() on @sock, or fail the test. */
static inline int t_recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	CHECK(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) == 1, "recvmsg: %s",
	      strerror(errno));
	c = CMSG_FIRSTHDR(&msg);
	CHECK(c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS,
	      "no fd received");
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

#endif /* ALTFUTEX_TEST_FDPASS_H */
