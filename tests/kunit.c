// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * kunit: run the module's KUnit suites (module/kunit_suites.c) in the
 * running kernel and report their results.  They check the key rules,
 * the hash and the queue order from inside the kernel.  They are a module
 * of their own, altfutex_kunit.ko, built next to altfutex.ko for a kernel
 * with KUnit (the debug kernel: make check-debug): this loads it (the
 * suites run as it loads, on tables of their own, with altfutex.ko
 * loaded, as it needs), reads /sys/kernel/debug/kunit/<suite>/results
 * (CONFIG_KUNIT_DEBUGFS; debugfs is mounted if it is not) and unloads it.
 *
 * Each results file is printed.  PASS if every suite is there and every
 * case is "ok" (a skipped one is "ok ... # SKIP"); FAIL if a case or a
 * suite is "not ok", if a suite is missing, if a suite lists fewer case
 * results than it has cases (KUnit's per-case log is 512 bytes: a case
 * whose failure messages overflowed it loses its result line), or if
 * altfutex_kunit.ko is missing, will not load or will not unload.  SKIP
 * where the kernel has no KUnit: every stock Debian kernel.
 */
#include "helpers.h"

#include <ctype.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#define DEBUGFS		"/sys/kernel/debug"
#define KUNIT_DIR	DEBUGFS "/kunit"

static const char *const suites[] = {
	"altfutex_keys", "altfutex_hash", "altfutex_queue",
};

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int debugfs_mounted(void)
{
	struct statfs sf;

	return statfs(DEBUGFS, &sf) == 0 && sf.f_type == DEBUGFS_MAGIC;
}

/* What one results file says. */
struct result {
	int plan;	/* cases, from the suite's "1..N" */
	int cases;	/* case result lines */
	int ok;		/* of them "ok" (skips included) */
	int skipped;
	int not_ok;	/* "not ok" lines at any level: cases, params, suite */
	int suite_ok;	/* the last line: 1 ok, 0 not ok, -1 absent */
};

/*
 * Classify one line of KTAP: its indentation gives its level (0 the
 * suite, 4 a case, 8 a parameter of a parameterised case).
 */
static void parse_line(const char *line, struct result *r)
{
	int depth = 0, n;
	const char *p = line;

	while (*p == ' ') {
		p++;
		depth++;
	}
	if (!strncmp(p, "not ok ", 7)) {
		r->not_ok++;
		if (depth == 4)
			r->cases++;
		else if (depth == 0)
			r->suite_ok = 0;
	} else if (!strncmp(p, "ok ", 3) && isdigit((unsigned char)p[3])) {
		if (depth == 4) {
			r->cases++;
			r->ok++;
			if (strstr(p, "# SKIP"))
				r->skipped++;
		} else if (depth == 0) {
			r->suite_ok = 1;
		}
	} else if (depth == 4 && sscanf(p, "1..%d", &n) == 1) {
		r->plan = n;
	}
}

static const char *suite_verdict(int suite_ok)
{
	if (suite_ok < 0)
		return "result missing";
	return suite_ok ? "ok" : "not ok";
}

/* Print and check the results of @suite; return 0 if they pass. */
static int check_suite(const char *suite)
{
	struct result r = { .plan = -1, .suite_ok = -1 };
	char path[256], *line = NULL;
	size_t size = 0;
	ssize_t len;
	FILE *f;

	snprintf(path, sizeof(path), KUNIT_DIR "/%s/results", suite);
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "%s: FAIL: %s: no results: %s\n", t_name, suite,
			strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &size, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = 0;
		t_log("%s: %s", suite, line);
		parse_line(line, &r);
	}
	free(line);
	fclose(f);

	if (r.not_ok || r.suite_ok != 1 || r.plan < 0 || r.cases < r.plan) {
		fprintf(stderr, "%s: FAIL: %s: %d of %d cases ok, %d %s, suite %s\n",
			t_name, suite, r.ok, r.plan, r.not_ok,
			"\"not ok\" line(s)", suite_verdict(r.suite_ok));
		if (r.cases < r.plan)
			fprintf(stderr, "%s: %s: %d case results missing %s\n",
				t_name, suite, r.plan - r.cases,
				"(a case's log overflowed?)");
		return -1;
	}
	t_log("ok: %s: %d cases ok, %d of them skipped", suite, r.ok,
	      r.skipped);
	return 0;
}

/* Where altfutex_kunit.ko is: beside the altfutex.ko the harness loaded. */
static void kunit_ko_path(char *path, size_t size)
{
	const char *ko = getenv("ALTFUTEX_KO");
	char dir[256];

	if (!ko || !*ko)
		t_skip("no ALTFUTEX_KO: %s", "this runs in the VM harness");
	snprintf(dir, sizeof(dir), "%s", ko);
	snprintf(path, size, "%s/altfutex_kunit.ko", dirname(dir));
}

/* rmmod altfutex_kunit; return 0 or -errno. */
static int kunit_unload(void)
{
	return syscall(SYS_delete_module, "altfutex_kunit", O_NONBLOCK) ?
	       -errno : 0;
}

int main(void)
{
	char ko[300];
	unsigned int i;
	int failed = 0, fd, ret;

	t_init("kunit", 60);

	if (!debugfs_mounted() &&
	    mount("debugfs", DEBUGFS, "debugfs", 0, NULL))
		t_skip("cannot mount debugfs on %s (%s): no KUnit results to read",
		       DEBUGFS, strerror(errno));
	if (!exists(KUNIT_DIR))
		t_skip("this kernel has no KUnit (CONFIG_KUNIT), %s",
		       "the suites run on the debug kernel: make check-debug");
	if (!exists("/sys/module/altfutex"))
		t_fail("the altfutex module is not loaded: %s",
		       "altfutex_kunit.ko needs it");
	kunit_ko_path(ko, sizeof(ko));
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		t_fail("%s: %s (this kernel has KUnit: it should be built)",
		       ko, strerror(errno));
	/* one left behind by an earlier run would not run its suites */
	if (exists("/sys/module/altfutex_kunit") && kunit_unload())
		t_fail("cannot unload an earlier altfutex_kunit: %s",
		       strerror(errno));
	/* the suites run as it loads */
	if (syscall(SYS_finit_module, fd, "", 0))
		t_fail("loading %s: %s", ko, strerror(errno));
	close(fd);
	t_log("loaded %s", ko);

	for (i = 0; i < ARRAY_SIZE(suites); i++)
		if (check_suite(suites[i]))
			failed++;
	ret = kunit_unload();
	if (ret)
		t_fail("cannot unload altfutex_kunit: %s", strerror(-ret));
	if (failed)
		t_fail("%d of %zu altfutex KUnit suites failed or are missing",
		       failed, ARRAY_SIZE(suites));
	t_log("PASS");
	return T_PASS;
}
